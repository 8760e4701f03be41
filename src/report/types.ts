import type { Outcome, OutcomeKind } from '../apply/types.js';
import type { ActionCounts, GuardVerdict, Op } from '../plan/types.js';
import type { Failure, FailureCode } from '../errors.js';
import type { SiteHint } from '../moodle/site-hints.js';

export type RunStatus = 'ok' | 'failed-rows' | 'refused' | 'aborted' | 'dry-run';

/** What every command's summary.json holds (run, purge, user …). */
export interface SummaryBase {
  runId: string;
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  exitCode: number;
  /** One plain sentence: what happened and, when not ok, what to do next. */
  message: string;
  outcomes: Record<OutcomeKind, number>;
  moodleCalls: { total: number; byFunction: Record<string, number> };
  reportDir: string;
  /** File-level problem (bad header, Moodle unreachable, the token refused …), with the hint for its code. */
  error?: Failure<FailureCode> & { hint?: string };
  /** Failed rows by code and hint, most first (one entry per code, or more when the messages give sharper hints). */
  failures?: FailureCount[];
  /** Who ran the command, where: the OS user and host name (set by the conductor). */
  by?: { user: string; host: string };
  /** The Moodle site's URL, without any user, password, query or fragment (set by the conductor). */
  site?: string;
}

/** How many failed rows share a code and a hint (summary.json failures, the console, the HTML report). */
export interface FailureCount {
  /** The row's errorcode: mdlsync's row code or Moodle's errorcode / warningcode. */
  code: string;
  count: number;
  hint: string;
}

/** reports/RUNID/summary.json of a run (DESIGN §10). */
export interface RunSummary extends SummaryBase {
  file: string;
  sha256: string;
  type: string | null;
  /** The run's operation; `undo` for `mdlsync undo`. */
  op: Op | 'undo';
  dataSource: string | null;
  dryRun: boolean;
  rows: number;
  planned: ActionCounts | null;
  guard: GuardVerdict | null;
  archivedAs: string | null;
  tryback: string | null;
  /** The file's format: mdlsync's own headers, or another tool's (a dialect), and the entities it fans out into. */
  format?: { dialect: string; title: string; kind: string; entities: string[] };
  /** Columns the file's format accepts that mdlsync does not act on: one sentence each. */
  warnings?: string[];
  /** A file that fans out into several entities: each part's rows, plan, guard and outcomes, in run order. */
  parts?: Array<{ type: string; rows: number; planned: ActionCounts; guard: GuardVerdict | null; outcomes: Record<OutcomeKind, number> | null }>;
  /** What the run measured about the site that slows it, with what the admin can do (e.g. email-scan). */
  siteHints?: SiteHint[];
  /** watch/schedule runs: rows Moodle could not take (outage, timeouts, 5xx), kept apart from the tryback to be retried. */
  retry?: { file: string; rows: number; error: string } | null;
  /** A refused run whose plan is kept (src/held/): the command that applies it as planned. */
  held?: { runId: string; approve: string; discard: string } | null;
  /** A run that applied a held plan (`mdlsync approve`): the run that held it. */
  approved?: string;
  /** `mdlsync undo RUNID` (op `undo`): the run it reverses. */
  undone?: string;
  /** `mdlsync undo`: the records it leaves as they are (changed since, or not undone), and the first few with why. */
  left?: { count: number; first: string[] };
}

export function countOutcomes(outcomes: readonly Outcome[]): Record<OutcomeKind, number> {
  const counts: Record<OutcomeKind, number> = { ok: 0, unchanged: 0, failed: 0, relinked: 0 };
  for (const o of outcomes) counts[o.outcome]++;
  return counts;
}
