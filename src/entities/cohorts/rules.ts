/**
 * The cohorts rules of the generic planner (fold.ts). Pure: no I/O, no clock.
 *
 * cohorts — key = the cohort idnumber; the ledger link holds the cohort id, as hash the content mdlsync last sent,
 * and as state DELETED_STATE once mdlsync deleted the cohort. Store creates, adopts an existing cohort by idnumber (then
 * sends the row, since get_cohorts does not say where a cohort lives) or updates (update_cohorts wants the full
 * record). An explicit disable deletes the cohort (`cohorts.disable: delete`, default) or empties it (`empty`); a
 * refresh only ever empties (DESIGN §3: a refresh never hard-deletes).
 *
 * Cohorts whose idnumber starts with `role:` belong to the institution-roles feed: these feeds refuse them.
 */
import type { FeedItem } from '../../feed/types.js';
import type { CohortRecord } from './record.js';
import type { CohortMemberRecord } from '../cohort-members/record.js';
import type { PlanLink } from '../../ledger/types.js';
import { EntityPlanner, dataSourceChange, type ContextBase, type EntityRules, type MatchBase, type RowPlanning } from '../../plan/fold.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';

/** idnumber prefix of the cohorts the institution-roles feed manages. */
export const ROLE_COHORT_PREFIX = 'role:';
/** The state of a link whose cohort mdlsync deleted: a store re-creates it rather than updating a gone id. */
export const DELETED_STATE = 'c1;deleted';

export function reservedCohortReason(cohortKey: string): string {
  return `cohort ${cohortKey} is reserved: cohorts whose idnumber starts with "${ROLE_COHORT_PREFIX}" belong to institution roles (the institution-roles feed manages them)`;
}

// ── cohorts ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface CohortMatch extends MatchBase {
  via: 'idnumber' | 'moodle-id';
}

export interface CohortContext extends ContextBase<CohortMatch> {
  /** The row's category (CONTEXT key) as the ledger's categories links place it; else it is sent by idnumber. */
  categoryId?: number;
}

/** core_cohort_create_cohorts / update_cohorts' categorytype. */
export interface CategoryType {
  type: 'system' | 'id' | 'idnumber';
  value: string;
}

export interface CohortTarget {
  /** create / update: the full record (update adds the id); delete / empty: the cohort; none: only the link. */
  call: 'create' | 'update' | 'delete' | 'empty' | 'none';
  input?: { categorytype: CategoryType; name: string; idnumber: string; description?: string; visible?: 0 | 1 };
}

declare module '../types.js' {
  interface EntityActions {
    'cohorts': { cohort?: CohortTarget };
  }
}

export type CohortAction = ActionOf<'cohorts'>;

function part(name: string, value: string | undefined): string {
  return value === undefined ? `${name}-;` : `${name}=${value.length}:${value};`;
}

/** Where the row puts the cohort, as content: `system`, a category key, or a category id. */
function placeOf(r: CohortRecord): string {
  return r.fields.categoryId !== undefined ? `id:${r.fields.categoryId}` : r.fields.category !== undefined ? `key:${r.fields.category}` : 'system';
}

/** Content hash of what a store sends: name, description, place, visibility (the key is the idnumber itself). */
export function cohortHash(r: CohortRecord): string {
  const f = r.fields;
  return `c1;${part('n', f.name)}${part('d', f.description)}${part('p', placeOf(r))}${part('v', f.visible === undefined ? undefined : f.visible ? '1' : '0')}`;
}

export function categoryTypeOf(r: CohortRecord, categoryId: number | undefined): CategoryType {
  const f = r.fields;
  if (f.categoryId !== undefined) return { type: 'id', value: String(f.categoryId) };
  if (f.category === undefined) return { type: 'system', value: '' };
  return categoryId !== undefined ? { type: 'id', value: String(categoryId) } : { type: 'idnumber', value: f.category };
}

function inputOf(r: CohortRecord, ctx: CohortContext): NonNullable<CohortTarget['input']> {
  const f = r.fields;
  const input: NonNullable<CohortTarget['input']> = { categorytype: categoryTypeOf(r, ctx.categoryId), name: f.name!, idnumber: r.key };
  if (f.description !== undefined) input.description = f.description;
  if (f.visible !== undefined) input.visible = f.visible ? 1 : 0;
  return input;
}

type C = CohortRecord;
type CC = CohortContext;

