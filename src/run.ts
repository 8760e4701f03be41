/**
 * One run end to end: read → plan → apply → report → archive. The single path used by `run`, `plan`, `watch`
 * and `schedule` (DESIGN §4), a job on the conductor (src/conductor.ts: session, report folder, counts, summary,
 * status and exit code). Returns the summary; the caller turns summary.exitCode into the process exit code.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type winston from 'winston';
import { applyPlan } from './apply/index.js';
import { lookupChunk } from './resolve/index.js';
import type { Outcome } from './apply/types.js';
import { RUN_ORDER, entity, functionsOf, type EntityLookup, type EntitySettings } from './entities/index.js';
import { ConfigError, type Config } from './config/index.js';
import { EXIT, applyOptions, conduct, type Job } from './conductor.js';
import { FeedFileError, checkFeedPath, openFeed, readRawRecords, type AnyFeed, type EntityRecord, type EntityType, type FeedEncoding } from './feed/index.js';
import { planFeed } from './plan/chunks.js';
import { defaultPlanOptions } from './plan/index.js';
import type { Op, Plan, PlanOptions } from './plan/types.js';
import { Refusal } from './refusal.js';
import {
  archiveInput,
  detectEol,
  openPlanCsv,
  retainOutputs,
  sha256File,
  writePlanCsv,
  writeTryback,
  type ProgressSink,
  type RunSummary,
} from './report/index.js';

export interface RunRequest {
  file: string;
  op: Op;
  type?: EntityType;
  dataSource?: string | null;
  dryRun?: boolean;
  force?: boolean;
  full?: boolean;
  delimiter?: string;
  encoding?: FeedEncoding;
  /** Seconds to wait for another run holding the ledger's writer lock (default 0: refuse at once). */
  wait?: number;
  /**
   * watch and schedule: rows that failed only because Moodle could not take them (errorcode `transient`) are written
   * to a retry file in this folder instead of the tryback, which keeps only the rows Moodle refused for a reason of its own.
   */
  retryDir?: string;
}

export interface RunDeps {
  config: Config;
  logger: winston.Logger;
  progress?: ProgressSink;
}

export type { EntityLookup } from './entities/index.js';

/** The per-entity settings of the config, for the planners and the look-ups. */
export function entitySettings(config: Config): EntitySettings {
  return {
    enrolments: config.enrolments,
    courses: config.courses,
    cohorts: config.cohorts,
    institutionRoles: { ...config.institutionRoles, roleIds: config.enrolments.roleIds },
    observers: { role: config.observers.role, roleIds: config.enrolments.roleIds },
  };
}

// The preflight and writer lock live in session.ts, the exit codes and apply options in conductor.ts; re-exported
// for callers of earlier versions.
export { checkMoodle, releaseWriterLock, takeWriterLock } from './session.js';
export { EXIT, applyOptions } from './conductor.js';

export async function runFile(req: RunRequest, deps: RunDeps): Promise<RunSummary> {
  const { config } = deps;
  if (!existsSync(req.file)) throw new ConfigError(`input file ${req.file} does not exist`);
  // A folder or a FIFO is refused before anything opens it (a FIFO would hang) and before a report folder exists.
  try {
    checkFeedPath(req.file);
  } catch (err) {
    if (err instanceof FeedFileError) throw new Refusal(`The file was not applied: ${err.message}.`);
    throw err;
  }
  const dataSource = req.dataSource ?? config.dataSource ?? null;
  if (req.op === 'refresh-ds' && !dataSource) {
    throw new ConfigError('refresh-ds needs a data source: pass --datasource KEY or set dataSource in the config');
  }
  return conduct(runJob(req, deps, dataSource), deps);
}

