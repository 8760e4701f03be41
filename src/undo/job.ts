/**
 * `mdlsync undo RUNID`: the plan that reverses a run (plan.ts), printed as a dry run by default (plan.csv), applied
 * with `--apply` as a run of its own: the conductor's session and writer lock, the guard, rows.csv, summary.json,
 * report.html, and its own before-images, so an undo can be undone in its turn.
 */
import type winston from 'winston';
import { applyPlan } from '../apply/index.js';
import type { Outcome } from '../apply/types.js';
import { EXIT, applyOptions, conduct, type Job } from '../conductor.js';
import type { Config } from '../config/index.js';
import { functionsOf, type EntityType } from '../entities/index.js';
import { openLedger } from '../ledger/index.js';
import type { BeforeImage, RunRecord } from '../ledger/types.js';
import { countOutcomes } from '../report/types.js';
import { lookupChunk } from '../resolve/index.js';
import { Refusal } from '../refusal.js';
import { writePlanCsv, type ProgressSink, type RunSummary } from '../report/index.js';
import { entitySettings, newRunSummary } from '../run.js';
import { imagesByType, planUndoPart, type UndoPart } from './plan.js';
import type { Action, ActionCounts } from '../plan/types.js';

export interface UndoRequest {
  runId: string;
  /** Apply the plan (default: print it, a dry run). */
  apply: boolean;
  includingCreates: boolean;
  force: boolean;
  wait?: number;
}

export interface UndoDeps {
  config: Config;
  logger: winston.Logger;
  progress?: ProgressSink;
}

/** What the undo found before its session: the run and its images by type. */
interface Found {
  run: RunRecord | undefined;
  images: Map<EntityType, BeforeImage[]>;
}

/** Plans (and with `apply`, applies) the undo of a run; the summary's exitCode is the command's. */
export async function undoRun(req: UndoRequest, deps: UndoDeps): Promise<RunSummary> {
  const found = await findRun(req.runId, deps.config);
  return conduct(undoJob(req, found, deps), deps);
}

/** The run's record and before-images; none: a refusal naming why (unknown run, nothing changed, images pruned). */
async function findRun(runId: string, config: Config): Promise<Found> {
  const ledger = await openLedger(config);
  try {
    const run = await ledger.getRun(runId);
    const images = imagesByType(await ledger.images.forRun(runId));
    if (images.size === 0) {
      if (!run) throw new Refusal(`no run ${runId} in the ledger ${ledger.path}: mdlsync ledger show --runs lists the runs`);
      const keep = config.undoKeepDays;
      throw new Refusal(`run ${runId} changed no record mdlsync can undo (or its before-images are older than undoKeepDays, ${keep} days): nothing to undo`);
    }
    return { run, images };
  } finally {
    await ledger.close();
  }
}

function addCounts(a: ActionCounts | null, b: ActionCounts): ActionCounts {
  if (!a) return { ...b };
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof ActionCounts)[]) out[k] += b[k];
  return out;
}

/** The left records (first few) in one sentence each, for the console. */
export function leftLines(parts: readonly UndoPart[], shown = 20): string[] {
  const left = parts.flatMap((p) => p.plan.actions.filter((a) => a.kind === 'unchanged'));
  const lines = left.slice(0, shown).map((a) => `  ${a.entity} ${a.key}: ${a.reason.replace(/^left: /, '')}`);
  if (left.length > shown) lines.push(`  … and ${left.length - shown} more (see plan.csv or rows.csv)`);
  return lines;
}

