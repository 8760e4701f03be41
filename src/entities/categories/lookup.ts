/**
 * Read-only matching of category keys against Moodle (adoption, MOODLE_ID checks, parents). Both category feeds
 * find a category the same way: ledger, then idnumber, then the same name under the same parent.
 */
import type { CategoryRecord } from './record.js';
import { getCategories } from '../../moodle/index.js';
import type { CategoryCriteriaKey, MoodleCaller, MoodleCategory } from '../../moodle/types.js';
import type { LedgerLink, LedgerStore } from '../../ledger/types.js';
import type { CategoryContext } from './rules.js';
import { retrier } from '../../resolve/common.js';
import { categoriesNamed, type CategoryRead } from '../../resolve/categories.js';

export interface CategoryMatchResult {
  match?: { id: number; via: 'moodle-id' | 'idnumber' | 'name' };
  /** The record's MOODLE_ID names no existing category. */
  moodleIdMissing?: boolean;
}

export interface CategoryResolution {
  /** Per record key ({} when nothing matched). */
  matches: Map<string, CategoryMatchResult>;
  /** idnumber → Moodle id, for the parent keys asked about that Moodle has. */
  parents: Map<string, number>;
}

/**
 * get_categories takes one value per criterion, so a few values are looked up one by one and many with one
 * listing of every category (one call, whatever the site's size, instead of one call per value).
 */
const ONE_BY_ONE_MAX = 20;

/** The ledger key (and idnumber) of a category a course's category path created: `path:2026/Science`. */
export const isPathKey = (key: string): boolean => key.startsWith('path:');

/**
 * A category a categories row may adopt by name: one without a SIS key, i.e. made by hand (no idnumber) or by a
 * course's category path (idnumber `path:…`). One with another idnumber belongs to that key.
 */
const adoptableByName = (cat: MoodleCategory): boolean => !cat.idnumber || isPathKey(cat.idnumber);

export async function resolveCategories(
  c: MoodleCaller,
  records: readonly CategoryRecord[],
  parentKeys: readonly string[],
  opts: { retries?: number; backoffMs?: number; concurrency?: number } = {},
): Promise<CategoryResolution> {
  const retry = retrier(opts);
  const read = (criteria: { key: CategoryCriteriaKey; value: string | number }[]): Promise<MoodleCategory[]> => retry(() => getCategories(c, criteria, false));
  const ids = [...new Set(records.flatMap((r) => (r.moodleId === undefined ? [] : [r.moodleId])))];
  // An empty idnumber would match every category without one.
  const idnumbers = [...new Set([...records.filter((r) => r.moodleId === undefined).map((r) => r.key), ...parentKeys].filter((k) => k !== ''))];

  const byId = new Map<number, MoodleCategory>();
  const byIdnumber = new Map<string, MoodleCategory>();
  if (ids.length + idnumbers.length > ONE_BY_ONE_MAX) {
    for (const cat of await read([])) {
      byId.set(cat.id, cat);
      if (cat.idnumber) byIdnumber.set(cat.idnumber, cat);
    }
  } else {
    const queries: (() => Promise<void>)[] = [
      ...ids.map((id) => async () => {
        for (const cat of await read([{ key: 'id', value: id }])) byId.set(cat.id, cat);
      }),
      ...idnumbers.map((idn) => async () => {
        for (const cat of await read([{ key: 'idnumber', value: idn }])) if (cat.idnumber === idn) byIdnumber.set(idn, cat);
      }),
    ];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queries.length) await queries[next++]();
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, queries.length) }, worker));
  }

  const matches = new Map<string, CategoryMatchResult>();
  for (const r of records) {
    if (r.moodleId !== undefined) {
      const cat = byId.get(r.moodleId);
      matches.set(r.key, cat ? { match: { id: cat.id, via: 'moodle-id' } } : { moodleIdMissing: true });
    } else {
      const cat = byIdnumber.get(r.key);
      matches.set(r.key, cat ? { match: { id: cat.id, via: 'idnumber' } } : {});
    }
  }
  const parents = new Map<string, number>();
  for (const k of parentKeys) {
    const cat = byIdnumber.get(k);
    if (cat) parents.set(k, cat.id);
  }
  return { matches, parents };
}

