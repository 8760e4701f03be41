/**
 * What only the PostgreSQL ledger has: advisory locks per entity held on a connection of their own (raced for, lost
 * with the connection, the loser's writes refused), retries claimed by two processes at once, migrations under a
 * lock and refused when newer, the schema option, and a SQLite export loaded and written back byte for byte.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEDGER_SCHEMA_VERSION, SqliteLedger, openLedger, type LedgerStore, type LinkWrite } from '../index.js';
import { PG_URL, pgAdmin } from '../test-backends.js';
import { ExportFile, writeExport } from '../transfer/index.js';
import { PostgresLedger } from './ledger.js';

if (!PG_URL) console.log('postgres.test.ts: PostgreSQL ledger tests skipped: MDLSYNC_TEST_PG_URL is not set');
const suite = PG_URL ? describe : describe.skip;

const opened: LedgerStore[] = [];
const schemas: string[] = [];
let n = 0;

afterEach(async () => {
  for (const l of opened.splice(0)) await l.close();
  const drop = schemas.splice(0);
  if (drop.length > 0) await pgAdmin((c) => c.query(drop.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE`).join('; ')));
});

function schema(): string {
  const s = `tpg_${process.pid}_${++n}_${Math.floor(Math.random() * 1e6)}`;
  schemas.push(s);
  return s;
}

async function open(s: string): Promise<PostgresLedger> {
  const l = await PostgresLedger.open(PG_URL!, { schema: s });
  opened.push(l);
  return l;
}

const w = (key: string, over: Partial<LinkWrite> = {}): LinkWrite => ({ entity: 'persons', key, moodleId: 1, dataSource: 'SIS', hash: 'h', status: 'active', runId: 'r1', ...over });
const owner = (id: string) => ({ id, pid: process.pid, host: 'test-host', runId: `run-${id}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tries until the lock is taken (a terminated backend lets its locks go a moment after it is told to). */
async function acquireSoon(l: LedgerStore, who: ReturnType<typeof owner>, scope: readonly string[] | 'all'): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if ((await l.acquireLock(who, 0, scope)) === null) return true;
    await sleep(20);
  }
  return false;
}

