/**
 * The retry state watch and schedule share: rows Moodle could not take (connection refused, timeouts, 5xx, Moodle
 * down) are kept in a retry file (the input's header and those rows, mode 0600) with a row in the ledger's retries
 * table, and tried again with a doubling delay until they land or a person discards them. Rows Moodle refused for a
 * reason of its own go to the run's tryback as usual.
 */
import { existsSync } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type winston from 'winston';
import type { Config } from '../config/index.js';
import type { EntityType } from '../entities/index.js';
import type { RetryClaimer, RetryRecord, LedgerStore } from '../ledger/index.js';
import { newRunId, type RunSummary } from '../report/index.js';
import type { Op } from '../plan/types.js';
import { isRefresh } from './classify.js';
import { isOutage, runTarget, type RunVerdict } from './runner.js';

export interface RetryContext {
  config: Config;
  logger: winston.Logger;
  ledger: LedgerStore;
  /** `watch:DIR`, or `job:NAME` (`job:NAME@HOST` on a shared ledger): who tries these again. */
  source: string;
  /** Where retry files are kept. */
  retryDir: string;
  who: RetryClaimer;
  /** Seconds a try waits for the ledger's writer lock. */
  wait: number;
}

export interface TakenFile {
  name: string;
  path: string;
  type?: EntityType;
  op: Op;
  dataSource?: string;
  force: boolean;
}

/** The delay before the next try after `attempts` failed ones: firstDelayMs, doubling, at most maxDelayMs. */
export function retryDelay(attempts: number, config: Config): number {
  const { firstDelayMs, maxDelayMs } = config.retry;
  return Math.min(maxDelayMs, firstDelayMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
}

/**
 * After the first run of a taken file: keeps its transient rows for retry, or (`wholeFile`) the whole file when Moodle
 * was down before the file could be run. Returns the retry, or null when there is nothing to retry. A refresh's rows
 * are retried as a store: a refresh of a few rows would disable everyone else.
 */
export async function keepForRetry(ctx: RetryContext, taken: TakenFile, verdict: RunVerdict, wholeFile: boolean): Promise<RetryRecord | null> {
  const now = Date.now();
  const base = { source: ctx.source, name: taken.name, type: taken.type ?? null, dataSource: taken.dataSource ?? null, force: taken.force, attempts: 1, nextAt: now + retryDelay(1, ctx.config) };
  let record: RetryRecord;
  if (verdict.kind === 'applied' && verdict.summary.retry) {
    const kept = verdict.summary.retry;
    record = await ctx.ledger.retries.add({ ...base, file: kept.file, op: isRefresh(taken.op) ? 'store' : taken.op, rows: kept.rows, lastError: kept.error });
  } else if (wholeFile && isOutage(verdict) && verdict.kind === 'not-applied') {
    const file = join(ctx.retryDir, `${newRunId(new Date(now))}__${taken.name}`);
    await rename(taken.path, file);
    await chmod(file, 0o600); // it may hold passwords, like the archive and the tryback
    record = await ctx.ledger.retries.add({ ...base, file, op: taken.op, rows: null, lastError: verdict.summary.error?.message ?? verdict.reason });
  } else {
    return null;
  }
  ctx.logger.warn(`${describe(record)} kept for retry #${record.id} (${record.lastError}); next try at ${new Date(record.nextAt).toISOString()}`);
  return record;
}

export interface RetryTry {
  record: RetryRecord;
  /** True once nothing is left to retry (rows Moodle refused are in that run's tryback). */
  landed: boolean;
  /** The retry as it now stands when rows are left. */
  next?: RetryRecord;
  verdict: RunVerdict;
}

/** Tries one claimed retry again: what lands is done, what still cannot reach Moodle waits for the next try. */
export async function tryRetry(ctx: RetryContext, r: RetryRecord): Promise<RetryTry> {
  const { logger } = ctx;
  if (!existsSync(r.file)) {
    // Deleted by hand instead of discarded: nothing is left to send.
    await ctx.ledger.retries.remove(r.id);
    logger.warn(`retry #${r.id}: ${r.file} is gone, so ${r.name}'s retry is dropped (use mdlsync ledger discard-retry ID next time)`);
    return { record: r, landed: true, verdict: { kind: 'error', usage: true, exitCode: 1, reason: `the retry file ${r.file} is gone` } };
  }
  logger.info(`retry #${r.id}: trying ${describe(r)} again (attempt ${r.attempts + 1})`);
  const verdict = await runTarget(
    { file: r.file, type: (r.type ?? undefined) as EntityType | undefined, op: r.op as Op, dataSource: r.dataSource ?? undefined, force: r.force, wait: ctx.wait, retryDir: ctx.retryDir },
    { config: ctx.config, logger },
  );
  if (verdict.kind === 'applied' && !verdict.summary.retry) {
    await ctx.ledger.retries.remove(r.id);
    await rm(r.file, { force: true });
    logger.info(`retry #${r.id}: ${r.name} landed (exit ${verdict.summary.exitCode}): ${verdict.summary.message}`);
    return { record: r, landed: true, verdict };
  }
  const attempts = r.attempts + 1;
  const left: RunSummary['retry'] = verdict.kind === 'applied' ? verdict.summary.retry : null;
  const change = {
    file: left ? left.file : r.file,
    rows: left ? left.rows : r.rows,
    attempts,
    nextAt: Date.now() + retryDelay(attempts, ctx.config),
    lastError: left ? left.error : verdict.kind === 'applied' ? verdict.summary.message : verdict.reason,
  };
  if (!await ctx.ledger.retries.update(r.id, change)) {
    // Discarded by a person while it ran: nothing more to keep.
    if (left) await rm(left.file, { force: true });
    logger.info(`retry #${r.id}: discarded while it ran`);
    return { record: r, landed: true, verdict };
  }
  if (left) await rm(r.file, { force: true });
  const next = await ctx.ledger.retries.get(r.id) as RetryRecord;
  logger.warn(`retry #${r.id}: ${describe(next)} still waiting (attempt ${attempts}: ${change.lastError}); next try at ${new Date(change.nextAt).toISOString()}`);
  return { record: r, landed: false, next, verdict };
}

function describe(r: RetryRecord): string {
  return `${r.name}: ${r.rows === null ? 'the whole file' : `${r.rows} row(s)`}`;
}
