export { applyPlan } from './apply.js';
export type { ApplyDeps } from './apply.js';
export { DEFAULT_APPLY_OPTIONS } from './options.js';
export { lookupChunk, resolvePersons } from './resolve.js';
export type { PersonMatch } from './resolve.js';
export type * from './types.js';
