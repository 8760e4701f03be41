/** What only the SQLite ledger has: its file (folders, modes, WAL), PRAGMA user_version, and its heartbeat-based lock. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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
afterEach(async () => {
  await ledger?.close();
  ledger = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function w(key: string, over: Partial<LinkWrite> = {}): LinkWrite {
  return { entity: 'persons', key, moodleId: 100, dataSource: 'SIS', hash: 'h1', status: 'active', runId: 'r1', ...over };
}

describe('open and migrations', () => {
  it('uses .mdlsync/ledger.db by default', () => {
    expect(DEFAULT_LEDGER_PATH).toBe('.mdlsync/ledger.db');
  });

  it('creates parent folders, WAL mode, user_version and the indexes', async () => {
    const path = join(dir, 'a', 'b', 'ledger.db');
    ledger = SqliteLedger.open(path);
    expect(ledger.path).toBe(path);
    expect(existsSync(path)).toBe(true);
    await ledger.writeLinks([w('k1')]);
    await ledger.close();
    ledger = undefined;
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    const idx = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'links' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
    expect(idx).toEqual([{ name: 'links_moodle_id' }, { name: 'links_scope' }]);
    db.close();
  });

  it('migrate() applies only the missing versions and refuses a newer ledger', () => {
    const db = new Database(':memory:');
    expect(migrate(db, LEDGER_MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(migrate(db)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(migrate(db)).toEqual([]);
    const next = LEDGER_MIGRATIONS.length + 1;
    const extra: Migration[] = [...LEDGER_MIGRATIONS, { version: next, name: 'later table', sql: 'CREATE TABLE later (x)' }];
    expect(migrate(db, extra)).toEqual([next]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: next });
    expect(() => migrate(db)).toThrow(/newer than this mdlsync knows/);
    expect(() => migrate(db, [{ version: 2, name: 'gap', sql: '' }])).toThrow(/expected 1/);
    db.close();
  });

  it('is private: the file and its -wal/-shm are 0600 in a 0700 folder, and an older 0644 ledger is tightened on open', async () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    const path = join(dir, 'state', 'ledger.db');
    ledger = SqliteLedger.open(path);
    await ledger.writeLinks([w('k1')]);
    expect(mode(join(dir, 'state'))).toBe(0o700);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
    await ledger.close();
    ledger = undefined;

    // What an earlier version left: a 0644 ledger (and WAL) in a 0755 state folder.
    const old = join(dir, '.mdlsync');
    mkdirSync(old);
    const oldPath = join(old, 'ledger.db');
    const db = new Database(oldPath);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    db.close();
    chmodSync(oldPath, 0o644);
    chmodSync(old, 0o755);
    ledger = SqliteLedger.open(oldPath);
    await ledger.writeLinks([w('k1')]);
    expect(mode(old)).toBe(0o700);
    for (const f of [oldPath, `${oldPath}-wal`, `${oldPath}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
  });

  it("leaves the mode of a folder the admin chose alone (a home, /srv, /tmp): only mdlsync's own are made 0700", async () => {
    const chosen = join(dir, 'shared');
    mkdirSync(chosen);
    chmodSync(chosen, 0o1777);
    ledger = SqliteLedger.open(join(chosen, 'ledger.db'));
    await ledger.writeLinks([w('k1')]);
    expect(statSync(chosen).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(chosen, 'ledger.db')).mode & 0o777).toBe(0o600);
  });

  it('an in-memory ledger works (for tests and dry runs)', async () => {
    ledger = SqliteLedger.open(':memory:');
    await ledger.writeLinks([w('k')]);
    expect(await ledger.countLinks('persons', null)).toBe(1);
  });
});

describe('writer lock (one lock for any scope; a holder without a heartbeat is taken over)', () => {
  const a = { id: 'host-a:1:run1', pid: 1, host: 'host-a', runId: 'run1' };
  const b = { id: 'host-b:2:run2', pid: 2, host: 'host-b', runId: 'run2' };

  it('entity scopes do not run side by side on SQLite', async () => {
    ledger = SqliteLedger.open(':memory:');
    expect(await ledger.acquireLock(a, 60_000, ['persons'])).toBeNull();
    expect(await ledger.acquireLock(b, 60_000, ['enrolments'])).toMatchObject({ host: 'host-a' });
  });

  it('a holder on this host whose process is gone (kill -9) is taken over at once', async () => {
    ledger = SqliteLedger.open(':memory:');
    const gone = { id: 'here:dead', pid: 2 ** 22 + 12345, host: 'here' };
    const alive = { id: 'here:me', pid: process.pid, host: 'here' };
    expect(await ledger.acquireLock(gone, 60_000)).toBeNull();
    expect(await ledger.acquireLock(alive, 60_000)).toBeNull();
    expect(await ledger.acquireLock({ ...gone, id: 'here:dead2' }, 60_000)).toMatchObject({ pid: process.pid });
  });

  it('a holder whose heartbeat is older than the stale limit is taken over', async () => {
    ledger = SqliteLedger.open(':memory:');
    expect(await ledger.acquireLock(a, 50)).toBeNull();
    expect(await ledger.acquireLock(b, 50)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 80));
    expect(await ledger.acquireLock(b, 50)).toBeNull();
    expect(await ledger.heartbeatLock(a)).toBe(false);
  });
});
