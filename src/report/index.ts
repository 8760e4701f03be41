export * from './types.js';
export * from './files.js';
export * from './outputs.js';
export * from './console.js';
export * from './progress.js';
export * from './logger.js';
export * from './redact.js';
export * from './retention.js';
