/**
 * `mdlsync approve RUNID`: a held plan applied exactly as planned, as a run of its own (report, tryback, archive,
 * the writer lock), when nothing it touches changed since (src/held/changes.ts). Otherwise the kept input is planned
 * again with the same options, the difference is printed, and the new plan is held under this run's id: exit 3, to be
 * approved in its turn. `mdlsync discard RUNID` drops a held plan.
 */
import type winston from 'winston';
import { applyPlan } from '../apply/index.js';
import { EXIT, applyOptions, conduct, type Job } from '../conductor.js';
import type { Config } from '../config/index.js';
import { entity, functionsOf, type EntityLookup } from '../entities/index.js';
import type { EntityRecord } from '../feed/index.js';
import type { FeedSet } from '../feed/feed-set.js';
import { openLedger } from '../ledger/index.js';
import { planFeed } from '../plan/chunks.js';
import type { Plan } from '../plan/types.js';
import { Refusal } from '../refusal.js';
import { archiveInput, retainOutputs, writeTryback, detectEol, type ProgressSink, type RunSummary } from '../report/index.js';
import { readRawRecords } from '../feed/index.js';
import { linkConfirmer } from '../resolve/confirm.js';
import { lookupChunk } from '../resolve/index.js';
import { entitySettings, newRunSummary, openRequestedFeed, planOptionsFor } from '../run.js';
import { changesSince, planDifference } from './changes.js';
import { closeHeldRun, dropHeld, holdRefused, loadHeld, type HeldPlan } from './store.js';

export interface ApproveDeps {
  config: Config;
  logger: winston.Logger;
  progress?: ProgressSink;
}

/** Applies a held plan (or holds its re-plan); the summary's exitCode is the command's. */
export async function approveHeld(runId: string, deps: ApproveDeps, opts: { wait?: number } = {}): Promise<RunSummary> {
  const held = await loadHeld(deps.config, runId);
  if (!held) throw new Refusal(`no held plan ${runId}: mdlsync held lists them`);
  return conduct(approveJob(held, deps, opts.wait), deps);
}

/** Drops a held plan (its run record says `discarded`); false when there was none. */
export async function discardHeld(runId: string, config: Config): Promise<boolean> {
  if (!(await dropHeld(config, runId))) return false;
  const ledger = await openLedger(config);
  try {
    await closeHeldRun(ledger, runId, 'discarded', {});
  } finally {
    await ledger.close();
  }
  return true;
}

