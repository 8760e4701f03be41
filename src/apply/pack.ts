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

/** A record too big for a call even alone: its form variables and the budget. */
export interface TooBig<T> {
  item: T;
  vars: number;
  budget: number;
}

/**
 * Greedy packing in order: at most batchSize records, and at most maxInputVars − 3 (control) − extraVars leaves,
 * counted from the actual records. Items that do not fit even alone come back in `tooBig`.
 */
export function pack<T>(
  items: Iterable<T>,
  leaves: (item: T) => number,
  options: Pick<ApplyOptions, 'batchSize' | 'maxInputVars'>,
  extraVars = 0,
): { batches: T[][]; tooBig: TooBig<T>[] } {
  const tooBig: TooBig<T>[] = [];
  const batches = [...packing(items, leaves, options, (big) => tooBig.push(big), extraVars)];
  return { batches, tooBig };
}

/**
 * pack() one batch at a time, the items taken as each batch fills (a lazy list of items is built batch by batch as
 * the batches are sent); an item too big alone goes to `tooBig` as it is met.
 */
export function* packing<T>(
  items: Iterable<T>,
  leaves: (item: T) => number,
  options: Pick<ApplyOptions, 'batchSize' | 'maxInputVars'>,
  tooBig: (big: TooBig<T>) => void,
  extraVars = 0,
): Generator<T[]> {
  const budget = options.maxInputVars - 3 - extraVars;
  const maxRecords = Math.max(1, options.batchSize);
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const vars = leaves(item);
    if (vars > budget) {
      tooBig({ item, vars, budget });
      continue;
    }
    if (current.length >= maxRecords || used + vars > budget) {
      yield current;
      current = [];
      used = 0;
    }
    current.push(item);
    used += vars;
  }
  if (current.length) yield current;
}
