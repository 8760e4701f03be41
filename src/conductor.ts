/**
 * How every writing command runs, once: `run` and `plan` (src/run.ts), `user block|unblock|unenrol|password`
 * (src/lifecycle.ts) and `purge` (src/purge.ts) are jobs the conductor runs. It owns the skeleton they share:
 *
 * 1. Moodle configured (else stop before any report folder exists), run id, reports/RUNID/, the opening log line;
 * 2. the job's preparation without Moodle (run: read the feed's header), which may end the command there;
 * 3. the session (src/session.ts): preflight of the site and the service's functions, ledger, writer lock; a
 *    session that cannot open ends the command with the job's sentence, exit 3;
 * 4. the job's work (plan, apply) with the open session: it either ends the command itself (a refusal, a dry run,
 *    nothing to do) or hands back what it applied;
 * 5. the finish: outcome counts, rows.csv, summary.json, report.html, status, exit code and the closing sentence, the
 *    ledger's run record, and the session closed in a finally whatever happened. A job with many rows streams its
 *    outcomes into the context's OutcomeLog (rows.csv written as they come) instead of handing back an array.
 */
import { hostname, userInfo } from 'node:os';
import type winston from 'winston';
import { DEFAULT_APPLY_OPTIONS } from './apply/index.js';
import type { ApplyOptions, Outcome } from './apply/types.js';
import { requireMoodle, type Config } from './config/index.js';
import type { LedgerStore } from './ledger/index.js';
import type { RunRecord } from './ledger/types.js';
import { isLockLost } from './ledger/errors.js';
import { CircuitOpenError, TransientError, type MoodleClient, type SiteInfo } from './moodle/index.js';
import {
  addHints,
  ensureReportDir,
  newRunId,
  OutcomeLog,
  withRunId,
  writeHtmlReport,
  writeSummary,
  type FailedRows,
  type RunStatus,
  type SummaryBase,
} from './report/index.js';
import { MoodleSession, type SessionOpenOptions, type SessionRefusal } from './session.js';
import { boundHeapGrowth } from './heap.js';

export { EXIT } from './errors.js';
import { EXIT, MdlsyncError } from './errors.js';


/** Row codes that mean the run stopped sending (the rest kept for the next try), in the order the summary names them. */
const STOPS = ['ledger-lock-lost', 'circuit-open'] as const;

/** The apply engine's options from the config (batch size, concurrency, retries, the person defaults …). */
export function applyOptions(config: Config): ApplyOptions {
  return {
    ...DEFAULT_APPLY_OPTIONS,
    maxInputVars: config.moodle.maxInputVars,
    batchSize: config.moodle.batchSize,
    concurrency: config.moodle.concurrency,
    retries: config.moodle.retries,
    backoffMs: config.moodle.backoffMs,
    breakerFailures: config.moodle.breakerFailures,
    maxRequestsPerSecond: config.moodle.maxRequestsPerSecond,
    createPasswordWhenMissing: config.persons.createPasswordWhenMissing,
    emailWhenMissing: config.persons.emailWhenMissing,
    languages: config.moodle.languages,
    usernameFromEmail: config.persons.usernameFromEmail,
    enrolments: config.enrolments,
  };
}

/** What a job's summary starts from. */
export interface RunStart {
  runId: string;
  startedAt: Date;
  reportDir: string;
}

/** What every summary starts from before anything happened: the run's id and start, every count at zero. */
export function startingSummary(start: RunStart): Pick<SummaryBase, 'runId' | 'startedAt' | 'finishedAt' | 'status' | 'exitCode' | 'message' | 'outcomes' | 'moodleCalls' | 'reportDir'> {
  return {
    runId: start.runId,
    startedAt: start.startedAt.toISOString(),
    finishedAt: '',
    status: 'ok',
    exitCode: EXIT.ok,
    message: '',
    outcomes: { ok: 0, unchanged: 0, failed: 0, relinked: 0 },
    moodleCalls: { total: 0, byFunction: {} },
    reportDir: start.reportDir,
  };
}