/** One feed file as the conductor's job: read the header, plan, then (unless a dry run) apply, tryback and archive. */
function runJob(req: RunRequest, deps: RunDeps, dataSource: string | null): Job<RunSummary, AnyFeed> {
  const { config, logger } = deps;
  const dryRun = req.dryRun ?? false;
  return {
    connections: config.moodle.concurrency + 2,
    logWaiting: true,
    summary: async (start) => ({
      runId: start.runId,
      file: req.file,
      sha256: await sha256File(req.file),
      type: req.type ?? null,
      op: req.op,
      dataSource,
      dryRun,
      startedAt: start.startedAt.toISOString(),
      finishedAt: '',
      status: 'ok',
      exitCode: EXIT.ok,
      message: '',
      rows: 0,
      planned: null,
      outcomes: { ok: 0, unchanged: 0, failed: 0, relinked: 0 },
      guard: null,
      moodleCalls: { total: 0, byFunction: {} },
      reportDir: start.reportDir,
      archivedAs: null,
      tryback: null,
    }),
    opening: (s) => `run ${s.runId}: ${req.op} ${req.file}${dataSource ? ` (data source ${dataSource})` : ''}${dryRun ? ' [dry run]' : ''}`,

    prepare: async (summary) => {
      let feed: AnyFeed;
      try {
        feed = await openFeed(req.file, {
          type: req.type,
          delimiter: req.delimiter,
          encoding: req.encoding,
          pathSeparator: config.courses.pathSeparator,
          timezone: config.courses.timezone,
        });
      } catch (err) {
        if (!(err instanceof FeedFileError)) throw err;
        summary.error = { code: err.code, message: err.message };
        return { status: 'aborted', exitCode: EXIT.refused, message: `The file was not applied: ${err.message}. Fix the file and run it again.` };
      }
      summary.type = feed.info.type;
      return { open: { functions: functionsOf(feed.info.type), lock: !dryRun, wait: req.wait }, state: feed };
    },
    // A run refused before planning has always reported no Moodle calls.
    refused: (r) => ({ status: 'aborted', message: `Nothing was written: ${r.message}${r.stage === 'locked' ? '.' : ''}`, countCalls: false }),

    work: async ({ client, ledger, summary, reportDir, runId, startedAt, startRun }, feed) => {
      // A dry run streams its plan to plan.csv instead of holding every action.
      const planCsv = dryRun ? openPlanCsv(reportDir) : null;
      const lookupSize = lookupChunk(config.moodle.maxInputVars);
      const reads = { retries: config.moodle.retries, backoffMs: config.moodle.backoffMs };
      const settings = entitySettings(config);
      const lookup = entity(feed.info.type).lookup(client, ledger, { ...reads, chunkSize: lookupSize }, settings) as EntityLookup<EntityRecord>;
      const planOptions = planOptionsFor(req, dataSource, config);
      if (planOptions.passwords === 'always') planOptions.passwordKey = ledger.passwordKey();
      const plan = await planFeed(feed, planOptions, ledger, {
        lookup,
        sink: planCsv ? (a) => planCsv.write(a) : undefined,
        chunkSize: 2 * lookupSize,
        ...settings,
      });
      await planCsv?.close();
      logger.debug(`planned ${plan.rows} rows in ${elapsed(startedAt)}`);
      summary.rows = plan.rows;
      summary.planned = plan.counts;
      summary.guard = plan.guard;

      if (plan.guard?.refused) {
        if (!dryRun) await writePlanCsv(reportDir, plan.actions);
        const what = dryRun ? 'Dry run: this refresh would be refused' : 'Refused, nothing was written';
        return { status: 'refused', exitCode: EXIT.refused, message: `${what}: ${plan.guard.message}` };
      }
      if (dryRun) {
        const unread = plan.guard?.unreadable ? ` ${plan.guard.message}.` : '';
        return { status: 'dry-run', exitCode: EXIT.ok, message: `Dry run: nothing was written. The plan is in ${reportDir}/plan.csv.${unread}` };
      }

      startRun({ file: req.file, sha256: summary.sha256, type: feed.info.type, op: req.op, dataSource });
      const outcomes = await applyPlan(plan, { client, ledger, runId, options: applyOptions(config), onProgress: (p) => deps.progress?.update(p) });
      deps.progress?.stop();
      logger.debug(`applied after ${elapsed(startedAt)}`);
      const transient = req.retryDir ? outcomes.filter(isTransientFailure) : [];
      summary.tryback = await writeTrybackFor(feed, transient.length > 0 ? outcomes.filter((o) => !isTransientFailure(o)) : outcomes, reportDir);
      if (transient.length > 0) summary.retry = await keepForRetry(feed, transient, req.retryDir as string, runId);
      logger.debug(`reported after ${elapsed(startedAt)}`);
      // Disables a refresh held back (unreadable rows) leave the run incomplete even when no row failed.
      return { applied: outcomes, incomplete: plan.guard?.disablesSkipped ?? false, closing: (s) => closing(s, plan.guard, reportDir, req.op) };
    },

    // The input is archived whatever the ending (never on a dry run); retention never touches this run's own folders.
    beforeReport: async (summary) => {
      if (!dryRun) summary.archivedAs = await archiveInput(req.file, config.archive, summary.runId, new Date(summary.startedAt));
    },
    afterReport: async (summary) => {
      if (!dryRun) await retainOutputs({ ...config, runId: summary.runId }, logger);
    },
    record: (s) => ({ planned: s.planned, outcomes: s.outcomes, exitCode: s.exitCode }),
  };
}

