/**
 * The plan that reverses one run, from its before-images (ledger migration 10): per entity type, in run order, each
 * record the run changed is put back as the image's `before` says (the entity's undo.reverse), unless it changed since:
 * a later write in the ledger (the link is no longer what the run left), or Moodle no longer showing what the run left
 * (the entity's undo.changedInMoodle: an account un-suspended by hand, an enrolment made again). Those are listed as
 * left (unchanged, with the reason) and never touched. Passwords are never restored: the ledger never kept them.
 */
import { arraySlots } from '../plan/compact.js';
import { RUN_ORDER, entity, type EntityLookup, type EntitySettings, type EntityType, type LookupReads } from '../entities/index.js';
import type { EntityRecord } from '../feed/index.js';
import type { BeforeImage, LedgerLink, LedgerStore } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/index.js';
import { emptyCounts } from '../plan/fold.js';
import { ANY_FIELD, type Action, type GuardOptions, type GuardVerdict, type Plan, type PlanOptions } from '../plan/types.js';

export interface UndoOptions {
  settings: EntitySettings;
  includingCreates: boolean;
  reads: LookupReads;
  guard: GuardOptions;
  force: boolean;
}

/** One entity type's part of an undo: its plan (actions in key order, left records as unchanged) and its guard. */
export interface UndoPart {
  type: EntityType;
  plan: Plan;
}

/** The images of a run grouped by entity type, in run order; images of a type mdlsync no longer knows are dropped. */
export function imagesByType(images: readonly BeforeImage[]): Map<EntityType, BeforeImage[]> {
  const out = new Map<EntityType, BeforeImage[]>();
  for (const type of RUN_ORDER) {
    const mine = images.filter((i) => i.entity === type);
    if (mine.length > 0) out.set(type, mine);
  }
  return out;
}

/** Why a link is no longer what the run left (null: it is). */
function changedInLedger(link: LedgerLink | undefined, image: BeforeImage): string | null {
  const a = image.after;
  if (!link) return 'changed since the run: the ledger no longer links it (deleted or forgotten since)';
  if (link.moodleId !== a.moodleId) return `changed since the run: linked to Moodle id ${link.moodleId} now (was ${a.moodleId})`;
  if (link.status !== a.status) return `changed since the run: ${link.status} now (the run left it ${a.status})`;
  if ((link.hash ?? null) !== (a.hash ?? null) || (link.state ?? null) !== (a.state ?? null)) return 'changed since the run: written by a later run';
  return null;
}

function leftAction(type: EntityType, image: BeforeImage, reason: string): Action {
  return { kind: 'unchanged', entity: type, key: image.key, line: null, moodleId: image.after.moodleId, dataSource: image.after.dataSource, reason: `left: ${reason}` } as Action;
}

/** Plans the undo of one entity type's images (the lookup places what the reversals need, e.g. enrolments' courses). */
export async function planUndoPart(
  type: EntityType,
  images: readonly BeforeImage[],
  ledger: LedgerStore,
  client: MoodleCaller,
  opts: UndoOptions,
): Promise<UndoPart> {
  const def = entity(type);
  const undo = def.undo;
  const keys = images.map((i) => i.key);
  const links = await ledger.getLinks(type, keys);
  const fields = await ledger.images.fields(type, keys);
  const actions: Action[] = new Array<Action>(images.length);
  const send: { index: number; image: BeforeImage }[] = [];
  images.forEach((image, index) => {
    const changed = changedInLedger(links.get(image.key), image);
    if (!undo) actions[index] = leftAction(type, image, `undo does not put back ${type} yet`);
    else if (changed) actions[index] = leftAction(type, image, changed);
    else {
      const r = undo.reverse(image, { settings: opts.settings, includingCreates: opts.includingCreates }, fields.get(image.key) ?? null);
      if ('left' in r) actions[index] = leftAction(type, image, r.left);
      else {
        actions[index] = r as Action;
        send.push({ index, image });
      }
    }
  });
  if (undo && send.length > 0) {
    // What the reversals need from Moodle that the images do not hold (an enrolment's course), as a refresh's disables.
    const lookup = def.lookup(client, ledger, opts.reads, opts.settings) as EntityLookup<EntityRecord>;
    if (lookup.complete) {
      const toComplete = send.map((s) => actions[s.index]);
      await lookup.complete(arraySlots(toComplete));
      send.forEach((s, i) => (actions[s.index] = toComplete[i]));
    }
    if (undo.changedInMoodle) {
      const planned = send.map((s) => ({ action: actions[s.index] as never, image: s.image, fields: fields.get(s.image.key) ?? null }));
      const changed = await undo.changedInMoodle(client, planned, opts.reads);
      for (const s of send) {
        const why = changed.get(s.image.key);
        if (why !== undefined) actions[s.index] = leftAction(type, s.image, why);
      }
    }
  }
  const counts = emptyCounts();
  for (const a of actions) counts[a.kind]++;
  const options = { entity: type, op: 'store', dataSource: null, full: false, passwords: 'create-only', disable: 'suspend', guard: opts.guard, force: opts.force } satisfies PlanOptions;
  const owned = await ledger.countLinks(type, null, 'active');
  return { type, plan: { options, actions, counts, rows: images.length, guard: undoGuard(type, counts, owned, opts.guard, opts.force) } };
}

/**
 * Guarded like any run: disabling more of the owned records than a refresh may (guard.maxPercent, guard.maxCount), or
 * changing more of them than a run may (guard.maxUpdatePercent, from guard.updateMinOwned), is refused without --force.
 * Re-enabling and re-enrolling what the run removed is never refused, as a store's enables are not.
 */
export function undoGuard(type: EntityType, counts: Plan['counts'], owned: number, guard: GuardOptions, force: boolean): GuardVerdict | null {
  const disables = counts.disable;
  const disableLimit = Math.min(Math.floor((owned * guard.maxPercent) / 100), guard.maxCount);
  const { maxUpdatePercent, updateMinOwned = 0 } = guard;
  const updateLimit = maxUpdatePercent === null || maxUpdatePercent === undefined || owned < updateMinOwned ? null : Math.floor((owned * maxUpdatePercent) / 100);
  const overDisable = disables > disableLimit;
  const overUpdate = updateLimit !== null && counts.update > updateLimit;
  if (disables === 0 && counts.update === 0) return null;
  const over = overDisable || overUpdate;
  const tail = !over ? 'within the limit' : force ? 'over the limit, allowed by --force' : 'refused; check the plan or pass --force';
  const parts = [`undo would disable ${disables} of ${owned} ${type} owned (limit ${disableLimit})`];
  if (counts.update > 0) parts.push(`put back the values of ${counts.update}${updateLimit === null ? '' : ` (limit ${updateLimit})`}`);
  const verdict: GuardVerdict = {
    kind: overUpdate && !overDisable ? 'update' : 'disable',
    entity: type,
    dataSource: null,
    owned,
    toDisable: disables,
    limit: overUpdate && !overDisable ? (updateLimit as number) : disableLimit,
    refused: over && !force,
    forced: over && force,
    message: `${parts.join(', and ')}: ${tail}`,
  };
  // The values put back are a record's whole set, not one field's: counted as the content, as a hash-only update is.
  if (counts.update > 0) verdict.updates = { field: ANY_FIELD, count: counts.update, byField: { [ANY_FIELD]: counts.update } };
  return verdict;
}
