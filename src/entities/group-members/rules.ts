/**
 * Group members: a person in a course group. The link remembers the group id it was added to, so a removal takes
 * the person out of exactly that group; a member must be enrolled in the course first (Moodle refuses otherwise).
 */
import { EntityPlanner, unchangedByState, type ContextBase, type EntityRules } from '../../plan/fold.js';
import { containerRemoval, removalRules } from '../../plan/membership.js';
import type { RowCode } from '../../errors.js';
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
  /** Undefined for a refresh disable whose link lacks it until the resolve step reads the group's own link. */
  groupId?: number;
  /** The resolve step could not tell the group (its link is not in the ledger either): the row fails with this. */
  unplaced?: { code: RowCode; message: string };
  leave?: { key: string; groupId: number }[];
}

declare module '../types.js' {
  interface EntityActions {
    'group-members': { member?: GroupMemberTarget };
  }
}

export type GroupMemberAction = ActionOf<'group-members'>;

/** The link state of a membership: the group the person was added to (`m1;group=ID`). */
export function groupMemberState(groupId: number): string {
  return `m1;group=${groupId}`;
}

export function parseGroupMemberState(state: string | null | undefined): number | undefined {
  const m = state ? /^m1;group=(\d+)$/.exec(state) : null;
  return m ? Number(m[1]) : undefined;
}

/** `COURSE|GROUP|PERSON` → its parts (course and group keys never hold a pipe: the reader refuses them). */
export function memberKeyParts(key: string): { course: string; group: string; person: string } {
  const a = key.indexOf('|');
  const b = key.indexOf('|', a + 1);
  return { course: key.slice(0, a), group: key.slice(a + 1, b), person: key.slice(b + 1) };
}

type MC = GroupMemberContext;

/** Removing a group membership: leave the group (the link's, else the row's; none known: the resolve step reads the group's own link). */
const MEMBER_REMOVAL = containerRemoval<'group-members', MC, { member: GroupMemberTarget }>({
  linked: parseGroupMemberState,
  found: (ctx) => ctx.groupId,
  user: (ctx) => ctx.userId,
  state: groupMemberState,
  container: (r) => `group ${r.fields.group} of course ${r.fields.course}`,
  person: (r) => `person ${r.fields.person}`,
  what: 'remove from the group',
  leave: (groupId) => ({ member: { call: 'remove', groupId } }),
});

export const GROUP_MEMBER_RULES: EntityRules<'group-members', MC> = {
  moodleNoun: 'user',
  // Their sends and unchanged rows repeat all but key, line and user: a run's plan shares the rest until applied.
  sharesTemplates: true,
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
    const state = groupMemberState(ctx.groupId);
    const link = ctx.link;
    // A shift that still has groups to leave is never unchanged.
    const same = leave.length === 0 ? unchangedByState(r, line, link, state, base.dataSource, p, ctx.userId) : undefined;
    if (same) return same;
    const member: GroupMemberTarget = { call: 'add', groupId: ctx.groupId, leave };
    // No `record`: the target holds what is sent, and a plan kept until applied shares all else (CompactActions).
    const send = { ...base, moodleId: ctx.userId, state, status: 'active' as const, member };
    const leaving = leave.length > 0 ? `; leave ${leave.map((l) => memberKeyParts(l.key).group).join(', ')} first (shift)` : '';
    if (link && link.status === 'active') {
      const reowned = base.dataSource !== link.dataSource;
      const reason = link.state !== state ? 'the group is another Moodle group now' : link.moodleId !== ctx.userId ? `person ${r.fields.person} is now Moodle user ${ctx.userId}` : reowned ? 'data source changed' : leave.length > 0 ? 'shift' : 'full re-send';
      return { kind: 'update', ...send, reason: `${reason}${leaving}` } satisfies GroupMemberAction;
    }
    if (link) return { kind: 'enable', ...send, reason: `back in the file: add to the group again${leaving}` } satisfies GroupMemberAction;
    return { kind: 'create', ...send, reason: `add to group ${r.fields.group}${leaving}` } satisfies GroupMemberAction;
  },

  ...removalRules(MEMBER_REMOVAL),
};

export class GroupMemberPlanner extends EntityPlanner<'group-members', GroupMemberContext> {
  constructor(options: PlanOptions<'group-members'>, sink?: (action: ActionOf<'group-members'>) => void) {
    super(GROUP_MEMBER_RULES, options, sink, 'GroupMemberPlanner');
  }
}
