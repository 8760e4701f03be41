/**
 * The categories rules of the generic planner (fold.ts). A category's key lives in its idnumber. Moodle's
 * category functions cannot hide or delete here, so a disable only marks the ledger link disabled: the category
 * is kept in Moodle. Parents are settled once the whole file is read, since a file may list children first.
 * Pure: no I/O, no clock.
 */
import { hash } from 'node:crypto';
import type { CategoryRecord } from './record.js';
import type { RowCode } from '../../errors.js';
import type { Action, PlanOptions } from '../../plan/types.js';
import { EntityPlanner, unchangedByLink, updateReason, type ContextBase, type EntityRules, type MatchBase } from '../../plan/fold.js';

export interface CategoryMatch extends MatchBase {
  /** 'name': a category with no SIS key (made by hand or by a course's path) of the row's name under its parent. */
  via: 'moodle-id' | 'idnumber' | 'name';
}

export interface CategoryContext extends ContextBase<CategoryMatch> {
  /** Moodle id of the row's parent category when the caller found it (ledger, else idnumber in Moodle). */
  parentId?: number;
}

type CategoryAction = Action<CategoryRecord>;

/** What a disable does to a category, in the words of the report and the README. */
export const CATEGORY_KEPT = 'kept in Moodle (categories are not hidden or deleted by mdlsync)';

const HASH_VERSION = 'c1';

function part(name: string, value: string | undefined): string {
  return value === undefined ? `${name}-;` : `${name}=${value.length}:${value};`;
}

/** Content hash of what mdlsync sends for a category: name, parent key, description (routing columns excluded). */
export function categoryContentHash(r: CategoryRecord): string {
  const f = r.fields;
  return hash('sha256', HASH_VERSION + part('name', f.name) + part('parent', f.parent) + part('description', f.description), 'base64url');
}

function parentOf(r: CategoryRecord, ctx: CategoryContext): { key: string; id?: number } | undefined {
  const key = r.fields.parent;
  if (key === undefined) return undefined;
  return ctx.parentId === undefined ? { key } : { key, id: ctx.parentId };
}

function withParent(a: CategoryAction, parent: { key: string; id?: number } | undefined): CategoryAction {
  if (parent) a.parent = parent;
  return a;
}

/** Actions that put a category in place in Moodle: the ones whose parent must exist. */
const PLACES = new Set<Action['kind']>(['create', 'adopt', 'update', 'enable']);

