/**
 * `mdlsync diff FILE [--repair]`: a three-way comparison of a feed, the ledger and Moodle's live state, as a job on
 * the conductor (src/conductor.ts): recorded as a run, holding the writer lock only when it repairs. The file is read
 * as `run` reads it (src/feed, src/dialects); each part is compared (compare.ts); reports/RUNID/rows.csv lists a row
 * per finding (per field for changed ones), summary.json counts them. --repair re-plans the drifted rows through the
 * normal plan and apply (src/plan, src/apply) with --full, so the unchanged-hash rule does not skip them.
 */
import type winston from 'winston';
import { applyPlan } from '../apply/index.js';
import type { Outcome } from '../apply/types.js';
import type { Config } from '../config/index.js';
import { EXIT, applyOptions, conduct, startingSummary, type Job } from '../conductor.js';
import { entity, functionsOf } from '../entities/index.js';
import type { EntityLookup } from '../entities/index.js';
import type { AnyFeed, EntityRecord, EntityType, FeedEncoding, FeedItem } from '../feed/index.js';
import type { FeedSet } from '../feed/feed-set.js';
import { planFeed } from '../plan/chunks.js';
import { lookupChunk, retrier } from '../resolve/common.js';
import { sha256File, type ProgressSink, type SummaryBase } from '../report/index.js';
import { countOutcomes } from '../report/types.js';
import { entitySettings, openRequestedFeed, planOptionsFor, requireFeedFile } from '../run.js';
import { DIFF_TYPES, diffPart, isDiffType, type PartContext } from './compare.js';
import { writeDiffCsv } from './report.js';
import { FINDINGS, countFindings, isDrift, type DiffRow, type Finding, type RepairKeys } from './types.js';

export { FINDINGS, FINDING_NAMES, type DiffRow, type Finding } from './types.js';
export { DIFF_TYPES } from './compare.js';

export interface DiffRequest {
  file: string;
  type?: EntityType;
  dataSource?: string | null;
  repair?: boolean;
  delimiter?: string;
  encoding?: FeedEncoding;
  dialect?: string;
  /** Seconds to wait for another run holding the ledger's writer lock (--repair only). */
  wait?: number;
}

export interface DiffDeps {
  config: Config;
  logger: winston.Logger;
  progress?: ProgressSink;
}

/** reports/RUNID/summary.json of a diff. */
export interface DiffSummary extends SummaryBase {
  kind: 'diff';
  file: string;
  sha256: string;
  type: string | null;
  format?: { dialect: string; title: string; kind: string; entities: string[] };
  dataSource: string | null;
  repair: boolean;
  /** Config diff.recreateDeleted: a repair creates records deleted in Moodle anew. */
  recreateDeleted: boolean;
  /** Data rows read. */
  rows: number;
  /** Records per finding (a record with several changed fields counts once). */
  findings: Record<Finding, number>;
  /** Findings a normal run does not settle remain (after the repair, when there was one). */
  drift: boolean;
  warnings?: string[];
}

export interface DiffResult {
  summary: DiffSummary;
  rows: DiffRow[];
}

/** Read functions each type's comparison calls, besides the read functions of the type's own look-ups. */
const READS: Record<string, readonly string[]> = {
  persons: ['core_user_get_users_by_field'],
  categories: ['core_course_get_categories'],
  courses: ['core_course_get_courses_by_field'],
  cohorts: ['core_cohort_get_cohorts'],
  groups: ['core_course_get_courses_by_field', 'core_group_get_course_groups'],
  enrolments: ['core_course_get_courses_by_field', 'core_enrol_get_enrolled_users', 'core_user_get_users_by_field'],
  'group-members': ['core_group_get_group_members', 'core_user_get_users_by_field'],
  'cohort-members': ['core_cohort_get_cohorts', 'core_cohort_get_cohort_members', 'core_user_get_users_by_field'],
};

/** The functions a diff of these types calls: reads only, and the type's own (writing) functions for a repair. */
export function diffFunctions(types: readonly EntityType[], repair: boolean): string[] {
  const names = new Set<string>(['core_webservice_get_site_info']);
  for (const t of types) {
    for (const f of functionsOf(t)) if (repair || /_get_|_search_/.test(f)) names.add(f);
    for (const f of READS[t] ?? []) names.add(f);
  }
  return [...names];
}

