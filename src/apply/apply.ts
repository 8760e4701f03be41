/**
 * Executes a plan against Moodle: the rows that need no call are settled here, the rest go to the plan entity's
 * applier, which uses the shared BatchEngine (batches within max_input_vars, adaptive concurrency, retries with
 * backoff, bisection of failed all-or-nothing calls, a ledger write after every confirmed batch).
 */
import type { Action } from '../plan/types.js';
import type { ActionList } from '../plan/compact.js';
import { BatchEngine, type ApplyDeps, type Row } from './engine.js';
import { entity } from '../entities/index.js';
import type { Outcome } from './types.js';

export type { ApplyDeps } from './engine.js';

/**
 * Executes the plan; one Outcome per action, in the plan's order. A plan holds one entity's actions. With
 * deps.onOutcome the outcomes go there instead, one at a time, and none is returned (a large run keeps none of them).
 */
export async function applyPlan(plan: { actions: ActionList<Action> }, deps: ApplyDeps): Promise<Outcome[]> {
  const actions = plan.actions;
  const type = actions.at(0)?.entity ?? 'persons';
  const def = entity(type);
  const applier = def.applier;
  const fields = def.undo?.fields;
  const engine = new BatchEngine(
    actions,
    deps,
    applier.redact ? (m, a) => applier.redact!(m, a) : undefined,
    fields ? (a) => keptFields(fields(a)) : undefined,
  );
  // The unchanged rows' keys only: a row object each would stay alive while the outcomes stream out (500k of them).
  let unchanged: string[] = [];
  // Which rows are sent, one byte each: they are made again as the applier sorts them (a compact plan's actions are
  // not all made at once), the others not.
  const sent = new Uint8Array(actions.length);
  for (let index = 0; index < actions.length; index++) {
    const action = actions.at(index)!;
    if (action.entity !== type) throw new Error(`applyPlan: one plan holds one entity's actions (${type}), not ${action.entity}`);
    if (action.kind === 'unchanged') {
      unchanged.push(action.key);
      engine.settle({ index, action }, 'unchanged', { moodleId: action.moodleId });
    } else if (action.kind === 'fail') engine.fail({ index, action }, action.error?.code ?? 'failed', action.error?.message ?? action.reason);
    else sent[index] = 1;
  }
  let send: Iterable<Row> = rowsToSend(actions, sent);
  let run: (() => Promise<void>) | null = applier.prepare(engine, send);
  try {
    await engine.markSeen(type, unchanged);
    engine.progress();
    await run();
  } catch (err) {
    // The writer lock was lost in a ledger write between calls: what was not sent fails as such (any other error throws).
    engine.halt(err);
  }
  // What was sorted and built for the calls is garbage before the outcomes stream out (an async function's saved
  // locals would keep it alive).
  unchanged = [];
  send = [];
  run = null;
  if (!deps.onOutcome) return engine.results();
  for (const o of engine.finalOutcomes()) {
    const wait = deps.onOutcome(o);
    if (wait) await wait;
  }
  return [];
}

function* rowsToSend(actions: ActionList<Action>, sent: Uint8Array): Generator<Row> {
  for (let index = 0; index < sent.length; index++) if (sent[index] === 1) yield { index, action: actions.at(index)! };
}

/** The values kept for an undo, as the ledger stores them (JSON with sorted keys: the same values, the same text). */
function keptFields(values: Record<string, string> | undefined): string | undefined {
  if (values === undefined) return undefined;
  return JSON.stringify(Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
