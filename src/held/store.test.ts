import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerLink, LedgerStore } from '../ledger/types.js';
import type { Action, ActionCounts, Plan } from '../plan/types.js';
import { planDifference } from './changes.js';
import { decode, dropHeld, encode, holdRefused, ledgerPrint, listHeld, loadHeld, type HeldRequest } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mdlsync-held-'));
  dirs.push(d);
  return d;
}

const link = (key: string, over: Partial<LedgerLink> = {}): LedgerLink => ({
  entity: 'persons',
  key,
  moodleId: 10,
  dataSource: null,
  hash: 'h1',
  state: null,
  status: 'active',
  firstSeen: '',
  lastSeen: '',
  lastRun: null,
  disabledAt: null,
  ...over,
});

/** What a held plan uses of the ledger: its links, and the runs table (the run record says held, then superseded …). */
function fakeLedger(links: LedgerLink[], runs = new Map<string, string>()): LedgerStore {
  return {
    getLinks: async (_entity: string, keys: readonly string[]) => new Map(links.filter((l) => keys.includes(l.key)).map((l) => [l.key, l])),
    startRun: async (r: { id: string }) => void runs.set(r.id, 'running'),
    finishRun: async (id: string, status: string) => void runs.set(id, status),
    getRun: async (id: string) => (runs.has(id) ? { id, status: runs.get(id) } : undefined),
  } as unknown as LedgerStore;
}

const counts = (over: Partial<ActionCounts> = {}): ActionCounts => ({ create: 0, adopt: 0, update: 0, enable: 0, disable: 0, delete: 0, unchanged: 0, fail: 0, ...over });
const action = (key: string, kind: Action['kind'], more: Record<string, unknown> = {}): Action => ({ kind, entity: 'persons', key, line: 2, dataSource: null, reason: kind, ...more }) as Action;
const REQ: HeldRequest = { op: 'refresh', type: 'persons', dataSource: null, full: false, force: false };

function plan(actions: Action[]): Plan {
  const c = counts();
  for (const a of actions) c[a.kind]++;
  return {
    options: { entity: 'persons', op: 'refresh', dataSource: null, full: false, passwords: 'create-only', passwordKey: new Uint8Array([1, 2, 3]), disable: 'suspend', guard: { maxPercent: 10, maxCount: 1000 }, force: false },
    actions,
    counts: c,
    rows: actions.length,
    guard: { entity: 'persons', dataSource: null, owned: 10, toDisable: 3, limit: 1, refused: true, forced: false, message: 'refused' },
  };
}

describe('held plan files', () => {
  test('kept 0600 with their input, listed, loaded with dates as dates, the password key left out, dropped', async () => {
    const stateDir = tmp();
    const file = join(stateDir, 'in.txt');
    writeFileSync(file, 'data\n');
    const when = new Date('2026-01-02T03:04:05.000Z');
    const actions = [action('P1', 'unchanged', { moodleId: 10 }), action('P2', 'disable', { moodleId: 11, line: null, record: { start: when } })];
    const held = await holdRefused({ stateDir, site: null }, { runId: '20260101T000000000Z-abcd', file, sha256: 's', request: REQ, plan: plan(actions), ledger: fakeLedger([link('P1'), link('P2', { moodleId: 11 })]) });
    expect(held).toMatchObject({ approve: 'mdlsync approve 20260101T000000000Z-abcd', discard: 'mdlsync discard 20260101T000000000Z-abcd', replaced: [] });
    expect(statSync(join(stateDir, 'held', '20260101T000000000Z-abcd.json')).mode & 0o777).toBe(0o600);
    expect(statSync(held.input).mode & 0o777).toBe(0o600);
    const loaded = await loadHeld({ stateDir }, '20260101T000000000Z-abcd');
    expect(loaded?.options).not.toHaveProperty('passwordKey');
    expect((loaded?.actions[1] as { record?: { start: unknown } }).record?.start).toEqual(when);
    expect(loaded?.ledger).toEqual({ P1: { moodleId: 10, status: 'active', hash: 'h1', state: null }, P2: { moodleId: 11, status: 'active', hash: 'h1', state: null } });
    expect((await listHeld({ stateDir })).map((h) => h.runId)).toEqual(['20260101T000000000Z-abcd']);
    expect(await dropHeld({ stateDir }, '20260101T000000000Z-abcd')).toBe(true);
    expect(await dropHeld({ stateDir }, '20260101T000000000Z-abcd')).toBe(false);
    expect(await listHeld({ stateDir })).toEqual([]);
  });

  test('a newer plan of the same file and request replaces the older; another file keeps its own', async () => {
    const stateDir = tmp();
    const a = join(stateDir, 'a.txt');
    const b = join(stateDir, 'b.txt');
    writeFileSync(a, 'a\n');
    writeFileSync(b, 'b\n');
    const runs = new Map<string, string>();
    const args = { sha256: 's', request: REQ, plan: plan([action('P1', 'disable')]), ledger: fakeLedger([], runs) };
    await holdRefused({ stateDir, site: null }, { ...args, runId: '20260101T000000000Z-0001', file: a });
    await holdRefused({ stateDir, site: null }, { ...args, runId: '20260101T000000000Z-0002', file: b });
    const third = await holdRefused({ stateDir, site: 'east' }, { ...args, runId: '20260101T000000000Z-0003', file: a });
    expect(third.replaced).toEqual(['20260101T000000000Z-0001']);
    expect(third.approve).toBe('mdlsync approve 20260101T000000000Z-0003 --site east');
    expect((await listHeld({ stateDir })).map((h) => h.runId)).toEqual(['20260101T000000000Z-0002', '20260101T000000000Z-0003']);
    expect(Object.fromEntries(runs)).toEqual({ '20260101T000000000Z-0001': 'superseded', '20260101T000000000Z-0002': 'held', '20260101T000000000Z-0003': 'held' });
  });

  test('a run id that is not one never reaches the file system', async () => {
    const stateDir = tmp();
    expect(await loadHeld({ stateDir }, '../ledger')).toBeUndefined();
    expect(await dropHeld({ stateDir }, '../../etc/x')).toBe(false);
  });

  test('bytes and dates survive the round trip; other objects stay objects', () => {
    const v = { d: new Date('2026-05-06T00:00:00.000Z'), b: new Uint8Array([0, 255]), o: { $date: 'x', other: 1 }, s: '2026-05-06' };
    expect(decode(encode(v))).toEqual(v);
  });

  test('ledgerPrint: null for a key without a link', async () => {
    expect(await ledgerPrint(fakeLedger([link('P1', { state: 's' })]), 'persons', ['P1', 'P9', 'P1'])).toEqual({ P1: { moodleId: 10, status: 'active', hash: 'h1', state: 's' }, P9: null });
  });
});

describe('planDifference', () => {
  test('the counts that differ and the keys whose action changed, first N', () => {
    const before = { counts: counts({ unchanged: 2, disable: 1 }), actions: [action('P1', 'unchanged'), action('P2', 'unchanged'), action('P3', 'disable')] };
    const after = { counts: counts({ unchanged: 1, update: 1, create: 1 }), actions: [action('P1', 'update'), action('P2', 'unchanged'), action('P4', 'create')] };
    expect(planDifference(before, after, 2)).toEqual(['  counts: create 0 → 1, update 0 → 1, disable 1 → 0, unchanged 2 → 1', '  P1: unchanged → update', '  P3: disable → none', '  … and 1 more key(s)']);
    expect(planDifference(before, before)).toEqual(['  counts: the same']);
  });
});
