/**
 * Executes a plan against Moodle: the rows that need no call are settled here, the rest go to the plan entity's
 * applier, which uses the shared BatchEngine (batches within max_input_vars, adaptive concurrency, retries with
 * backoff, bisection of failed all-or-nothing calls, a ledger write after every confirmed batch).
 */
import type { EntityRecord, EntityType, RecordOf } from '../feed/types.js';
import type { Action, AnyAction } from '../plan/types.js';
import { categoriesApplier } from './categories.js';
import { cohortMembersApplier, cohortsApplier } from './cohorts.js';
import { coursesApplier } from './courses.js';
import { BatchEngine, type ApplyDeps, type EntityApplier, type Row } from './engine.js';
import { enrolmentsApplier } from './enrolments.js';
import { groupMembersApplier, groupsApplier } from './groups.js';
import { personsApplier } from './persons.js';
import { institutionRolesApplier, observersApplier } from './roles.js';
import type { Outcome } from './types.js';

export type { ApplyDeps } from './engine.js';

const APPLIERS: { [T in EntityType]: EntityApplier<RecordOf<T>> } = {
  persons: personsApplier,
  categories: categoriesApplier,
  courses: coursesApplier,
  enrolments: enrolmentsApplier,
  groups: groupsApplier,
  'group-members': groupMembersApplier,
  cohorts: cohortsApplier,
  'cohort-members': cohortMembersApplier,
  'institution-roles': institutionRolesApplier,
  observers: observersApplier,
};

/** Executes the plan; one Outcome per action, in the plan's order. A plan holds one entity's actions. */
export async function applyPlan(plan: { actions: readonly AnyAction[] }, deps: ApplyDeps): Promise<Outcome[]> {
  const actions = plan.actions;
  const entity = actions[0]?.entity ?? 'persons';
  const stray = actions.find((a) => a.entity !== entity);
  if (stray) throw new Error(`applyPlan: one plan holds one entity's actions (${entity}), not ${stray.entity}`);
  const applier = APPLIERS[entity] as EntityApplier<EntityRecord>;
  const engine = new BatchEngine(actions, deps, applier.redact ? (m, a) => applier.redact!(m, a as Action<EntityRecord>) : undefined);
  const unchanged: Row[] = [];
  const send: Row[] = [];
  actions.forEach((action, index) => {
    const row = { index, action };
    if (action.kind === 'unchanged') {
      unchanged.push(row);
      engine.settle(row, 'unchanged', { moodleId: action.moodleId });
    } else if (action.kind === 'fail') engine.fail(row, action.error?.code ?? 'failed', action.error?.message ?? action.reason);
    else send.push(row);
  });
  const run = applier.prepare(engine, send);
  engine.markSeen(unchanged);
  engine.progress();
  await run();
  return engine.results();
}
