/**
 * `mdlsync schedule`: the config's jobs on their cron expressions. One run of a job at a time (a tick while it still
 * runs is skipped and logged); a missing file or an empty glob is "nothing to do"; a failing job is logged and the
 * others go on. Refresh jobs need `allowRefresh: true` (checked when the config loads); `force` only overrides the guard.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import picomatch from 'picomatch';
import type winston from 'winston';
import { ConfigError, configForTarget, type Config, type JobConfig } from '../config/index.js';
import type { EntityType } from '../entities/index.js';
import { openLedger, type LedgerStore } from '../ledger/index.js';
import type { RunSummary } from '../report/index.js';
import { byDependencyThenAge, isIgnoredName, typeFromName } from './classify.js';
import { keepForRetry, tryRetry, type RetryContext } from './retry.js';
import { isOutage, runTarget, worstExit } from './runner.js';
import { runPictures } from '../pictures/run.js';
import { mirrorPass } from '../mirror/job.js';
import { announceHeld } from '../held/announce.js';

/** Default seconds a scheduled run waits for the ledger's writer lock (another job, a watcher, a manual run). */
const DEFAULT_LOCK_WAIT = 600;

export interface JobFileResult {
  file: string;
  exitCode: number;
  message: string;
  summary?: RunSummary;
}

export interface JobResult {
  job: string;
  /** waiting: rows Moodle could not take are kept for retry (and the job's files wait behind them). */
  status: 'nothing-to-do' | 'ok' | 'failed' | 'waiting';
  /** The worst exit code of the job's runs (0 when there was nothing to do). */
  exitCode: number;
  files: JobFileResult[];
}

export interface JobStats {
  runs: number;
  skipped: number;
  failed: number;
  nothingToDo: number;
  lastExitCode: number | null;
}

export interface ScheduleOptions {
  config: Config;
  logger: winston.Logger;
  /** Defaults to config.jobs. */
  jobs?: JobConfig[];
  /** Called after each run of a job (not for skipped ticks). */
  onJob?: (result: JobResult) => void;
}

export interface ScheduleHandle {
  stats: ReadonlyMap<string, JobStats>;
  /** Stop the timers and wait for runs in progress to finish. */
  stop(): Promise<void>;
}

interface Deps {
  config: Config;
  logger: winston.Logger;
}

/** Files a glob matches (dotfiles, *.part and *.tmp left out). */
export async function expandGlob(pattern: string): Promise<string[]> {
  const { base, glob, isGlob } = picomatch.scan(pattern);
  if (!isGlob) return existsSync(pattern) ? [pattern] : [];
  const root = base || '.';
  if (!existsSync(root)) return [];
  const isMatch = picomatch(glob, { dot: false });
  const deep = glob.includes('/');
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: deep })) {
    if (!e.isFile() || isIgnoredName(e.name)) continue;
    const full = join(e.parentPath, e.name);
    const rel = full.slice(root.length + 1).split('\\').join('/');
    if (isMatch(rel)) out.push(full);
  }
  return out;
}

/**
 * Runs one job now: its file, or its glob's files in dependency order then oldest first. Without a job type, a file
 * named TYPE.… is run as that type (as in the drop folder); otherwise runFile infers the type from the headers.
 */
export async function runJob(job: JobConfig, jobDeps: Deps): Promise<JobResult> {
  // A job that names a site runs with that site's config: its Moodle, ledger (and so its retries), reports, archive.
  const deps = { ...jobDeps, config: configForTarget(jobDeps.config, job.site) };
  if (job.mirror) return runMirrorJob(job, deps);
  const ledger = await openLedger(deps.config);
  try {
    return await runJobWith(job, deps, ledger);
  } finally {
    await ledger.close();
  }
}

/** Where a job's retry files are kept: next to the ledger, which holds their rows. */
export function jobRetryDir(config: Config): string {
  return join(config.stateDir, 'retry');
}

