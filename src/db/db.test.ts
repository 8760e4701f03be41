/** The SQL layer on both backends: placeholders, transactions, versioned migrations; and the mirror store's guards. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MirrorStore } from '../mirror/store.js';
import { migrate, numberPlaceholders, openDatabase, redactUrl, type SqlDatabase } from './index.js';

const PG_URL = process.env.MDLSYNC_TEST_PG_URL;
if (!PG_URL) console.log('db.test.ts: PostgreSQL tests skipped: MDLSYNC_TEST_PG_URL is not set');
const dir = mkdtempSync(join(tmpdir(), 'mdlsync-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('placeholders are numbered outside quotes; a URL loses its password', () => {
  expect(numberPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?' AND \"c?\" = ?")).toBe("SELECT * FROM t WHERE a = $1 AND b = '?' AND \"c?\" = $2");
  expect(redactUrl('postgres://me:s3cret@db.example:5432/mirror')).toBe('postgres://me:***@db.example:5432/mirror');
  expect(redactUrl('/var/lib/mirror.sqlite')).toBe('/var/lib/mirror.sqlite');
});

const MIGRATIONS = [
  { version: 1, name: 'one', sql: 'CREATE TABLE things (id BIGINT PRIMARY KEY, name TEXT NOT NULL); CREATE INDEX things_name ON things (name)' },
  { version: 2, name: 'two', sql: 'ALTER TABLE things ADD COLUMN size DOUBLE PRECISION' },
];

function backend(name: string, open: () => Promise<{ db: SqlDatabase; url: string; drop: () => Promise<void> }>): void {
  describe(name, () => {
    test('migrations run once, in order; a database newer than the code is refused', async () => {
      const { db, url, drop } = await open();
      try {
        expect(await migrate(db, MIGRATIONS.slice(0, 1), { what: 'test database', tooNew: 'mirror-too-new' })).toEqual([1]);
        expect(await migrate(db, MIGRATIONS, { what: 'test database', tooNew: 'mirror-too-new' })).toEqual([2]);
        expect(await migrate(db, MIGRATIONS, { what: 'test database', tooNew: 'mirror-too-new' })).toEqual([]);
        await db.exec('INSERT INTO things (id, name, size) VALUES (?, ?, ?)', [5_000_000_000, 'big', 1.5]);
        expect(await db.query('SELECT id, name, size FROM things')).toEqual([{ id: 5_000_000_000, name: 'big', size: 1.5 }]);
        await expect(migrate(db, MIGRATIONS.slice(0, 1), { what: 'test database', tooNew: 'mirror-too-new' })).rejects.toMatchObject({
          code: 'mirror-too-new',
          message: expect.stringMatching(/schema version 2, newer than this mdlsync knows \(1\)/),
        });
      } finally {
        await db.close();
      }
      const again = openDatabase(url);
      try {
        await expect(again.transaction(async (tx) => {
          await tx.exec("INSERT INTO things (id, name) VALUES (1, 'kept?')");
          throw new Error('stop');
        })).rejects.toThrow('stop');
        expect(await again.query('SELECT id FROM things WHERE id = 1')).toEqual([]);
      } finally {
        await again.close();
        await drop();
      }
    });

    test('a mirror belongs to one site, and one pass holds it at a time', async () => {
      const { db, url, drop } = await open();
      await db.close();
      const store = await MirrorStore.open(url);
      const other = await MirrorStore.open(url);
      try {
        await store.claimSite('https://moodle.example.edu');
        await expect(store.claimSite('https://moodle.example.edu')).resolves.toBeUndefined();
        await expect(other.claimSite('https://other.example.edu')).rejects.toMatchObject({ code: 'mirror-other-site' });
        const release = await store.lock('pass-1', 0, 120);
        await expect(other.lock('pass-2', 0, 120)).rejects.toMatchObject({ code: 'mirror-locked' });
        await release();
        const second = await other.lock('pass-2', 0, 120);
        await second();
      } finally {
        await store.close();
        await other.close();
        await drop();
      }
    });
  });
}

backend('SQLite', async () => {
  const url = join(dir, `t-${Math.floor(Math.random() * 1e9)}`, 'm.sqlite');
  const db = openDatabase(url);
  await db.query('SELECT 1');
  expect(statSync(url).mode & 0o777).toBe(0o600);
  return { db, url, drop: async () => undefined };
});

if (PG_URL) {
  backend('PostgreSQL', async () => {
    const name = `mdlsync_dbtest_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(PG_URL);
    u.pathname = `/${name}`;
    const url = u.toString();
    return {
      db: openDatabase(url),
      url,
      drop: async () => {
        const a = new pg.Client({ connectionString: PG_URL });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  });
}

test('a PostgreSQL server that cannot be reached is a mirror-database error naming the URL without its password', async () => {
  await expect(MirrorStore.open('postgres://me:pw-secret@127.0.0.1:1/none')).rejects.toMatchObject({
    code: 'mirror-database',
    message: expect.stringMatching(/^the mirror database postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/none cannot be opened/),
  });
});
