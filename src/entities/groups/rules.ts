/**
 * The groups rules of the generic planner (fold.ts). Pure: no I/O, no clock.
 *
 * groups — key `COURSE|GROUP`, the group key kept in the group's idnumber; the ledger link holds the group id and,
 * as state, the name and description Moodle has as far as mdlsync knows (no content hash). A group is created, or an
 * existing group of the course is adopted (by idnumber, then by exact name). A name or description that differs from
 * Moodle's is sent with core_group_update_groups (the state changes only once Moodle took it). Disabling only
 * disables the ledger link: a Moodle group has no disabled state, and deleting it would drop its members for good.
 */
import type { GroupRecord } from './record.js';
import type { PlanLink } from '../../ledger/types.js';
import { EntityPlanner, dataSourceChange, type ContextBase, type EntityRules, type MatchBase, type RowPlanning } from '../../plan/fold.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';

// ── groups ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface GroupMatch extends MatchBase {
  via: 'idnumber' | 'moodle-id';
  /** How the group was found: its idnumber is the group key, its exact name is the row's name, or its id the row's MOODLE_ID. */
  by: 'idnumber' | 'name' | 'moodle-id';
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
  /**
   * create: core_group_create_groups; update: core_group_update_groups of group `groupId` (name always, Moodle
   * requires it; description only when it changes); none: only the ledger link is written (adopt, enable, disable).
   */
  call: 'create' | 'update' | 'none';
  courseId?: number;
  groupId?: number;
  name?: string;
  description?: string;
  idnumber?: string;
  /** Shown in rows.csv: what an update changed, or why nothing was sent. */
  note?: string;
}

declare module '../types.js' {
  interface EntityActions {
    'groups': { group?: GroupTarget };
  }
}

export type GroupAction = ActionOf<'groups'>;

/** The link state of a group: its name and description as Moodle has them, as far as mdlsync knows. */
export function groupState(name: string, description: string): string {
  return `g1;name=${encodeURIComponent(name)};description=${encodeURIComponent(description)}`;
}

export function parseGroupState(state: string | null | undefined): { name: string; description: string } | undefined {
  const m = state ? /^g1;name=([^;]*);description=([^;]*)$/.exec(state) : null;
  return m ? { name: decodeURIComponent(m[1]), description: decodeURIComponent(m[2]) } : undefined;
}

/**
 * What the row changes in the group Moodle has: the update to send and, in plain words, what it changes; undefined
 * when nothing differs. An absent name or description (empty cell) keeps Moodle's.
 */
function groupUpdate(r: GroupRecord, groupId: number, have: { name: string; description: string } | undefined):
  { target: GroupTarget; said: string; state: string } | undefined {
  if (!have) return undefined;
  const name = r.fields.name !== undefined && r.fields.name !== have.name ? r.fields.name : undefined;
  const description = r.fields.description !== undefined && r.fields.description !== have.description ? r.fields.description : undefined;
  if (name === undefined && description === undefined) return undefined;
  const said = [name !== undefined ? `rename "${have.name}" → "${name}"` : '', description !== undefined ? 'new description' : ''].filter(Boolean).join(', ');
  const target: GroupTarget = { call: 'update', groupId, name: name ?? have.name, note: said };
  if (description !== undefined) target.description = description;
  return { target, said, state: groupState(name ?? have.name, description ?? have.description) };
}

/** The fields a group update changes (the update guard): its name, its description, as the link's state and the update's say. */
export function changedGroupFields(link: PlanLink, a: { state?: string }): string[] {
  const old = parseGroupState(link.state);
  const now = parseGroupState(a.state);
  if (!old || !now) return [];
  return (['name', 'description'] as const).filter((f) => old[f] !== now[f]);
}

