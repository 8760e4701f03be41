/**
 * watch and schedule: a file whose refresh the guard refused, with its plan held, is said in the log and, when the
 * config has `onHeld`, sent to that command (JSON on stdin) or URL (JSON body): the same hook runner as mirror.onChange.
 */
import type winston from 'winston';
import type { Config } from '../config/index.js';
import { notifier } from '../mirror/changes.js';
import type { RunSummary } from '../report/types.js';

/** What onHeld receives. */
export interface HeldEvent {
  event: 'held';
  runId: string;
  /** The file as it was given (watch: its name in the folder), and where watch moved it. */
  file: string;
  heldAs: string | null;
  by: 'watch' | 'schedule';
  site: string | null;
  type: string | null;
  op: string;
  guard: string;
  reportDir: string;
  approve: string;
  discard: string;
}

export async function announceHeld(config: Config, logger: winston.Logger, summary: RunSummary, where: { by: 'watch' | 'schedule'; file: string; heldAs?: string }): Promise<void> {
  const held = summary.held;
  if (!held) return;
  logger.warn(`${where.by}: ${where.file} was refused by the guard; its plan is held as ${held.runId}: check ${summary.reportDir}, then ${held.approve} (or ${held.discard})`);
  if (!config.onHeld) return;
  const event: HeldEvent = {
    event: 'held',
    runId: held.runId,
    file: where.file,
    heldAs: where.heldAs ?? null,
    by: where.by,
    site: config.site,
    type: summary.type,
    op: summary.op,
    guard: summary.guard?.message ?? '',
    reportDir: summary.reportDir,
    approve: held.approve,
    discard: held.discard,
  };
  const res = await notifier<HeldEvent>(config.onHeld)(event);
  if (!res.ok) logger.warn(`${where.by}: onHeld for ${held.runId} failed: ${res.error}`);
}
