/**
 * The rules every membership entity shares (a link between two records: an enrolment, a group or cohort member, an
 * institution role, an observer link): what a ROW_STATUS=disabled row, an --op delete row and a refresh's missing
 * link do to a membership, once for all five (each says what removal means for it: unenrol or suspend, the group or
 * cohort to leave, the role to unassign), only ever removing what a ledger link says mdlsync gave unless a row names
 * the membership itself; and storing over an existing link (institution roles, observers).
 */
import type { EntityType, RecordOf } from '../feed/types.js';
import type { PlanLink } from '../ledger/types.js';
import { dataSourceChange, type ContextBase, type EntityRules, type RowPlanning } from './fold.js';
import type { ActionBase } from './types.js';

/** Case-insensitive look-up table built once per planner (the hot path then costs one Map.get). */
export function lowerMap<V>(rec: Record<string, V>): Map<string, V> {
  const m = new Map<string, V>();
  for (const [k, v] of Object.entries(rec)) if (!m.has(k.toLowerCase())) m.set(k.toLowerCase(), v);
  return m;
}

type Base<E extends EntityType> = { entity: E; key: string; line: number | null; dataSource: string | null };

/** Shared store decision over a link the hot path did not settle: update (resend or link only), enable or create. */
export function storeOver<E extends EntityType, T>(
  base: Base<E>,
  r: RecordOf<E>,
  link: PlanLink | undefined,
  want: { moodleId: number; state: string | undefined; add: T; relink: (prev: PlanLink) => T; linkOnly: T; what: string },
  full: boolean,
): ActionBase<E> & { target?: T } {
  const send = { ...base, moodleId: want.moodleId, record: r, state: want.state, status: 'active' as const };
  if (link && link.status === 'active') {
    const same = want.state !== undefined && link.state === want.state && link.moodleId === want.moodleId;
    // The same state under the same data source was settled by unchangedByState before any target was built.
    if (same && !full) return { kind: 'update', ...send, reason: dataSourceChange(link, base.dataSource), target: want.linkOnly };
    if (same) return { kind: 'update', ...send, reason: 'full re-send', target: want.add };
    return { kind: 'update', ...send, reason: `${want.what}: the link held another (${link.state ?? 'nothing'}), replaced`, target: want.relink(link) };
  }
  if (link) return { kind: 'enable', ...send, reason: `back in the file: ${want.what} again`, target: want.add };
  return { kind: 'create', ...send, reason: want.what, target: want.add };
}

/**
 * What removing one membership takes away, in the entity's own terms: the Moodle id the removal acts on, the state the
 * disabled link keeps (default: the link's), plain words for the reason, and the entity's own action fields (its
 * target: unenrol or suspend, the group or cohort to leave, the role to unassign).
 */
export interface Removed<X extends object> {
  moodleId: number;
  state?: string;
  /** "remove from the group", "unenrol", "leave cohort 4". */
  what: string;
  fields: X;
}

/** Nothing to remove, and why ("not given by mdlsync: nothing to remove"); the row stays unchanged. */
export interface Kept {
  kept: string;
  moodleId?: number;
}

/**
 * What a membership's removal means for one entity: enrolments, group members, cohort members, institution roles
 * and observers each give one, and the shared rules (removalRules) do the rest: the same decisions for a
 * ROW_STATUS=disabled row, an --op delete (or ACTION=delete) row and a refresh's missing link.
 */
export interface Membership<E extends EntityType, C extends ContextBase, X extends object> {
  /** The reason of a row whose link is already disabled ("already removed"). */
  removed: string;
  /**
   * What the link says mdlsync gave, to take away. A row (not a refresh) also gives what the resolve step found,
   * which may fill in what the link lacks. The link may not say: `unsaid` disables it and removes nothing.
   */
  given(link: PlanLink, row?: { r: RecordOf<E>; ctx: C }): Removed<X> | Kept;
  /**
   * A row whose membership has no link: what the row itself names (an explicit row may take away a membership
   * mdlsync never made: unenrol, leave a group), or why nothing is removed (`notGiven`).
   */
  unlinked(r: RecordOf<E>, ctx: C): Removed<X> | Kept;
  /** A disabled link that still needs a removal (an enrolment a block removed): words for the reason; else undefined. */
  again?(link: PlanLink): string | undefined;
}

/** `unlinked` of the entities that only ever remove what a link says mdlsync gave. */
export const notGiven = (words: string) => (): Kept => ({ kept: `${words}: nothing to remove` });

