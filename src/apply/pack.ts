/**
 * What every applier shares when it builds calls: packing records into calls within max_input_vars and the batch
 * size, and the error a record fails with before it is sent (what Moodle would refuse anyway).
 */
import { MdlsyncError, type RowCode } from '../errors.js';
import type { ApplyOptions } from './types.js';

/** A record refused before it is sent (Moodle would refuse it anyway): its code and message become the row's. */
export class LocalRowError extends MdlsyncError<RowCode> {
  constructor(code: RowCode, message: string) {
    super(code, message);
    this.name = 'LocalRowError';
  }
}

/**
 * Greedy packing in order: at most batchSize records, and at most maxInputVars − 3 (control) − extraVars leaves,
 * counted from the actual records. Items that do not fit even alone come back in `tooBig`.
 */
export function pack<T>(
  items: readonly T[],
  leaves: (item: T) => number,
  options: Pick<ApplyOptions, 'batchSize' | 'maxInputVars'>,
  extraVars = 0,
): { batches: T[][]; tooBig: { item: T; vars: number; budget: number }[] } {
  const budget = options.maxInputVars - 3 - extraVars;
  const maxRecords = Math.max(1, options.batchSize);
  const batches: T[][] = [];
  const tooBig: { item: T; vars: number; budget: number }[] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const vars = leaves(item);
    if (vars > budget) {
      tooBig.push({ item, vars, budget });
      continue;
    }
    if (current.length >= maxRecords || used + vars > budget) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += vars;
  }
  if (current.length) batches.push(current);
  return { batches, tooBig };
}
