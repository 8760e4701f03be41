/** One classified file through runFile, with the verdict watch and schedule both act on. */
import type winston from 'winston';
import { ConfigError, type Config } from '../config/index.js';
import { ENTITY_TYPES, isEntityType, type EntityType } from '../entities/index.js';
import type { Op } from '../plan/types.js';
import type { RunSummary } from '../report/index.js';
import { runFile } from '../run.js';

export interface RunTarget {
  file: string;
  type?: EntityType;
  op: Op;
  dataSource?: string;
  force: boolean;
  /** Seconds to wait for the ledger's writer lock. */
  wait: number;
  /** Where rows Moodle could not take (outage) go instead of the tryback: see RunRequest.retryDir. */
  retryDir?: string;
}

/**
 * applied: the run went through (exit 0, or 2 with a tryback in the reports).
 * not-applied: nothing was written (unreadable file, refresh guard, lock, Moodle down): summary.message says why.
 * error: runFile threw (usage error such as an unsupported type, or a bug): `reason` says why.
 */
export type RunVerdict =
  | { kind: 'applied'; summary: RunSummary }
  | { kind: 'not-applied'; summary: RunSummary; reason: string }
  | { kind: 'error'; reason: string; usage: boolean; exitCode: number };

/** Codes of a run that wrote nothing because Moodle was down (not because of the file, the token or the service). */
// ledger-lock-lost: the run lost its shared ledger's lock while planning, before it sent anything.
const OUTAGE_CODES = new Set(['unreachable', 'sitemaintenance', 'ledger-lock-lost']);

/** A run that wrote nothing only because Moodle (or its lock on the ledger) was lost: the whole file is worth trying again as it is. */
export function isOutage(verdict: RunVerdict): boolean {
  return verdict.kind === 'not-applied' && verdict.summary.status === 'aborted' && OUTAGE_CODES.has(verdict.summary.error?.code ?? '');
}

/** The worst of several exit codes: refused (3) over failed rows (2) over usage (1) over ok (0). */
export function worstExit(codes: number[]): number {
  const rank = (c: number) => (c === 3 ? 3 : c === 2 ? 2 : c === 1 ? 1 : 0);
  return codes.reduce((a, b) => (rank(b) > rank(a) ? b : a), 0);
}


export async function runTarget(target: RunTarget, deps: { config: Config; logger: winston.Logger }): Promise<RunVerdict> {
  let type: EntityType | undefined;
  if (target.type) {
    if (!isEntityType(target.type)) {
      return { kind: 'error', usage: true, exitCode: 1, reason: `mdlsync cannot read ${target.type} feeds yet (it reads ${ENTITY_TYPES.join(', ')}).` };
    }
    type = target.type;
  }
  try {
    const summary = await runFile(
      { file: target.file, op: target.op, type, dataSource: target.dataSource ?? null, force: target.force, wait: target.wait, retryDir: target.retryDir },
      deps,
    );
    if (summary.status === 'aborted' || summary.status === 'refused') return { kind: 'not-applied', summary, reason: summary.message };
    return { kind: 'applied', summary };
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'error', usage: true, exitCode: 1, reason: err.message };
    deps.logger.debug(`runFile failed: ${(err as Error).stack ?? String(err)}`);
    return { kind: 'error', usage: false, exitCode: 1, reason: `unexpected error: ${(err as Error).message}` };
  }
}
