/**
 * A run's outcomes as they stream past: rows.csv is written as they come, and only what the rest of the report needs
 * is kept (the counts, the failed rows for the tryback, the retry file, report.html and summary.failures). A 500k-row
 * run holds no array of every outcome.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Outcome, OutcomeKind } from '../apply/types.js';
import { FailedRows } from './failed-rows.js';
import { openRowsCsv, type RowsCsvWriter } from './outputs.js';

/** rows.csv while the run writes it: renamed to rows.csv when the run keeps it, removed when it does not. */
const PARTIAL = '.rows.csv.part';

export class OutcomeLog {
  readonly counts: Record<OutcomeKind, number> = { ok: 0, unchanged: 0, failed: 0, relinked: 0 };
  /** Every failed row, in order. */
  readonly failed: Outcome[] = [];
  /** The failed rows report.html lists (up to its cap), counted by code and hint. */
  readonly failedRows = new FailedRows('failed');
  /** Outcomes seen. */
  total = 0;
  private readonly csv: RowsCsvWriter;
  private closed: Promise<string> | null = null;

  constructor(private readonly dir: string) {
    this.csv = openRowsCsv(join(dir, PARTIAL));
  }

  /** A promise when rows.csv asks to wait before the next. */
  add(o: Outcome): Promise<void> | undefined {
    this.total++;
    this.counts[o.outcome]++;
    if (o.outcome === 'failed') {
      this.failed.push(o);
      this.failedRows.add({ line: o.line, key: o.key, type: o.type, action: o.action, code: o.errorcode ?? null, message: o.message ?? '' });
    }
    return this.csv.write(o);
  }

  /** A job's outcomes given all at once (a command of a few rows). */
  static async of(dir: string, outcomes: Iterable<Outcome>): Promise<OutcomeLog> {
    const log = new OutcomeLog(dir);
    for (const o of outcomes) {
      const wait = log.add(o);
      if (wait) await wait;
    }
    return log;
  }

  /** The run's rows.csv: the file written so far, under its name. */
  async keep(): Promise<string> {
    const path = join(this.dir, 'rows.csv');
    await rename(await this.close(), path);
    return path;
  }

  /** An ending without rows.csv: the file written so far goes (safe to call after keep, or twice). */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await rm(join(this.dir, PARTIAL), { force: true });
  }

  private close(): Promise<string> {
    this.closed ??= this.csv.close();
    return this.closed;
  }
}
