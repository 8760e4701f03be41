/** `mdlsync purge` through the real CLI against the sandbox: retention period, dry run, guard, lock, already gone, re-enabled. */
import { afterEach, describe, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteLedger } from '../src/ledger/index.js';
import { MoodleClient, deleteUsers, updateUsers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const DAY = 86_400_000;
const ledgerPath = (w: Workspace) => join(w.dir, '.mdlsync', 'ledger.db');

/** Moves the disable date of these persons back by `days` (as if the refresh had run then). */
function backdate(w: Workspace, keys: string[], days: number): void {
  const db = new Database(ledgerPath(w));
  try {
    const at = new Date(Date.now() - days * DAY).toISOString();
    const s = db.prepare(`UPDATE links SET disabled_at = ? WHERE entity = 'persons' AND key = ? AND status = 'disabled'`);
    for (const k of keys) expect(s.run(at, k).changes).toBe(1);
  } finally {
    db.close();
  }
}

async function links(w: Workspace, keys: string[]) {
  const ledger = SqliteLedger.open(ledgerPath(w));
  try {
    return await ledger.getLinks('persons', keys);
  } finally {
    await ledger.close();
  }
}

/** n persons stored, then a forced refresh with the first `keep` of them: the rest are disabled (suspended) now. */
async function disableTail(w: Workspace, n: number, keep: number): Promise<void> {
  const rows = persons(n);
  expect((await w.cli(['run', w.write('all.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
  expect((await w.cli(['run', w.write('some.txt', sisFile(SIS_HEADER, rows.slice(0, keep))), '--op', 'refresh', '--force'])).code).toBe(0);
}

const idOf = (w: Workspace, n: number) => w.sandbox.users.byUsername(`puser${String(n).padStart(4, '0')}`)!.id;

describe('purge --disabled-older-than', () => {
  test('dry run lists the persons disabled long enough and deletes nothing; the purge deletes exactly those', async () => {
    ws = await workspace();
    await disableTail(ws, 20, 17); // P0018, P0019, P0020 disabled
    backdate(ws, ['P0018', 'P0019'], 60);
    const [active, old1, old2, recent] = [idOf(ws, 1), idOf(ws, 18), idOf(ws, 19), idOf(ws, 20)];
    ws.sandbox.stats.reset();

    const plan = await ws.cli(['purge', '--disabled-older-than', '30d', '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/would delete 2:/);
    expect(plan.stdout).toContain('P0018');
    expect(plan.stdout).toContain('P0019');
    expect(plan.stdout).not.toContain('P0020');
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect([old1, old2].map((id) => ws!.sandbox.users.byId(id)?.deleted)).toEqual([false, false]);
    const dry = ws.lastSummary();
    expect(dry).toMatchObject({ kind: 'purge', dryRun: true, status: 'dry-run', candidates: 2, exitCode: 0 });
    expect(readFileSync(join(dry.reportDir, 'plan.csv'), 'utf8').split('\n').filter((l) => l.includes(',delete,'))).toHaveLength(2);
    expect((await links(ws, ['P0018', 'P0019'])).size).toBe(2);

    const real = await ws.cli(['purge', '--disabled-older-than', '30d']);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/outcome: deleted 2, kept 0, failed 0/);
    expect(ws.sandbox.users.byId(old1)?.deleted).toBe(true);
    expect(ws.sandbox.users.byId(old2)?.deleted).toBe(true);
    expect(ws.sandbox.users.byId(recent)).toMatchObject({ deleted: false, suspended: true });
    expect(ws.sandbox.users.byId(active)).toMatchObject({ deleted: false, suspended: false });
    expect(ws.sandbox.users.list().filter((u) => u.deleted)).toHaveLength(2);
    const summary = ws.lastSummary();
    expect(summary).toMatchObject({ kind: 'purge', status: 'ok', outcomes: { ok: 2, failed: 0 }, guard: { owned: 20, toDelete: 2, limit: 2, refused: false } });
    const rows = readFileSync(join(summary.reportDir, 'rows.csv'), 'utf8').trim().split('\n');
    expect(rows.slice(1).map((l) => l.split(',').slice(1, 4).join(',')).sort()).toEqual(['P0018,delete,ok', 'P0019,delete,ok']);

    // Dropped from the ledger; the recent one stays disabled, the active one active.
    const after = await links(ws, ['P0001', 'P0018', 'P0019', 'P0020']);
    expect([...after.keys()].sort()).toEqual(['P0001', 'P0020']);
    expect(after.get('P0020')?.status).toBe('disabled');
    expect(after.get('P0001')?.status).toBe('active');

    const ledger = SqliteLedger.open(ledgerPath(ws));
    try {
      expect(await ledger.getRun(summary.runId as string)).toMatchObject({ op: 'purge', status: 'ok' });
    } finally {
      await ledger.close();
    }

    const again = await ws.cli(['purge', '--disabled-older-than', '30d']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to purge/);
  });

  test('a mass purge is refused by the guard (exit 3, nothing deleted) unless --force', async () => {
    ws = await workspace();
    await disableTail(ws, 10, 2);
    const disabled = ['P0003', 'P0004', 'P0005', 'P0006', 'P0007', 'P0008', 'P0009', 'P0010'];
    backdate(ws, disabled, 200);
    const ids = [3, 4, 5, 6, 7, 8, 9, 10].map((n) => idOf(ws!, n));
    ws.sandbox.stats.reset();

    const refused = await ws.cli(['purge', '--disabled-older-than', '26w']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/purge would delete 8 of 10 persons owned \(limit 1\): refused/);
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.sandbox.users.list().filter((u) => u.deleted)).toHaveLength(0);
    expect((await links(ws, disabled)).size).toBe(8);
    expect(ws.lastSummary()).toMatchObject({ status: 'refused', exitCode: 3 });

    const dry = await ws.cli(['purge', '--disabled-older-than', '180d', '--dry-run']);
    expect(dry.code).toBe(3);
    expect(dry.stdout).toMatch(/Dry run: this purge would be refused/);

    const forced = await ws.cli(['purge', '--disabled-older-than', '180d', '--force']);
    expect(forced.code).toBe(0);
    // Moodle clears idnumber and renames a deleted account: check by id.
    expect(ws.sandbox.users.list().filter((u) => u.deleted).map((u) => u.id).sort((a, b) => a - b)).toEqual(ids.sort((a, b) => a - b));
    expect((await links(ws, disabled)).size).toBe(0);
  });

  test('an account already deleted in Moodle counts as done; one re-enabled in Moodle by hand is kept', async () => {
    ws = await workspace();
    writeConfig(ws, { guard: { maxPercent: 100 } });
    await disableTail(ws, 6, 2);
    backdate(ws, ['P0003', 'P0004', 'P0005', 'P0006'], 90);
    const [p3, p4, p5, p6] = [3, 4, 5, 6].map((n) => idOf(ws!, n));
    const admin = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    try {
      await deleteUsers(admin, [p4]);
      await updateUsers(admin, [{ id: p5, suspended: 0 }]);
    } finally {
      await admin.close();
    }
    const r = await ws.cli(['purge', '--disabled-older-than', '30d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/outcome: deleted 3, kept 1, failed 0/);
    expect(ws.sandbox.users.byId(p3)?.deleted).toBe(true);
    expect(ws.sandbox.users.byId(p6)?.deleted).toBe(true);
    expect(ws.sandbox.users.byId(p5)).toMatchObject({ deleted: false, suspended: false });
    expect([...(await links(ws, ['P0003', 'P0004', 'P0005', 'P0006'])).keys()]).toEqual(['P0005']);
    const rows = readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8');
    expect(rows).toMatch(/P0004,delete,ok,\d+,,Moodle user \d+ was already deleted/);
    expect(rows).toMatch(/P0005,unchanged,unchanged,\d+,,kept: /);
  });

  test('takes the writer lock like a run; bad periods are usage errors', async () => {
    ws = await workspace();
    await disableTail(ws, 10, 9);
    backdate(ws, ['P0010'], 40);
    const p10 = idOf(ws, 10);
    const other = SqliteLedger.open(ledgerPath(ws));
    const owner = { id: 'elsewhere:4242:RUN-X', pid: 4242, host: 'elsewhere', runId: 'RUN-X' };
    try {
      expect(await other.acquireLock(owner, 60_000)).toBeNull();
      ws.sandbox.stats.reset();
      const locked = await ws.cli(['purge', '--disabled-older-than', '30d']);
      expect(locked.code).toBe(3);
      expect(locked.stdout).toMatch(/in use by another mdlsync run \(pid 4242 on elsewhere/);
      expect(ws.sandbox.stats.writeCalls).toBe(0);
      await other.releaseLock(owner);
    } finally {
      await other.close();
    }
    expect((await ws.cli(['purge', '--disabled-older-than', '30d'])).code).toBe(0);
    expect(ws.sandbox.users.byId(p10)?.deleted).toBe(true);
    for (const bad of ['180', '0d', '3m', 'soon']) expect((await ws.cli(['purge', '--disabled-older-than', bad])).code).toBe(1);
    expect((await ws.cli(['purge'])).code).toBe(1);
  });
});

function writeConfig(w: Workspace, extra: Record<string, unknown>): void {
  const path = join(w.dir, 'mdlsync.config.json');
  const current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  w.write('mdlsync.config.json', JSON.stringify({ ...current, ...extra }));
}
