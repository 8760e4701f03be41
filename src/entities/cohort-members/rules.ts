/**
 * Cohort members: a person in a cohort. The link remembers the cohort id, so a removal takes the person out of
 * exactly that cohort; refreshes remove only memberships the ledger holds, never one added by hand.
 */
import type { FeedItem } from '../../feed/types.js';
import type { CohortMemberRecord } from './record.js';
import { EntityPlanner, unchangedByState, type ContextBase, type EntityRules } from '../../plan/fold.js';
import { containerRemoval, removalRules } from '../../plan/membership.js';
import type { RowCode } from '../../errors.js';
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
  /** Undefined for a refresh disable whose link lacks it until the resolve step reads the cohort's own link. */
  cohortId?: number;
  /** The resolve step could not tell the cohort (its link is not in the ledger either): the row fails with this. */
  unplaced?: { code: RowCode; message: string };
}

declare module '../types.js' {
  interface EntityActions {
    'cohort-members': { member?: CohortMemberTarget };
  }
}

export type CohortMemberAction = ActionOf<'cohort-members'>;

/** Built once per cohort: every row of a cohort shares its state string (the unchanged re-run compares 200k of them). */
const MEMBER_STATES = new Map<number, string>();

/** The link state of a membership: the cohort the person was added to (`cm1;cohort=ID`). */
export function cohortMemberState(cohortId: number): string {
  let h = MEMBER_STATES.get(cohortId);
  if (h === undefined) {
    if (MEMBER_STATES.size > 100_000) MEMBER_STATES.clear();
    MEMBER_STATES.set(cohortId, (h = `cm1;cohort=${cohortId}`));
  }
  return h;
}

export function parseCohortMemberState(state: string | null | undefined): number | undefined {
  const m = state ? /^cm1;cohort=(\d+)$/.exec(state) : null;
  return m ? Number(m[1]) : undefined;
}

/** `COHORT|PERSON` → its parts (a cohort key never holds a pipe: the reader refuses it). */
export function cohortMemberKeyParts(key: string): { cohort: string; person: string } {
  const i = key.indexOf('|');
  return { cohort: key.slice(0, i), person: key.slice(i + 1) };
}

type M = CohortMemberRecord;
type MC = CohortMemberContext;

/** Removing a cohort membership: leave the cohort (the link's, else the row's; none known: the resolve step reads the cohort's own link). */
const MEMBER_REMOVAL = containerRemoval<'cohort-members', MC, { member: CohortMemberTarget }>({
  linked: parseCohortMemberState,
  found: (ctx) => ctx.cohortId,
  user: (ctx) => ctx.userId,
  state: cohortMemberState,
  container: (r) => `cohort ${r.fields.cohort}`,
  person: (r) => `person ${r.fields.person}`,
  what: 'remove from the cohort',
  leave: (cohortId) => ({ member: { call: 'remove', cohortId } }),
});

export const COHORT_MEMBER_RULES: EntityRules<'cohort-members', MC> = {
  moodleNoun: 'user',
  // Their sends and unchanged rows repeat all but key, line and user: a run's plan shares the rest until applied.
  sharesTemplates: true,
  recordNoun: 'cohort membership',
  // A cohort owned by another data source is not this row's to fill or empty (the fold checks every row).
  owners: (r, ctx) => [{ what: `cohort ${r.fields.cohort}`, dataSource: ctx.cohortDataSource, hint: "send its members from the cohort's data source" }],

  store(r, line, ctx, p) {
    if (ctx.cohortId === undefined) return p.fail(r, line, ctx, 'unknown-cohort', ctx.cohortProblem ?? `unknown cohort ${r.fields.cohort}`);
    if (ctx.userId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.personProblem ?? `unknown person ${r.fields.person}`);
    const dataSource = p.ds(r, ctx);
    const state = cohortMemberState(ctx.cohortId);
    const link = ctx.link;
    // The hot path of a re-run: decided before anything else is built.
    const same = unchangedByState(r, line, link, state, dataSource, p, ctx.userId);
    if (same) return same;
    const base = { entity: p.options.entity, key: r.key, line, dataSource };
    // No `record`: the target holds what is sent, and a plan kept until applied shares all else (CompactActions).
    const send = { ...base, moodleId: ctx.userId, state, status: 'active' as const, member: { call: 'add' as const, cohortId: ctx.cohortId } };
    if (link && link.status === 'active') {
      const reowned = base.dataSource !== link.dataSource;
      const reason = link.state !== state ? 'the cohort is another Moodle cohort now' : link.moodleId !== ctx.userId ? `person ${r.fields.person} is now Moodle user ${ctx.userId}` : reowned ? 'data source changed' : 'full re-send';
      return { kind: 'update', ...send, reason } satisfies CohortMemberAction;
    }
    if (link) return { kind: 'enable', ...send, reason: 'back in the file: add to the cohort again' } satisfies CohortMemberAction;
    return { kind: 'create', ...send, reason: `add to cohort ${r.fields.cohort}` } satisfies CohortMemberAction;
  },

  ...removalRules(MEMBER_REMOVAL),
};

export class CohortMemberPlanner extends EntityPlanner<'cohort-members', MC> {
  constructor(options: PlanOptions<'cohort-members'>, sink?: (action: ActionOf<'cohort-members'>) => void) {
    super(COHORT_MEMBER_RULES, options, sink, 'CohortMemberPlanner');
  }

  override add(item: FeedItem<M>, ctx: MC): ActionOf<'cohort-members'> {
    // A name is no idnumber: the resolve step refuses a reserved cohort found by name.
    return item.record?.fields.cohortBy === 'name' ? super.add(item, ctx) : super.add(refuseReserved(item, (r) => r.fields.cohort), ctx);
  }
}