suite('PostgreSQL ledger', () => {
  describe('locks', () => {
    it('two ledgers (two pools) racing for one lock: exactly one gets it, the other is told who', async () => {
      const s = schema();
      const [x, y] = [await open(s), await open(s)];
      const results = await Promise.all([x.acquireLock(owner('x'), 0, ['persons']), y.acquireLock(owner('y'), 0, ['persons'])]);
      expect(results.filter((r) => r === null)).toHaveLength(1);
      expect(results.find((r) => r !== null)).toMatchObject({ pid: process.pid, host: 'test-host', runId: expect.stringMatching(/^run-[xy]$/) });
    });

    it('per entity: persons and enrolments held by two owners at once; all waits for either; an entity waits for all', async () => {
      const s = schema();
      const [x, y, z] = [await open(s), await open(s), await open(s)];
      expect(await x.acquireLock(owner('x'), 0, ['persons'])).toBeNull();
      expect(await y.acquireLock(owner('y'), 0, ['enrolments'])).toBeNull();
      expect(await z.acquireLock(owner('z'), 0, ['persons', 'courses'])).toMatchObject({ runId: 'run-x' });
      // The refused scope took nothing: courses is free.
      expect(await y.acquireLock(owner('y'), 0, ['enrolments', 'courses'])).toBeNull();
      expect(await z.acquireLock(owner('z'), 0, 'all')).toMatchObject({ runId: expect.stringMatching(/^run-[xy]$/) });
      await x.releaseLock(owner('x'));
      expect(await z.acquireLock(owner('z'), 0, 'all')).toMatchObject({ runId: 'run-y' });
      await y.releaseLock(owner('y'));
      expect(await z.acquireLock(owner('z'), 0, 'all')).toBeNull();
      expect(await x.acquireLock(owner('x'), 0, ['groups'])).toMatchObject({ runId: 'run-z' });
      expect(await z.heartbeatLock(owner('z'))).toBe(true);
      expect(await x.heartbeatLock(owner('x'))).toBe(false);
    });

    it("a killed connection releases the lock: the holder's writes throw, its heartbeat answers false, another takes it over", async () => {
      const s = schema();
      const [x, y] = [await open(s), await open(s)];
      expect(await x.acquireLock(owner('x'), 0, ['persons'])).toBeNull();
      await x.writeLinks([w('before')]);
      const [row] = await pgAdmin(async (c) => (await c.query(`SELECT backend_pid FROM "${s}".locks WHERE owner = 'x'`)).rows as { backend_pid: number }[]);
      // The holder's writes go through the lock's connection, not the pool.
      const writers = await pgAdmin(async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%INSERT INTO "${s}".links%'`, [row.backend_pid])).rows);
      expect(writers).toEqual([{ n: 1 }]);
      expect(await y.acquireLock(owner('y'), 0, ['persons'])).toMatchObject({ runId: 'run-x' });
      await pgAdmin((c) => c.query('SELECT pg_terminate_backend($1)', [row.backend_pid]));
      expect(await acquireSoon(y, owner('y'), ['persons'])).toBe(true);
      await expect(x.writeLinks([w('after')])).rejects.toMatchObject({ code: 'ledger-lock-lost', message: expect.stringMatching(/writer lock on the ledger .* was lost/) });
      await expect(x.markSeen('persons', ['before'], 'r2')).rejects.toMatchObject({ code: 'ledger-lock-lost' });
      await expect(x.retries.add({ source: 's', name: 'n', file: 'f', type: null, op: 'store', dataSource: null, force: false, rows: null, attempts: 1, nextAt: 0, lastError: '' })).rejects.toMatchObject({ code: 'ledger-lock-lost' });
      expect(await x.heartbeatLock(owner('x'))).toBe(false);
      expect(await y.getLinks('persons', ['before', 'after'])).toEqual(new Map([['before', expect.objectContaining({ key: 'before' })]]));
      // Once released (the loss acknowledged), it writes through the pool again, e.g. the end of its run.
      await x.releaseLock(owner('x'));
      await x.startRun({ id: 'rx', file: 'f', sha256: 's', type: 'persons', op: 'store', dataSource: null, startedAt: '2026-01-01T00:00:00.000Z' });
      await expect(x.acquireLock(owner('x'), 0, ['persons'])).resolves.toMatchObject({ runId: 'run-y' });
    });

    it('a stale locks row (its connection gone) does not name a holder, and its run reads as interrupted', async () => {
      const s = schema();
      const x = await open(s);
      expect(await x.acquireLock(owner('x'), 0, 'all')).toBeNull();
      await x.startRun({ id: 'run-x', file: 'f', sha256: 's', type: 'persons', op: 'store', dataSource: null, startedAt: '2026-01-01T00:00:00.000Z' });
      const [row] = await pgAdmin(async (c) => (await c.query(`SELECT backend_pid FROM "${s}".locks`)).rows as { backend_pid: number }[]);
      await pgAdmin((c) => c.query('SELECT pg_terminate_backend($1)', [row.backend_pid]));
      const y = await open(s);
      expect(await acquireSoon(y, owner('y'), ['persons'])).toBe(true);
      const z = await open(s);
      expect((await z.getRun('run-x'))?.status).toBe('interrupted');
    });
  });

  it('two processes claiming retries at once never claim one twice', async () => {
    const s = schema();
    const [x, y] = [await open(s), await open(s)];
    for (let i = 0; i < 6; i++) await x.retries.add({ source: 'watch:/drop', name: `f${i}.csv`, file: `/drop/.retry/f${i}`, type: 'persons', op: 'store', dataSource: null, force: false, rows: 1, attempts: 1, nextAt: 0, lastError: 'down' });
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? x : y).retries.claimDue('watch:/drop', 1, { id: `claimer-${i}`, pid: process.pid, host: 'test-host' })),
    );
    const ids = claims.filter((c) => c !== undefined).map((c) => c!.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(0);
    // What is left is claimed by nobody else: more claims take the rest, one each.
    const rest = [];
    for (let i = 0; i < 8; i++) rest.push(await x.retries.claimDue('watch:/drop', 1, { id: `late-${i}`, pid: process.pid, host: 'test-host' }));
    expect([...ids, ...rest.filter((c) => c !== undefined).map((c) => c!.id)].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  describe('migrations', () => {
    it('two ledgers opening a new schema at once: migrated once', async () => {
      const s = schema();
      await Promise.all([open(s), open(s), open(s)]);
      const rows = await pgAdmin(async (c) => (await c.query(`SELECT version FROM "${s}".schema_migrations ORDER BY version`)).rows);
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: LEDGER_SCHEMA_VERSION }, (_, i) => i + 1));
    });

    it('a ledger of a later schema version is refused', async () => {
      const s = schema();
      await (await open(s)).close();
      await pgAdmin((c) => c.query(`INSERT INTO "${s}".schema_migrations (version, name, applied_at) VALUES ($1, 'later', 'now')`, [LEDGER_SCHEMA_VERSION + 1]));
      await expect(PostgresLedger.open(PG_URL!, { schema: s })).rejects.toMatchObject({
        code: 'ledger-too-new',
        message: expect.stringMatching(new RegExp(`schema version ${LEDGER_SCHEMA_VERSION + 1}, newer than this mdlsync knows \\(${LEDGER_SCHEMA_VERSION}\\)`)),
      });
    });
  });

  it('openLedger: a postgres:// URL is a PostgreSQL ledger in the schema named, its path without the password', async () => {
    const s = schema();
    const u = new URL(PG_URL!);
    u.password = 'not-the-password';
    const l = await openLedger({ ledger: u.toString(), ledgerSchema: s });
    opened.push(l);
    expect(l.backend).toBe('postgres');
    expect(l.path).toMatch(new RegExp(`^postgres://[^@]*:\\*\\*\\*@.*#${s}$`));
    expect(l.path).not.toContain('not-the-password');
    await expect(PostgresLedger.open(PG_URL!, { schema: 'Bad-Name' })).rejects.toThrow(/schema name "Bad-Name"/);
    await expect(PostgresLedger.open('postgres://me:pw-secret@127.0.0.1:1/none')).rejects.toMatchObject({
      code: 'ledger-unreachable',
      message: expect.not.stringContaining('pw-secret'),
    });
  });

  it('SQLite → export → PostgreSQL import → export: the same bytes; and back into SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-pgtransfer-'));
    try {
      const lite = SqliteLedger.open(join(dir, 'source.db'));
      opened.push(lite);
      await lite.startRun({ id: 'r1', file: '/in/p.txt', sha256: 'a'.repeat(64), type: 'persons', op: 'store', dataSource: 'SIS', startedAt: '2026-11-30T09:00:00.000Z' });
      await lite.writeLinks([w('P3', { moodleId: 5_000_000_000 }), w('P1', { data: '{"x":"é"}' }), w('P2'), w('P4', { status: 'disabled' }), w('B'), w('a')]);
      await lite.writeLinks([{ entity: 'enrolments', key: 'C1|P1', moodleId: 7, dataSource: 'SIS', hash: null, state: 'e1;role=student', status: 'active', runId: 'r1' }]);
      await lite.finishRun('r1', 'ok', { rows: 5 });
      await lite.markSeen('persons', ['P1'], 'r2');
      await lite.retries.add({ source: 'watch:/drop', name: 'p.csv', file: '/x', type: 'persons', op: 'store', dataSource: 'SIS', force: true, rows: 3, attempts: 2, nextAt: 1_780_000_000_000, lastError: 'HTTP 503' });
      await lite.exports.replace('grades|all', ['C1', 'C10', 'c2'], [{ course: 'C1', person: 'P1', item: '', hash: 'g1' }, { course: 'c2', person: 'P1', item: 'LAB', hash: 'g2' }, { course: 'C10', person: 'P1', item: 'Z', hash: 'g3' }], 'r3', '2026-11-30T11:00:00.000Z');
      await lite.pictures.put({ match: 'key', name: 'P1', moodleId: 101, sha256: 'c'.repeat(64), bytes: 2048, revision: null, lastRun: 'r4' });
      await lite.passwordKey();
      const now = new Date('2026-12-01T10:00:00.000Z');
      const text = async (l: LedgerStore) => {
        const chunks: string[] = [];
        await writeExport(l.transfer, async (c) => void chunks.push(c), { secrets: true, now });
        return chunks.join('');
      };
      const load = async (l: LedgerStore, body: string) => {
        const path = join(dir, `f-${Math.random()}.jsonl`);
        writeFileSync(path, body);
        const file = ExportFile.open(path, LEDGER_SCHEMA_VERSION);
        try {
          return await l.transfer.load(file.records(), { replace: false, source: path });
        } finally {
          file.close();
        }
      };
      const first = await text(lite);
      const pgl = await open(schema());
      expect(await load(pgl, first)).toEqual({ links: 7, runs: 1, retries: 1, export_state: 3, pictures: 1, before_images: 7, ledger_secrets: 1 });
      expect(await text(pgl)).toBe(first);
      expect((await pgl.passwordKey()).equals(await lite.passwordKey())).toBe(true);
      expect(await pgl.retries.list()).toEqual(await lite.retries.list());
      expect((await pgl.retries.add({ source: 's', name: 'n', file: 'f', type: null, op: 'store', dataSource: null, force: false, rows: null, attempts: 1, nextAt: 0, lastError: '' })).id).toBe(2);
      const back = SqliteLedger.open(join(dir, 'back.db'));
      opened.push(back);
      await pgl.retries.remove(2);
      await load(back, await text(pgl));
      expect(await text(back)).toBe(first);
      // The refusals name the line on PostgreSQL too.
      const lines = first.split('\n');
      lines[2] = lines[1];
      await expect(load(await open(schema()), lines.join('\n'))).rejects.toMatchObject({ code: 'invalid-ledger-file', message: expect.stringMatching(/line 3: the ledger refuses the links row \(duplicate key/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
