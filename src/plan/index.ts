export type { Action, ActionCounts, ActionKind, AnyAction, GuardOptions, GuardVerdict, Op, Plan, PlanOptions } from './types.js';
export { ACTION_KINDS, OPS } from './types.js';
export { EntityPlanner, defaultPlanOptions, emptyCounts, summarizePlan } from './fold.js';
export type { ContextBase, EntityRules, MatchBase, RowPlanning } from './fold.js';