async function runJobWith(job: JobConfig, deps: Deps, ledger: LedgerStore): Promise<JobResult> {
  const { logger } = deps;
  const wait = job.wait ?? DEFAULT_LOCK_WAIT;
  if (job.pictures !== undefined) return runPicturesJob(job, job.pictures, deps, wait);
  const retries: RetryContext = {
    ...deps,
    ledger,
    // A shared (PostgreSQL) ledger holds every host's retries, but a job's retry file is on the host that ran it:
    // each host tries its own. A SQLite ledger is one machine's, and keeps the name earlier versions gave.
    source: ledger.backend === 'postgres' ? `job:${job.name}@${hostname()}` : `job:${job.name}`,
    retryDir: jobRetryDir(deps.config),
    who: { id: `${hostname()}:${process.pid}:${randomUUID()}`, pid: process.pid, host: hostname() },
    wait,
  };
  // Rows an earlier run could not send go first, once their delay is over.
  const files: JobFileResult[] = [];
  for (let r = await ledger.retries.claimDue(retries.source, Date.now(), retries.who); r; r = await ledger.retries.claimDue(retries.source, Date.now(), retries.who)) {
    const t = await tryRetry(retries, r);
    const v = t.verdict;
    files.push(v.kind === 'error' ? { file: r.file, exitCode: v.exitCode, message: v.reason } : { file: r.file, exitCode: v.summary.exitCode, message: v.summary.message, summary: v.summary });
  }
  const waiting = await ledger.retries.list(retries.source);
  if (waiting.length > 0) {
    // The job's files wait behind them, so an older file's rows never land over a newer file's.
    const w = waiting[0];
    logger.warn(`job ${job.name}: waiting for retry #${w.id} (${w.name}, next try at ${new Date(w.nextAt).toISOString()}); its files are left for a later tick`);
    return { job: job.name, status: 'waiting', exitCode: worstExit([2, ...files.map((f) => f.exitCode)]), files };
  }
  const found = job.file ? (existsSync(job.file) ? [job.file] : []) : await expandGlob(job.glob as string);
  if (found.length === 0 && files.length > 0) return finishJob(job, files, logger);
  if (found.length === 0) {
    logger.info(`job ${job.name}: nothing to do (${job.file ? `${job.file} does not exist` : `no file matches ${job.glob}`})`);
    return { job: job.name, status: 'nothing-to-do', exitCode: 0, files: [] };
  }
  const ordered: { name: string; path: string; type?: EntityType; mtimeMs: number }[] = [];
  for (const path of found) {
    const st = await stat(path).catch(() => null);
    if (st) ordered.push({ name: basename(path), path, type: job.type ?? typeFromName(basename(path)), mtimeMs: st.mtimeMs });
  }
  ordered.sort(byDependencyThenAge);
  const consume = job.consume ?? Boolean(job.glob);
  for (const f of ordered) {
    logger.info(`job ${job.name}: ${job.op} ${f.path}`);
    const verdict = await runTarget(
      { file: f.path, type: f.type, op: job.op, dataSource: job.datasource, force: job.force, wait, retryDir: retries.retryDir },
      deps,
    );
    if (verdict.kind === 'error') {
      logger.error(`job ${job.name}: ${f.path} failed: ${verdict.reason}`);
      files.push({ file: f.path, exitCode: verdict.exitCode, message: verdict.reason });
      continue;
    }
    const s = verdict.summary;
    files.push({ file: f.path, exitCode: s.exitCode, message: s.message, summary: s });
    // A refused refresh's plan is held for `mdlsync approve`: said in the log and to onHeld; the file stays.
    if (s.held) await announceHeld(deps.config, logger, s, { by: 'schedule', file: f.path });
    // Only an applied file is consumed: one that was refused (or Moodle was down) stays for the next tick.
    if (consume && verdict.kind === 'applied') await rm(f.path, { force: true });
    // Moodle down before the file could run: it runs again next tick, so the later files wait for it there, or its
    // older rows would land over theirs.
    if (isOutage(verdict)) {
      const later = ordered.length - ordered.indexOf(f) - 1;
      if (later > 0) logger.warn(`job ${job.name}: ${f.name} waits for Moodle; the job's ${later} later file(s) wait behind it until the next tick`);
      return { ...finishJob(job, files, logger), status: 'waiting' };
    }
    // Its rows Moodle could not take wait for retry; the job's later files wait behind them.
    const kept = await keepForRetry(retries, { name: f.name, path: f.path, type: f.type, op: job.op, dataSource: job.datasource, force: job.force }, verdict, false);
    if (kept) return { ...finishJob(job, files, logger), status: 'waiting' };
  }
  return finishJob(job, files, logger);
}

/**
 * A pictures job: `mdlsync pictures` on its folder or zip (unchanged pictures cost nothing, so a nightly job only
 * sends what changed). A missing source is nothing to do; failed pictures wait in the run's tryback folder.
 */