function undoJob(req: UndoRequest, found: Found, deps: UndoDeps): Job<RunSummary, Found> {
  const { config, logger } = deps;
  const types = [...found.images.keys()];
  const what = found.run ? `${found.run.type} ${found.run.op} of ${found.run.file}` : 'a run whose record is gone';
  return {
    connections: config.moodle.concurrency + 2,
    logWaiting: true,
    summary: (start) =>
      newRunSummary(start, { file: `run ${req.runId}`, sha256: '', type: types.join('+'), op: 'undo', dataSource: null, dryRun: !req.apply, undone: req.runId }),
    opening: (s) => `run ${s.runId}: undo run ${req.runId} (${what})${req.apply ? '' : ' [dry run]'}`,
    prepare: async () => ({
      open: { functions: [...new Set(types.flatMap((t) => functionsOf(t)))], lock: req.apply, wait: req.wait, scope: types },
      state: found,
    }),
    refused: (r) => ({ status: 'aborted', message: `Nothing was written: ${r.message}${r.stage === 'locked' ? '.' : ''}`, countCalls: false }),

    work: async ({ client, ledger, summary, reportDir, runId, startRun }, state) => {
      const lookupSize = lookupChunk(config.moodle.maxInputVars);
      const opts = {
        settings: entitySettings(config),
        includingCreates: req.includingCreates,
        reads: { retries: config.moodle.retries, backoffMs: config.moodle.backoffMs, chunkSize: lookupSize },
        guard: config.guard,
        force: req.force,
      };
      const parts: UndoPart[] = [];
      for (const [type, images] of state.images) parts.push(await planUndoPart(type, images, ledger, client, opts));
      const all: Action[] = parts.flatMap((p) => p.plan.actions);
      summary.rows = all.length;
      for (const p of parts) summary.planned = addCounts(summary.planned, p.plan.counts);
      const refused = parts.find((p) => p.plan.guard?.refused);
      summary.guard = refused?.plan.guard ?? parts.find((p) => p.plan.guard)?.plan.guard ?? null;
      if (parts.length > 1) summary.parts = parts.map((p) => ({ type: p.type, rows: p.plan.rows, planned: p.plan.counts, guard: p.plan.guard, outcomes: null }));
      const left = all.filter((a) => a.kind === 'unchanged').length;
      const leftText = left > 0 ? ` ${left} record(s) are left as they are (changed since, or not undone): see ${req.apply && !refused ? 'rows.csv' : 'plan.csv'}.` : '';
      const first = leftLines(parts).map((l) => l.trim());
      if (left > 0) summary.left = { count: left, first };
      for (const line of first) logger.debug(line);
      if (refused || !req.apply) {
        await writePlanCsv(reportDir, all);
        if (refused) return { status: 'refused', exitCode: EXIT.refused, message: `Refused, nothing was written: ${refused.plan.guard!.message}.` };
        return { status: 'dry-run', exitCode: EXIT.ok, message: `Dry run: nothing was written. The plan is in ${reportDir}/plan.csv.${leftText} Apply it with mdlsync undo ${req.runId} --apply${req.includingCreates ? ' --including-creates' : ''}.` };
      }
      await startRun({ file: `run ${req.runId}`, sha256: '', type: types.join('+'), op: 'undo', dataSource: null });
      const outcomes: Outcome[] = [];
      for (const p of parts) {
        const applied = await applyPlan(p.plan, { client, ledger, runId, options: applyOptions(config), onProgress: (pr) => deps.progress?.update(pr) });
        if (summary.parts) summary.parts.find((x) => x.type === p.type)!.outcomes = countOutcomes(applied);
        // rows.csv says why each record was left (one outcome per action, in the plan's order).
        applied.forEach((o, i) => {
          if (o.outcome === 'unchanged' && o.message === undefined) o.message = p.plan.actions[i].reason;
          outcomes.push(o);
        });
      }
      deps.progress?.stop();
      return {
        applied: outcomes,
        closing: (s) =>
          s.outcomes.failed > 0
            ? `Run ${req.runId} partly undone: ${s.outcomes.failed} record(s) failed (see ${reportDir}/rows.csv); run the same undo again once the cause is fixed.${leftText}`
            : `Run ${req.runId} undone.${leftText} This undo is run ${runId}: mdlsync undo ${runId} --apply reverses it.`,
      };
    },
    record: (s) => ({ planned: s.planned, outcomes: s.outcomes, exitCode: s.exitCode, undone: req.runId }),
  };
}
