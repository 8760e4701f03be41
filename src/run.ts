/**
 * One run end to end: read → plan → apply → report → archive. The single path used by `run`, `plan`, `watch`
 * and `schedule` (DESIGN §4), a job on the conductor (src/conductor.ts: session, report folder, counts, summary,
 * status and exit code). Returns the summary; the caller turns summary.exitCode into the process exit code.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type winston from 'winston';
import { EmailScanProbe, applyPlan, emailScanHint } from './apply/index.js';
import { lookupChunk } from './resolve/index.js';
import { linkConfirmer } from './resolve/confirm.js';
import type { Outcome } from './apply/types.js';
import { RUN_ORDER, entity, functionsOf, writesOf, type EntityLookup, type EntitySettings } from './entities/index.js';
import { ConfigError, type Config } from './config/index.js';
import { EXIT, applyOptions, conduct, startingSummary, type Ending, type Job, type RunStart } from './conductor.js';
import { FeedFileError, checkFeedPath, readRawRecords, type AnyFeed, type EntityRecord, type EntityType, type FeedEncoding, type FeedInfo } from './feed/index.js';
import { openFeedSet, type FeedSet } from './feed/feed-set.js';
import { planFeed, planFeedCompact } from './plan/chunks.js';
import { defaultPlanOptions } from './plan/index.js';
import type { Action, Op, Plan, PlanOptions } from './plan/types.js';
import type { CompactPlan } from './plan/compact.js';
import { Refusal } from './refusal.js';
import { heldRequest, holdRefused } from './held/store.js';
import {
  FailedRows,
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
  /** `--dialect NAME[/KIND]`: read the file as that format (detected from the header when omitted). */
  dialect?: string;
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
  requireFeedFile(req.file, 'applied');
  const dataSource = req.dataSource ?? config.dataSource ?? null;
  if (req.op === 'refresh-ds' && !dataSource) {
    throw new ConfigError('refresh-ds needs a data source: pass --datasource KEY or set dataSource in the config');
  }
  return conduct(runJob(req, deps, dataSource), deps);
}