export async function diffFile(req: DiffRequest, deps: DiffDeps): Promise<DiffResult> {
  requireFeedFile(req.file, 'compared');
  const rows: DiffRow[] = [];
  const summary = await conduct(diffJob(req, deps, rows), deps);
  return { summary, rows };
}

/** The outcome of a repaired row as rows.csv's repair column says it. */
function repairText(finding: Finding, o: Outcome | undefined, recreated: boolean): string {
  if (!o) return 'not repaired: the plan left it unchanged';
  if (o.outcome === 'failed') return `failed: ${o.errorcode ?? 'error'}: ${o.message ?? ''}`.trim();
  if (recreated) return `re-created${o.moodleId !== undefined ? ` as Moodle id ${o.moodleId}` : ''}`;
  return finding === 'missing-in-moodle' ? 're-added' : 're-sent';
}

/** Why a drifted row was left as it is by a repair. */
function notRepaired(row: DiffRow, recreateDeleted: boolean): string | undefined {
  if (row.finding === 'extra-in-moodle') return 'not repaired: mdlsync never removes what it did not give';
  if (row.finding === 'deleted-in-moodle') {
    if (row.field === 'MOODLE_ID') return "not repaired: the SIS's Moodle id is stale; store the id the ledger holds in the SIS";
    if (row.field !== undefined) return `not repaired: the ${row.field} is gone from Moodle; load it again first`;
    if (!recreateDeleted) return "not repaired: diff.recreateDeleted is off (clear the SIS's Moodle id, or turn it on to create the record anew)";
  }
  return undefined;
}

/** The part's rows whose keys are to be repaired; a record to create anew loses the file's stale MOODLE_ID. */
function repairFeed(feed: AnyFeed, items: readonly FeedItem<EntityRecord>[], keys: RepairKeys): AnyFeed {
  const kept: FeedItem<EntityRecord>[] = [];
  for (const i of items) {
    if (!i.record) continue;
    if (keys.recreate.has(i.record.key)) kept.push({ line: i.line, record: { ...i.record, moodleId: undefined } });
    else if (keys.resend.has(i.record.key)) kept.push(i);
  }
  return {
    info: feed.info,
    async *items() {
      for (const i of kept) yield i;
    },
  } as AnyFeed;
}

