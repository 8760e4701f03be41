/** The hints of a finished command's summary: failed rows counted by code and hint, and the hint of a whole-file error. */
import type { Outcome } from '../apply/types.js';
import { hintFor, UNKNOWN_CODE_HINT } from '../hints.js';
import type { FailureCount, SummaryBase } from './types.js';

/**
 * Failed rows counted by code and hint. A Map keyed by code and hint: a message that sharpens the hint (e.g.
 * invalidparameter's "Email address already exists") counts apart from the generic one.
 */
export class FailureCounter {
  private readonly byKey = new Map<string, FailureCount>();

  add(errorcode: string | null | undefined, message: string | null | undefined): void {
    const code = errorcode ?? 'failed';
    const hint = hintFor(code, message) ?? UNKNOWN_CODE_HINT;
    const key = `${code}\u0000${hint}`;
    const seen = this.byKey.get(key);
    if (seen) seen.count++;
    else this.byKey.set(key, { code, count: 1, hint });
  }

  /** Most first, then by code. */
  list(): FailureCount[] {
    return [...this.byKey.values()].sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }
}

/** The failed ones among outcomes, by code and hint, most first (one pass). */
export function countFailures(outcomes: Iterable<Outcome>): FailureCount[] {
  const counter = new FailureCounter();
  for (const o of outcomes) if (o.outcome === 'failed') counter.add(o.errorcode, o.message);
  return counter.list();
}

/** Puts the hints into a summary before it is written: failures (when rows ran) and error.hint (when the file failed). */
export function addHints(summary: SummaryBase, rows: Iterable<Outcome> | undefined): void {
  if (rows) summary.failures = countFailures(rows);
  if (summary.error && summary.error.hint === undefined) summary.error.hint = hintFor(summary.error.code, summary.error.message) ?? UNKNOWN_CODE_HINT;
}
