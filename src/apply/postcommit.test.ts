/**
 * The engine and errors that may come after Moodle committed: a failed write whose effect may have landed is read
 * back (the spec's recheck) before its rows are reported, split or resent.
 */
import { describe, expect, it } from '@jest/globals';
import type { LedgerStore } from '../ledger/types.js';
import { MoodleError, TransientError } from '../moodle/index.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { AnyAction } from '../plan/types.js';
import { BatchEngine, type BatchSpec, type Row } from './engine.js';
import { DEFAULT_APPLY_OPTIONS } from './index.js';

interface Item {
  row: Row;
  key: string;
}

const moodleError = (errorcode: string) => new MoodleError('fake_create', { exception: 'core\\exception\\moodle_exception', errorcode, message: `error/${errorcode}` });

/**
 * A fake all-or-nothing create: `bad` keys refuse the whole call with `refusal`; otherwise every record is saved
 * and `afterCommit` (if set) is thrown once the call is saved, as the welcome mail's failure is.
 */
class FakeSite {
  readonly saved: string[] = [];
  readonly sends: string[][] = [];
  readonly reads: string[][] = [];
  afterCommit: (() => Error) | null = null;
  refusal: Error = moodleError('invalidparameter');
  bad = new Set<string>();
  readsFail = false;

  spec(engine: BatchEngine): BatchSpec<Item, null> {
    return {
      wsfunction: 'fake_create',
      send: async (items) => {
        this.sends.push(items.map((i) => i.key));
        if (items.some((i) => this.bad.has(i.key))) throw this.refusal;
        this.saved.push(...items.map((i) => i.key));
        if (this.afterCommit) throw this.afterCommit();
        return null;
      },
      confirm: async (items) => {
        for (const i of items) engine.settle(i.row, 'ok', { moodleId: 1 });
      },
      failOne: (item, code, message) => engine.fail(item.row, code, message),
      recheck: async (items) => {
        this.reads.push(items.map((i) => i.key));
        if (this.readsFail) throw new TransientError('network', 'connection failed (ECONNRESET)');
        for (const i of items) if (this.saved.includes(i.key)) engine.settle(i.row, 'ok', { moodleId: 1 });
        return items.filter((i) => !this.saved.includes(i.key));
      },
    };
  }
}

function setup(keys: string[], retries = 3): { engine: BatchEngine; items: Item[] } {
  const actions = keys.map((key, i) => ({ kind: 'create', entity: 'persons', key, line: i + 2, dataSource: null, reason: 'test' }) as AnyAction);
  const engine = new BatchEngine(actions, {
    client: {} as MoodleCaller,
    ledger: {} as LedgerStore,
    runId: 'r1',
    options: { ...DEFAULT_APPLY_OPTIONS, backoffMs: 1, retries },
  });
  return { engine, items: actions.map((action, index) => ({ row: { index, action }, key: action.key })) };
}

describe('errors Moodle raises after it has committed', () => {
  it('an unknown errorcode after the commit: read back, every row ok with a warning naming it, nothing resent', async () => {
    const site = new FakeSite();
    site.afterCommit = () => moodleError('Message was not sent.');
    const { engine, items } = setup(['A', 'B', 'C', 'D']);
    await engine.sendBatch(items, site.spec(engine));
    expect(site.sends).toEqual([['A', 'B', 'C', 'D']]);
    expect(site.saved).toEqual(['A', 'B', 'C', 'D']);
    for (const o of engine.results()) {
      expect(o.outcome).toBe('ok');
      expect(o.message).toBe('warning: Moodle answered "Message was not sent." but the row is saved in Moodle (read back)');
    }
  });

  it('an unknown errorcode for a call that saved nothing: read back once, then split; the bad row fails, read back as absent', async () => {
    const site = new FakeSite();
    // A password-policy failure puts the policy's HTML in errorcode: unknown, yet the call was refused.
    site.refusal = moodleError('<div>Passwords must be at least 8 characters long.</div>');
    site.bad.add('C');
    const { engine, items } = setup(['A', 'B', 'C', 'D']);
    await engine.sendBatch(items, site.spec(engine));
    expect(site.saved.sort()).toEqual(['A', 'B', 'D']);
    expect(engine.results().map((o) => `${o.key}:${o.outcome}`)).toEqual(['A:ok', 'B:ok', 'C:failed', 'D:ok']);
    expect(engine.results()[2].message).toMatch(/\(read back: not in Moodle\)$/);
    expect(engine.results()[0].message).toBeUndefined();
  });

  it("a refusal is Moodle's own rollback: no read back, split at once", async () => {
    const site = new FakeSite();
    site.bad.add('B');
    const { engine, items } = setup(['A', 'B']);
    await engine.sendBatch(items, site.spec(engine));
    expect(site.reads).toEqual([]);
    expect(engine.results().map((o) => `${o.key}:${o.outcome}:${o.errorcode ?? ''}`)).toEqual(['A:ok:', 'B:failed:invalidparameter']);
  });

  it('an unknown errorcode whose read back fails: the rows are unknown and verified on the next run, never resent', async () => {
    const site = new FakeSite();
    site.afterCommit = () => moodleError('Message was not sent.');
    site.readsFail = true;
    const { engine, items } = setup(['A', 'B']);
    await engine.sendBatch(items, site.spec(engine));
    expect(site.sends).toHaveLength(1);
    for (const o of engine.results()) {
      expect(o).toMatchObject({ outcome: 'failed', errorcode: 'Message was not sent.' });
      expect(o.message).toMatch(/unknown whether Moodle saved it: verified on the next run/);
    }
  });

  it('a connection refused on every try reached nothing: never read back, never "unknown"', async () => {
    const site = new FakeSite();
    const { engine, items } = setup(['A'], 2);
    const spec = site.spec(engine);
    await engine.sendBatch(items, { ...spec, send: async () => { throw new TransientError('network', 'connection failed (ECONNREFUSED)', undefined, false); } });
    expect(site.reads).toEqual([]);
    expect(engine.results()[0]).toMatchObject({ outcome: 'failed', errorcode: 'transient' });
    expect(engine.results()[0].message).not.toMatch(/unknown/);
  });
});
