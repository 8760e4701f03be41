/** Group-member look-ups: the group (through the course), the person and whether they are enrolled. */
import { picked } from '../../plan/compact.js';
import type { GroupMemberRecord } from './record.js';
import type { LedgerLink, LedgerStore } from '../../ledger/types.js';
import { getEnrolledUsers, getGroupMembers } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { memberKeyParts, type GroupMemberAction, type GroupMemberContext } from './rules.js';
import type { Action } from '../../plan/types.js';
import type { EntityLookup } from '../definition.js';
import { containersFromLedger } from '../../resolve/containers.js';
import { retrier } from '../../resolve/common.js';
import { LinkEnds } from '../../resolve/link-ends.js';
import { CourseGroups } from '../../resolve/groups.js';
import type { GroupLookupOptions } from '../groups/lookup.js';

export function groupMemberLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: GroupLookupOptions = {},
): EntityLookup<GroupMemberRecord, GroupMemberContext> {
  const retry = retrier(opts);
  const ends = new LinkEnds(client, ledger, retry, { courseConcurrency: 1, chunkSize: Math.max(1, opts.chunkSize ?? 500) });
  const courseGroups = new CourseGroups(client, retry);
  /** Whether a row names everything by the ledger's keys (idnumbers), so its group and enrolment links are keyed as it is. */
  const byKeys = (r: GroupMemberRecord): boolean => !r.fields.courseBy && !r.fields.groupBy && !r.fields.personBy;
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

  const managedOf = async (course: string): Promise<Map<string, number>> => {
    if (!managed) {
      managed = new Map();
      for await (const link of ledger.activeLinks('groups', null)) {
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

  /**
   * The group of a row whose course is placed: the ledger's link when the row names both by their keys, else the
   * course's groups in Moodle, by idnumber or by exact name (exactly one: Moodle keeps names unique per course, but
   * says so only on create). A group mdlsync owns keeps its link's data source, however the row names it.
   */
  const groupOf = async (r: GroupMemberRecord, courseId: number, link: LedgerLink | undefined): Promise<{ id?: number; problem?: string; dataSource?: string | null }> => {
    if (link) return { id: link.moodleId, dataSource: link.dataSource };
    const { course, group } = r.fields;
    const all = await courseGroups.of(courseId);
    if (r.fields.groupBy !== 'name') {
      const id = all.find((x) => x.idnumber === group)?.id;
      if (id === undefined || byKeys(r)) return { id };
      return { id, dataSource: (await ledger.findByMoodleId('groups', id))?.dataSource };
    }
    const named = all.filter((x) => x.name === group);
    if (named.length === 0) return { problem: `course ${course} has no group named ${group}` };
    if (named.length > 1) return { problem: `${named.length} groups of course ${course} are named ${group}` };
    return { id: named[0].id, dataSource: (await ledger.findByMoodleId('groups', named[0].id))?.dataSource };
  };

  /** Group id → the group key of its active ledger link, read once. */
  let managedIds: Map<number, string> | null = null;
  /** Shift rows naming things otherwise than by keys: the course's groups that mdlsync manages, found by their Moodle ids. */
  const managedIn = async (r: GroupMemberRecord, courseId: number): Promise<Map<string, number>> => {
    if (!managedIds) {
      managedIds = new Map();
      for await (const link of ledger.activeLinks('groups', null)) managedIds.set(link.moodleId, link.key.slice(link.key.indexOf('|') + 1));
    }
    const out = new Map<string, number>();
    for (const g of await courseGroups.of(courseId)) {
      const key = managedIds.get(g.id);
      // The left membership's key names its group the way this row does, as its own link would.
      if (key !== undefined) out.set(r.fields.groupBy === 'name' ? g.name : key, g.id);
    }
    return out;
  };

  const lookup: EntityLookup<GroupMemberRecord, GroupMemberContext> = async (_unplaced, chunk) => {
    await ends.place(chunk);
    // The chunk's group and enrolment links in one read each, not one per row; only rows naming things by the
    // ledger's keys have links keyed as they are.
    const keyed = chunk.filter(byKeys);
    const groupLinks = await ledger.getLinks('groups', keyed.map((r) => `${r.fields.course}|${r.fields.group}`));
    const enrolmentLinks = await ledger.getLinks('enrolments', keyed.map((r) => `${r.fields.course}|${r.fields.person}`));
    const out = new Map<string, Omit<GroupMemberContext, 'link'>>();
    for (const r of chunk) {
      const { course, group, person } = r.fields;
      const ctx: Omit<GroupMemberContext, 'link'> = {};
      const p = ends.person(r.fields);
      if (p.id !== undefined) ctx.userId = p.id;
      else if (p.problem !== undefined) ctx.personProblem = p.problem;
      const c = ends.course(r.fields);
      const courseId = c && 'id' in c ? c.id : undefined;
      if (courseId === undefined) ctx.groupProblem = c && 'problem' in c ? c.problem : `unknown course ${course}`;
      else {
        const found = await groupOf(r, courseId, byKeys(r) ? groupLinks.get(`${course}|${group}`) : undefined);
        const g = found.id;
        if (g !== undefined) ctx.groupId = g;
        else if (found.problem !== undefined) ctx.groupProblem = found.problem;
        if (found.dataSource) ctx.groupDataSource = found.dataSource;
        if (ctx.userId !== undefined && g !== undefined) {
          ctx.match = { id: ctx.userId, via: 'idnumber' };
          if (r.command !== 'delete' && r.rowStatus !== 'disabled' && r.rowStatus !== 'deleted') ctx.enrolled = await isEnrolled(byKeys(r) ? enrolmentLinks.get(`${course}|${person}`) : undefined, courseId, ctx.userId);
          if (r.fields.shift) {
            const others = [...(byKeys(r) ? await managedOf(course) : await managedIn(r, courseId))].filter(([, id]) => id !== g);
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
    const waitingOnes = picked(actions, waiting);
    const keys = waitingOnes.map(({ action: a }) => groupKey(a.key));
    if (keys.length === 0) return;
    const places = await containersFromLedger(ledger, 'groups', keys);
    for (const { index, action: a } of waitingOnes) {
      const place = places.get(groupKey(a.key))!;
      actions.set(index, { ...a, member: { ...a.member!, ...('id' in place ? { groupId: place.id } : place) } });
    }
  };
  return lookup;
}
