/**
 * The skeleton of an applier's `prepare`, written once: walk the rows, sort each into the group of the call it needs
 * (a row that cannot be built fails at once, a row that needs no call is settled by the sort), then hand back the
 * function that sends the groups in the applier's order. `sendPacked` is the usual way to send one group: packed
 * within max_input_vars (a row too big alone fails), the batches through the engine with the group's BatchSpec.
 */
import type { EntityType } from '../feed/types.js';
import type { BatchEngine, BatchSpec, Row } from './engine.js';
import { LocalRowError, packing } from './pack.js';

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
  rows: Iterable<Row<T>>,
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

/**
 * Sends one group's items: packed by their form variables (too big alone: failed), the batches through the engine.
 * The items may be a lazy list (built()): each batch's items are then built as it is packed, just before it is sent.
 */
export async function sendPacked<I extends { row: Row }, R>(engine: BatchEngine, items: Iterable<I>, leaves: (item: I) => number, spec: BatchSpec<I, R>): Promise<void> {
  await engine.runBatches(
    packing(items, leaves, engine.options, (big) => engine.failTooBig([big])),
    (b) => engine.sendBatch(b, spec),
  );
}

/**
 * The items of a group as a lazy list: `build` makes a row's item (undefined: the row has none there) only when
 * sendPacked takes it, so a group of 500k rows never holds every record's call input at once.
 */
export function* built<S, I>(sources: Iterable<S>, build: (source: S) => I | undefined): Generator<I> {
  for (const s of sources) {
    const item = build(s);
    if (item !== undefined) yield item;
  }
}

/**
 * built() over rows kept as their places in the plan: each row is made again (BatchEngine.row) only as its item is
 * built, so a compact plan's group never holds every row's action at once.
 */
export function builtAt<T extends EntityType, I>(engine: BatchEngine, places: Iterable<number>, build: (row: Row<T>) => I | undefined): Generator<I> {
  // A plan holds one entity's actions (applyPlan checks): the row at a place of a T applier is a Row<T>.
  return built(places, (index) => build(engine.row(index) as Row<T>));
}
