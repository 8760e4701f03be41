export type { Action, ActionCounts, ActionKind, AnyAction, GuardOptions, GuardVerdict, Op, Plan, PlanOptions } from './types.js';
export { ACTION_KINDS, OPS } from './types.js';
export { EntityPlanner, defaultPlanOptions, emptyCounts, summarizePlan } from './fold.js';
export type { ContextBase, EntityRules, MatchBase, RowPlanning } from './fold.js';
export { PERSON_RULES, PersonPlanner, planPersons } from './persons.js';
export type { MoodleMatch, RowContext } from './persons.js';
export { CATEGORY_RULES, CategoryPlanner, categoryContentHash } from './categories.js';
export type { CategoryContext, CategoryMatch } from './categories.js';
export { personContentHash } from './hash.js';