/** `given` when the link does not say what mdlsync gave: the link is disabled, nothing is removed in Moodle. */
export function unsaid<X extends object>(link: PlanLink, gave: string, fields: X): Removed<X> {
  return { moodleId: link.moodleId, what: `the link does not say what mdlsync ${gave}, nothing removed`, fields };
}

/** A person's membership of a container (a group, a cohort) whose id the link's state names. */
export interface Container<E extends EntityType, C extends ContextBase, X extends object> {
  /** The container id a link's state names, and the one the resolve step found for the row. */
  linked(state: string | null | undefined): number | undefined;
  found(ctx: C): number | undefined;
  /** The person the resolve step found for the row. */
  user(ctx: C): number | undefined;
  /** The state a membership of container `id` keeps. */
  state(id: number): string;
  /** What the row names, in messages: "group A of course C1", "person P1". */
  container(r: RecordOf<E>): string;
  person(r: RecordOf<E>): string;
  /** "remove from the group"; the action fields of leaving `id` (undefined: the resolve step reads the container's own link). */
  what: string;
  leave(id: number | undefined): X;
}

/**
 * Removing a container membership (group and cohort members): leave the container the link names, else the row's
 * (an explicit row may name a membership mdlsync never made); a refresh's link without one leaves it to the resolve step (the container's own link).
 */
export function containerRemoval<E extends EntityType, C extends ContextBase, X extends object>(c: Container<E, C, X>): Membership<E, C, X> {
  const leave = (userId: number, id: number | undefined, state: string | null | undefined): Removed<X> => ({
    moodleId: userId,
    state: state ?? (id === undefined ? undefined : c.state(id)),
    what: c.what,
    fields: c.leave(id),
  });
  const missing = (r: RecordOf<E>, id: number | undefined): Kept => ({ kept: `${id === undefined ? c.container(r) : c.person(r)} is not in Moodle: nothing to remove` });
  return {
    removed: 'already removed',
    given(link, row) {
      const id = c.linked(link.state) ?? (row && c.found(row.ctx));
      if (row && id === undefined) return missing(row.r, id);
      return leave(link.moodleId, id, link.state);
    },
    unlinked(r, ctx) {
      const id = c.found(ctx);
      const userId = c.user(ctx);
      if (userId === undefined || id === undefined) return missing(r, id);
      return leave(userId, id, undefined);
    },
  };
}

/** The one removal of a membership, over its link (or the row alone); `why` names what asked for it. */
function removeMembership<E extends EntityType, C extends ContextBase, X extends object>(
  base: Base<E>,
  link: PlanLink | undefined,
  why: string,
  row: { r: RecordOf<E>; ctx: C } | undefined,
  m: Membership<E, C, X>,
): ActionBase<E> | (ActionBase<E> & X) {
  if (link?.status === 'disabled') {
    const more = m.again?.(link);
    if (more === undefined) return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `${m.removed} (${why})` };
    why = `${why}; ${more}`;
  }
  const out = link ? m.given(link, row) : m.unlinked(row!.r, row!.ctx);
  if ('kept' in out) {
    const a: ActionBase<E> = { kind: 'unchanged', ...base, reason: `${out.kept} (${why})` };
    if (out.moodleId !== undefined) a.moodleId = out.moodleId;
    return a;
  }
  const state = out.state ?? link?.state ?? undefined;
  return { kind: 'disable', ...base, moodleId: out.moodleId, record: row?.r, state, status: 'disabled', reason: `${why}: ${out.what}`, ...out.fields };
}

/** EntityRules' removal decisions, answering actions that carry the entity's own fields X (its rules take them as theirs). */
type RemovalDecisions<E extends EntityType, C extends ContextBase, X extends object> = {
  [K in 'disable' | 'delete' | 'ownedDisable']: (...args: Parameters<EntityRules<E, C>[K]>) => ActionBase<E> | (ActionBase<E> & X);
};

/** The row disable, row delete and refresh disable of a membership entity: each one removal over the link. */
export function removalRules<E extends EntityType, C extends ContextBase, X extends object>(m: Membership<E, C, X>): RemovalDecisions<E, C, X> {
  const base = (r: RecordOf<E>, line: number, ctx: C, p: RowPlanning<E, C>): Base<E> => ({ entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) });
  return {
    disable(r, line, ctx, p) {
      return removeMembership(base(r, line, ctx, p), ctx.link, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled', { r, ctx }, m);
    },
    delete(r, line, ctx, p) {
      return removeMembership(base(r, line, ctx, p), ctx.link, p.options.op === 'delete' ? 'delete' : 'ACTION=delete', { r, ctx }, m);
    },
    ownedDisable(link, reason, p) {
      return removeMembership<E, C, X>({ entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource }, link, reason, undefined, m);
    },
  };
}