/** A command that ends as the job says: a refusal, a dry run, nothing to do. */
export interface Ending {
  status: RunStatus;
  exitCode: number;
  message: string;
  /** Rows to count in summary.outcomes; rows.csv holds them when the status is ok or failed-rows. */
  rows?: readonly Outcome[];
  /** The rows as the job streamed them into its context's OutcomeLog (instead of `rows`). */
  log?: OutcomeLog;
  /** false: summary.moodleCalls keeps what the job last put there (a run refused at its preflight says 0). */
  countCalls?: boolean;
  /** A dry run: the rows its plan marks invalid, for report.html (an applied run's failed rows come from `rows`). */
  invalidRows?: FailedRows;
}

/** What a job applied: the conductor counts it, writes rows.csv and closes with the job's sentence. */
export interface Applied<S extends SummaryBase> {
  /** The outcomes, or the context's OutcomeLog they streamed into. */
  applied: readonly Outcome[] | OutcomeLog;
  /** Not all went through even without a failed row (a refresh whose disables were held back). */
  incomplete?: boolean;
  /** The closing sentence, once summary.outcomes holds the counts; `failed`: the run ends with exit 2. */
  closing(summary: S, failed: boolean): string;
}

/** The session a job needs, and what its preparation hands on to its work. */
export interface Prepared<P> {
  open: SessionOpenOptions;
  state: P;
}

export interface JobContext<S extends SummaryBase> extends RunStart {
  config: Config;
  logger: winston.Logger;
  summary: S;
  client: MoodleClient;
  ledger: LedgerStore;
  /** Site information as the session's preflight read it. */
  siteInfo: SiteInfo | null;
  /** Records the run in the ledger's runs table, just before the first write; the conductor closes the record. */
  startRun(record: Omit<RunRecord, 'id' | 'startedAt' | 'finishedAt' | 'status' | 'summary'>): Promise<void>;
  /**
   * The run's outcome log: rows.csv written as the outcomes come (the same one on every call). The finish keeps the
   * file when the run ends ok or with failed rows, and removes it otherwise (also when the job throws).
   */
  outcomeLog(): OutcomeLog;
}

export interface Job<S extends SummaryBase, P> {
  /** The command's summary.json (in its own key order) for a run that has not started yet. */
  summary(start: RunStart): S | Promise<S>;
  /** The log line that opens the run. */
  opening(summary: S): string;
  /** Moodle connections the session may hold at once; logWaiting: log a line when a call waits for one. */
  connections: number;
  logWaiting?: boolean;
  /** Values the closing sentence must never show (the password of `user password`). */
  secrets?: readonly string[];
  /** Work before the session (no Moodle call): the session it needs, or how the command ends without one. */
  prepare(summary: S): Promise<Prepared<P> | Ending>;
  /** How a session that could not open ends (exit 3; summary.error already names the refusal). */
  refused(refusal: SessionRefusal): Omit<Ending, 'exitCode' | 'rows'>;
  /** Plans and applies with the open session. */
  work(ctx: JobContext<S>, state: P): Promise<Ending | Applied<S>>;
  /** An error the command reports (its ending) instead of throwing; undefined: thrown on. */
  failed?(err: unknown, summary: S): Ending | undefined;
  /** Just before summary.json is written (run: archive the input) and just after (run: retention). */
  beforeReport?(summary: S): Promise<void>;
  afterReport?(summary: S): Promise<void>;
  /** What the ledger's run record keeps of an applied run. */
  record(summary: S): unknown;
}

export interface ConductorDeps {
  config: Config;
  logger: winston.Logger;
}

function isEnding<S extends SummaryBase>(x: Ending | Applied<S> | Prepared<unknown>): x is Ending {
  return 'status' in x;
}

/** Runs one job from its run id to its closing sentence; returns its summary (summary.exitCode is the exit code). */
export async function conduct<S extends SummaryBase, P>(job: Job<S, P>, deps: ConductorDeps): Promise<S> {
  requireMoodle(deps.config); // no Moodle configured: stop before any report folder exists
  // A run of many rows holds its plan until applied: garbage between collections is bounded by what is live.
  boundHeapGrowth();
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  // Every log line of the run names it (reports/mdlsync.log, --log-format json), also when runs overlap (schedule).
  return withRunId(runId, () => conductRun(job, deps, runId, startedAt));
}