/** One feed file as the conductor's job: read the header, plan, then (unless a dry run) apply, tryback and archive. */
function runJob(req: RunRequest, deps: RunDeps, dataSource: string | null): Job<RunSummary, FeedSet> {
  const { config, logger } = deps;
  const dryRun = req.dryRun ?? false;
  return {
    connections: config.moodle.concurrency + 2,
    logWaiting: true,
    summary: async (start) => newRunSummary(start, { file: req.file, sha256: await sha256File(req.file), type: req.type ?? null, op: req.op, dataSource, dryRun }),
    opening: (s) => `run ${s.runId}: ${req.op} ${req.file}${dataSource ? ` (data source ${dataSource})` : ''}${dryRun ? ' [dry run]' : ''}`,

    prepare: async (summary) => {
      const set = await openRequestedFeed(req, config, summary, 'applied');
      if ('status' in set) return set;
      summary.type = set.format.entities.join('+');
      for (const w of set.warnings) logger.warn(`not acted on: ${w}`);
      const functions = [...new Set(set.parts.flatMap((p) => functionsOf(p.info.type)))];
      // The lock covers only the types this file writes: a persons run and an enrolments run go side by side on PostgreSQL.
      return { open: { functions, lock: !dryRun, wait: req.wait, scope: writesOf(set.parts.map((p) => p.info)) }, state: set };
    },
    // A run refused before planning has always reported no Moodle calls.
    refused: (r) => ({ status: 'aborted', message: `Nothing was written: ${r.message}${r.stage === 'locked' ? '.' : ''}`, countCalls: false }),

    work: async ({ client, ledger, summary, reportDir, runId, startedAt, startRun, outcomeLog }, set) => {
      // A dry run streams its plan to plan.csv instead of holding every action; report.html lists its invalid rows.
      const planCsv = dryRun ? openPlanCsv(reportDir) : null;
      const lookupSize = lookupChunk(config.moodle.maxInputVars);
      const reads = { retries: config.moodle.retries, backoffMs: config.moodle.backoffMs };
      const settings = entitySettings(config);
      const planOptions = planOptionsFor(req, dataSource, config);
      if (planOptions.passwords === 'always') planOptions.passwordKey = await ledger.passwordKey();
      const multi = set.parts.length > 1;
      if (multi) summary.parts = [];
      const invalid = new FailedRows('invalid');
      const noteInvalid = (a: Action): void => {
        if (a.error) invalid.add({ line: a.line, key: a.key, type: multi ? a.entity : undefined, action: a.kind, code: a.error.code, message: a.error.message });
      };
      // The applied rows stream into rows.csv part after part; only the counts and the failed rows stay.
      const outcomes = outcomeLog();
      let incomplete = false;
      let started = false;
      // Lines an earlier part's row leaves alone as a whole (Upload users' "add new only" and an existing account).
      const skipped = new Set<number>();
      // What Moodle spends per created user: a scan of the user table per new email shows as a cost growing with it.
      const emailScan = new EmailScanProbe();

      // A file that fans out (an Upload users file: persons, then their enrolments…) runs its parts in run order, each
      // planned after the one before is applied, since what a later part names may be what an earlier one creates.
      for (const [i, feed] of set.parts.entries()) {
        const type = feed.info.type;
        // Only a part with parts after it can leave lines for them to skip: a native file pays nothing per row.
        const laterParts = i < set.parts.length - 1;
        // A part that only makes sure its records exist stores on a store or refresh, and is left alone by a delete.
        const storeOnly = set.storeOnly.has(type);
        if (storeOnly && req.op === 'delete') continue;
        const partOptions = storeOnly ? { ...planOptions, op: 'store' as const } : planOptions;
        const lookup = entity(type).lookup(client, ledger, { ...reads, chunkSize: lookupSize }, settings) as EntityLookup<EntityRecord>;
        const noteSkip = (a: Action): void => {
          if (laterParts && a.skipsLine && a.line !== null) skipped.add(a.line);
        };
        const planned = skipped.size > 0 ? withoutLines(feed, skipped) : feed;
        const planning = { lookup, chunkSize: 2 * lookupSize, confirm: linkConfirmer(feed.info, client, reads), ...settings };
        // A run keeps its plan compact until it is applied (CompactActions); a dry run keeps none of it.
        const plan: Plan | CompactPlan = planCsv
          ? await planFeed(planned, partOptions, ledger, {
              ...planning,
              sink: (a) => {
                noteSkip(a);
                noteInvalid(a);
                planCsv.write(a);
              },
            })
          : await planFeedCompact(planned, partOptions, ledger, planning);
        if (laterParts) for (const a of plan.actions) noteSkip(a);
        logger.debug(`planned ${plan.rows} ${type} rows in ${elapsed(startedAt)}`);
        summary.rows = Math.max(summary.rows, plan.rows);
        summary.planned = addCounts(summary.planned, plan.counts);
        summary.guard = plan.guard ?? summary.guard;
        const part = multi ? { type, rows: plan.rows, planned: plan.counts, guard: plan.guard, outcomes: null as RunSummary['outcomes'] | null } : null;
        if (part) summary.parts!.push(part);

        if (plan.guard?.refused) {
          await planCsv?.close();
          if (!dryRun) await writePlanCsv(reportDir, plan.actions);
          if (!dryRun) for (const a of plan.actions) noteInvalid(a);
          const what = dryRun ? `Dry run: this ${req.op === 'refresh' || req.op === 'refresh-ds' ? 'refresh' : 'run'} would be refused` : 'Refused, nothing was written';
          const before = outcomes.total > 0 ? ` (the ${set.parts.slice(0, i).map((p) => p.info.type).join(' and ')} rows before it were applied)` : '';
          const where = multi ? ` for its ${type} rows` : '';
          // A whole file refused keeps its plan for `mdlsync approve` (a file that fans out is run again instead).
          const held = !dryRun && !multi ? await holdRefused(config, { runId, file: req.file, sha256: summary.sha256, request: heldRequest(req, type, dataSource), plan: { ...plan, actions: [...plan.actions] }, ledger }) : null;
          if (held) summary.held = { runId: held.runId, approve: held.approve, discard: held.discard };
          if (held && held.replaced.length > 0) deps.logger.info(`the held plan(s) ${held.replaced.join(', ')} of the same file were replaced by this one`);
          const keep = held ? `. The plan is held: apply it as planned with ${held.approve}, or drop it with ${held.discard}` : '';
          if (outcomes.total === 0) return { status: 'refused', exitCode: EXIT.refused, message: `${what}${where}: ${plan.guard.message}${keep}`, invalidRows: invalid };
          summary.tryback = await writeTrybackFor(set.source, outcomes.failed, reportDir);
          return { applied: outcomes, incomplete: true, closing: () => `Refused${where}, nothing of them was written${before}: ${plan.guard!.message}` };
        }
        if (dryRun) continue;
        if (!started) {
          await startRun({ file: req.file, sha256: summary.sha256, type, op: req.op, dataSource });
          started = true;
        }
        const before = { ...outcomes.counts };
        await applyPlan(plan, { client, ledger, runId, options: applyOptions(config), onProgress: (p) => deps.progress?.update(p), onCall: emailScan.observe, onOutcome: (o) => outcomes.add(o) });
        if (part) part.outcomes = countsSince(before, outcomes.counts);
        incomplete ||= plan.guard?.disablesSkipped ?? false;
        logger.debug(`applied ${type} after ${elapsed(startedAt)}`);
      }
      await planCsv?.close();
      if (dryRun) {
        const unread = summary.guard?.unreadable || summary.guard?.disablesHeld ? ` ${summary.guard.message}.` : '';
        // Each part was planned against the site as it is: what an earlier part would create is not there yet.
        const later = multi ? ` The ${set.parts.slice(1).map((p) => p.info.type).join(', ')} rows were planned as the site is now: those naming what the ${set.parts[0].info.type} rows would create show as unknown, and are applied after them in a run.` : '';
        return {
          status: 'dry-run',
          exitCode: EXIT.ok,
          message: `Dry run: nothing was written. The plan is in ${reportDir}/plan.csv.${unread}${later}`,
          invalidRows: invalid,
        };
      }
      deps.progress?.stop();
      const scan = emailScan.finding();
      if (scan) {
        summary.siteHints = [emailScanHint(scan)];
        logger.warn(`site: ${summary.siteHints[0].message}`);
      }
      const transient = req.retryDir ? outcomes.failed.filter(isTransientFailure) : [];
      summary.tryback = await writeTrybackFor(set.source, transient.length > 0 ? outcomes.failed.filter((o) => !isTransientFailure(o)) : outcomes.failed, reportDir);
      if (transient.length > 0) summary.retry = await keepForRetry(set.source, transient, req.retryDir as string, runId);
      logger.debug(`reported after ${elapsed(startedAt)}`);
      // Disables a refresh held back (unreadable rows) leave the run incomplete even when no row failed.
      const guard = summary.guard;
      return { applied: outcomes, incomplete, closing: (s) => closing(s, guard, reportDir, req.op) };
    },

    // The input is archived whatever the ending (never on a dry run); retention never touches this run's own folders.
    beforeReport: async (summary) => {
      if (!dryRun) summary.archivedAs = await archiveInput(req.file, config.archive, summary.runId, new Date(summary.startedAt));
    },
    afterReport: async (summary) => {
      if (!dryRun) await retainOutputs({ ...config, runId: summary.runId }, logger);
    },
    // The file's format goes into the run record too: `export ids` answers each type in the header style it was fed in.
    record: (s) => ({ planned: s.planned, outcomes: s.outcomes, exitCode: s.exitCode, format: s.format }),
  };
}

