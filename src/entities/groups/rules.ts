/**
 * The groups and group-members rules of the generic planner (fold.ts). Pure: no I/O, no clock.
 *
 * groups — key `COURSE|GROUP`, the group key kept in the group's idnumber; the ledger link holds the group id and,
 * as hash, the name and description Moodle has as far as mdlsync knows. A group is created, or an existing group of
 * the course is adopted (by idnumber, then by exact name). This service has no group update function, so a changed
 * name or description is reported, never sent; delete is out of scope too: disabling only disables the ledger link.
 *
 * group-members — key `COURSE|GROUP|PERSON`; the link holds the user id and, as hash, the group id. A member must be
 * enrolled in the course. `shift` rows first leave the course's other groups that mdlsync manages.
 */
import type { GroupMemberRecord, GroupRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';
import { EntityPlanner, dataSourceChange, unchangedByLink, type ContextBase, type EntityRules, type MatchBase, type RowPlanning } from '../../plan/fold.js';
import type { Action, PlanOptions } from '../../plan/types.js';

/** Why a changed group is not sent. */
export const NO_GROUP_UPDATE = 'not updated (Moodle has no group update in this service)';

// ── groups ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface GroupMatch extends MatchBase {
  via: 'idnumber';
  /** How the group was found: its idnumber is the group key, or its exact name is the row's name. */
  by: 'idnumber' | 'name';
  name: string;
  description: string;
}

export interface GroupContext extends ContextBase<GroupMatch> {
  courseId?: number;
  courseProblem?: string;
  /** The linked group as Moodle has it now, when the caller looked (name, description). */
  current?: { name: string; description: string };
}

export interface GroupTarget {
  /** create: core_group_create_groups; none: only the ledger link is written (adopt, enable, disable). */
  call: 'create' | 'none';
  courseId?: number;
  name?: string;
  description?: string;
  idnumber?: string;
  /** Shown in rows.csv when the row is settled without a call (a change Moodle cannot take). */
  note?: string;
}

export type GroupAction = Action<GroupRecord> & { group?: GroupTarget };

export function groupHash(name: string, description: string): string {
  return `g1;name=${encodeURIComponent(name)};description=${encodeURIComponent(description)}`;
}

export function parseGroupHash(hash: string | null | undefined): { name: string; description: string } | undefined {
  const m = hash ? /^g1;name=([^;]*);description=([^;]*)$/.exec(hash) : null;
  return m ? { name: decodeURIComponent(m[1]), description: decodeURIComponent(m[2]) } : undefined;
}

/** What differs between the row and the group Moodle has, in plain words ('' when nothing does). */
function groupChanges(r: GroupRecord, have: { name: string; description: string } | undefined): string {
  if (!have) return '';
  const parts: string[] = [];
  if (r.fields.name !== undefined && r.fields.name !== have.name) parts.push(`name "${have.name}" → "${r.fields.name}"`);
  if (r.fields.description !== undefined && r.fields.description !== have.description) parts.push('description changed');
  return parts.join(', ');
}