async function conductRun<S extends SummaryBase, P>(job: Job<S, P>, deps: ConductorDeps, runId: string, startedAt: Date): Promise<S> {
  const { config, logger } = deps;
  const reportDir = await ensureReportDir(config.reports, runId);
  const summary = await job.summary({ runId, startedAt, reportDir });
  summary.by = whoWhere();
  summary.site = siteUrl(config.moodle.url);
  logger.info(job.opening(summary));

  const secrets = (job.secrets ?? []).filter((s) => s !== '');
  const redact = (m: string): string => secrets.reduce((text, s) => text.split(s).join('***'), m);
  let session: MoodleSession | null = null;
  // The ledger's run record: opened by the job's startRun, closed by finish (or, stopped midway, by the finally).
  let started = false;
  let recorded = false;
  let streamed = null as OutcomeLog | null;
  const outcomeLog = (): OutcomeLog => (streamed ??= new OutcomeLog(reportDir));

  const finish = async (end: Ending): Promise<S> => {
    await job.beforeReport?.(summary);
    summary.status = end.status;
    summary.exitCode = end.exitCode;
    summary.message = redact(end.message);
    const log = end.log ?? (end.rows ? await OutcomeLog.of(reportDir, end.rows) : undefined);
    if (log) summary.outcomes = { ...log.counts };
    addHints(summary, log?.failed);
    if (session && end.countCalls !== false) summary.moodleCalls = session.calls();
    summary.finishedAt = new Date().toISOString();
    if (log && (end.status === 'ok' || end.status === 'failed-rows')) await log.keep();
    // Streamed rows of an ending without rows.csv (a refusal, an outage), or of a job that handed back an array.
    await log?.discard();
    await streamed?.discard();
    await writeSummary(reportDir, summary);
    // The page is for reading; a page that cannot be written costs the run nothing but a warning.
    await writeHtmlReport(reportDir, summary, end.invalidRows ?? log?.failedRows, { secrets }).catch((err: unknown) =>
      logger.warn(`report.html could not be written: ${(err as Error).message}`),
    );
    await job.afterReport?.(summary);
    if (end.exitCode === EXIT.ok) logger.info(summary.message);
    else logger.warn(summary.message);
    if (started && session && summary.status !== 'aborted') {
      recorded = true;
      // A run that lost its lock cannot close its record: it stays `running` until the next open marks it interrupted.
      await session.ledger.finishRun(runId, summary.status, job.record(summary)).catch(lockLostOr(logger));
      await forgetOldImages(session.ledger, config.undoKeepDays, logger);
    }
    return summary;
  };

  /** Applied rows: counted first; the status, exit code and sentence follow from the counts. */
  const close = async (done: Applied<S>): Promise<Ending> => {
    const log = done.applied instanceof OutcomeLog ? done.applied : await OutcomeLog.of(reportDir, done.applied);
    summary.outcomes = { ...log.counts };
    const failed = summary.outcomes.failed > 0 || (done.incomplete ?? false);
    // The circuit breaker opened, or the writer lock was lost: the run stopped sending, which is no fault of some rows (exit 3).
    for (const code of STOPS) {
      const stopped = log.failed.filter((o) => o.errorcode === code);
      if (stopped.length === 0) continue;
      summary.error = { code, message: (stopped[0].message ?? '').replace(/(: this run stopped writing)?(; (not sent|unknown whether|another process)| Moodle took).*$/, '') };
      return {
        status: 'failed-rows',
        exitCode: EXIT.refused,
        message: `${done.closing(summary, failed)} The run stopped sending: ${summary.error.message}. The ${stopped.length} row(s) it did not apply are kept for the next try (the tryback or retry file).`,
        log,
      };
    }
    return {
      status: failed ? 'failed-rows' : 'ok',
      exitCode: failed ? EXIT.failedRows : EXIT.ok,
      message: done.closing(summary, failed),
      log,
    };
  };

  try {
    const prepared = await job.prepare(summary);
    if (isEnding(prepared)) return await finish(prepared);
    const open = new MoodleSession(config, runId, job.connections, job.logWaiting ? (line) => logger.info(line) : undefined);
    session = open;
    let end: Ending;
    try {
      const refusal = await open.open(prepared.open);
      if (refusal) {
        summary.error = { code: refusal.code, message: refusal.message };
        return await finish({ ...job.refused(refusal), exitCode: EXIT.refused });
      }
      const ctx: JobContext<S> = {
        runId,
        startedAt,
        reportDir,
        config,
        logger,
        summary,
        client: open.client,
        ledger: open.ledger,
        siteInfo: open.siteInfo,
        startRun: async (record) => {
          await open.ledger.startRun({ ...record, id: runId, startedAt: summary.startedAt });
          started = true;
        },
        outcomeLog,
      };
      const done = await job.work(ctx, prepared.state);
      end = isEnding(done) ? done : await close(done);
    } catch (err) {
      const reported = job.failed?.(err, summary) ?? ledgerEnding(err, summary) ?? (started ? undefined : outageEnding(err, summary));
      if (!reported) throw err;
      end = reported;
    }
    return await finish(end);
  } finally {
    await streamed?.discard();
    if (started && !recorded) await session?.ledger.finishRun(runId, 'aborted', null).catch(lockLostOr(logger));
    await session?.close();
  }
}

