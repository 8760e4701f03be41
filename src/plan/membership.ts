/**
 * The rules every membership-like entity shares (a link between two records: an institution role, an observer link):
 * storing over an existing link, and what a disable, a delete and a refresh's removal do to it.
 */
import type { EntityType, RecordOf } from '../feed/types.js';
import type { LedgerLink } from '../ledger/types.js';
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
  link: LedgerLink | undefined,
  want: { moodleId: number; hash: string | undefined; add: T; relink: (prev: LedgerLink) => T; linkOnly: T; what: string },
  full: boolean,
): ActionBase<E> & { target?: T } {
  const send = { ...base, moodleId: want.moodleId, record: r, hash: want.hash, status: 'active' as const };
  if (link && link.status === 'active') {
    const same = want.hash !== undefined && link.hash === want.hash && link.moodleId === want.moodleId;
    // Same content under the same data source was settled by unchangedByLink before any target was built.
    if (same && !full) return { kind: 'update', ...send, reason: dataSourceChange(link, base.dataSource), target: want.linkOnly };
    if (same) return { kind: 'update', ...send, reason: 'full re-send', target: want.add };
    return { kind: 'update', ...send, reason: `${want.what}: the link held another (${link.hash ?? 'nothing'}), replaced`, target: want.relink(link) };
  }
  if (link) return { kind: 'enable', ...send, reason: `back in the file: ${want.what} again`, target: want.add };
  return { kind: 'create', ...send, reason: want.what, target: want.add };
}

/** What a removal reads from its link: the Moodle change to undo, or undefined when the link does not say. */
export interface Removal<T> {
  /** "not given by mdlsync": the reason when there is no link. */
  unlinked: string;
  /** "gave": what the link should have said mdlsync did. */
  gave: string;
  read: (link: LedgerLink) => { what: string; target: T } | undefined;
  none: T;
}

/** Shared removal over a link: only ever what the link says mdlsync gave; nothing without a link. */
function removeOver<E extends EntityType, T>(base: Base<E>, link: LedgerLink | undefined, why: string, r: RecordOf<E> | undefined, removal: Removal<T>): ActionBase<E> & { target?: T } {
  if (!link) return { kind: 'unchanged', ...base, reason: `${removal.unlinked}: nothing to remove (${why})` };
  if (link.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already removed (${why})` };
  const common = { kind: 'disable' as const, ...base, moodleId: link.moodleId, record: r, hash: link.hash ?? undefined, status: 'disabled' as const };
  const held = removal.read(link);
  if (!held) return { ...common, reason: `${why}: the link does not say what mdlsync ${removal.gave}, nothing removed`, target: removal.none };
  return { ...common, reason: `${why}: ${held.what}`, target: held.target };
}

/** The row disable, row delete and refresh disable of both rule sets: each a removal over the link. */
/** EntityRules' removal decisions, answering actions whose target is a T (the entity's rules take them as theirs). */
type RemovalDecisions<E extends EntityType, C extends ContextBase, T> = {
  [K in 'disable' | 'delete' | 'ownedDisable']: (...args: Parameters<EntityRules<E, C>[K]>) => ActionBase<E> & { target?: T };
};

export function removalRules<E extends EntityType, C extends ContextBase, T>(removal: Removal<T>): RemovalDecisions<E, C, T> {
  const base = (r: RecordOf<E>, line: number, ctx: C, p: RowPlanning<E, C>): Base<E> => ({ entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) });
  return {
    disable(r, line, ctx, p) {
      return removeOver(base(r, line, ctx, p), ctx.link, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled', r, removal);
    },
    delete(r, line, ctx, p) {
      return removeOver(base(r, line, ctx, p), ctx.link, p.options.op === 'delete' ? 'delete' : 'ACTION=delete', r, removal);
    },
    ownedDisable(link, reason, p) {
      return removeOver<E, T>({ entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource }, link, reason, undefined, removal);
    },
  };
}
