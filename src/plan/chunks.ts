/**
 * The chunk driver of the planner: reads a feed in chunks, reads the chunk's ledger links, calls the entity's
 * look-ups (the resolve step) for what the ledger cannot tell, and folds each row with the entity's pure rules
 * (fold.ts); after the fold, the look-ups complete what the plan's own actions still need. `run`, `plan` and the
 * bench plan through here.
 */
import { entity, type EntityLookup, type EntitySettings } from '../entities/index.js';
import type { PersonRecord } from '../entities/persons/record.js';
import type { RowContext } from '../entities/persons/rules.js';
import type { AnyFeed, EntityRecord, EntityType, Feed, FeedItem, RecordOf } from '../feed/index.js';
import { LinkReader } from '../ledger/reader.js';
import type { PlanLink, LedgerStore } from '../ledger/types.js';
import type { ContextBase, EntityPlanner } from './fold.js';
import type { Action, AnyAction, Plan, PlanOptions } from './types.js';
import { arraySlots, type ActionSlots, type CompactPlan } from './compact.js';

const NO_CONTEXT: ContextBase = Object.freeze({});

/** Rows are planned in chunks so ledger reads and Moodle look-ups are batched. */
const DEFAULT_PLAN_CHUNK = 2000;

/** The persons look-up of earlier versions: records the ledger cannot place only. */
export type PersonLookup = (records: PersonRecord[]) => Promise<Map<string, Omit<RowContext, 'link'>>>;

/** Streams the feed through the planner in chunks: ledger reads and Moodle look-ups are batched per chunk. */
export interface PlanFeedOptions extends EntitySettings {
  lookup?: PersonLookup | EntityLookup<EntityRecord>;
  /** Stream actions here instead of keeping them in the plan (dry runs). */
  sink?: (action: AnyAction) => void;
  /** Rows per chunk: a multiple of the look-up call size, so look-up calls go out full. */
  chunkSize?: number;
  /** Which rows only confirm their link (a file shaped like `mdlsync export ids` output): see src/resolve/confirm.ts. */
  confirm?: LinkConfirmer;
}

/** The keys of the given rows (each with its active link, same Moodle id) that only confirm their link. */
export type LinkConfirmer = (rows: ReadonlyArray<{ record: EntityRecord; link: PlanLink }>) => Promise<ReadonlySet<string>>;

/** Plans a feed with its entity's planner; the plan's entity is the feed's type, whatever `options.entity` says. */
export async function planFeed(feed: AnyFeed, options: PlanOptions, ledger: LedgerStore, opts: PlanFeedOptions = {}): Promise<Plan> {
  const o: PlanOptions = { ...options, entity: feed.info.type };
  const planner = entity(feed.info.type).planner(o, opts, opts.sink);
  return planChunks(feed as PlannedFeed<EntityType>, planner, ledger, opts.lookup as EntityLookup<EntityRecord> | undefined, opts.chunkSize, opts.confirm);
}

/** planFeed with the plan's actions kept compact until applied (`mdlsync run`: see CompactActions). */
export async function planFeedCompact(feed: AnyFeed, options: PlanOptions, ledger: LedgerStore, opts: Omit<PlanFeedOptions, 'sink'> = {}): Promise<CompactPlan> {
  const o: PlanOptions = { ...options, entity: feed.info.type };
  const planner = entity(feed.info.type).planner(o, opts);
  return planChunksCompact(feed as PlannedFeed<EntityType>, planner, ledger, opts.lookup as EntityLookup<EntityRecord> | undefined, opts.chunkSize, opts.confirm);
}

/** The rows whose MOODLE_ID is their active link's: those a confirmer may take as link confirmations. */
function confirmable<R extends EntityRecord>(records: readonly R[], links: ReadonlyMap<string, PlanLink>): Array<{ record: R; link: PlanLink }> {
  const out: Array<{ record: R; link: PlanLink }> = [];
  for (const record of records) {
    const link = record.moodleId === undefined ? undefined : links.get(record.key);
    if (link && link.status === 'active' && record.moodleId === link.moodleId) out.push({ record, link });
  }
  return out;
}

/** What the planner reads of a feed: its items, or the same a batch at a time when it has batches. */
export type PlannedFeed<T extends EntityType> = Pick<Feed<T>, 'items' | 'batches'>;

export async function planChunks<T extends EntityType, C extends ContextBase>(
  feed: PlannedFeed<T>,
  planner: EntityPlanner<T, C>,
  ledger: LedgerStore,
  lookup: EntityLookup<RecordOf<T>, C> | undefined,
  chunkSize = DEFAULT_PLAN_CHUNK,
  confirm?: LinkConfirmer,
): Promise<Plan<T>> {
  await foldFeed(feed, planner, ledger, lookup, chunkSize, confirm);
  const plan = planner.finish();
  await completePlan(plan, arraySlots(plan.actions as Action[]), lookup); // ActionOf<T> is one of the union's members
  return plan;
}

