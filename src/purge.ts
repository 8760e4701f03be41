/**
 * `mdlsync purge --disabled-older-than 180d`: really deletes in Moodle (core_user_delete_users) the persons this
 * integration disabled longer ago than a retention period (the SIS guide's advice: delete only after one). Only
 * ledger links with status disabled and a disabledAt before the cutoff; never an active link, never a record the
 * ledger does not hold. Guarded like a refresh (exit 3 over guard.maxPercent of owned / guard.maxCount unless
 * --force), under the ledger's writer lock, reported in reports/RUNID/ like a run.
 */
import type winston from 'winston';
import { applyPlan } from './apply/index.js';
import { lookupChunk } from './resolve/index.js';
import type { Outcome } from './apply/types.js';
import type { Config } from './config/index.js';
import { EXIT, applyOptions, conduct, startingSummary, type Job } from './conductor.js';
import type { LedgerLink, LedgerStore } from './ledger/index.js';
import { getUsersByField, type MoodleClient, type MoodleUser } from './moodle/index.js';
import type { Action } from './plan/types.js';
import { writePlanCsv, type ProgressSink, type SummaryBase } from './report/index.js';
import { functionsFrom } from './entities/index.js';

/** Entities purge knows how to delete, with the web-service functions it calls for them. */
export const PURGE_FUNCTIONS = {
  persons: functionsFrom(['persons'], ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_delete_users']),
} as const;
export type PurgeEntity = keyof typeof PURGE_FUNCTIONS;
export const PURGE_ENTITIES = Object.keys(PURGE_FUNCTIONS) as PurgeEntity[];

const DAY_MS = 86_400_000;
const PAGE = 1000;

/** "180d" → 180, "4w" → 28 (whole days or weeks, at least 1); null when not a period. */
export function parsePeriod(text: string): number | null {
  const m = /^\s*(\d+)\s*([dw])\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]) * (m[2].toLowerCase() === 'w' ? 7 : 1);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

export interface PurgeRequest {
  /** Delete what was disabled more than this many days ago. */
  olderThanDays: number;
  entity?: PurgeEntity;
  dryRun?: boolean;
  force?: boolean;
  /** Seconds to wait for another run holding the ledger's writer lock (default 0: refuse at once). */
  wait?: number;
  /** The clock the cutoff is computed from (tests); default now. */
  now?: Date;
}

export interface PurgeGuard {
  entity: PurgeEntity;
  /** Links the ledger holds for the entity (active and disabled). */
  owned: number;
  toDelete: number;
  limit: number;
  refused: boolean;
  forced: boolean;
  message: string;
}

/** reports/RUNID/summary.json of a purge. */
export interface PurgeSummary extends SummaryBase {
  kind: 'purge';
  entity: PurgeEntity;
  olderThanDays: number;
  /** Links disabled before this instant are purged. */
  cutoff: string;
  dryRun: boolean;
  /** Disabled links older than the cutoff. */
  candidates: number;
  /** Candidates kept because the account is active again in Moodle (re-enabled outside mdlsync). */
  kept: number;
  /** Disabled links without a disable date (cannot be aged): never purged. */
  undated: number;
  guard: PurgeGuard | null;
}

/** One candidate: what the purge does (or would do) with it. */
export interface PurgeItem {
  key: string;
  moodleId: number;
  disabledAt: string | null;
  /** delete: deleted (or to delete); keep: active again in Moodle, not deleted. */
  action: 'delete' | 'keep';
}

export interface PurgeResult {
  summary: PurgeSummary;
  /** The candidates (empty when the purge stopped before finding them). */
  items: PurgeItem[];
}

export interface PurgeDeps {
  config: Config;
  logger: winston.Logger;
  progress?: ProgressSink;
}

/** Disabled links of the entity, paged from the ledger, split into purgeable (disabled before cutoff) and undated. */
async function disabledBefore(ledger: LedgerStore, entity: string, cutoffMs: number): Promise<{ due: LedgerLink[]; undated: number }> {
  const due: LedgerLink[] = [];
  let undated = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await ledger.listLinks({ entity, status: 'disabled', limit: PAGE, offset });
    for (const link of page) {
      if (link.status !== 'disabled') continue;
      const at = link.disabledAt === null ? NaN : Date.parse(link.disabledAt);
      if (Number.isNaN(at)) undated++;
      else if (at < cutoffMs) due.push(link);
    }
    if (page.length < PAGE) break;
  }
  return { due, undated };
}

function guardFor(entity: PurgeEntity, owned: number, toDelete: number, config: Config, force: boolean): PurgeGuard {
  const { maxPercent, maxCount } = config.guard;
  const limit = Math.min(Math.floor((owned * maxPercent) / 100), maxCount);
  const over = toDelete > limit;
  const refused = over && !force;
  const forced = over && force;
  const tail = refused ? 'refused; check the period or pass --force' : forced ? 'over the limit, allowed by --force' : 'within the limit';
  return { entity, owned, toDelete, limit, refused, forced, message: `purge would delete ${toDelete} of ${owned} ${entity} owned (limit ${limit}): ${tail}` };
}

/** Moodle's view of the candidates: accounts found (by id) in chunks; an id missing from the answer is likely gone. */
async function lookupAccounts(client: MoodleClient, ids: number[], chunk: number): Promise<Map<number, MoodleUser>> {
  const found = new Map<number, MoodleUser>();
  for (let i = 0; i < ids.length; i += chunk) {
    for (const u of await getUsersByField(client, 'id', ids.slice(i, i + chunk).map(String))) found.set(u.id, u);
  }
  return found;
}

export async function purgeDisabled(req: PurgeRequest, deps: PurgeDeps): Promise<PurgeResult> {
  const items: PurgeItem[] = [];
  const summary = await conduct(purgeJob(req, deps, items), deps);
  return { summary, items };
}

