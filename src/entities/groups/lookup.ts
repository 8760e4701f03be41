/**
 * Read-only placing of the groups feed's keys (and the options group members share). Courses: ledger first, else Moodle by
 * idnumber (the shared CoursePlaces).
 * Groups: ledger (entity groups) first, else the course's groups in Moodle by idnumber (then, for a groups feed, by
 * exact name). Persons: ledger, else Moodle by idnumber. Enrolment: an active enrolments link, else the course's
 * enrolled users. Answers are kept for the whole file, since many rows share a course, a group or a person.
 */
import type { GroupRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { GroupContext } from './rules.js';
import { retrier } from '../../resolve/common.js';
import { CoursePlaces } from '../../resolve/courses.js';
import { CourseGroups } from '../../resolve/groups.js';

export interface GroupLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
}

export function groupLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: GroupLookupOptions = {},
): (unplaced: GroupRecord[], chunk: GroupRecord[]) => Promise<Map<string, Omit<GroupContext, 'link'>>> {
  const retry = retrier(opts);
  const courses = new CoursePlaces(client, ledger, retry, 1);
  const shortnames = new CoursePlaces(client, ledger, retry, 1, 'shortname');
  const courseGroups = new CourseGroups(client, retry);
  return async (unplaced, chunk) => {
    await courses.place(chunk.flatMap((r) => (r.fields.courseBy !== 'shortname' ? [r.fields.course] : [])));
    await shortnames.place(chunk.flatMap((r) => (r.fields.courseBy === 'shortname' ? [r.fields.course] : [])));
    const isUnplaced = new Set(unplaced.map((r) => r.key));
    // Linked rows: their links in one read for the chunk, not one per row.
    const links = await ledger.getLinks('groups', chunk.filter((r) => !isUnplaced.has(r.key)).map((r) => r.key));
    const out = new Map<string, Omit<GroupContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<GroupContext, 'link'> = {};
      const places = r.fields.courseBy === 'shortname' ? shortnames : courses;
      const courseId = places.id(r.fields.course);
      const problem = places.problem(r.fields.course) ?? (courseId === undefined && r.fields.courseBy === 'shortname' ? `no Moodle course has shortname ${r.fields.course}` : undefined);
      if (problem !== undefined) ctx.courseProblem = problem;
      if (courseId !== undefined) {
        ctx.courseId = courseId;
        const groups = await courseGroups.of(courseId);
        if (isUnplaced.has(r.key) && r.moodleId !== undefined) {
          // The SIS names the group by its id: it must be a group of the row's course, never one found otherwise.
          const g = groups.find((x) => x.id === r.moodleId);
          if (g) ctx.match = { id: g.id, via: 'moodle-id', by: 'moodle-id', name: g.name, description: g.description ?? '' };
          else ctx.moodleIdMissing = true;
        } else if (isUnplaced.has(r.key)) {
          // A group known by its name is only ever found by it.
          const byIdnumber = r.fields.groupBy === 'name' ? undefined : groups.find((g) => g.idnumber === r.fields.group);
          const byName = byIdnumber ? undefined : groups.find((g) => r.fields.name !== undefined && g.name === r.fields.name);
          const g = byIdnumber ?? byName;
          if (byName && r.fields.groupBy !== 'name' && byName.idnumber !== '' && byName.idnumber !== r.fields.group) {
            // Same name, another idnumber: another group; creating would clash on the name.
            ctx.ambiguous = `course ${r.fields.course} already has a group named "${byName.name}" with idnumber ${byName.idnumber}, not ${r.fields.group}`;
          } else if (g) ctx.match = { id: g.id, via: 'idnumber', by: byIdnumber ? 'idnumber' : 'name', name: g.name, description: g.description ?? '' };
        } else {
          // Linked: what the group looks like in Moodle now, so that what differs from the row is sent.
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