function approveJob(held: HeldPlan, deps: ApproveDeps, wait: number | undefined): Job<RunSummary, FeedSet> {
  const { config, logger } = deps;
  const req = held.request;
  let applied = false;
  // The input archived with this run: the held one, or the copy kept with a re-plan held under this run's id.
  let input = held.input;
  return {
    connections: config.moodle.concurrency + 2,
    logWaiting: true,
    summary: (start) =>
      newRunSummary(start, { file: held.file, sha256: held.sha256, type: req.type, op: req.op, dataSource: req.dataSource, dryRun: false, rows: held.rows, planned: held.counts, approved: held.runId }),
    opening: (s) => `run ${s.runId}: approve held plan ${held.runId} (${req.op} ${held.file})`,
    prepare: async (summary) => {
      const set = await openRequestedFeed({ file: held.input, type: req.type, dialect: req.dialect, delimiter: req.delimiter, encoding: req.encoding }, config, summary, 'applied');
      if ('status' in set) return set;
      return { open: { functions: functionsOf(req.type), lock: true, wait }, state: set };
    },
    refused: (r) => ({ status: 'aborted', message: `Nothing was written: ${r.message}${r.stage === 'locked' ? '.' : ''}`, countCalls: false }),

    work: async ({ client, ledger, summary, reportDir, runId, startRun, outcomeLog }, set) => {
      const changed = await changesSince(held, ledger, client, lookupChunk(config.moodle.maxInputVars));
      if (changed.length > 0) {
        const plan = await replan(set, held, config, ledger, client);
        const again = await holdRefused(config, { runId, file: held.file, copyFrom: held.input, sha256: held.sha256, request: req, plan, ledger });
        await dropHeld(config, held.runId);
        await closeHeldRun(ledger, held.runId, 'superseded', { by: runId });
        summary.held = { runId: again.runId, approve: again.approve, discard: again.discard };
        input = again.input;
        summary.planned = plan.counts;
        summary.guard = plan.guard;
        summary.error = { code: 'held-changed', message: `what held plan ${held.runId} touches changed since it was made` };
        const shown = changed.slice(0, 5).join('; ') + (changed.length > 5 ? `; … ${changed.length - 5} more` : '');
        // One sentence: the console shows a summary's message on one line.
        const diff = planDifference(held, plan)
          .map((l) => l.trim())
          .join('; ');
        return {
          status: 'refused',
          exitCode: EXIT.refused,
          message: `Nothing was written: what held plan ${held.runId} touches changed since it was made (${shown}). Planned again as ${runId}: ${diff}. Approve the new plan with ${again.approve}, or drop it with ${again.discard}.`,
        };
      }
      summary.guard = { ...held.guard, refused: false, forced: true, message: `approved (held as ${held.runId}): ${held.guard.message}` };
      await startRun({ file: held.file, sha256: held.sha256, type: req.type, op: req.op, dataSource: req.dataSource });
      const outcomes = outcomeLog();
      await applyPlan({ actions: held.actions }, { client, ledger, runId, options: applyOptions(config), onProgress: (p) => deps.progress?.update(p), onOutcome: (o) => outcomes.add(o) });
      deps.progress?.stop();
      applied = true;
      await closeHeldRun(ledger, held.runId, 'approved', { by: runId });
      const failed = outcomes.failed.filter((o) => o.line !== null);
      if (failed.length > 0) {
        const lines = [...new Set(failed.map((o) => o.line as number))];
        const raw = await readRawRecords(set.source, new Set(lines));
        summary.tryback = await writeTryback(reportDir, set.source, failed, raw, await detectEol(set.source.path));
      }
      return {
        applied: outcomes,
        closing: (s) =>
          s.outcomes.failed > 0
            ? `Held plan ${held.runId} applied; ${s.outcomes.failed} row(s) failed: see ${reportDir}/rows.csv${s.tryback ? ` and the tryback file ${s.tryback}` : ''}.`
            : `Held plan ${held.runId} applied as planned.`,
      };
    },
    beforeReport: async (summary) => {
      summary.archivedAs = await archiveInput(input, config.archive, summary.runId, new Date(summary.startedAt));
      // Applied: the plan is spent. Refused before it could start (locked, preflight): it stays held.
      if (applied) await dropHeld(config, held.runId);
    },
    afterReport: async (summary) => {
      await retainOutputs({ ...config, runId: summary.runId }, logger);
    },
    record: (s) => ({ planned: s.planned, outcomes: s.outcomes, exitCode: s.exitCode, approved: held.runId }),
  };
}

/** The kept input planned again as the held run planned it (same op, data source, --full and --force). */
async function replan(set: FeedSet, held: HeldPlan, config: Config, ledger: Parameters<typeof planFeed>[2], client: Parameters<typeof linkConfirmer>[1]): Promise<Plan> {
  const req = held.request;
  const options = planOptionsFor({ file: held.input, op: req.op, full: req.full, force: req.force }, req.dataSource, config);
  if (options.passwords === 'always') options.passwordKey = await ledger.passwordKey();
  const feed = set.parts[0];
  const lookupSize = lookupChunk(config.moodle.maxInputVars);
  const reads = { retries: config.moodle.retries, backoffMs: config.moodle.backoffMs };
  const settings = entitySettings(config);
  const lookup = entity(feed.info.type).lookup(client, ledger, { ...reads, chunkSize: lookupSize }, settings) as EntityLookup<EntityRecord>;
  return planFeed(feed, options, ledger, { lookup, chunkSize: 2 * lookupSize, confirm: linkConfirmer(feed.info, client, reads), ...settings });
}