export const GROUP_RULES: EntityRules<GroupRecord, GroupContext> = {
  moodleNoun: 'group',
  recordNoun: 'group',

  store(r, line, ctx, p) {
    const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    const link = ctx.link;
    if (link) {
      const have = ctx.current ?? parseGroupHash(link.hash);
      const hash = have ? groupHash(have.name, have.description) : link.hash ?? undefined;
      const changes = groupChanges(r, have);
      const note = changes ? `${changes}: ${NO_GROUP_UPDATE}` : undefined;
      if (link.status === 'disabled') {
        return { kind: 'enable', ...base, moodleId: link.moodleId, record: r, hash, status: 'active', reason: `back in the file: link group ${link.moodleId} again${note ? `; ${note}` : ''}`, group: { call: 'none', note } } satisfies GroupAction;
      }
      const reowned = base.dataSource !== link.dataSource;
      if (note || reowned) {
        const reason = [note, reowned ? dataSourceChange(link, base.dataSource) : ''].filter(Boolean).join('; ');
        return { kind: 'update', ...base, moodleId: link.moodleId, record: r, hash, status: 'active', reason, group: { call: 'none', note } } satisfies GroupAction;
      }
      return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: 'same content' };
    }
    if (ctx.courseId === undefined) return p.fail(r, line, ctx, 'unknown-course', ctx.courseProblem ?? `unknown course ${r.fields.course}`);
    if (ctx.match) {
      const m = ctx.match;
      const changes = groupChanges(r, m);
      const note = changes ? `${changes}: ${NO_GROUP_UPDATE}` : undefined;
      const found = `found in course ${r.fields.course} by ${m.by === 'idnumber' ? 'idnumber' : `name "${m.name}"`} (group ${m.id})`;
      return {
        kind: 'adopt',
        ...base,
        moodleId: m.id,
        record: r,
        hash: groupHash(m.name, m.description),
        status: 'active',
        reason: `${found}: link it${note ? `; ${note}` : ''}`,
        group: { call: 'none', note },
      } satisfies GroupAction;
    }
    if (r.fields.name === undefined) return p.fail(r, line, ctx, 'missing-value', 'the group name (GROUP_NAME or name) is empty: a new group needs one');
    const description = r.fields.description ?? '';
    return {
      kind: 'create',
      ...base,
      record: r,
      hash: groupHash(r.fields.name, description),
      status: 'active',
      reason: 'new group',
      group: { call: 'create', courseId: ctx.courseId, name: r.fields.name, description, idnumber: r.fields.group },
    } satisfies GroupAction;
  },

  disable(r, line, ctx, p) {
    return disableGroup(r, line, ctx, p, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled');
  },

  delete(r, line, ctx, p) {
    return disableGroup(r, line, ctx, p, p.options.op === 'delete' ? 'delete' : 'ACTION=delete');
  },

  ownedDisable(link, reason, p) {
    return groupLinkDisable({ entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource }, link, reason);
  },
};

const KEPT = 'deleting groups is out of scope: the ledger link is disabled, the group stays in Moodle';

function groupLinkDisable(base: { entity: Action['entity']; key: string; line: number | null; dataSource: string | null }, link: LedgerLink, why: string, r?: GroupRecord): GroupAction {
  return { kind: 'disable', ...base, moodleId: link.moodleId, record: r, hash: link.hash ?? undefined, status: 'disabled', reason: `${why}: ${KEPT}`, group: { call: 'none', note: KEPT } };
}

function disableGroup(r: GroupRecord, line: number, ctx: GroupContext, p: RowPlanning<GroupRecord, GroupContext>, why: string): Action<GroupRecord> {
  const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
  const link = ctx.link;
  if (!link) return { kind: 'unchanged', ...base, moodleId: ctx.match?.id, reason: `not managed by mdlsync: nothing to disable (${why})` };
  if (link.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already disabled (${why})` };
  return groupLinkDisable(base, link, why, r);
}

export class GroupPlanner extends EntityPlanner<GroupRecord, GroupContext> {
  constructor(options: PlanOptions, sink?: (action: Action<GroupRecord>) => void) {
    super(GROUP_RULES, options, sink, 'GroupPlanner');
  }
}

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

export type GroupMemberAction = Action<GroupMemberRecord> & { member?: GroupMemberTarget };

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

function memberDisable(r: M, line: number, ctx: MC, p: RowPlanning<M, MC>, why: string): GroupMemberAction {
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

export const GROUP_MEMBER_RULES: EntityRules<M, MC> = {
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

export class GroupMemberPlanner extends EntityPlanner<GroupMemberRecord, GroupMemberContext> {
  constructor(options: PlanOptions, sink?: (action: Action<GroupMemberRecord>) => void) {
    super(GROUP_MEMBER_RULES, options, sink, 'GroupMemberPlanner');
  }
}
