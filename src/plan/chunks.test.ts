/** The chunk driver's look-ups: each row is planned with what was found for it, not for another row of its key. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { resolveWith } from '../entities/persons/lookup.js';
import { PersonPlanner, type RowContext } from '../entities/persons/rules.js';
import type { PersonRecord } from '../entities/persons/record.js';
import type { FeedItem } from '../feed/types.js';
import { SqliteLedger } from '../ledger/sqlite.js';
import type { MoodleUser } from '../moodle/types.js';
import { planChunks } from './chunks.js';
import { defaultPlanOptions } from './fold.js';

let ledger: SqliteLedger | undefined;
afterEach(() => ledger?.close());

/** Moodle user 1 (no idnumber) and user 2 (idnumber P0); a file whose two rows share the key P0, one naming user 1. */
async function planTwoRows(first: 'moodle-id' | 'idnumber') {
  ledger = SqliteLedger.open(':memory:');
  const users: MoodleUser[] = [
    { id: 1, username: 'other' },
    { id: 2, username: 'p0', idnumber: 'P0' },
  ];
  const lookup = async (field: string, values: string[]) =>
    users.filter((u) => values.includes(field === 'id' ? String(u.id) : field === 'idnumber' ? (u.idnumber ?? '') : u.username));
  const plain: PersonRecord = { key: 'P0', fields: { username: 'p0', firstname: 'Ann', lastname: 'Lee', idnumber: 'P0' }, available: true };
  const named: PersonRecord = { ...plain, moodleId: 1 };
  const records = first === 'moodle-id' ? [named, plain] : [plain, named];
  const items: FeedItem[] = records.map((record, i) => ({ line: i + 2, record }));
  const feed = { items: async function* () { yield* items; } };
  const o = defaultPlanOptions({ op: 'store', dataSource: 'SIS' });
  const plan = await planChunks(feed, new PersonPlanner(o), ledger, (unplaced: PersonRecord[]) => resolveWith(lookup, unplaced) as Promise<Map<string, Omit<RowContext, 'link'>>>);
  return plan.actions.map((a) => ({ line: a.line, kind: a.kind, moodleId: a.moodleId, code: a.error?.code }));
}

describe('planChunks with duplicate keys', () => {
  it('plans the first row of a key with its own MOODLE_ID match, not the idnumber match of a later row', async () => {
    expect(await planTwoRows('moodle-id')).toEqual([
      { line: 2, kind: 'adopt', moodleId: 1, code: undefined },
      { line: 3, kind: 'fail', moodleId: undefined, code: 'duplicate-key' },
    ]);
  });

  it('plans the first row of a key with its own idnumber match, not the MOODLE_ID match of a later row', async () => {
    expect(await planTwoRows('idnumber')).toEqual([
      { line: 2, kind: 'adopt', moodleId: 2, code: undefined },
      { line: 3, kind: 'fail', moodleId: 1, code: 'duplicate-key' },
    ]);
  });
});

describe('planChunks and the update guard', () => {
  const person = (i: number, email: string): PersonRecord => ({ key: `P${i}`, fields: { username: `p${i}`, firstname: 'A', lastname: 'B', idnumber: `P${i}`, email }, available: true });
  const guard = { maxPercent: 10, maxCount: 1000, maxUpdatePercent: 25, updateMinOwned: 100 };

  /** 400 owned persons (the first 200 of them in the file) of which the file changes `changed`; counts the ledger's countLinks calls. */
  async function planChanging(changed: number) {
    ledger = SqliteLedger.open(':memory:');
    const o = defaultPlanOptions({ op: 'store', dataSource: 'SIS', guard });
    const hash = (r: PersonRecord) => new PersonPlanner(o).add({ line: 2, record: r }, {}).hash ?? null;
    await ledger.writeLinks(Array.from({ length: 400 }, (_, i) => ({ entity: 'persons', key: `P${i}`, moodleId: i + 1, dataSource: 'SIS', hash: hash(person(i, `p${i}@old.example`)), status: 'active' as const, runId: 'r0' })));
    const l = ledger;
    let counted = 0;
    const counting = Object.assign(Object.create(l) as SqliteLedger, { countLinks: (...args: Parameters<SqliteLedger['countLinks']>) => (counted++, l.countLinks(...args)) });
    const items: FeedItem[] = Array.from({ length: 200 }, (_, i) => ({ line: i + 2, record: person(i, i < changed ? `p${i}@new.example` : `p${i}@old.example`) }));
    const feed = { items: async function* () { yield* items; } };
    const plan = await planChunks(feed, new PersonPlanner(o), counting, undefined);
    return { plan, counted };
  }

  it('counts the owned records only when the updates could be over the limit, and refuses against all 400 of them', async () => {
    const few = await planChanging(25);
    expect({ update: few.plan.counts.update, guard: few.plan.guard, counted: few.counted }).toEqual({ update: 25, guard: null, counted: 0 });
    const within = await planChanging(100);
    expect({ guard: within.plan.guard, counted: within.counted }).toEqual({ guard: null, counted: 1 });
    const over = await planChanging(101);
    expect(over.plan.guard).toMatchObject({ kind: 'update', owned: 400, limit: 100, refused: true, updates: { count: 101 } });
  });
});

describe('planChunks over a feed with batches', () => {
  const person = (i: number): PersonRecord => ({ key: `P${i % 40}`, fields: { username: `p${i}`, firstname: 'A', lastname: 'B', idnumber: `P${i % 40}` }, available: true });

  it('plans the batches (not the items) exactly as it plans the same items one by one', async () => {
    ledger = SqliteLedger.open(':memory:');
    const o = defaultPlanOptions({ op: 'store', dataSource: 'SIS' });
    const hash = (r: PersonRecord) => new PersonPlanner(o).add({ line: 2, record: r }, {}).hash ?? null;
    // Half the keys linked (some unchanged, some changed), a duplicate key every 40 rows, a row error.
    await ledger.writeLinks(Array.from({ length: 20 }, (_, i) => ({ entity: 'persons', key: `P${i}`, moodleId: i + 1, dataSource: 'SIS', hash: i % 2 ? hash(person(i)) : 'old', status: 'active' as const, runId: 'r0' })));
    const items: FeedItem[] = Array.from({ length: 50 }, (_, i) =>
      i === 7 ? { line: i + 2, error: { line: i + 2, code: 'short-row', message: 'the row has 2 values, the header has 5' } } : { line: i + 2, record: person(i) },
    );
    const sizes = [1, 6, 2, 13, 9, 19];
    const batches: FeedItem[][] = [];
    for (let at = 0, k = 0; at < items.length; at += sizes[k++ % sizes.length]) batches.push(items.slice(at, at + sizes[k % sizes.length]));
    const byItems = await planChunks({ items: async function* () { yield* items; } }, new PersonPlanner(o), ledger, undefined, 4);
    const byBatches = await planChunks(
      {
        items: () => {
          throw new Error('items() read although the feed has batches');
        },
        batches: async function* () { yield* batches; },
      },
      new PersonPlanner(o),
      ledger,
      undefined,
      4,
    );
    expect(batches.flat()).toEqual(items);
    expect(byBatches.actions).toEqual(byItems.actions);
    expect(byBatches.actions).toHaveLength(50);
    expect(byBatches.counts).toMatchObject({ unchanged: 9, update: 11, create: 20, fail: 10 });
  });
});
