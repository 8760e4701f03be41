/**
 * Read-only placing of an enrolment feed's course and person keys: the ledger first (entities courses and
 * persons), else Moodle by idnumber (core_course_get_courses_by_field, core_user_get_users_by_field). Answers are
 * kept for the whole file, since many rows share a course or a person.
 */
import type { EnrolmentRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import { getCoursesByField } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { EnrolmentContext } from './rules.js';
import { PersonPlaces, retrier, type Placed } from '../../resolve/common.js';

export interface EnrolmentLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
  /** Course look-ups in flight (one idnumber per call). */
  concurrency?: number;
}

export function enrolmentLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: EnrolmentLookupOptions = {},
): (unplaced: EnrolmentRecord[], chunk: EnrolmentRecord[]) => Promise<Map<string, Omit<EnrolmentContext, 'link'>>> {
  const retry = retrier(opts);
  /** Courses from the ledger keep their link's data source. */
  const courses = new Map<string, Placed<{ dataSource?: string | null }>>();
  const persons = new PersonPlaces(client, ledger, retry, Math.max(1, opts.chunkSize ?? 500));

  const placeCourses = async (keys: string[]): Promise<void> => {
    const want = keys.filter((k) => !courses.has(k));
    if (want.length === 0) return;
    for (const [k, link] of ledger.getLinks('courses', want)) courses.set(k, { id: link.moodleId, dataSource: link.dataSource });
    const ask = want.filter((k) => !courses.has(k));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ask.length) {
        const k = ask[next++];
        const { courses: found } = await retry(() => getCoursesByField(client, 'idnumber', k));
        const exact = found.filter((c) => c.idnumber === undefined || c.idnumber === k);
        courses.set(k, exact.length === 1 ? { id: exact[0].id } : exact.length > 1 ? { problem: `${exact.length} Moodle courses have idnumber ${k}` } : null);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, ask.length) }, worker));
  };

  return async (_unplaced, chunk) => {
    await placeCourses([...new Set(chunk.map((r) => r.fields.course))]);
    await persons.place(chunk.map((r) => r.fields.person));
    const out = new Map<string, Omit<EnrolmentContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<EnrolmentContext, 'link'> = {};
      const c = courses.get(r.fields.course);
      const p = persons.get(r.fields.person);
      if (c && 'id' in c) {
        ctx.courseId = c.id;
        if (c.dataSource) ctx.courseDataSource = c.dataSource;
      } else if (c) ctx.courseProblem = c.problem;
      if (p.id !== undefined) ctx.userId = p.id;
      else if (p.problem !== undefined) ctx.personProblem = p.problem;
      // Both found: what a delete row without a ledger link disables (the fold's "found in Moodle").
      if (ctx.courseId !== undefined && ctx.userId !== undefined) ctx.match = { id: ctx.userId, via: 'idnumber' };
      out.set(r.key, ctx);
    }
    return out;
  };
}