/** What disabling a cohort does here: delete it only from an explicit delete with `disable: delete`, else empty it. */
function disableCohort(r: C, line: number, ctx: CC, p: RowPlanning<'cohorts', CC>, why: string, target?: number, via = ''): CohortAction {
  const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
  const link = ctx.link;
  if (link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already ${link.state === DELETED_STATE ? 'deleted' : 'emptied'} (${why})` };
  const id = target ?? link?.moodleId ?? ctx.match?.id;
  if (id === undefined) return { kind: 'unchanged', ...base, reason: `not in Moodle: nothing to disable (${why})` };
  if (p.hardDelete) {
    return { kind: 'delete', ...base, moodleId: id, record: r, hash: link?.hash ?? undefined, state: DELETED_STATE, status: 'disabled', reason: `${why}: delete the cohort${via}`, cohort: { call: 'delete' } };
  }
  return { kind: 'disable', ...base, moodleId: id, record: r, hash: link?.hash ?? undefined, status: 'disabled', reason: `${why}: empty the cohort (remove its members)${via}`, cohort: { call: 'empty' } };
}

export const COHORT_RULES: EntityRules<'cohorts', CC> = {
  moodleNoun: 'cohort',
  recordNoun: 'cohort',

  store(r, line, ctx, p) {
    const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
    if (r.fields.name === undefined) return p.fail(r, line, ctx, 'missing-value', 'the cohort name (NAME or name) is empty: Moodle needs one');
    const hash = cohortHash(r);
    const link = ctx.link;
    // Add new only: a cohort that exists (linked, or found in Moodle) is left as it is, name and all.
    if (r.uploadType === 'addnew' && (link || ctx.match)) {
      const found = link ? 'linked by mdlsync' : p.found(ctx.match!);
      return { kind: 'unchanged', ...base, moodleId: link?.moodleId ?? ctx.match!.id, reason: `the cohort exists (${found}): left as it is` };
    }
    const send = { ...base, record: r, hash, status: 'active' as const };
    if (link) {
      if (link.status === 'disabled' && link.state === DELETED_STATE) {
        return { kind: 'enable', ...send, reason: 'back in the file: create the cohort again (mdlsync deleted it)', cohort: { call: 'create', input: inputOf(r, ctx) } } satisfies CohortAction;
      }
      const withId = { ...send, moodleId: link.moodleId };
      if (link.status === 'disabled') return { kind: 'enable', ...withId, reason: 'back in the file: send the cohort again', cohort: { call: 'update', input: inputOf(r, ctx) } } satisfies CohortAction;
      const reowned = base.dataSource !== link.dataSource;
      if (link.hash === hash && !p.options.full) {
        if (!reowned) return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: 'same content' };
        return { kind: 'update', ...withId, reason: dataSourceChange(link, base.dataSource), cohort: { call: 'none' } } satisfies CohortAction;
      }
      return { kind: 'update', ...withId, reason: link.hash === hash ? 'full re-send' : 'content changed', cohort: { call: 'update', input: inputOf(r, ctx) } } satisfies CohortAction;
    }
    if (ctx.match) {
      // get_cohorts does not say where a cohort lives, so the adopted cohort gets the row's record once.
      return { kind: 'adopt', ...send, moodleId: ctx.match.id, reason: `${p.found(ctx.match)}: link it and send the row`, cohort: { call: 'update', input: inputOf(r, ctx) } } satisfies CohortAction;
    }
    return { kind: 'create', ...send, reason: 'new cohort', cohort: { call: 'create', input: inputOf(r, ctx) } } satisfies CohortAction;
  },

  disable(r, line, ctx, p) {
    return disableCohort(r, line, ctx, p, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled');
  },

  delete(r, line, ctx, p, target, via) {
    return disableCohort(r, line, ctx, p, p.options.op === 'delete' ? 'delete' : 'ACTION=delete', target, via);
  },

  ownedDisable(link, reason, p) {
    // A refresh never deletes: it empties the cohort.
    const a: CohortAction = { kind: 'disable', entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource, moodleId: link.moodleId, hash: link.hash ?? undefined, status: 'disabled', reason: `${reason}: empty the cohort (remove its members)`, cohort: { call: 'empty' } };
    return a;
  },
};

/** A row naming a `role:` cohort becomes a failed row before the rules see it. */
export function refuseReserved<R extends CohortRecord | CohortMemberRecord>(item: FeedItem<R>, cohortKey: (r: R) => string): FeedItem<R> {
  if (!item.record) return item;
  const k = cohortKey(item.record);
  if (!k.startsWith(ROLE_COHORT_PREFIX)) return item;
  return { line: item.line, error: { line: item.line, key: item.record.key, code: 'reserved-cohort', message: reservedCohortReason(k) } };
}

export class CohortPlanner extends EntityPlanner<'cohorts', CC> {
  /** options.disable 'delete' = cohorts.disable delete; anything else empties. */
  constructor(options: PlanOptions<'cohorts'>, sink?: (action: ActionOf<'cohorts'>) => void) {
    super(COHORT_RULES, options, sink, 'CohortPlanner');
  }

  override add(item: FeedItem<C>, ctx: CC): ActionOf<'cohorts'> {
    return super.add(refuseReserved(item, (r) => r.key), ctx);
  }
}

/** Links of cohort members that belong to these cohort keys (`COHORT|…`). */
export function membersOfCohorts(links: Iterable<PlanLink>, cohortKeys: ReadonlySet<string>): PlanLink[] {
  const out: PlanLink[] = [];
  for (const l of links) {
    const i = l.key.indexOf('|');
    if (i > 0 && cohortKeys.has(l.key.slice(0, i))) out.push(l);
  }
  return out;
}
