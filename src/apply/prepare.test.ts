/**
 * sendPacked over a lazy group (built()): the same batches as pack() makes of the whole list, sent in order, but
 * each batch's items built only as the engine takes it, so a large group is never held whole.
 */
import { describe, expect, it } from '@jest/globals';
import type { LedgerStore } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { AnyAction } from '../plan/types.js';
import { BatchEngine, type BatchSpec, type Row } from './engine.js';
import { DEFAULT_APPLY_OPTIONS } from './index.js';
import { pack } from './pack.js';
import { built, sendPacked } from './prepare.js';

interface Item {
  row: Row;
  key: string;
  vars: number;
}

function setup(n: number, concurrency: number): { engine: BatchEngine; rows: Row[] } {
  const actions = Array.from({ length: n }, (_, i) => ({ kind: 'create', entity: 'persons', key: `K${i}`, line: i + 2, dataSource: null, reason: 'test' }) as AnyAction);
  const engine = new BatchEngine(actions, {
    client: {} as MoodleCaller,
    ledger: {} as LedgerStore,
    runId: 'r1',
    options: { ...DEFAULT_APPLY_OPTIONS, batchSize: 2, concurrency, backoffMs: 1 },
  });
  return { engine, rows: actions.map((action, index) => ({ index, action })) };
}

describe('sendPacked of a lazy group', () => {
  it('builds each batch as it is taken: at the first call only the first batches are built, in the end all, sent as pack() batches them', async () => {
    const { engine, rows } = setup(1000, 1);
    let made = 0;
    const builtAtSend: number[] = [];
    const sends: string[][] = [];
    // Every 7th row is too big for a call even alone (maxInputVars 1000): it fails, the rest go on.
    const item = (row: Row): Item => {
      made++;
      return { row, key: row.action.key, vars: row.index % 7 === 3 ? 2000 : 10 };
    };
    const spec: BatchSpec<Item, null> = {
      wsfunction: 'fake_create',
      send: async (items) => {
        builtAtSend.push(made);
        sends.push(items.map((i) => i.key));
        await new Promise((r) => setTimeout(r, 0));
        return null;
      },
      confirm: async (items) => {
        for (const i of items) engine.settle(i.row, 'ok', { moodleId: 1 });
      },
      failOne: (i, code, message) => engine.fail(i.row, code, message),
    };
    await sendPacked(engine, built(rows, item), (i) => i.vars, spec);

    expect(made).toBe(1000);
    // One call in flight at a time (concurrency 1), a bounded number of batches started: far from all 1,000 rows.
    expect(builtAtSend[0]).toBeLessThan(200);
    const whole = pack(rows.map(item), (i) => i.vars, engine.options);
    expect(sends).toEqual(whole.batches.map((b) => b.map((i) => i.key)));
    const outcomes = engine.results();
    expect(outcomes.filter((o) => o.outcome === 'ok')).toHaveLength(1000 - whole.tooBig.length);
    for (const { item: big } of whole.tooBig) expect(outcomes[big.row.index]).toMatchObject({ outcome: 'failed', errorcode: 'too-many-fields' });
  });

  it('a row whose build gives nothing is left out of the group', async () => {
    const { engine, rows } = setup(6, 2);
    const sends: string[][] = [];
    const spec: BatchSpec<Item, null> = {
      wsfunction: 'fake_create',
      send: async (items) => {
        sends.push(items.map((i) => i.key));
        return null;
      },
      confirm: async (items) => {
        for (const i of items) engine.settle(i.row, 'ok', { moodleId: 1 });
      },
      failOne: (i, code, message) => engine.fail(i.row, code, message),
    };
    await sendPacked(engine, built(rows, (row) => (row.index % 2 === 0 ? { row, key: row.action.key, vars: 1 } : undefined)), (i) => i.vars, spec);
    expect(sends).toEqual([['K0', 'K2'], ['K4']]);
  });
});
