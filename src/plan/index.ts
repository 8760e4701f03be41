export type { Action, ActionCounts, ActionKind, GuardOptions, GuardVerdict, Op, Plan, PlanOptions } from './types.js';
export { ACTION_KINDS, OPS } from './types.js';
export { PersonPlanner, defaultPlanOptions, emptyCounts, planPersons, summarizePlan } from './persons.js';
export type { MoodleMatch, RowContext } from './persons.js';
export { personContentHash } from './hash.js';
