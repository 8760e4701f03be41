/**
 * The skeleton of an applier's `prepare`, written once: walk the rows, sort each into the group of the call it needs
 * (a row that cannot be built fails at once, a row that needs no call is settled by the sort), then hand back the
 * function that sends the groups in the applier's order. `sendPacked` is the usual way to send one group: packed
 * within max_input_vars (a row too big alone fails), the batches through the engine with the group's BatchSpec.
 */
import type { EntityType } from '../feed/types.js';
import type { BatchEngine, BatchSpec, Row } from './engine.js';
import { LocalRowError, pack } from './pack.js';

/** The groups of an applier: group name → its items, each group a list. */
export type Groups<G> = { [K in keyof G]: G[K][] };

/** Where a row goes: a group and the item it becomes there. */
export type Sorted<G> = { [K in keyof G]: { to: K; item: G[K] } }[keyof G];

/**
 * Sorts the rows into `groups` (given empty, in their item types) and returns the sender. `sort` answers the row's
 * place (several for a row that makes more than one call, none for a row it settled itself); a LocalRowError it
 * throws fails the row with its code, anything else is a bug and propagates.
 */
export function prepareRows<T extends EntityType, G>(
  engine: BatchEngine,
  rows: readonly Row<T>[],
  groups: Groups<G>,
  sort: (row: Row<T>) => Sorted<G> | readonly Sorted<G>[] | undefined,
  send: (groups: Groups<G>) => Promise<void>,
): () => Promise<void> {
  const put = (s: Sorted<G>): void => {
    const list: G[keyof G][] = groups[s.to];
    list.push(s.item);
  };
  for (const row of rows) {
    try {
      const placed = sort(row);
      if (placed === undefined) continue;
      if (isList(placed)) placed.forEach(put);
      else put(placed);
    } catch (err) {
      if (!(err instanceof LocalRowError)) throw err;
      engine.fail(row, err.code, err.message);
    }
  }
  return () => send(groups);
}

function isList<S>(placed: S | readonly S[]): placed is readonly S[] {
  return Array.isArray(placed);
}

/** Sends one group's items: packed by their form variables (too big alone: failed), the batches through the engine. */
export async function sendPacked<I extends { row: Row }, R>(engine: BatchEngine, items: I[], leaves: (item: I) => number, spec: BatchSpec<I, R>): Promise<void> {
  if (items.length === 0) return;
  const { batches, tooBig } = pack(items, leaves, engine.options);
  engine.failTooBig(tooBig);
  await engine.runBatches(batches, (b) => engine.sendBatch(b, spec));
}