async function runPicturesJob(job: JobConfig, source: string, deps: Deps, wait: number): Promise<JobResult> {
  if (!existsSync(source)) {
    deps.logger.info(`job ${job.name}: nothing to do (${source} does not exist)`);
    return { job: job.name, status: 'nothing-to-do', exitCode: 0, files: [] };
  }
  deps.logger.info(`job ${job.name}: pictures ${source}`);
  const { summary } = await runPictures({ source, match: job.match ?? deps.config.pictures.match, wait }, deps);
  return finishJob(job, [{ file: source, exitCode: summary.exitCode, message: summary.message }], deps.logger);
}

/** A mirror job: one mirror pass (`mdlsync mirror`), its report in reports/RUNID/ like any run. */
async function runMirrorJob(job: JobConfig, deps: Deps): Promise<JobResult> {
  deps.logger.info(`job ${job.name}: mirror pass${job.full ? ' (full)' : ''}`);
  const s = await mirrorPass({ full: job.full, wait: job.wait ?? DEFAULT_LOCK_WAIT }, deps);
  return finishJob(job, [{ file: s.database, exitCode: s.exitCode, message: s.message }], deps.logger);
}

function finishJob(job: JobConfig, files: JobFileResult[], logger: winston.Logger): JobResult {
  const exitCode = worstExit(files.map((f) => f.exitCode));
  const result: JobResult = { job: job.name, status: exitCode === 0 ? 'ok' : 'failed', exitCode, files };
  const line = `job ${job.name}: ${files.length} file(s), exit ${exitCode}${exitCode === 0 ? '' : `: ${files.filter((f) => f.exitCode !== 0).map((f) => `${basename(f.file)}: ${f.message}`).join(' | ')}`}`;
  if (exitCode === 0) logger.info(line);
  else logger.warn(line);
  return result;
}

export function findJob(config: Config, name: string): JobConfig {
  const jobs = config.jobs ?? [];
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new ConfigError(`no job named "${name}" in the config${jobs.length ? ` (jobs: ${jobs.map((j) => j.name).join(', ')})` : ': add it under "jobs"'}`);
  return job;
}

export function startSchedule(opts: ScheduleOptions): ScheduleHandle {
  const { config, logger } = opts;
  const jobs = opts.jobs ?? config.jobs ?? [];
  if (jobs.length === 0) throw new ConfigError('no jobs to schedule: add them under "jobs" in the config');
  // node-cron's own warnings (missed ticks after a blocked event loop) go to our log, not to the console.
  cron.setLogger({
    info: (m) => logger.debug(`cron: ${m}`),
    warn: (m) => logger.warn(`cron: ${m}`),
    error: (m) => logger.error(`cron: ${String(m)}`),
    debug: (m) => logger.debug(`cron: ${String(m)}`),
  });
  const stats = new Map<string, JobStats>();
  const inFlight = new Map<string, Promise<void>>();
  const tasks: ScheduledTask[] = [];
  let stopping = false;

  const tick = (job: JobConfig): void => {
    const s = stats.get(job.name) as JobStats;
    if (stopping) return;
    if (inFlight.has(job.name)) {
      s.skipped++;
      logger.warn(`job ${job.name}: tick skipped, the previous run is still going`);
      return;
    }
    const run = (async () => {
      try {
        const result = await runJob(job, { config, logger });
        if (result.status === 'nothing-to-do') s.nothingToDo++;
        else s.runs++;
        if (result.status === 'failed') s.failed++;
        s.lastExitCode = result.exitCode;
        opts.onJob?.(result);
      } catch (err) {
        s.runs++;
        s.failed++;
        s.lastExitCode = 1;
        logger.error(`job ${job.name}: ${(err as Error).message}`);
      } finally {
        inFlight.delete(job.name);
      }
    })();
    inFlight.set(job.name, run);
  };

  for (const job of jobs) {
    stats.set(job.name, { runs: 0, skipped: 0, failed: 0, nothingToDo: 0, lastExitCode: null });
    tasks.push(cron.schedule(job.cron, () => tick(job), { name: `mdlsync:${job.name}`, timezone: job.timezone }));
    logger.info(`schedule: job ${job.name} on "${job.cron}"${job.timezone ? ` (${job.timezone})` : ''}${job.site ? `, site ${job.site}` : ''}: ${job.mirror ? 'mirror pass' : job.pictures !== undefined ? `pictures ${job.pictures}` : `${job.op} ${job.file ?? job.glob}`}`);
  }

  return {
    stats,
    async stop() {
      stopping = true;
      for (const t of tasks) await t.destroy();
      await Promise.all(inFlight.values());
      logger.info('schedule: stopped');
    },
  };
}