function diffJob(req: DiffRequest, deps: DiffDeps, rows: DiffRow[]): Job<DiffSummary, FeedSet> {
  const { config, logger } = deps;
  const repair = req.repair ?? false;
  const dataSource = req.dataSource ?? config.dataSource ?? null;
  const recreateDeleted = config.diff.recreateDeleted;
  return {
    connections: config.moodle.concurrency + 2,
    logWaiting: true,
    summary: async (start) => ({
      ...startingSummary(start),
      kind: 'diff',
      file: req.file,
      sha256: await sha256File(req.file),
      type: req.type ?? null,
      dataSource,
      repair,
      recreateDeleted,
      rows: 0,
      findings: countFindings([]),
      drift: false,
    }),
    opening: (s) => `diff ${s.runId}: ${req.file}${dataSource ? ` (data source ${dataSource})` : ''}${repair ? ' [repair]' : ''}`,

    prepare: async (summary) => {
      const set = await openRequestedFeed(req, config, summary, 'compared');
      if ('status' in set) return set;
      const types = set.parts.map((p) => p.info.type);
      summary.type = types.join('+');
      const other = types.filter((t) => !isDiffType(t));
      if (other.length > 0) {
        summary.error = { code: 'usage', message: `diff does not compare ${other.join(', ')}` };
        return { status: 'aborted', exitCode: EXIT.usage, message: `mdlsync diff does not compare ${other.join(', ')} files (it compares ${DIFF_TYPES.join(', ')}).` };
      }
      return { open: { functions: diffFunctions(types, repair), lock: repair, wait: req.wait }, state: set };
    },
    refused: (r) => ({ status: 'aborted', message: `Nothing was compared: ${r.message}${r.stage === 'locked' ? '.' : ''}`, countCalls: false }),

    work: async ({ client, ledger, summary, reportDir, runId, startRun }, set) => {
      const chunkSize = lookupChunk(config.moodle.maxInputVars);
      const { retries, backoffMs } = config.moodle;
      const settings = entitySettings(config);
      const base = planOptionsFor({ file: req.file, op: 'store', full: true }, dataSource, config);
      // A repair re-sends what the diff found drifted, at the operator's word: the update guard is not asked.
      const planOptions = { ...base, guard: { ...base.guard, maxUpdatePercent: null } };
      if (planOptions.passwords === 'always') planOptions.passwordKey = await ledger.passwordKey();
      const ctx: PartContext = {
        reads: { client, retry: retrier({ retries, backoffMs }), retries, backoffMs, chunkSize },
        ledger,
        settings,
        persons: { passwords: config.persons.passwords, passwordKey: planOptions.passwordKey, languages: config.moodle.languages },
      };
      const outcomes: Outcome[] = [];
      let started = false;
      for (const feed of set.parts) {
        const type = feed.info.type;
        const items: FeedItem<EntityRecord>[] = [];
        for await (const i of (feed as { items(): AsyncIterable<FeedItem<EntityRecord>> }).items()) items.push(i);
        const part = await diffPart(type, items, ctx);
        summary.rows = Math.max(summary.rows, part.read);
        logger.debug(`compared ${part.read} ${type} rows`);
        if (repair) {
          for (const r of part.rows) {
            const why = FINDINGS[r.finding].drift ? notRepaired(r, recreateDeleted) : undefined;
            if (why) r.repair = why;
          }
          const keys: RepairKeys = { resend: part.repair.resend, recreate: recreateDeleted ? part.repair.recreate : new Set() };
          if (keys.resend.size + keys.recreate.size > 0) {
            if (!started) {
              await startRun({ file: req.file, sha256: summary.sha256, type, op: 'diff --repair', dataSource });
              started = true;
            }
            // A record deleted in Moodle loses its stale link, so the plan creates it (or adopts a match) anew.
            for (const k of keys.recreate) await ledger.dropLink(type, k);
            const lookup = entity(type).lookup(client, ledger, { retries, backoffMs, chunkSize }, settings) as EntityLookup<EntityRecord>;
            const plan = await planFeed(repairFeed(feed, items, keys), { ...planOptions, entity: type }, ledger, { lookup, chunkSize: 2 * chunkSize, ...settings });
            const applied = await applyPlan(plan, { client, ledger, runId, options: applyOptions(config), onProgress: (p) => deps.progress?.update(p) });
            deps.progress?.stop();
            const byKey = new Map(applied.map((o) => [o.key, o]));
            for (const o of applied) outcomes.push(o);
            for (const r of part.rows) {
              if (r.line === null || r.repair !== undefined) continue;
              if (keys.resend.has(r.key) || keys.recreate.has(r.key)) r.repair = repairText(r.finding, byKey.get(r.key), keys.recreate.has(r.key));
            }
          }
        }
        for (const r of part.rows) rows.push(r);
      }
      summary.findings = countFindings(rows);
      summary.outcomes = countOutcomes(outcomes);
      // After a repair, what it settled is no longer drift.
      const left = rows.filter((r) => FINDINGS[r.finding].drift && !(r.repair !== undefined && /^re-/.test(r.repair)));
      summary.drift = isDrift(left);
      await writeDiffCsv(reportDir, rows);
      const failed = summary.outcomes.failed;
      const counts = Object.entries(summary.findings).filter(([, n]) => n > 0).map(([f, n]) => `${n} ${f}`).join(', ') || 'no rows';
      if (failed > 0) return { status: 'failed-rows', exitCode: EXIT.failedRows, message: `${failed} repair(s) failed (see ${reportDir}/rows.csv, repair column): fix the cause and run mdlsync diff --repair again.` };
      if (summary.drift) {
        const next = repair ? 'what is left needs a hand (see the repair column)' : 'mdlsync diff --repair sends the file values again; records deleted in Moodle are only created anew with diff.recreateDeleted';
        summary.error = { code: 'drift', message: `Moodle and the file have drifted apart: ${counts}` };
        return { status: 'ok', exitCode: EXIT.drift, message: `Moodle and the file have drifted apart (${counts}): see ${reportDir}/rows.csv; ${next}.` };
      }
      if (repair && outcomes.length > 0) {
        const n = summary.outcomes.ok + summary.outcomes.relinked;
        return { status: 'ok', exitCode: EXIT.ok, message: `${n} record(s) repaired (see the repair column of ${reportDir}/rows.csv); nothing is left that a normal run does not settle.` };
      }
      return { status: 'ok', exitCode: EXIT.ok, message: `No drift (${counts}): a normal run settles whatever differs.` };
    },
    record: (s) => ({ findings: s.findings, outcomes: s.outcomes, exitCode: s.exitCode }),
  };
}