/** planChunks with the plan's actions kept compact until applied (`mdlsync run`: see CompactActions). */
export async function planChunksCompact<T extends EntityType, C extends ContextBase>(
  feed: PlannedFeed<T>,
  planner: EntityPlanner<T, C>,
  ledger: LedgerStore,
  lookup: EntityLookup<RecordOf<T>, C> | undefined,
  chunkSize = DEFAULT_PLAN_CHUNK,
  confirm?: LinkConfirmer,
): Promise<CompactPlan<T>> {
  planner.keepCompact();
  await foldFeed(feed, planner, ledger, lookup, chunkSize, confirm);
  const plan = planner.finishCompact();
  await completePlan(plan, plan.actions as unknown as ActionSlots<Action>, lookup);
  return plan;
}

/**
 * The resolve step of the plan's own actions (an enrolment disable's course): only for a plan that is kept (a dry
 * run streams to its sink) and will be applied (a refused refresh applies nothing, so asks nothing).
 */
async function completePlan(plan: Pick<Plan, 'guard'>, actions: ActionSlots<Action>, lookup: { complete?: (actions: ActionSlots<Action>) => Promise<void> } | undefined): Promise<void> {
  if (lookup?.complete && actions.length > 0 && !plan.guard?.refused) await lookup.complete(actions);
}

/** Folds the feed's rows, then a refresh's owned links, into the planner (not finished). */
async function foldFeed<T extends EntityType, C extends ContextBase>(
  feed: PlannedFeed<T>,
  planner: EntityPlanner<T, C>,
  ledger: LedgerStore,
  lookup: EntityLookup<RecordOf<T>, C> | undefined,
  chunkSize: number,
  confirm: LinkConfirmer | undefined,
): Promise<void> {
  const options = planner.options;
  const entity = options.entity;
  let chunk: FeedItem<RecordOf<T>>[] = [];
  // An empty ledger (a first load) needs no link reads at all.
  const ledgerEmpty = !(await ledger.hasLinks(entity));
  const noLinks = new Map<string, PlanLink>();
  // One forward scan of the ledger serves a file in the ledger's own order; other keys go to getLinks.
  const reader = new LinkReader(ledger, entity);
  const flush = async (): Promise<void> => {
    const records: RecordOf<T>[] = [];
    for (const i of chunk) if (i.record) records.push(i.record);
    const links = ledgerEmpty ? noLinks : await reader.get(records.map((r) => r.key));
    // A row whose MOODLE_ID disagrees with its link keeps the link: the fold fails it (moodle-id-conflict) rather than
    // relinking the key to whatever Moodle record the SIS names.
    // One look-up per key, for its first row: results are keyed by key, so a later row of the key (a duplicate, which
    // fails) would otherwise hand the first row its own match (another MOODLE_ID's account, or the idnumber's).
    // As many links as records: every record has its own key, linked (links hold only the records' keys), so none is unknown.
    const firstOfKey = new Set<string>();
    const unknown = links.size === records.length ? [] : records.filter((r) => !links.has(r.key) && !firstOfKey.has(r.key) && firstOfKey.add(r.key));
    const found = lookup && records.length > 0 ? await lookup(unknown, records) : undefined;
    const confirmed = confirm && links.size > 0 ? await confirm(confirmable(records, links)) : undefined;
    for (const item of chunk) {
      const r = item.record;
      const link = r && links.get(r.key);
      const res = r && found?.get(r.key);
      // The hot path (unchanged or new rows) shares one empty context instead of allocating one per row. Object.assign,
      // not a spread: spreading look-up results of varying shapes took V8's slow path (~1 µs a row, 0.6 s for 500k).
      const taken = r && !link && r.moodleId !== undefined && !ledgerEmpty ? await ledger.findByMoodleId(entity, r.moodleId) : undefined;
      const ctx = link ? (res ? Object.assign({}, res, { link }) : { link }) : taken ? Object.assign({}, res, { moodleIdLinkedTo: taken.key }) : (res ?? NO_CONTEXT);
      planner.add(item, (r && confirmed?.has(r.key) ? Object.assign({}, ctx, { confirmed: true }) : ctx) as C);
    }
    chunk = [];
  };
  // A batch at a time when the feed has batches: one await per batch, not one per row.
  if (feed.batches) {
    for await (const batch of feed.batches()) {
      for (let i = 0; i < batch.length; i++) {
        chunk.push(batch[i]);
        if (chunk.length >= chunkSize) await flush();
      }
    }
  } else {
    for await (const item of feed.items()) {
      chunk.push(item);
      if (chunk.length >= chunkSize) await flush();
    }
  }
  await flush();
  const refresh = options.op === 'refresh' || options.op === 'refresh-ds';
  if (refresh) for await (const link of ledger.activeLinks(entity, options.op === 'refresh-ds' ? options.dataSource : null)) planner.addOwned(link);
  // A store's update guard needs the owned count only when its updates could be over the limit: no read otherwise.
  if (planner.updatesNeedOwned()) planner.setOwnedForUpdates(await ledger.countLinks(entity, null, 'active'));
}
