/**
 * Read-only placing of an enrolment feed's course and person keys: the ledger first (entities courses and
 * persons), else Moodle by idnumber (core_course_get_courses_by_field, core_user_get_users_by_field). Answers are
 * kept for the whole file, since many rows share a course or a person.
 */
import type { EnrolmentRecord } from '../feed/types.js';
import type { LedgerStore } from '../ledger/types.js';
import { getCoursesByField, getUsersByField, isTransient } from '../moodle/index.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { EnrolmentContext } from '../plan/enrolments.js';
import { backoffDelay, sleep } from './limiter.js';

/** A key's Moodle id (and, from the ledger, its link's data source), or why there is none (null: simply not found). */
type Placed = { id: number; dataSource?: string | null } | { problem: string } | null;

export interface EnrolmentLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
  /** Course look-ups in flight (one idnumber per call). */
  concurrency?: number;
}

async function withRetries<T>(fn: () => Promise<T>, retries: number, backoffMs: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= retries) throw err;
      await sleep(backoffDelay(attempt, backoffMs));
    }
  }
}

export function enrolmentLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: EnrolmentLookupOptions = {},
): (unplaced: EnrolmentRecord[], chunk: EnrolmentRecord[]) => Promise<Map<string, Omit<EnrolmentContext, 'link'>>> {
  const retries = opts.retries ?? 5;
  const backoffMs = opts.backoffMs ?? 500;
  const chunkSize = Math.max(1, opts.chunkSize ?? 500);
  const courses = new Map<string, Placed>();
  const persons = new Map<string, Placed>();

  const placeCourses = async (keys: string[]): Promise<void> => {
    const want = keys.filter((k) => !courses.has(k));
    if (want.length === 0) return;
    for (const [k, link] of ledger.getLinks('courses', want)) courses.set(k, { id: link.moodleId, dataSource: link.dataSource });
    const ask = want.filter((k) => !courses.has(k));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ask.length) {
        const k = ask[next++];
        const { courses: found } = await withRetries(() => getCoursesByField(client, 'idnumber', k), retries, backoffMs);
        const exact = found.filter((c) => c.idnumber === undefined || c.idnumber === k);
        courses.set(k, exact.length === 1 ? { id: exact[0].id } : exact.length > 1 ? { problem: `${exact.length} Moodle courses have idnumber ${k}` } : null);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, ask.length) }, worker));
  };

  const placePersons = async (keys: string[]): Promise<void> => {
    const want = keys.filter((k) => !persons.has(k));
    if (want.length === 0) return;
    for (const [k, link] of ledger.getLinks('persons', want)) persons.set(k, { id: link.moodleId });
    const ask = want.filter((k) => !persons.has(k));
    for (let i = 0; i < ask.length; i += chunkSize) {
      const part = ask.slice(i, i + chunkSize);
      const users = await withRetries(() => getUsersByField(client, 'idnumber', part), retries, backoffMs);
      const byIdnumber = new Map<string, number[]>();
      for (const u of users) {
        const idn = (u as { idnumber?: string }).idnumber;
        if (idn === undefined) continue;
        const ids = byIdnumber.get(idn);
        if (ids) ids.push(u.id);
        else byIdnumber.set(idn, [u.id]);
      }
      for (const k of part) {
        const ids = byIdnumber.get(k) ?? [];
        persons.set(k, ids.length === 1 ? { id: ids[0] } : ids.length > 1 ? { problem: `${ids.length} Moodle users have idnumber ${k}` } : null);
      }
    }
  };

  return async (_unplaced, chunk) => {
    await placeCourses([...new Set(chunk.map((r) => r.fields.course))]);
    await placePersons([...new Set(chunk.map((r) => r.fields.person))]);
    const out = new Map<string, Omit<EnrolmentContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<EnrolmentContext, 'link'> = {};
      const c = courses.get(r.fields.course);
      const p = persons.get(r.fields.person);
      if (c && 'id' in c) {
        ctx.courseId = c.id;
        if (c.dataSource) ctx.courseDataSource = c.dataSource;
      } else if (c) ctx.courseProblem = c.problem;
      if (p && 'id' in p) ctx.userId = p.id;
      else if (p) ctx.personProblem = p.problem;
      // Both found: what a delete row without a ledger link disables (the fold's "found in Moodle").
      if (ctx.courseId !== undefined && ctx.userId !== undefined) ctx.match = { id: ctx.userId, via: 'idnumber' };
      out.set(r.key, ctx);
    }
    return out;
  };
}