export const CATEGORY_RULES: EntityRules<CategoryRecord, CategoryContext> = {
  moodleNoun: 'category',
  recordNoun: 'category',

  store(r, line, ctx, p) {
    const o = p.options;
    const entity = o.entity;
    const key = r.key;
    const dataSource = p.ds(r, ctx);
    const h = categoryContentHash(r);
    const link = ctx.link;
    const same = unchangedByLink(r, line, link, h, dataSource, p);
    if (same) return same;
    const parent = parentOf(r, ctx);
    const placed = { entity, key, line, dataSource, record: r, hash: h, status: 'active' as const };
    if (link) {
      if (link.status === 'disabled') return withParent({ kind: 'enable', ...placed, moodleId: link.moodleId, reason: 're-enable: back in the file' }, parent);
      return withParent({ kind: 'update', ...placed, moodleId: link.moodleId, reason: updateReason(link, h, dataSource) }, parent);
    }
    if (ctx.match) return withParent({ kind: 'adopt', ...placed, moodleId: ctx.match.id, reason: `${p.found(ctx.match)}: adopt` }, parent);
    if (!r.fields.name) return p.fail(r, line, ctx, 'missing-value', 'name is empty: a new category needs a name');
    return withParent({ kind: 'create', ...placed, reason: parent ? `new category under ${parent.key}` : 'new category (top level)' }, parent);
  },

  /** Only the ledger link is disabled; a category the ledger and Moodle lack is not created just to be disabled. */
  disable(r, line, ctx, p) {
    const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    const why = r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled';
    const link = ctx.link;
    if (link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already disabled (${why})` };
    const target = link?.moodleId ?? ctx.match?.id;
    if (target === undefined) return { kind: 'unchanged', ...base, reason: `not in Moodle: nothing to disable (${why})` };
    const via = link ? '' : `; ${p.found(ctx.match!)}`;
    return { kind: 'disable', ...base, moodleId: target, record: r, hash: categoryContentHash(r), status: 'disabled', reason: `${why}${via}: ${CATEGORY_KEPT}` };
  },

  delete(r, line, ctx, p, target, via) {
    const o = p.options;
    const base = { entity: o.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    const why = o.op === 'delete' ? 'delete' : 'ACTION=delete';
    if (ctx.link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: target, reason: `already disabled (${why})` };
    return { kind: 'disable', ...base, moodleId: target, record: r, hash: ctx.link?.hash ?? undefined, status: 'disabled', reason: `${why}${via}: ${CATEGORY_KEPT}` };
  },

  ownedDisable(link, reason, p) {
    return {
      kind: 'disable',
      entity: p.options.entity,
      key: link.key,
      line: null,
      moodleId: link.moodleId,
      hash: link.hash ?? undefined,
      status: 'disabled',
      dataSource: link.dataSource,
      reason: `${reason}: ${CATEGORY_KEPT}`,
    };
  },

  /**
   * Every placed category's parent must be known: found by the caller (ledger or Moodle), or another row of the
   * file that places it. A parent created by this run is resolved by the applier, which creates parents first.
   */
  settle(actions) {
    const rowOf = new Map<string, number>();
    actions.forEach((a, i) => {
      if (a.line !== null && !rowOf.has(a.key)) rowOf.set(a.key, i);
    });
    const fail = (i: number, code: RowCode, message: string): false => {
      const a = actions[i];
      actions[i] = { kind: 'fail', entity: a.entity, key: a.key, line: a.line, moodleId: a.moodleId, dataSource: a.dataSource, reason: message, error: { code, message } };
      return false;
    };
    const state = new Map<number, 'visiting' | boolean>();
    const resolve = (i: number, chain: string[]): boolean => {
      const known = state.get(i);
      if (known === 'visiting') return fail(i, 'parent-cycle', `the parent categories form a cycle (${[...chain, actions[i].key].join(' → ')}): a category cannot be under itself`);
      if (known !== undefined) return known;
      const a = actions[i];
      if (!PLACES.has(a.kind) || !a.parent || a.parent.id !== undefined) {
        state.set(i, a.kind !== 'fail');
        return a.kind !== 'fail';
      }
      const pk = a.parent.key;
      if (pk === a.key) {
        state.set(i, false);
        return fail(i, 'invalid-parent', 'a category cannot be its own parent');
      }
      const pi = rowOf.get(pk);
      let ok: boolean;
      if (pi === undefined) ok = fail(i, 'unknown-parent', `unknown parent category ${pk}`);
      else {
        state.set(i, 'visiting');
        const parentOk = resolve(pi, [...chain, a.key]);
        const pa = actions[pi];
        if (actions[i].kind === 'fail') ok = false; // the cycle check failed it
        else if (!parentOk) ok = fail(i, 'parent-failed', `parent category ${pk} (line ${pa.line}) fails: ${pa.error?.message ?? pa.reason}`);
        else if (pa.kind === 'create') ok = true; // the applier creates it first
        else if (pa.moodleId !== undefined) {
          a.parent = { key: pk, id: pa.moodleId };
          ok = true;
        } else ok = fail(i, 'unknown-parent', `unknown parent category ${pk}: ${pa.reason}`);
      }
      state.set(i, ok);
      return ok;
    };
    for (let i = 0; i < actions.length; i++) resolve(i, []);
  },
};

/** The categories planner: the generic fold with the categories rules. */
export class CategoryPlanner extends EntityPlanner<CategoryRecord, CategoryContext> {
  constructor(options: PlanOptions, sink?: (action: CategoryAction) => void) {
    super(CATEGORY_RULES, options, sink, 'CategoryPlanner');
  }
}
