import type { Outcome, OutcomeKind } from '../apply/types.js';
import type { ActionCounts, GuardVerdict, Op } from '../plan/types.js';

export type RunStatus = 'ok' | 'failed-rows' | 'refused' | 'aborted' | 'dry-run';

/** reports/RUNID/summary.json (DESIGN §10). */
export interface RunSummary {
  runId: string;
  file: string;
  sha256: string;
  type: string | null;
  op: Op;
  dataSource: string | null;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  exitCode: number;
  /** One plain sentence: what happened and, when not ok, what to do next. */
  message: string;
  rows: number;
  planned: ActionCounts | null;
  outcomes: Record<OutcomeKind, number>;
  guard: GuardVerdict | null;
  moodleCalls: { total: number; byFunction: Record<string, number> };
  reportDir: string;
  archivedAs: string | null;
  tryback: string | null;
  /** File-level problem (bad header, Moodle unreachable …). */
  error?: { code: string; message: string };
}

export function countOutcomes(outcomes: readonly Outcome[]): Record<OutcomeKind, number> {
  const counts: Record<OutcomeKind, number> = { ok: 0, unchanged: 0, failed: 0, relinked: 0 };
  for (const o of outcomes) counts[o.outcome]++;
  return counts;
}
