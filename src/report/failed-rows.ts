/**
 * The failed rows a report page lists: collected while the outcomes (or a dry run's plan) stream past, kept up to a
 * cap so a 500k-row file with every row failing still makes a page a browser opens. Each code is counted in full.
 */
import type { Outcome } from '../apply/types.js';
import { FailureCounter } from './failures.js';

/** Rows a page lists at most; rows.csv (or plan.csv) holds every one. */
export const FAILED_ROWS_SHOWN = 5000;

export interface FailedRow {
  line: number | null;
  key: string;
  /** The row's entity, in a file that fans out into several. */
  type?: string;
  action: string;
  code: string | null;
  message: string;
}

export class FailedRows {
  readonly rows: FailedRow[] = [];
  /** Every failed row seen, listed or not. */
  total = 0;
  /** Every row seen, by code and hint (as summary.json's failures). */
  readonly counts = new FailureCounter();

  constructor(
    /** 'failed': rows Moodle (or mdlsync) could not apply; 'invalid': rows a dry run's plan marks invalid. */
    readonly kind: 'failed' | 'invalid' = 'failed',
    readonly cap: number = FAILED_ROWS_SHOWN,
  ) {}

  add(row: FailedRow): void {
    this.total++;
    this.counts.add(row.code, row.message);
    if (this.rows.length < this.cap) this.rows.push(row);
  }
}

/** The failed ones among applied outcomes; nothing else of them is kept. */
export function failedRowsOf(outcomes: Iterable<Outcome>): FailedRows {
  const failed = new FailedRows('failed');
  for (const o of outcomes) {
    if (o.outcome !== 'failed') continue;
    failed.add({ line: o.line, key: o.key, type: o.type, action: o.action, code: o.errorcode ?? null, message: o.message ?? '' });
  }
  return failed;
}
