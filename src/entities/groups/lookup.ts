/**
 * Read-only placing of the groups and group-members feeds' keys. Courses: ledger first, else Moodle by idnumber.
 * Groups: ledger (entity groups) first, else the course's groups in Moodle by idnumber (then, for a groups feed, by
 * exact name). Persons: ledger, else Moodle by idnumber. Enrolment: an active enrolments link, else the course's
 * enrolled users. Answers are kept for the whole file, since many rows share a course, a group or a person.
 */
import type { GroupMemberRecord, GroupRecord } from './record.js';
import type { LedgerLink, LedgerStore } from '../../ledger/types.js';
import { getCourseGroups, getCoursesByField, getEnrolledUsers, getGroupMembers } from '../../moodle/index.js';
import type { MoodleCaller, MoodleGroup } from '../../moodle/index.js';
import type { GroupContext, GroupMemberContext } from './rules.js';
import { PersonPlaces, retrier, type Placed, type Retry } from '../../resolve/common.js';

export interface GroupLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
}

/** Course keys → Moodle ids and each course's groups, cached for the file. */
class CourseCache {
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

export function groupMemberLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: GroupLookupOptions = {},
): (unplaced: GroupMemberRecord[], chunk: GroupMemberRecord[]) => Promise<Map<string, Omit<GroupMemberContext, 'link'>>> {
  const retry = retrier(opts);
  const cache = new CourseCache(client, ledger, retry);
  const persons = new PersonPlaces(client, ledger, retry, Math.max(1, opts.chunkSize ?? 500));
  const enrolled = new Map<number, Set<number>>();
  const members = new Map<number, Set<number>>();
  /** Course key → the groups of that course mdlsync manages (active ledger links): group key → group id. */
  let managed: Map<string, Map<string, number>> | null = null;

  const isEnrolled = async (enrolment: LedgerLink | undefined, courseId: number, userId: number): Promise<boolean> => {
    if (enrolment?.status === 'active') return true;
    let set = enrolled.get(courseId);
    if (!set) {
      // Suspended enrolments count: Moodle lets their users be group members.
      const users = await retry(() => getEnrolledUsers(client, courseId, [{ name: 'userfields', value: 'id' }]));
      set = new Set(users.map((u) => u.id));
      enrolled.set(courseId, set);
    }
    return set.has(userId);
  };

  const managedOf = (course: string): Map<string, number> => {
    if (!managed) {
      managed = new Map();
      for (const link of ledger.activeLinks('groups', null)) {
        const i = link.key.indexOf('|');
        const c = link.key.slice(0, i);
        let m = managed.get(c);
        if (!m) managed.set(c, (m = new Map()));
        m.set(link.key.slice(i + 1), link.moodleId);
      }
    }
    return managed.get(course) ?? new Map();
  };

  const membersOf = async (groupIds: number[]): Promise<void> => {
    const ask = groupIds.filter((g) => !members.has(g));
    if (ask.length === 0) return;
    for (const e of await retry(() => getGroupMembers(client, ask))) members.set(e.groupid, new Set(e.userids));
    for (const g of ask) if (!members.has(g)) members.set(g, new Set());
  };

  return async (_unplaced, chunk) => {
    await cache.place(chunk.map((r) => r.fields.course));
    await persons.place(chunk.map((r) => r.fields.person));
    // The chunk's group and enrolment links in one read each, not one per row.
    const groupLinks = ledger.getLinks('groups', chunk.map((r) => `${r.fields.course}|${r.fields.group}`));
    const enrolmentLinks = ledger.getLinks('enrolments', chunk.map((r) => `${r.fields.course}|${r.fields.person}`));
    const out = new Map<string, Omit<GroupMemberContext, 'link'>>();
    for (const r of chunk) {
      const { course, group, person } = r.fields;
      const ctx: Omit<GroupMemberContext, 'link'> = {};
      const p = persons.get(person);
      if (p.id !== undefined) ctx.userId = p.id;
      else if (p.problem !== undefined) ctx.personProblem = p.problem;
      const courseId = cache.id(course);
      if (courseId === undefined) ctx.groupProblem = cache.problem(course) ?? `unknown course ${course}`;
      else {
        const link = groupLinks.get(`${course}|${group}`);
        const g = link ? link.moodleId : (await cache.groupsOf(courseId)).find((x) => x.idnumber === group)?.id;
        if (g !== undefined) ctx.groupId = g;
        if (link?.dataSource) ctx.groupDataSource = link.dataSource;
        if (ctx.userId !== undefined && g !== undefined) {
          ctx.match = { id: ctx.userId, via: 'idnumber' };
          if (r.command !== 'delete' && r.rowStatus !== 'disabled' && r.rowStatus !== 'deleted') ctx.enrolled = await isEnrolled(enrolmentLinks.get(`${course}|${person}`), courseId, ctx.userId);
          if (r.fields.shift) {
            const others = [...managedOf(course)].filter(([, id]) => id !== g);
            await membersOf(others.map(([, id]) => id));
            ctx.leave = others.filter(([, id]) => members.get(id)?.has(ctx.userId!)).map(([k, id]) => ({ key: `${course}|${k}|${person}`, groupId: id }));
          }
        }
      }
      out.set(r.key, ctx);
    }
    return out;
  };
}
