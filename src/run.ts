/**
 * One run end to end: read → plan → apply → report → archive. The single path used by `run`, `plan`, `watch`
 * and `schedule` (DESIGN §4). Returns the summary; the caller turns summary.exitCode into the process exit code.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type winston from 'winston';
import { applyPlan, DEFAULT_APPLY_OPTIONS } from './apply/index.js';
import { lookupChunk } from './resolve/index.js';
import type { ApplyOptions, Outcome } from './apply/types.js';
import { RUN_ORDER, entity, functionsOf, type EntityLookup, type EntitySettings } from './entities/index.js';
import { planFeed } from './plan/chunks.js';
import { ConfigError, requireMoodle, type Config } from './config/index.js';
import { FeedFileError, checkFeedPath, openFeed, readRawRecords, type AnyFeed, type EntityRecord, type EntityType, type FeedEncoding } from './feed/index.js';
import { defaultPlanOptions } from './plan/index.js';
import type { Op, Plan, PlanOptions } from './plan/types.js';
import { MoodleSession } from './session.js';
import { Refusal } from './refusal.js';
import {
  archiveInput,
  countOutcomes,
  detectEol,
  ensureReportDir,
  openPlanCsv,
  newRunId,
  retainOutputs,
  sha256File,
  writePlanCsv,
  writeRowsCsv,
  writeSummary,
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

export const EXIT = { ok: 0, usage: 1, failedRows: 2, refused: 3 } as const;

// The preflight and writer lock live in session.ts; re-exported for callers of earlier versions.
export { checkMoodle, releaseWriterLock, takeWriterLock } from './session.js';

export async function runFile(req: RunRequest, deps: RunDeps): Promise<RunSummary> {
  const { config, logger } = deps;
  if (!existsSync(req.file)) throw new ConfigError(`input file ${req.file} does not exist`);
  // A folder or a FIFO is refused before anything opens it (a FIFO would hang) and before a report folder exists.
  try {
    checkFeedPath(req.file);
  } catch (err) {
    if (err instanceof FeedFileError) throw new Refusal(`The file was not applied: ${err.message}.`);
    throw err;
  }
  const dataSource = req.dataSource ?? config.dataSource;
  if (req.op === 'refresh-ds' && !dataSource) {
    throw new ConfigError('refresh-ds needs a data source: pass --datasource KEY or set dataSource in the config');
  }
  requireMoodle(config); // no Moodle configured: stop before any report folder exists
  const dryRun = req.dryRun ?? false;
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const reportDir = await ensureReportDir(config.reports, runId);
  const summary: RunSummary = {
    runId,
    file: req.file,
    sha256: await sha256File(req.file),
    type: req.type ?? null,
    op: req.op,
    dataSource: dataSource ?? null,
    dryRun,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    status: 'ok',
    exitCode: EXIT.ok,
    message: '',
    rows: 0,
    planned: null,
    outcomes: { ok: 0, unchanged: 0, failed: 0, relinked: 0 },
    guard: null,
    moodleCalls: { total: 0, byFunction: {} },
    reportDir,
    archivedAs: null,
    tryback: null,
  };
  logger.info(`run ${runId}: ${req.op} ${req.file}${dataSource ? ` (data source ${dataSource})` : ''}${dryRun ? ' [dry run]' : ''}`);

  const finish = async (status: RunSummary['status'], exitCode: number, message: string): Promise<RunSummary> => {
    if (!dryRun) summary.archivedAs = await archiveInput(req.file, config.archive, runId, startedAt);
    summary.status = status;
    summary.exitCode = exitCode;
    summary.message = message;
    summary.finishedAt = new Date().toISOString();
    await writeSummary(reportDir, summary);
    // Retention (archiveKeepDays / reportsKeepDays): never on a dry run, never this run's own folders.
    if (!dryRun) await retainOutputs({ ...config, runId }, logger);
    if (exitCode === EXIT.ok) logger.info(message);
    else logger.warn(message);
    return summary;
  };

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
    return finish('aborted', EXIT.refused, `The file was not applied: ${err.message}. Fix the file and run it again.`);
  }
  summary.type = feed.info.type;

  const session = new MoodleSession(config, runId, config.moodle.concurrency + 2, (line) => logger.info(line));
  const { client } = session;
  try {
    const refused = await session.open({ functions: functionsOf(feed.info.type), lock: !dryRun, wait: req.wait });
    if (refused) {
      summary.error = { code: refused.code, message: refused.message };
      return await finish('aborted', EXIT.refused, `Nothing was written: ${refused.message}${refused.stage === 'locked' ? '.' : ''}`);
    }
    const ledger = session.ledger;
    // A dry run streams its plan to plan.csv instead of holding every action.
    const planCsv = dryRun ? openPlanCsv(reportDir) : null;
    const lookupSize = lookupChunk(config.moodle.maxInputVars);
    const reads = { retries: config.moodle.retries, backoffMs: config.moodle.backoffMs };
    const settings = entitySettings(config);
    const lookup = entity(feed.info.type).lookup(client, ledger, { ...reads, chunkSize: lookupSize }, settings) as EntityLookup<EntityRecord>;
    const planOptions = planOptionsFor(req, dataSource ?? null, config);
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
    summary.moodleCalls = session.calls();

    if (plan.guard?.refused) {
      if (!dryRun) await writePlanCsv(reportDir, plan.actions);
      const what = dryRun ? 'Dry run: this refresh would be refused' : 'Refused, nothing was written';
      return await finish('refused', EXIT.refused, `${what}: ${plan.guard.message}`);
    }
    if (dryRun) {
      const unread = plan.guard?.unreadable ? ` ${plan.guard.message}.` : '';
      return await finish('dry-run', EXIT.ok, `Dry run: nothing was written. The plan is in ${reportDir}/plan.csv.${unread}`);
    }

    ledger.startRun({ id: runId, file: req.file, sha256: summary.sha256, type: feed.info.type, op: req.op, dataSource: dataSource ?? null, startedAt: summary.startedAt });
    const outcomes = await applyPlan(plan, { client, ledger, runId, options: applyOptions(config), onProgress: (p) => deps.progress?.update(p) });
    deps.progress?.stop();
    logger.debug(`applied after ${elapsed(startedAt)}`);
    summary.outcomes = countOutcomes(outcomes);
    summary.moodleCalls = session.calls();
    await writeRowsCsv(reportDir, outcomes);
    const transient = req.retryDir ? outcomes.filter(isTransientFailure) : [];
    summary.tryback = await writeTrybackFor(feed, transient.length > 0 ? outcomes.filter((o) => !isTransientFailure(o)) : outcomes, reportDir);
    if (transient.length > 0) summary.retry = await keepForRetry(feed, transient, req.retryDir as string, runId);
    logger.debug(`reported after ${elapsed(startedAt)}`);

    const verdict = closing(summary, plan.guard, reportDir, req.op);
    const result = await finish(verdict.status, verdict.exitCode, verdict.message);
    ledger.finishRun(runId, result.status, { planned: result.planned, outcomes: result.outcomes, exitCode: result.exitCode });
    return result;
  } finally {
    await session.close();
  }
}

/** How an applied run ends: its status, exit code and the sentence that says what to do next. */
function closing(summary: RunSummary, guard: Plan['guard'], reportDir: string, op: Op): { status: RunSummary['status']; exitCode: number; message: string } {
  const failed = summary.outcomes.failed;
  // Unreadable rows in a refresh: say why nothing was disabled (or, forced, what was risked) before the rows' advice.
  const unread = guard?.unreadable ? `${guard.message}. ` : '';
  const kept = summary.retry?.rows ?? 0;
  if (kept > 0) {
    const rest = failed > kept ? `; ${failed - kept} row(s) failed: see ${reportDir}/rows.csv${summary.tryback ? ` and the tryback file ${summary.tryback}` : ''}` : '';
    return { status: 'failed-rows', exitCode: EXIT.failedRows, message: `${unread}${kept} row(s) could not reach Moodle and are kept for retry${rest}.` };
  }
  if (failed > 0 || guard?.disablesSkipped) {
    const advice = summary.tryback
      ? `${failed} row(s) failed: see ${reportDir}/rows.csv, fix them and run the tryback file: mdlsync run ${summary.tryback} --op ${op === 'delete' ? 'delete' : 'store'}`
      : `${failed} record(s) failed (see ${reportDir}/rows.csv); run the same command again once the cause is fixed.`;
    return { status: 'failed-rows', exitCode: EXIT.failedRows, message: unread + advice };
  }
  return { status: 'ok', exitCode: EXIT.ok, message: unread + 'Every row was applied or was already up to date.' };
}

function elapsed(since: Date): string {
  return `${((Date.now() - since.getTime()) / 1000).toFixed(2)} s`;
}

export function applyOptions(config: Config): ApplyOptions {
  return {
    ...DEFAULT_APPLY_OPTIONS,
    maxInputVars: config.moodle.maxInputVars,
    batchSize: config.moodle.batchSize,
    concurrency: config.moodle.concurrency,
    retries: config.moodle.retries,
    backoffMs: config.moodle.backoffMs,
    createPasswordWhenMissing: config.persons.createPasswordWhenMissing,
    emailWhenMissing: config.persons.emailWhenMissing,
    languages: config.moodle.languages,
    usernameFromEmail: config.persons.usernameFromEmail,
    enrolments: config.enrolments,
  };
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