/** The purge as the conductor's job; `items` collects the candidates and what became of each. */
function purgeJob(req: PurgeRequest, deps: PurgeDeps, items: PurgeItem[]): Job<PurgeSummary, void> {
  const { config, logger } = deps;
  const entity = req.entity ?? 'persons';
  const dryRun = req.dryRun ?? false;
  return {
    connections: config.moodle.concurrency + 2,
    summary: (start) => {
      const cutoffMs = (req.now ?? start.startedAt).getTime() - req.olderThanDays * DAY_MS;
      return {
        ...startingSummary(start),
        kind: 'purge',
        entity,
        olderThanDays: req.olderThanDays,
        cutoff: new Date(cutoffMs).toISOString(),
        dryRun,
        candidates: 0,
        kept: 0,
        undated: 0,
        guard: null,
      };
    },
    opening: (s) => `purge ${s.runId}: ${entity} disabled more than ${req.olderThanDays} day(s) ago (before ${s.cutoff})${dryRun ? ' [dry run]' : ''}`,
    prepare: () => Promise.resolve({ open: { functions: PURGE_FUNCTIONS[entity], lock: !dryRun, wait: req.wait }, state: undefined }),
    refused: (r) => ({ status: 'aborted', message: `Nothing was deleted: ${r.message}${r.stage === 'locked' ? '.' : ''}` }),

    work: async ({ client, ledger, summary, reportDir, runId, startRun }) => {
      const { due, undated } = await disabledBefore(ledger, entity, Date.parse(summary.cutoff));
      summary.candidates = due.length;
      summary.undated = undated;
      if (undated > 0) logger.warn(`${undated} disabled ${entity} link(s) have no disable date and are never purged (see mdlsync ledger show --status disabled)`);
      const owned = await ledger.countLinks(entity, null, 'active') + await ledger.countLinks(entity, null, 'disabled');
      const guard = guardFor(entity, owned, due.length, config, req.force ?? false);
      summary.guard = guard;
      const reason = (l: LedgerLink) => `disabled since ${l.disabledAt} (more than ${req.olderThanDays} days)`;
      const deleteAction = (l: LedgerLink): Action => ({ kind: 'delete', entity, key: l.key, line: null, moodleId: l.moodleId, dataSource: l.dataSource, reason: reason(l) });

      const item = (l: LedgerLink, action: PurgeItem['action']): PurgeItem => ({ key: l.key, moodleId: l.moodleId, disabledAt: l.disabledAt, action });

      if (guard.refused) {
        items.push(...due.map((l) => item(l, 'delete')));
        await writePlanCsv(reportDir, due.map(deleteAction));
        return { status: 'refused', exitCode: EXIT.refused, message: `${dryRun ? 'Dry run: this purge would be refused' : 'Refused, nothing was deleted'}: ${guard.message}` };
      }
      if (due.length === 0) {
        if (dryRun) await writePlanCsv(reportDir, []);
        const message = `Nothing to purge: no ${entity} disabled before ${summary.cutoff}.`;
        return dryRun ? { status: 'dry-run', exitCode: EXIT.ok, message } : { status: 'ok', exitCode: EXIT.ok, message, rows: [] };
      }

      // An account re-enabled in Moodle by hand since mdlsync disabled it is kept; ids Moodle does not return go last
      // (most likely already deleted: Moodle's own "Invalid user" then settles them as done).
      const accounts = await lookupAccounts(client, due.map((l) => l.moodleId), lookupChunk(config.moodle.maxInputVars));
      const present: LedgerLink[] = [];
      const missing: LedgerLink[] = [];
      const keep: Outcome[] = [];
      for (const l of due) {
        const u = accounts.get(l.moodleId);
        if (!u) missing.push(l);
        else if (u.suspended === false) {
          items.push(item(l, 'keep'));
          keep.push({ line: null, type: 'persons', key: l.key, action: 'unchanged', outcome: 'unchanged', moodleId: l.moodleId, message: `kept: Moodle user ${l.moodleId} is active again in Moodle (re-enabled outside mdlsync)` });
        } else present.push(l);
      }
      summary.kept = keep.length;
      const actions = [...present, ...missing].map(deleteAction);
      items.unshift(...[...present, ...missing].map((l) => item(l, 'delete')));

      if (dryRun) {
        await writePlanCsv(reportDir, [...actions, ...keep.map((o) => ({ line: null, key: o.key, kind: 'unchanged', moodleId: o.moodleId, reason: o.message ?? '' }))]);
        return { status: 'dry-run', exitCode: EXIT.ok, message: `Dry run: nothing was deleted; ${actions.length} ${entity} would be deleted${keep.length ? `, ${keep.length} kept` : ''}. The list is in ${reportDir}/plan.csv.` };
      }

      await startRun({ file: `purge --disabled-older-than ${req.olderThanDays}d`, sha256: '', type: entity, op: 'purge', dataSource: null });
      const deleted = actions.length > 0 ? await applyPlan({ actions }, { client, ledger, runId, options: applyOptions(config), onProgress: (p) => deps.progress?.update(p) }) : [];
      deps.progress?.stop();
      return {
        applied: [...deleted, ...keep],
        closing: (s, failed) =>
          failed
            ? `${s.outcomes.ok} ${entity} deleted, ${s.outcomes.failed} failed (see ${reportDir}/rows.csv); run the same purge again once the cause is fixed.`
            : `${s.outcomes.ok} ${entity} deleted${keep.length ? `, ${keep.length} kept (active again in Moodle)` : ''}.`,
      };
    },
    record: (s) => ({ candidates: s.candidates, outcomes: s.outcomes, exitCode: s.exitCode }),
  };
}
