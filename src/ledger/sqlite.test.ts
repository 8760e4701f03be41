import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_LEDGER_PATH, LEDGER_MIGRATIONS, LEDGER_SCHEMA_VERSION, SqliteLedger, migrate } from './index.js';
import type { LinkWrite, Migration } from './index.js';

let dir: string;
let ledger: SqliteLedger | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-ledger-'));
});
afterEach(() => {
  ledger?.close();
  ledger = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function open(name = 'ledger.db'): SqliteLedger {
  ledger = SqliteLedger.open(join(dir, name));
  return ledger;
}

function w(key: string, over: Partial<LinkWrite> = {}): LinkWrite {
  return { entity: 'persons', key, moodleId: 100, dataSource: 'SIS', hash: 'h1', status: 'active', runId: 'r1', ...over };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('open and migrations', () => {
  it('uses .mdlsync/ledger.db by default', () => {
    expect(DEFAULT_LEDGER_PATH).toBe('.mdlsync/ledger.db');
  });

  it('creates parent folders, WAL mode, and migrates once', () => {
    const path = join(dir, 'a', 'b', 'ledger.db');
    ledger = SqliteLedger.open(path);
    expect(ledger.path).toBe(path);
    expect(existsSync(path)).toBe(true);
    expect(ledger.schemaVersion()).toBe(LEDGER_SCHEMA_VERSION);
    ledger.writeLinks([w('k1')]);
    ledger.close();

    // Re-open: no migration re-run, data kept.
    ledger = SqliteLedger.open(path);
    expect(ledger.getLinks('persons', ['k1']).get('k1')?.moodleId).toBe(100);
    ledger.close();
    ledger = undefined;

    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
    expect(rows).toEqual([
      { version: 1, name: 'links and runs' },
      { version: 2, name: 'writer lock' },
      { version: 3, name: 'link data' },
      { version: 4, name: 'seen marks' },
      { version: 5, name: 'ledger secrets' },
      { version: 6, name: 'retries' },
      { version: 7, name: 'link state' },
      { version: 8, name: 'export state' },
      { version: 9, name: 'user pictures' },
    ]);
    const idx = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'links' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
    expect(idx).toEqual([{ name: 'links_moodle_id' }, { name: 'links_scope' }]);
    db.close();
  });

  it('migrate() applies only the missing versions and refuses a newer ledger', () => {
    const db = new Database(':memory:');
    expect(migrate(db, LEDGER_MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(migrate(db)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(migrate(db)).toEqual([]);
    const next = LEDGER_MIGRATIONS.length + 1;
    const extra: Migration[] = [...LEDGER_MIGRATIONS, { version: next, name: 'later table', sql: 'CREATE TABLE later (x)' }];
    expect(migrate(db, extra)).toEqual([next]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: next });
    expect(() => migrate(db)).toThrow(/newer than this mdlsync knows/);
    expect(() => migrate(db, [{ version: 2, name: 'gap', sql: '' }])).toThrow(/expected 1/);
    db.close();
  });

  it('is private: the file and its -wal/-shm are 0600 in a 0700 folder, and an older 0644 ledger is tightened on open', () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    const path = join(dir, 'state', 'ledger.db');
    ledger = SqliteLedger.open(path);
    ledger.writeLinks([w('k1')]);
    expect(mode(join(dir, 'state'))).toBe(0o700);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
    ledger.close();
    ledger = undefined;

    // What an earlier version left: a 0644 ledger (and WAL) in a 0755 folder.
    const old = join(dir, 'old');
    mkdirSync(old);
    const oldPath = join(old, 'ledger.db');
    const db = new Database(oldPath);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    db.close();
    chmodSync(oldPath, 0o644);
    chmodSync(old, 0o755);
    ledger = SqliteLedger.open(oldPath);
    ledger.writeLinks([w('k1')]);
    expect(mode(old)).toBe(0o700);
    for (const f of [oldPath, `${oldPath}-wal`, `${oldPath}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
  });

  it('keeps a random per-ledger password key: the same on every open, another in another ledger', () => {
    const first = open('a.db').passwordKey();
    expect(first).toHaveLength(32);
    ledger!.close();
    const again = open('a.db').passwordKey();
    expect(again.equals(first)).toBe(true);
    ledger!.close();
    expect(open('b.db').passwordKey().equals(first)).toBe(false);
  });

  it('an in-memory ledger works (for tests and dry runs)', () => {
    ledger = SqliteLedger.open(':memory:');
    ledger.writeLinks([w('k')]);
    expect(ledger.countLinks('persons', null)).toBe(1);
  });
});

describe('links', () => {
  it('upsert keeps firstSeen and updates the rest', async () => {
    const l = open();
    l.writeLinks([w('k1')]);
    const first = l.getLinks('persons', ['k1']).get('k1')!;
    expect(first).toMatchObject({ entity: 'persons', key: 'k1', moodleId: 100, dataSource: 'SIS', hash: 'h1', status: 'active', lastRun: 'r1', disabledAt: null });
    expect(first.firstSeen).toBe(first.lastSeen);
    await sleep(5);
    l.writeLinks([w('k1', { moodleId: 101, hash: 'h2', runId: 'r2', dataSource: null })]);
    const second = l.getLinks('persons', ['k1']).get('k1')!;
    expect(second.firstSeen).toBe(first.firstSeen);
    expect(second.lastSeen > first.lastSeen).toBe(true);
    expect(second).toMatchObject({ moodleId: 101, hash: 'h2', lastRun: 'r2', dataSource: null });
  });

  it('sets disabledAt on disable, keeps it on a repeated disable, clears it on enable', async () => {
    const l = open();
    l.writeLinks([w('k1')]);
    l.writeLinks([w('k1', { status: 'disabled' })]);
    const disabled = l.getLinks('persons', ['k1']).get('k1')!;
    expect(disabled.status).toBe('disabled');
    expect(disabled.disabledAt).toBe(disabled.lastSeen);
    await sleep(5);
    l.writeLinks([w('k1', { status: 'disabled', runId: 'r3' })]);
    expect(l.getLinks('persons', ['k1']).get('k1')!.disabledAt).toBe(disabled.disabledAt);
    l.writeLinks([w('k1', { status: 'active' })]);
    expect(l.getLinks('persons', ['k1']).get('k1')!.disabledAt).toBeNull();
    // Created disabled (ROW_STATUS=disabled on a new person).
    l.writeLinks([w('k2', { status: 'disabled' })]);
    expect(l.getLinks('persons', ['k2']).get('k2')!.disabledAt).not.toBeNull();
  });

  it('getLinks returns only known keys of the entity, across chunks', () => {
    const l = open();
    const writes = Array.from({ length: 1203 }, (_, i) => w(`k${i}`, { moodleId: i }));
    l.writeLinks(writes);
    l.writeLinks([{ ...w('k5'), entity: 'courses', moodleId: 9999 }]);
    const keys = [...writes.map((x) => x.key), 'nope', 'k5'];
    const got = l.getLinks('persons', keys);
    expect(got.size).toBe(1203);
    expect(got.get('k1202')?.moodleId).toBe(1202);
    expect(got.get('k5')?.moodleId).toBe(5);
    expect(got.has('nope')).toBe(false);
    expect(l.getLinks('persons', []).size).toBe(0);
    expect(l.getLinks('courses', ['k5']).get('k5')?.moodleId).toBe(9999);
  });

  it('scopes activeLinks and countLinks by data source (null = all) and status', () => {
    const l = open();
    l.writeLinks([
      w('a', { dataSource: 'SIS' }),
      w('b', { dataSource: 'SIS' }),
      w('c', { dataSource: 'HR' }),
      w('d', { dataSource: null }),
      w('e', { dataSource: 'SIS', status: 'disabled' }),
      { ...w('f'), entity: 'courses' },
    ]);
    const keys = (it: Iterable<{ key: string }>) => [...it].map((x) => x.key).sort();
    expect(keys(l.activeLinks('persons', 'SIS'))).toEqual(['a', 'b']);
    expect(keys(l.activeLinks('persons', 'HR'))).toEqual(['c']);
    expect(keys(l.activeLinks('persons', null))).toEqual(['a', 'b', 'c', 'd']);
    expect(l.countLinks('persons', 'SIS')).toBe(2);
    expect(l.countLinks('persons', null)).toBe(4);
    expect(l.countLinks('persons', 'SIS', 'disabled')).toBe(1);
    expect(l.countLinks('persons', null, 'disabled')).toBe(1);
    expect(l.countLinks('courses', null)).toBe(1);
  });

  it('activeLinks streams (reads still work while it is open)', () => {
    const l = open();
    l.writeLinks([w('a'), w('b')]);
    const it = l.activeLinks('persons', null);
    const first = it.next();
    expect(first.done).toBe(false);
    expect(l.countLinks('persons', null)).toBe(2);
    expect([...it]).toHaveLength(1);
  });

  it('markSeen touches lastSeen/lastRun only', async () => {
    const l = open();
    l.writeLinks([w('a'), w('b')]);
    const before = l.getLinks('persons', ['a', 'b']);
    await sleep(5);
    l.markSeen('persons', ['a', 'missing'], 'r9');
    l.markSeen('persons', [], 'r10');
    const after = l.getLinks('persons', ['a', 'b']);
    expect(after.get('a')).toMatchObject({ lastRun: 'r9', hash: 'h1', status: 'active', firstSeen: before.get('a')!.firstSeen });
    expect(after.get('a')!.lastSeen > before.get('a')!.lastSeen).toBe(true);
    expect(after.get('b')).toEqual(before.get('b'));
  });

  it('a seen mark shows in every read until a later write of the link wins; a dropped link loses its mark', async () => {
    const l = open();
    l.writeLinks([w('a', { moodleId: 7 }), w('b', { moodleId: 7 }), w('c')]);
    await sleep(5);
    l.markSeen('persons', ['b'], 'r9');
    const seen = l.getLinks('persons', ['b']).get('b')!;
    expect(seen.lastRun).toBe('r9');
    // listLinks (ledger show), linkPage, activeLinks and linksWithKeySuffix read the same.
    expect(l.listLinks({ entity: 'persons', limit: 10, offset: 0 }).find((x) => x.key === 'b')).toEqual(seen);
    expect(l.linkPage('persons', 0, 10).links.find((x) => x.key === 'b')).toEqual(seen);
    expect([...l.activeLinks('persons', null)].find((x) => x.key === 'b')).toEqual(seen);
    expect(l.linksWithKeySuffix('persons', 'b')).toEqual([seen]);
    // Of two active links to one Moodle id, the one seen last wins.
    expect(l.findByMoodleId('persons', 7)?.key).toBe('b');
    await sleep(5);
    l.writeLinks([w('b', { moodleId: 7, runId: 'r10' })]);
    const written = l.getLinks('persons', ['b']).get('b')!;
    expect(written).toMatchObject({ lastRun: 'r10' });
    expect(written.lastSeen > seen.lastSeen).toBe(true);
    // The run's later marks move its time on; a link re-created after a drop starts without the old mark.
    await sleep(5);
    l.markSeen('persons', ['c'], 'r9');
    const marks = () => {
      const db = new Database(l.path, { readonly: true });
      const n = db.prepare('SELECT count(*) FROM link_seen').pluck().get();
      db.close();
      return n;
    };
    expect(marks()).toBe(2);
    l.dropLink('persons', 'c');
    expect(marks()).toBe(1);
    l.writeLinks([w('c', { runId: 'r11' })]);
    expect(l.getLinks('persons', ['c']).get('c')).toMatchObject({ lastRun: 'r11' });
  });

  it('hasLinks tells an entity with links of any status from one without', () => {
    const l = open();
    expect(l.hasLinks('persons')).toBe(false);
    l.writeLinks([w('a', { status: 'disabled' })]);
    expect(l.hasLinks('persons')).toBe(true);
    expect(l.hasLinks('courses')).toBe(false);
  });

  it('markSeen marks every key it is given, in the ledger order or not, and no other', () => {
    const l = open();
    const keys = Array.from({ length: 1500 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    l.writeLinks(keys.map((k) => w(k)));
    const inOrder = keys.filter((_, i) => i % 5 !== 0);
    l.markSeen('persons', inOrder, 'r-in');
    // Reversed, with keys the ledger lacks and a duplicate: the seek form completes what a range misses.
    const other = keys.filter((_, i) => i % 5 === 0).reverse();
    l.markSeen('persons', [...other.slice(0, 100), 'nope', other[3], ...other.slice(100)], 'r-other');
    const links = l.getLinks('persons', keys);
    for (const [i, k] of keys.entries()) expect([k, links.get(k)!.lastRun]).toEqual([k, i % 5 === 0 ? 'r-other' : 'r-in']);
    expect(l.getLinks('persons', ['nope']).size).toBe(0);
  });

  it('dropLink and findByMoodleId (active link preferred)', () => {
    const l = open();
    l.writeLinks([w('old', { moodleId: 7, status: 'disabled' }), w('new', { moodleId: 7 }), w('x', { moodleId: 8 })]);
    expect(l.findByMoodleId('persons', 7)?.key).toBe('new');
    expect(l.findByMoodleId('persons', 9)).toBeUndefined();
    expect(l.findByMoodleId('courses', 7)).toBeUndefined();
    l.dropLink('persons', 'new');
    expect(l.findByMoodleId('persons', 7)?.key).toBe('old');
    expect(l.getLinks('persons', ['new']).size).toBe(0);
  });

  it('listLinks filters and pages in key order', () => {
    const l = open();
    l.writeLinks([
      w('a', { dataSource: 'SIS' }),
      w('b', { dataSource: 'HR' }),
      w('c', { dataSource: 'SIS', status: 'disabled' }),
      w('d', { dataSource: 'SIS' }),
      { ...w('e'), entity: 'courses' },
    ]);
    const keys = (xs: { key: string }[]) => xs.map((x) => x.key);
    expect(keys(l.listLinks({ limit: 10, offset: 0 }))).toEqual(['e', 'a', 'b', 'c', 'd']);
    expect(keys(l.listLinks({ entity: 'persons', limit: 2, offset: 0 }))).toEqual(['a', 'b']);
    expect(keys(l.listLinks({ entity: 'persons', limit: 2, offset: 2 }))).toEqual(['c', 'd']);
    expect(keys(l.listLinks({ entity: 'persons', limit: 2, offset: 4 }))).toEqual([]);
    expect(keys(l.listLinks({ entity: 'persons', dataSource: 'SIS', limit: 10, offset: 0 }))).toEqual(['a', 'c', 'd']);
    expect(keys(l.listLinks({ entity: 'persons', dataSource: null, limit: 10, offset: 0 }))).toHaveLength(4);
    expect(keys(l.listLinks({ dataSource: 'SIS', status: 'active', limit: 10, offset: 0 }))).toEqual(['e', 'a', 'd']);
  });

  it('data: written when given, kept when a later write has none, replaced by setLinkData; links by key suffix', () => {
    const l = open();
    const e = (key: string, over: Partial<LinkWrite> = {}): LinkWrite => w(key, { entity: 'enrolments', ...over });
    l.writeLinks([e('C1|P1', { data: '{"roleId":5}' }), e('C2|P1'), e('C1|P12'), e('C1|XP1')]);
    expect(l.getLinks('enrolments', ['C1|P1']).get('C1|P1')?.data).toBe('{"roleId":5}');
    expect(l.getLinks('enrolments', ['C2|P1']).get('C2|P1')?.data).toBeNull();
    l.writeLinks([e('C1|P1', { status: 'disabled' })]);
    expect(l.getLinks('enrolments', ['C1|P1']).get('C1|P1')).toMatchObject({ status: 'disabled', data: '{"roleId":5}' });
    expect(l.setLinkData('enrolments', 'C1|P1', '{"roleId":3}')).toBe(true);
    expect(l.setLinkData('enrolments', 'nope', '{}')).toBe(false);
    expect(l.getLinks('enrolments', ['C1|P1']).get('C1|P1')?.data).toBe('{"roleId":3}');
    expect(l.linksWithKeySuffix('enrolments', '|P1').map((x) => x.key)).toEqual(['C1|P1', 'C2|P1']);
    expect(l.linksWithKeySuffix('persons', '|P1')).toEqual([]);
  });
});

describe('runs', () => {
  const run = (id: string, startedAt: string) => ({
    id,
    file: 'persons.txt',
    sha256: 'abc',
    type: 'persons',
    op: 'store',
    dataSource: 'SIS',
    startedAt,
  });

  it('starts, finishes, gets and lists runs', () => {
    const l = open();
    l.startRun(run('r1', '2026-01-01T00:00:00.000Z'));
    expect(l.getRun('r1')).toEqual({ ...run('r1', '2026-01-01T00:00:00.000Z'), finishedAt: null, status: 'running', summary: null });
    l.finishRun('r1', 'ok', { counts: { create: 3 } });
    const done = l.getRun('r1')!;
    expect(done.status).toBe('ok');
    expect(done.finishedAt).not.toBeNull();
    expect(JSON.parse(done.summary!)).toEqual({ counts: { create: 3 } });

    l.startRun(run('r2', '2026-01-02T00:00:00.000Z'));
    l.finishRun('r2', 'refused', 'guard refused');
    expect(l.getRun('r2')!.summary).toBe('guard refused');
    l.startRun(run('r3', '2026-01-03T00:00:00.000Z'));
    l.finishRun('r3', 'aborted', null);
    expect(l.getRun('r3')!.summary).toBeNull();

    expect(l.listRuns(2).map((r) => r.id)).toEqual(['r3', 'r2']);
    expect(l.listRuns(10)).toHaveLength(3);
    expect(l.getRun('nope')).toBeUndefined();
    expect(() => l.finishRun('nope', 'ok', null)).toThrow(/never started/);
    expect(() => l.startRun(run('r1', '2026-01-04T00:00:00.000Z'))).toThrow();
  });

  it('a run left running by a process that is gone reads as interrupted once the ledger is opened again', () => {
    const l = open();
    const dead = 2 ** 22 + 12345;
    l.startRun(run('killed', '2026-01-01T00:00:00.000Z'));
    l.acquireLock({ id: 'x:dead', pid: dead, host: hostname(), runId: 'killed' }, 60_000);
    l.startRun(run('orphan', '2026-01-02T00:00:00.000Z')); // no lock names it any more
    l.startRun(run('other-host', '2026-01-03T00:00:00.000Z'));
    l.acquireLock({ id: 'y:1', pid: dead, host: 'elsewhere', runId: 'other-host' }, 60_000, 'other');
    l.startRun(run('live', '2026-01-04T00:00:00.000Z'));
    l.acquireLock({ id: 'me', pid: process.pid, host: hostname(), runId: 'live' }, 60_000, 'mine');
    l.startRun(run('done', '2026-01-05T00:00:00.000Z'));
    l.finishRun('done', 'ok', null);
    const again = SqliteLedger.open(join(dir, 'ledger.db'));
    try {
      const status = Object.fromEntries(again.listRuns(10).map((r) => [r.id, r.status]));
      expect(status).toEqual({ killed: 'interrupted', orphan: 'interrupted', 'other-host': 'running', live: 'running', done: 'ok' });
    } finally {
      again.close();
    }
  });
});

describe('at scale', () => {
  it('100k links: writeLinks, getLinks, markSeen, activeLinks handle every link (their speed is measured by npm run bench)', () => {
    const l = open();
    const n = 100_000;
    const writes: LinkWrite[] = Array.from({ length: n }, (_, i) => w(`person-${i}`, { moodleId: i + 1, hash: `hash-${i}` }));
    const keys = writes.map((x) => x.key);
    l.writeLinks(writes);
    l.writeLinks(writes.map((x) => ({ ...x, runId: 'r2' })));
    const got = l.getLinks('persons', keys).size;
    l.markSeen('persons', keys, 'r3');
    let streamed = 0;
    for (const _ of l.activeLinks('persons', 'SIS')) streamed++;
    expect(got).toBe(n);
    expect(streamed).toBe(n);
    expect(l.countLinks('persons', 'SIS')).toBe(n);
  });
});

describe('writer lock', () => {
  const a = { id: 'host-a:1:run1', pid: 1, host: 'host-a', runId: 'run1' };
  const b = { id: 'host-b:2:run2', pid: 2, host: 'host-b', runId: 'run2' };

  it('one holder at a time across connections; the holder is named; release frees it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mdlsync-lock-')), 'ledger.db');
    const one = SqliteLedger.open(path);
    const two = SqliteLedger.open(path);
    try {
      expect(one.acquireLock(a, 60_000)).toBeNull();
      expect(one.acquireLock(a, 60_000)).toBeNull(); // re-entrant for its owner
      expect(two.acquireLock(b, 60_000)).toMatchObject({ pid: 1, host: 'host-a', runId: 'run1' });
      one.releaseLock(a);
      expect(two.acquireLock(b, 60_000)).toBeNull();
      expect(one.heartbeatLock(a)).toBe(false);
      expect(two.heartbeatLock(b)).toBe(true);
    } finally {
      one.close();
      two.close();
    }
  });

  it('a holder on this host whose process is gone (kill -9) is taken over at once', () => {
    const ledger = SqliteLedger.open(':memory:');
    try {
      const gone = { id: 'here:dead', pid: 2 ** 22 + 12345, host: 'here' };
      const alive = { id: 'here:me', pid: process.pid, host: 'here' };
      expect(ledger.acquireLock(gone, 60_000)).toBeNull();
      expect(ledger.acquireLock(alive, 60_000)).toBeNull();
      expect(ledger.acquireLock({ ...gone, id: 'here:dead2' }, 60_000)).toMatchObject({ pid: process.pid });
    } finally {
      ledger.close();
    }
  });

  it('a holder whose heartbeat is older than the stale limit is taken over', async () => {
    const ledger = SqliteLedger.open(':memory:');
    try {
      expect(ledger.acquireLock(a, 50)).toBeNull();
      expect(ledger.acquireLock(b, 50)).not.toBeNull();
      await new Promise((r) => setTimeout(r, 80));
      expect(ledger.acquireLock(b, 50)).toBeNull();
      expect(ledger.heartbeatLock(a)).toBe(false);
    } finally {
      ledger.close();
    }
  });
});