/**
 * Categories: adoption by idnumber (or MOODLE_ID), else by the same name under the same parent (a category made by
 * hand or by a course's category path: one Moodle category, never two), and each parent key's Moodle id, from the
 * ledger first, else by idnumber in Moodle. Parent answers are kept for the whole file: many rows share a parent.
 */
export function categoryLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  reads: { retries: number; backoffMs: number },
): (unplaced: CategoryRecord[], chunk: CategoryRecord[]) => Promise<Map<string, Omit<CategoryContext, 'link'>>> {
  const parentIds = new Map<string, number | null>();
  const byName = nameMatcher(client, reads);
  return async (unplaced, chunk) => {
    const wanted = [...new Set(chunk.flatMap((r) => (r.fields.parent !== undefined && !parentIds.has(r.fields.parent) ? [r.fields.parent] : [])))];
    const links = wanted.length > 0 ? await ledger.getLinks('categories', wanted) : new Map<string, LedgerLink>();
    for (const [key, link] of links) parentIds.set(key, link.moodleId);
    const ask = wanted.filter((k) => !links.has(k));
    const found = unplaced.length + ask.length > 0 ? await resolveCategories(client, unplaced, ask, reads) : { matches: new Map(), parents: new Map<string, number>() };
    for (const k of ask) parentIds.set(k, found.parents.get(k) ?? null);
    await byName(
      unplaced.filter((r) => r.moodleId === undefined && !found.matches.get(r.key)?.match),
      found.matches,
      (key) => parentIds.get(key) ?? undefined,
    );
    const out = new Map<string, Omit<CategoryContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<CategoryContext, 'link'> = { ...found.matches.get(r.key) };
      const parentId = r.fields.parent === undefined ? null : parentIds.get(r.fields.parent);
      if (parentId !== null && parentId !== undefined) ctx.parentId = parentId;
      out.set(r.key, ctx);
    }
    return out;
  };
}

/**
 * The last step of a categories row's look-up: a category of the row's name under the row's parent (top level when
 * the row names none) that no SIS key owns yet. The parent may itself be a row of the chunk found a step earlier
 * (a whole path-made tree is adopted level by level). Each Moodle category is adopted by one row of the file only.
 */
function nameMatcher(
  client: MoodleCaller,
  reads: { retries: number; backoffMs: number },
): (rows: CategoryRecord[], matches: Map<string, CategoryMatchResult>, knownParent: (key: string) => number | undefined) => Promise<void> {
  const retry = retrier(reads);
  const read: CategoryRead = (criteria) => retry(() => getCategories(client, criteria, false));
  const claimed = new Set<number>();
  /** Keys adopted by name in earlier chunks: parents of later rows. */
  const placed = new Map<string, number>();
  /** Every category by parent and name, listed once per file when many rows are asked (planning writes nothing). */
  let listing: Map<string, MoodleCategory[]> | undefined;
  const placeKey = (parentId: number, name: string): string => `${parentId}\u0000${name}`;
  const named = async (name: string, parentId: number, many: boolean): Promise<MoodleCategory[]> => {
    if (!listing && many) {
      listing = new Map();
      for (const cat of await read([])) {
        const k = placeKey(cat.parent, cat.name);
        listing.set(k, [...(listing.get(k) ?? []), cat]);
      }
    }
    return listing ? (listing.get(placeKey(parentId, name)) ?? []) : categoriesNamed(read, name, parentId);
  };
  return async (rows, matches, knownParent) => {
    const pending = new Set(rows.filter((r) => r.fields.name));
    const many = pending.size > ONE_BY_ONE_MAX;
    for (let progress = true; progress; ) {
      progress = false;
      for (const r of pending) {
        const pk = r.fields.parent;
        const parentId = pk === undefined ? 0 : (knownParent(pk) ?? matches.get(pk)?.match?.id ?? placed.get(pk));
        if (parentId === undefined) continue; // its parent is unknown, or a row of this file not placed yet
        pending.delete(r);
        progress = true;
        const free = (await named(r.fields.name!, parentId, many)).filter((cat) => adoptableByName(cat) && !claimed.has(cat.id));
        if (free.length === 0) continue;
        const id = Math.min(...free.map((cat) => cat.id));
        claimed.add(id);
        placed.set(r.key, id);
        matches.set(r.key, { match: { id, via: 'name' } });
      }
    }
  };
}
