/**
 * Cohort members: a person in a cohort. The link remembers the cohort id, so a removal takes the person out of
 * exactly that cohort; refreshes remove only memberships the ledger holds, never one added by hand.
 */
import type { FeedItem } from '../../feed/types.js';
import type { CohortMemberRecord } from './record.js';
import { EntityPlanner, unchangedByLink, type ContextBase, type EntityRules, type RowPlanning } from '../../plan/fold.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';
import { refuseReserved } from '../cohorts/rules.js';

// ── cohort members ─────────────────────────────────────────────────────────────────────────────────────────

export interface CohortMemberContext extends ContextBase {
  cohortId?: number;
  cohortProblem?: string;
  /** The data source of the cohort's ledger link; absent for a cohort found in Moodle only. */
  cohortDataSource?: string | null;
  userId?: number;
  personProblem?: string;
}

export interface CohortMemberTarget {
  /** add: core_cohort_add_cohort_members; remove: core_cohort_delete_cohort_members. */
  call: 'add' | 'remove';
  /** Undefined for a refresh disable whose link lacks it: the applier asks the cohort's own link. */
  cohortId?: number;
}

declare module '../types.js' {
  interface EntityActions {
    'cohort-members': { member?: CohortMemberTarget };
  }
}

export type CohortMemberAction = ActionOf<'cohort-members'>;

/** Built once per cohort: every row of a cohort shares its hash string (the unchanged re-run compares 200k of them). */
const MEMBER_HASHES = new Map<number, string>();

export function cohortMemberHash(cohortId: number): string {
  let h = MEMBER_HASHES.get(cohortId);
  if (h === undefined) {
    if (MEMBER_HASHES.size > 100_000) MEMBER_HASHES.clear();
    MEMBER_HASHES.set(cohortId, (h = `cm1;cohort=${cohortId}`));
  }
  return h;
}

export function parseCohortMemberHash(hash: string | null | undefined): number | undefined {
  const m = hash ? /^cm1;cohort=(\d+)$/.exec(hash) : null;
  return m ? Number(m[1]) : undefined;
}

/** `COHORT|PERSON` → its parts (a cohort key never holds a pipe: the reader refuses it). */
export function cohortMemberKeyParts(key: string): { cohort: string; person: string } {
  const i = key.indexOf('|');
  return { cohort: key.slice(0, i), person: key.slice(i + 1) };
}

type M = CohortMemberRecord;
type MC = CohortMemberContext;

function memberDisable(r: M, line: number, ctx: MC, p: RowPlanning<'cohort-members', MC>, why: string): CohortMemberAction {
  const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
  const link = ctx.link;
  if (link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already removed (${why})` };
  const userId = link?.moodleId ?? ctx.userId;
  const cohortId = parseCohortMemberHash(link?.hash) ?? ctx.cohortId;
  if (userId === undefined || cohortId === undefined) {
    const what = cohortId === undefined ? `cohort ${r.fields.cohort}` : `person ${r.fields.person}`;
    return { kind: 'unchanged', ...base, reason: `${what} is not in Moodle: nothing to remove (${why})` };
  }
  return { kind: 'disable', ...base, moodleId: userId, record: r, hash: link?.hash ?? cohortMemberHash(cohortId), status: 'disabled', reason: `${why}: remove from the cohort`, member: { call: 'remove', cohortId } } satisfies CohortMemberAction;
}

export const COHORT_MEMBER_RULES: EntityRules<'cohort-members', MC> = {
  moodleNoun: 'user',
  recordNoun: 'cohort membership',
  // A cohort owned by another data source is not this row's to fill or empty (the fold checks every row).
  owners: (r, ctx) => [{ what: `cohort ${r.fields.cohort}`, dataSource: ctx.cohortDataSource, hint: "send its members from the cohort's data source" }],

  store(r, line, ctx, p) {
    if (ctx.cohortId === undefined) return p.fail(r, line, ctx, 'unknown-cohort', ctx.cohortProblem ?? `unknown cohort ${r.fields.cohort}`);
    if (ctx.userId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.personProblem ?? `unknown person ${r.fields.person}`);
    const dataSource = p.ds(r, ctx);
    const hash = cohortMemberHash(ctx.cohortId);
    const link = ctx.link;
    // The hot path of a re-run: decided before anything else is built.
    const same = unchangedByLink(r, line, link, hash, dataSource, p, ctx.userId);
    if (same) return same;
    const base = { entity: p.options.entity, key: r.key, line, dataSource };
    const send = { ...base, moodleId: ctx.userId, record: r, hash, status: 'active' as const, member: { call: 'add' as const, cohortId: ctx.cohortId } };
    if (link && link.status === 'active') {
      const reowned = base.dataSource !== link.dataSource;
      const reason = link.hash !== hash ? 'the cohort is another Moodle cohort now' : link.moodleId !== ctx.userId ? `person ${r.fields.person} is now Moodle user ${ctx.userId}` : reowned ? 'data source changed' : 'full re-send';
      return { kind: 'update', ...send, reason } satisfies CohortMemberAction;
    }
    if (link) return { kind: 'enable', ...send, reason: 'back in the file: add to the cohort again' } satisfies CohortMemberAction;
    return { kind: 'create', ...send, reason: `add to cohort ${r.fields.cohort}` } satisfies CohortMemberAction;
  },

  disable(r, line, ctx, p) {
    return memberDisable(r, line, ctx, p, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled');
  },

  delete(r, line, ctx, p) {
    return memberDisable(r, line, ctx, p, p.options.op === 'delete' ? 'delete' : 'ACTION=delete');
  },

  ownedDisable(link, reason, p) {
    const a: CohortMemberAction = { kind: 'disable', entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource, moodleId: link.moodleId, hash: link.hash ?? undefined, status: 'disabled', reason: `${reason}: remove from the cohort`, member: { call: 'remove', cohortId: parseCohortMemberHash(link.hash) } };
    return a;
  },
};

export class CohortMemberPlanner extends EntityPlanner<'cohort-members', MC> {
  constructor(options: PlanOptions<'cohort-members'>, sink?: (action: ActionOf<'cohort-members'>) => void) {
    super(COHORT_MEMBER_RULES, options, sink, 'CohortMemberPlanner');
  }

  override add(item: FeedItem<M>, ctx: MC): ActionOf<'cohort-members'> {
    return super.add(refuseReserved(item, (r) => r.fields.cohort), ctx);
  }
}
