/**
 * Group members: a person in a course group. The link remembers the group id it was added to, so a removal takes
 * the person out of exactly that group; a member must be enrolled in the course first (Moodle refuses otherwise).
 */
import type { GroupMemberRecord } from './record.js';
import { EntityPlanner, unchangedByLink, type ContextBase, type EntityRules, type RowPlanning } from '../../plan/fold.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';

// ── group members ──────────────────────────────────────────────────────────────────────────────────────────

export interface GroupMemberContext extends ContextBase {
  groupId?: number;
  /** Why the group cannot be placed when it is not simply unknown (unknown course, a failed look-up). */
  groupProblem?: string;
  /** The data source of the group's ledger link; absent for a group found in Moodle only. */
  groupDataSource?: string | null;
  userId?: number;
  personProblem?: string;
  /** Whether the person is enrolled in the course (suspended enrolments count); undefined when not checked. */
  enrolled?: boolean;
  /** Shift rows: the course's other groups mdlsync manages that the person is a member of now. */
  leave?: { key: string; groupId: number }[];
}

export interface GroupMemberTarget {
  /** add: core_group_add_group_members (after leaving `leave`); remove: core_group_delete_group_members. */
  call: 'add' | 'remove';
  /** Undefined for a refresh disable whose link lacks it: the applier looks the group up. */
  groupId?: number;
  leave?: { key: string; groupId: number }[];
}

declare module '../types.js' {
  interface EntityActions {
    'group-members': { member?: GroupMemberTarget };
  }
}

export type GroupMemberAction = ActionOf<'group-members'>;

export function memberHash(groupId: number): string {
  return `m1;group=${groupId}`;
}

export function parseMemberHash(hash: string | null | undefined): number | undefined {
  const m = hash ? /^m1;group=(\d+)$/.exec(hash) : null;
  return m ? Number(m[1]) : undefined;
}

/** `COURSE|GROUP|PERSON` → its parts (course and group keys never hold a pipe: the reader refuses them). */
export function memberKeyParts(key: string): { course: string; group: string; person: string } {
  const a = key.indexOf('|');
  const b = key.indexOf('|', a + 1);
  return { course: key.slice(0, a), group: key.slice(a + 1, b), person: key.slice(b + 1) };
}

type M = GroupMemberRecord;
type MC = GroupMemberContext;

function memberDisable(r: M, line: number, ctx: MC, p: RowPlanning<'group-members', MC>, why: string): GroupMemberAction {
  const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
  const link = ctx.link;
  if (link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already removed (${why})` };
  const userId = link?.moodleId ?? ctx.userId;
  const groupId = parseMemberHash(link?.hash) ?? ctx.groupId;
  if (userId === undefined || groupId === undefined) {
    const what = groupId === undefined ? `group ${r.fields.group} of course ${r.fields.course}` : `person ${r.fields.person}`;
    return { kind: 'unchanged', ...base, reason: `${what} is not in Moodle: nothing to remove (${why})` };
  }
  return { kind: 'disable', ...base, moodleId: userId, record: r, hash: link?.hash ?? memberHash(groupId), status: 'disabled', reason: `${why}: remove from the group`, member: { call: 'remove', groupId } } satisfies GroupMemberAction;
}

export const GROUP_MEMBER_RULES: EntityRules<'group-members', MC> = {
  moodleNoun: 'user',
  recordNoun: 'group membership',
  // A group owned by another data source is not this row's to fill or empty (the fold checks every row).
  owners: (r, ctx) => [{ what: `group ${r.fields.group} of course ${r.fields.course}`, dataSource: ctx.groupDataSource, hint: "send its members from the group's data source" }],

  store(r, line, ctx, p) {
    const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    if (ctx.groupId === undefined) return p.fail(r, line, ctx, 'unknown-group', ctx.groupProblem ?? `unknown group ${r.fields.group} in course ${r.fields.course}`);
    if (ctx.userId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.personProblem ?? `unknown person ${r.fields.person}`);
    if (ctx.enrolled === false) {
      return p.fail(r, line, ctx, 'not-enrolled', `person ${r.fields.person} is not enrolled in course ${r.fields.course}: only enrolled users may be members of groups (enrol first: an enrolments feed runs before group members)`);
    }
    const leave = r.fields.shift ? (ctx.leave ?? []).filter((l) => l.groupId !== ctx.groupId) : [];
    const hash = memberHash(ctx.groupId);
    const link = ctx.link;
    // A shift that still has groups to leave is never unchanged.
    const same = leave.length === 0 ? unchangedByLink(r, line, link, hash, base.dataSource, p, ctx.userId) : undefined;
    if (same) return same;
    const member: GroupMemberTarget = { call: 'add', groupId: ctx.groupId, leave };
    const send = { ...base, moodleId: ctx.userId, record: r, hash, status: 'active' as const, member };
    const leaving = leave.length > 0 ? `; leave ${leave.map((l) => memberKeyParts(l.key).group).join(', ')} first (shift)` : '';
    if (link && link.status === 'active') {
      const reowned = base.dataSource !== link.dataSource;
      const reason = link.hash !== hash ? 'the group is another Moodle group now' : link.moodleId !== ctx.userId ? `person ${r.fields.person} is now Moodle user ${ctx.userId}` : reowned ? 'data source changed' : leave.length > 0 ? 'shift' : 'full re-send';
      return { kind: 'update', ...send, reason: `${reason}${leaving}` } satisfies GroupMemberAction;
    }
    if (link) return { kind: 'enable', ...send, reason: `back in the file: add to the group again${leaving}` } satisfies GroupMemberAction;
    return { kind: 'create', ...send, reason: `add to group ${r.fields.group}${leaving}` } satisfies GroupMemberAction;
  },

  disable(r, line, ctx, p) {
    return memberDisable(r, line, ctx, p, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled');
  },

  delete(r, line, ctx, p) {
    return memberDisable(r, line, ctx, p, p.options.op === 'delete' ? 'delete' : 'ACTION=delete');
  },

  ownedDisable(link, reason, p) {
    const base = { entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource };
    const a: GroupMemberAction = { kind: 'disable', ...base, moodleId: link.moodleId, hash: link.hash ?? undefined, status: 'disabled', reason: `${reason}: remove from the group`, member: { call: 'remove', groupId: parseMemberHash(link.hash) } };
    return a;
  },
};

export class GroupMemberPlanner extends EntityPlanner<'group-members', GroupMemberContext> {
  constructor(options: PlanOptions<'group-members'>, sink?: (action: ActionOf<'group-members'>) => void) {
    super(GROUP_MEMBER_RULES, options, sink, 'GroupMemberPlanner');
  }
}
