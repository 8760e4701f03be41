/**
 * Read-only placing of the groups feed's keys (and the course cache group members share). Courses: ledger first, else Moodle by idnumber.
 * Groups: ledger (entity groups) first, else the course's groups in Moodle by idnumber (then, for a groups feed, by
 * exact name). Persons: ledger, else Moodle by idnumber. Enrolment: an active enrolments link, else the course's
 * enrolled users. Answers are kept for the whole file, since many rows share a course, a group or a person.
 */
import type { GroupRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import { getCourseGroups, getCoursesByField } from '../../moodle/index.js';
import type { MoodleCaller, MoodleGroup } from '../../moodle/types.js';
import type { GroupContext } from './rules.js';
import { retrier, type Placed, type Retry } from '../../resolve/common.js';

export interface GroupLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
}

/** Course keys → Moodle ids and each course's groups, cached for the file. */
export class CourseCache {
  readonly courses = new Map<string, Placed>();
  private readonly groups = new Map<number, MoodleGroup[]>();
  constructor(
    private readonly client: MoodleCaller,
    private readonly ledger: LedgerStore,
    private readonly retry: Retry,
  ) {}

  async place(keys: string[]): Promise<void> {
    const want = [...new Set(keys)].filter((k) => !this.courses.has(k));
    if (want.length === 0) return;
    for (const [k, link] of this.ledger.getLinks('courses', want)) this.courses.set(k, { id: link.moodleId });
    for (const k of want.filter((x) => !this.courses.has(x))) {
      const { courses: found } = await this.retry(() => getCoursesByField(this.client, 'idnumber', k));
      const exact = found.filter((c) => c.idnumber === undefined || c.idnumber === k);
      this.courses.set(k, exact.length === 1 ? { id: exact[0].id } : exact.length > 1 ? { problem: `${exact.length} Moodle courses have idnumber ${k}` } : null);
    }
  }

  id(key: string): number | undefined {
    const c = this.courses.get(key);
    return c && 'id' in c ? c.id : undefined;
  }

  problem(key: string): string | undefined {
    const c = this.courses.get(key);
    return c && 'problem' in c ? c.problem : undefined;
  }

  async groupsOf(courseId: number): Promise<MoodleGroup[]> {
    let g = this.groups.get(courseId);
    if (!g) {
      g = await this.retry(() => getCourseGroups(this.client, courseId));
      this.groups.set(courseId, g);
    }
    return g;
  }
}

export function groupLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: GroupLookupOptions = {},
): (unplaced: GroupRecord[], chunk: GroupRecord[]) => Promise<Map<string, Omit<GroupContext, 'link'>>> {
  const retry = retrier(opts);
  const cache = new CourseCache(client, ledger, retry);
  return async (unplaced, chunk) => {
    await cache.place(chunk.map((r) => r.fields.course));
    const isUnplaced = new Set(unplaced.map((r) => r.key));
    // Linked rows: their links in one read for the chunk, not one per row.
    const links = ledger.getLinks('groups', chunk.filter((r) => !isUnplaced.has(r.key)).map((r) => r.key));
    const out = new Map<string, Omit<GroupContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<GroupContext, 'link'> = {};
      const courseId = cache.id(r.fields.course);
      const problem = cache.problem(r.fields.course);
      if (problem !== undefined) ctx.courseProblem = problem;
      if (courseId !== undefined) {
        ctx.courseId = courseId;
        const groups = await cache.groupsOf(courseId);
        if (isUnplaced.has(r.key)) {
          const byIdnumber = groups.find((g) => g.idnumber === r.fields.group);
          const byName = byIdnumber ? undefined : groups.find((g) => r.fields.name !== undefined && g.name === r.fields.name);
          const g = byIdnumber ?? byName;
          if (byName && byName.idnumber !== '' && byName.idnumber !== r.fields.group) {
            // Same name, another idnumber: another group; creating would clash on the name.
            ctx.ambiguous = `course ${r.fields.course} already has a group named "${byName.name}" with idnumber ${byName.idnumber}, not ${r.fields.group}`;
          } else if (g) ctx.match = { id: g.id, via: 'idnumber', by: byIdnumber ? 'idnumber' : 'name', name: g.name, description: g.description ?? '' };
        } else {
          // Linked: what the group looks like in Moodle now, to report changes Moodle cannot take.
          const linked = links.get(r.key);
          const g = linked ? groups.find((x) => x.id === linked.moodleId) : undefined;
          if (g) ctx.current = { name: g.name, description: g.description ?? '' };
        }
      }
      out.set(r.key, ctx);
    }
    return out;
  };
}
