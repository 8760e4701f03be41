/**
 * How far V8 lets the heap grow between full collections. By default up to ~4× what is live when collecting is cheap:
 * a 500k-row run, which holds its plan until it is applied, peaked at ~350 MB of heap for ~130 MB live. Half of what
 * is live again is room enough for the garbage between collections (README › Performance › Memory of large runs).
 */
import { setFlagsFromString } from 'node:v8';

/** Percent of the live heap V8 may add before its next full collection. */
export const HEAP_GROWING_PERCENT = 50;

let bounded = false;

/** Once per process: the flag is read at every full collection, so setting it after start-up takes effect. */
export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