/** The closing sentence of an applied run: what failed and what to do next. */
function closing(summary: RunSummary, guard: Plan['guard'], reportDir: string, op: Op): string {
  const failed = summary.outcomes.failed;
  // Unreadable rows in a refresh: say why nothing was disabled (or, forced, what was risked) before the rows' advice.
  // Unreadable rows, or an additions-only window that held the disables: the verdict says what was not done.
  const unread = guard?.unreadable || guard?.disablesHeld ? `${guard.message}. ` : '';
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

/** Opens the file a run (or a diff) names, read as the request and the config say (format, delimiter, encoding, dates). */
/**
 * The input exists and is a regular file: a folder or a FIFO is refused before anything opens it (a FIFO would hang)
 * and before a report folder exists ("The file was not VERB: why.").
 */
export function requireFeedFile(file: string, verb: string): void {
  if (!existsSync(file)) throw new ConfigError(`input file ${file} does not exist`);
  try {
    checkFeedPath(file);
  } catch (err) {
    if (err instanceof FeedFileError) throw new Refusal(`The file was not ${verb}: ${err.message}.`);
    throw err;
  }
}

/**
 * The feed the command names, with its format and warnings put into the summary; a file that cannot be read ends the
 * command instead (exit 3, summary.error): "The file was not VERB: why. Fix the file and run it again."
 */
export async function openRequestedFeed(
  req: Pick<RunRequest, 'file' | 'type' | 'dialect' | 'delimiter' | 'encoding'>,
  config: Config,
  summary: Pick<RunSummary, 'error' | 'format' | 'warnings'>,
  verb: string,
): Promise<FeedSet | Ending> {
  let set: FeedSet;
  try {
    set = await openFeedSet(req.file, {
      type: req.type,
      dialect: req.dialect,
      dialectSettings: config.dialects,
      delimiter: req.delimiter,
      encoding: req.encoding,
      pathSeparator: config.courses.pathSeparator,
      timezone: config.courses.timezone,
    });
  } catch (err) {
    if (!(err instanceof FeedFileError)) throw err;
    summary.error = { code: err.code, message: err.message };
    return { status: 'aborted', exitCode: EXIT.refused, message: `The file was not ${verb}: ${err.message}. Fix the file and run it again.` };
  }
  summary.format = set.format;
  if (set.warnings.length > 0) summary.warnings = [...set.warnings];
  return set;
}

export function planOptionsFor(req: RunRequest, dataSource: string | null, config: Config): PlanOptions {
  return defaultPlanOptions({
    op: req.op,
    dataSource,
    full: req.full ?? false,
    force: req.force ?? false,
    passwords: config.persons.passwords,
    disable: config.persons.disable,
    guard: {
      maxPercent: config.guard.maxPercent,
      maxCount: config.guard.maxCount,
      maxUpdatePercent: config.guard.maxUpdatePercent,
      updateMinOwned: config.guard.updateMinOwned,
      additionsOnly: config.guard.additionsOnly,
      timezone: config.courses.timezone,
    },
    // The planner reads no clock: the additions-only windows are checked against the run's start, given here.
    now: Date.now(),
    dataSourceFamilies: config.dataSourceFamilies,
  });
}

/**
 * The files of a multi-file run in dependency order: a file goes after the files holding what its rows refer to
 * (categories before courses, sections before the enrollments that join them …, by the entities' dependsOn), else
 * in the run order of its first part, and within that in the given order. A dialect file that fans out into several
 * entities (Canvas enrollments.csv: enrolments and section memberships) waits for everything any of its parts needs.
 * A file whose header cannot be read keeps its turn at the end, where its run reports the problem.
 */
export async function orderByDependency(files: readonly string[], opts: { type?: EntityType; delimiter?: string; encoding?: FeedEncoding; dialect?: string } = {}): Promise<string[]> {
  if (opts.type !== undefined || files.length < 2) return [...files];
  const read = await Promise.all(
    files.map(async (file, i) => {
      try {
        const set = await openFeedSet(file, { delimiter: opts.delimiter, encoding: opts.encoding, dialect: opts.dialect });
        const types = set.parts.map((p) => p.info.type);
        return { file, i, rank: RUN_ORDER.indexOf(types[0]), types, needs: needsOf(types) };
      } catch {
        return { file, i, rank: RUN_ORDER.length, types: [] as EntityType[], needs: new Set<EntityType>() };
      }
    }),
  );
  const waiting = read.sort((a, b) => a.rank - b.rank || a.i - b.i);
  const out: string[] = [];
  while (waiting.length > 0) {
    const needsWaiting = (f: (typeof waiting)[number]): boolean => waiting.some((o) => o !== f && o.types.some((t) => f.needs.has(t)) && !f.types.some((t) => o.needs.has(t)));
    // The first file nothing still waiting provides for; two files needing each other keep the run order.
    const next = Math.max(0, waiting.findIndex((f) => !needsWaiting(f)));
    out.push(waiting.splice(next, 1)[0].file);
  }
  return out;
}

/** Every type the records of these types refer to (dependsOn, followed through), but themselves. */
function needsOf(types: readonly EntityType[]): Set<EntityType> {
  const needs = new Set<EntityType>();
  const stack = types.flatMap((t) => entity(t).dependsOn);
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (needs.has(t)) continue;
    needs.add(t);
    stack.push(...entity(t).dependsOn);
  }
  for (const t of types) needs.delete(t);
  return needs;
}

