import type { ApplyOptions } from './types.js';

/** Defaults measured on a real site (batches of 50 were fastest; PHP's max_input_vars default is 1000). */
export const DEFAULT_APPLY_OPTIONS: ApplyOptions = Object.freeze({
  maxInputVars: 1000,
  batchSize: 50,
  concurrency: 4,
  retries: 5,
  backoffMs: 500,
  createPasswordWhenMissing: true,
  emailWhenMissing: '{username}@example.invalid',
  languages: ['en'],
});
