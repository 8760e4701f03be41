export { applyPlan } from './apply.js';
export type { ApplyDeps } from './apply.js';
export { BatchEngine, codeOf } from './engine.js';
export type { BatchSpec, EntityApplier, Row, TimedCall } from './engine.js';
export { EmailScanProbe, detectEmailScan, emailScanHint, type CreateSample, type EmailScanFinding } from './email-scan.js';
export { DEFAULT_APPLY_OPTIONS } from './options.js';
export type * from './types.js';
