/** Group-member look-ups: the group (through the course), the person and whether they are enrolled. */
import type { GroupMemberRecord } from './record.js';
import type { LedgerLink, LedgerStore } from '../../ledger/types.js';
import { getEnrolledUsers, getGroupMembers } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { memberKeyParts, type GroupMemberAction, type GroupMemberContext } from './rules.js';
import type { Action } from '../../plan/types.js';
import type { EntityLookup } from '../definition.js';
import { containersFromLedger } from '../../resolve/containers.js';
import { PersonPlaces, retrier } from '../../resolve/common.js';
import { CoursePlaces } from '../../resolve/courses.js';
import { CourseGroups } from '../../resolve/groups.js';
import type { GroupLookupOptions } from '../groups/lookup.js';

export function groupMemberLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: GroupLookupOptions = {},
): EntityLookup<GroupMemberRecord, GroupMemberContext> {
  const retry = retrier(opts);
  const courses = new CoursePlaces(client, ledger, retry, 1);
  const courseGroups = new CourseGroups(client, retry);
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

  const lookup: EntityLookup<GroupMemberRecord, GroupMemberContext> = async (_unplaced, chunk) => {
    await courses.place(chunk.map((r) => r.fields.course));
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
      const courseId = courses.id(course);
      if (courseId === undefined) ctx.groupProblem = courses.problem(course) ?? `unknown course ${course}`;
      else {
        const link = groupLinks.get(`${course}|${group}`);
        const g = link ? link.moodleId : (await courseGroups.of(courseId)).find((x) => x.idnumber === group)?.id;
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
  // A refresh's removal whose link does not name its group: the group's own link does.
  lookup.complete = async (actions) => {
    const waiting = (a: Action): a is GroupMemberAction => a.entity === 'group-members' && a.member?.call === 'remove' && a.member.groupId === undefined && a.member.unplaced === undefined;
    const groupKey = (key: string): string => {
      const k = memberKeyParts(key);
      return `${k.course}|${k.group}`;
    };
    const keys = actions.filter(waiting).map((a) => groupKey(a.key));
    if (keys.length === 0) return;
    const places = containersFromLedger(ledger, 'groups', keys);
    actions.forEach((a, i) => {
      if (!waiting(a)) return;
      const place = places.get(groupKey(a.key))!;
      actions[i] = { ...a, member: { ...a.member!, ...('id' in place ? { groupId: place.id } : place) } };
    });
  };
  return lookup;
}