export const GROUP_RULES: EntityRules<'groups', GroupContext> = {
  changedFields: changedGroupFields,
  moodleNoun: 'group',
  recordNoun: 'group',

  store(r, line, ctx, p) {
    const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    const link = ctx.link;
    if (link) {
      const have = ctx.current ?? parseGroupState(link.state);
      const change = groupUpdate(r, link.moodleId, have);
      // Without a change the state stays what Moodle has; with one, it becomes the row's once Moodle took it.
      const state = change?.state ?? (have ? groupState(have.name, have.description) : link.state ?? undefined);
      const group: GroupTarget = change?.target ?? { call: 'none' };
      if (link.status === 'disabled') {
        return { kind: 'enable', ...base, moodleId: link.moodleId, record: r, state, status: 'active', reason: `back in the file: link group ${link.moodleId} again${change ? `; ${change.said}` : ''}`, group } satisfies GroupAction;
      }
      const reowned = base.dataSource !== link.dataSource;
      if (change || reowned) {
        const reason = [change?.said ?? '', reowned ? dataSourceChange(link, base.dataSource) : ''].filter(Boolean).join('; ');
        return { kind: 'update', ...base, moodleId: link.moodleId, record: r, state, status: 'active', reason, group } satisfies GroupAction;
      }
      return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: 'same content' };
    }
    if (ctx.courseId === undefined) return p.fail(r, line, ctx, 'unknown-course', ctx.courseProblem ?? `unknown course ${r.fields.course}`);
    if (ctx.match) {
      const m = ctx.match;
      const change = groupUpdate(r, m.id, m);
      const by = m.by === 'idnumber' ? 'idnumber' : m.by === 'moodle-id' ? 'MOODLE_ID' : `name "${m.name}"`;
      const found = `found in course ${r.fields.course} by ${by} (group ${m.id})`;
      return {
        kind: 'adopt',
        ...base,
        moodleId: m.id,
        record: r,
        state: change?.state ?? groupState(m.name, m.description),
        status: 'active',
        reason: `${found}: link it${change ? `; ${change.said}` : ''}`,
        group: change?.target ?? { call: 'none' },
      } satisfies GroupAction;
    }
    if (r.fields.name === undefined) return p.fail(r, line, ctx, 'missing-value', 'the group name (GROUP_NAME or name) is empty: a new group needs one');
    const description = r.fields.description ?? '';
    return {
      kind: 'create',
      ...base,
      record: r,
      state: groupState(r.fields.name, description),
      status: 'active',
      reason: 'new group',
      // A group known by its name is created as Moodle's Upload users tool creates it: no idnumber.
      group: { call: 'create', courseId: ctx.courseId, name: r.fields.name, description, idnumber: r.fields.groupBy === 'name' ? '' : r.fields.group },
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

/**
 * Why a disabled group is not deleted: a Moodle group has no disabled state, and core_group_delete_groups would take
 * its members along for good (group/lib.php groups_delete_group), on a file that may merely have left a row out.
 */
const KEPT = 'a group is never deleted (that would drop its members for good): the ledger link is disabled, the group stays in Moodle';

function groupLinkDisable(base: { entity: 'groups'; key: string; line: number | null; dataSource: string | null }, link: PlanLink, why: string, r?: GroupRecord): GroupAction {
  return { kind: 'disable', ...base, moodleId: link.moodleId, record: r, state: link.state ?? undefined, status: 'disabled', reason: `${why}: ${KEPT}`, group: { call: 'none', note: KEPT } };
}

function disableGroup(r: GroupRecord, line: number, ctx: GroupContext, p: RowPlanning<'groups', GroupContext>, why: string): ActionOf<'groups'> {
  const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
  const link = ctx.link;
  if (!link) return { kind: 'unchanged', ...base, moodleId: ctx.match?.id, reason: `not managed by mdlsync: nothing to disable (${why})` };
  if (link.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already disabled (${why})` };
  return groupLinkDisable(base, link, why, r);
}

export class GroupPlanner extends EntityPlanner<'groups', GroupContext> {
  constructor(options: PlanOptions<'groups'>, sink?: (action: ActionOf<'groups'>) => void) {
    super(GROUP_RULES, options, sink, 'GroupPlanner');
  }
}