/**
 * The shared ledger failed the command before anything was sent: it cannot be reached (exit 3 ledger-unreachable),
 * or the writer lock was lost while planning (exit 3 ledger-lock-lost). Either way nothing was applied.
 */
function ledgerEnding(err: unknown, summary: SummaryBase): Ending | undefined {
  if (!(err instanceof MdlsyncError) || (err.code !== 'ledger-lock-lost' && err.code !== 'ledger-unreachable')) return undefined;
  summary.error = { code: err.code, message: err.message };
  const again = err.code === 'ledger-unreachable' ? 'Run the same command again once the ledger answers.' : 'Run the same command again.';
  return { status: 'aborted', exitCode: EXIT.refused, message: `Nothing was sent to Moodle: ${err.message.replace(/\.?$/, '.')} ${again}` };
}

/**
 * Moodle stopped answering a read the plan needed (its retries spent) before the run sent anything: an outage, as
 * when the site check fails (exit 3 unreachable), so watch and schedule keep the whole file for retry.
 */
function outageEnding(err: unknown, summary: SummaryBase): Ending | undefined {
  if (!(err instanceof TransientError) && !(err instanceof CircuitOpenError)) return undefined;
  summary.error = { code: 'unreachable', message: err.message };
  return { status: 'aborted', exitCode: EXIT.refused, message: `Nothing was sent to Moodle: it stopped answering while the run planned (${err.message}). Run the same command again once the site answers.` };
}

/** Retention of before-images (config undoKeepDays): those of runs older than that are forgotten; a failure is a warning. */
async function forgetOldImages(ledger: LedgerStore, keepDays: number, logger: winston.Logger): Promise<void> {
  try {
    const n = await ledger.images.purge(new Date(Date.now() - keepDays * 86_400_000));
    if (n > 0) logger.info(`retention: forgot the before-images of ${n} record(s) of runs older than ${keepDays} days (undoKeepDays)`);
  } catch (err) {
    logger.warn(`retention: the before-images of old runs were not forgotten: ${(err as Error).message}`);
  }
}

/** A ledger write after the lock was lost is logged, not thrown (the run's own report says what happened). */
function lockLostOr(logger: winston.Logger): (err: unknown) => void {
  return (err) => {
    if (!isLockLost(err)) throw err;
    logger.warn(`the run's record in the ledger stays open: ${err.message}`);
  };
}

/** The OS user and host running the command (a container without a passwd entry still has $USER or a uid). */
function whoWhere(): { user: string; host: string } {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return { user, host: hostname() };
}

/** The site's URL as the reports show it: no user or password, query or fragment (never the token). */
function siteUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return undefined;
  }
}