/** A run's summary before anything happened: what it runs, and every count at zero (run, approve). */
export function newRunSummary(
  start: RunStart,
  what: Pick<RunSummary, 'file' | 'sha256' | 'type' | 'op' | 'dataSource' | 'dryRun'> & Partial<RunSummary>,
): RunSummary {
  return {
    ...startingSummary(start),
    rows: 0,
    planned: null,
    guard: null,
    archivedAs: null,
    tryback: null,
    ...what,
  };
}

/** A row Moodle could not take (outage, timeout, 5xx, the breaker open, the ledger's lock lost) rather than one it refused: worth sending again as it is. */
function isTransientFailure(o: Outcome): boolean {
  return o.outcome === 'failed' && (o.errorcode === 'transient' || o.errorcode === 'circuit-open' || o.errorcode === 'ledger-lock-lost') && o.line !== null;
}

/** The transient rows as a file of their own (the tryback writer: input header, encoding, line ending; 0600). */
async function keepForRetry(source: FeedInfo, rows: readonly Outcome[], retryDir: string, runId: string): Promise<RunSummary['retry']> {
  await mkdir(retryDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(retryDir, `.${runId}-`));
  try {
    const written = await writeTrybackFor(source, rows, staging);
    if (!written) return null;
    // A retry's own retry keeps the dropped file's name: RUNID__NAME, never RUNID__RUNID__NAME.
    const file = join(retryDir, `${runId}__${basename(source.path).replace(/^\d{8}T\d{9}Z-[0-9a-f]+__/, '')}`);
    await rename(written, file);
    return { file, rows: rows.length, error: rows[0].message ?? 'Moodle could not be reached' };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The failed rows' source lines, once each (a line whose person and enrolment both failed is written once). */
async function writeTrybackFor(source: FeedInfo, outcomes: readonly Outcome[], reportDir: string): Promise<string | null> {
  const seen = new Set<number>();
  const failed = outcomes.filter((o) => o.outcome === 'failed' && o.line !== null && !seen.has(o.line) && seen.add(o.line) !== undefined);
  if (failed.length === 0) return null;
  const raw = await readRawRecords(source, new Set(failed.map((o) => o.line as number)));
  return writeTryback(reportDir, source, failed, raw, await detectEol(source.path));
}

/** A part's feed without the rows of the given lines (an earlier part left those lines alone). */
function withoutLines(feed: AnyFeed, lines: ReadonlySet<number>): AnyFeed {
  const items = feed.items as () => AsyncIterable<{ line: number }>;
  return {
    info: feed.info,
    async *items() {
      for await (const item of items()) if (!lines.has(item.line)) yield item;
    },
  } as AnyFeed;
}

/** What a part added to the run's outcome counts. */
function countsSince(before: RunSummary['outcomes'], now: RunSummary['outcomes']): RunSummary['outcomes'] {
  const out = { ...now };
  for (const k of Object.keys(out) as Array<keyof typeof out>) out[k] -= before[k];
  return out;
}

/** The planned counts of a file's parts, added up. */
function addCounts(a: Plan['counts'] | null, b: Plan['counts']): Plan['counts'] {
  if (!a) return { ...b };
  const out = { ...a };
  for (const k of Object.keys(b) as Array<keyof Plan['counts']>) out[k] += b[k];
  return out;
}