/** The closing sentence of an applied run: what failed and what to do next. */
function closing(summary: RunSummary, guard: Plan['guard'], reportDir: string, op: Op): string {
  const failed = summary.outcomes.failed;
  // Unreadable rows in a refresh: say why nothing was disabled (or, forced, what was risked) before the rows' advice.
  const unread = guard?.unreadable ? `${guard.message}. ` : '';
  const kept = summary.retry?.rows ?? 0;
  if (kept > 0) {
    const rest = failed > kept ? `; ${failed - kept} row(s) failed: see ${reportDir}/rows.csv${summary.tryback ? ` and the tryback file ${summary.tryback}` : ''}` : '';
    return `${unread}${kept} row(s) could not reach Moodle and are kept for retry${rest}.`;
  }
  if (failed > 0 || guard?.disablesSkipped) {
    const advice = summary.tryback
      ? `${failed} row(s) failed: see ${reportDir}/rows.csv, fix them and run the tryback file: mdlsync run ${summary.tryback} --op ${op === 'delete' ? 'delete' : 'store'}`
      : `${failed} record(s) failed (see ${reportDir}/rows.csv); run the same command again once the cause is fixed.`;
    return unread + advice;
  }
  return unread + 'Every row was applied or was already up to date.';
}

function elapsed(since: Date): string {
  return `${((Date.now() - since.getTime()) / 1000).toFixed(2)} s`;
}

export function planOptionsFor(req: RunRequest, dataSource: string | null, config: Config): PlanOptions {
  return defaultPlanOptions({
    op: req.op,
    dataSource,
    full: req.full ?? false,
    force: req.force ?? false,
    passwords: config.persons.passwords,
    disable: config.persons.disable,
    guard: { maxPercent: config.guard.maxPercent, maxCount: config.guard.maxCount },
  });
}

/**
 * The files of a multi-file run in dependency order (categories before courses before persons before enrolments…),
 * each kept in the given order within its type. The type is read from the header (or forced); a file whose header
 * cannot be read keeps its turn at the end, where its run reports the problem.
 */
export async function orderByDependency(files: readonly string[], opts: { type?: EntityType; delimiter?: string; encoding?: FeedEncoding } = {}): Promise<string[]> {
  if (opts.type !== undefined || files.length < 2) return [...files];
  const ranked = await Promise.all(
    files.map(async (file, i) => {
      try {
        const feed = await openFeed(file, { delimiter: opts.delimiter, encoding: opts.encoding });
        return { file, i, rank: RUN_ORDER.indexOf(feed.info.type) };
      } catch {
        return { file, i, rank: RUN_ORDER.length };
      }
    }),
  );
  return ranked.sort((a, b) => a.rank - b.rank || a.i - b.i).map((r) => r.file);
}

/** A row Moodle could not take (outage, timeout, 5xx) rather than one it refused: worth sending again as it is. */
function isTransientFailure(o: Outcome): boolean {
  return o.outcome === 'failed' && o.errorcode === 'transient' && o.line !== null;
}

/** The transient rows as a file of their own (the tryback writer: input header, encoding, line ending; 0600). */
async function keepForRetry(feed: AnyFeed, rows: readonly Outcome[], retryDir: string, runId: string): Promise<RunSummary['retry']> {
  await mkdir(retryDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(retryDir, `.${runId}-`));
  try {
    const written = await writeTrybackFor(feed, rows, staging);
    if (!written) return null;
    // A retry's own retry keeps the dropped file's name: RUNID__NAME, never RUNID__RUNID__NAME.
    const file = join(retryDir, `${runId}__${basename(feed.info.path).replace(/^\d{8}T\d{9}Z-[0-9a-f]+__/, '')}`);
    await rename(written, file);
    return { file, rows: rows.length, error: rows[0].message ?? 'Moodle could not be reached' };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function writeTrybackFor(feed: AnyFeed, outcomes: readonly Outcome[], reportDir: string): Promise<string | null> {
  const failed = outcomes.filter((o) => o.outcome === 'failed' && o.line !== null);
  if (failed.length === 0) return null;
  const raw = await readRawRecords(feed.info, new Set(failed.map((o) => o.line as number)));
  return writeTryback(reportDir, feed.info, failed, raw, await detectEol(feed.info.path));
}
