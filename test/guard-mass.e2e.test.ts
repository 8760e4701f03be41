/**
 * The mass-update guard and additions-only windows through the real CLI against the sandbox: a store that would change
 * every email is refused (nothing written) unless --force; inside an additions-only window a refresh stores and holds
 * every disable (missing records and disable rows, the latter in the tryback file), outside it disables as before.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

function writeConfig(w: Workspace, extra: Record<string, unknown>): void {
  const current = JSON.parse(readFileSync(join(w.dir, 'mdlsync.config.json'), 'utf8')) as Record<string, unknown>;
  w.write('mdlsync.config.json', JSON.stringify({ ...current, ...extra }));
}

/** The rows with a new email domain for the first `n`. */
function newEmails(rows: string[][], n: number): string[][] {
  return rows.map((r, i) => (i < n ? [...r.slice(0, 5), r[5].replace('@example.edu', '@new.example.edu'), ...r.slice(6)] : r));
}

describe('mass updates', () => {
  test('a store changing the email of 120 of 120 owned persons is refused (exit 3, nothing written); 30 pass; --force applies', async () => {
    ws = await workspace();
    const rows = persons(120);
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
    ws.sandbox.stats.reset();

    const all = ws.write('all-new.txt', sisFile(SIS_HEADER, newEmails(rows, 120)));
    const preview = await ws.cli(['plan', all]);
    expect(preview.code).toBe(3);
    expect(preview.stdout).toMatch(/Dry run: this run would be refused: store would change the content .* of 120 of 120 persons owned \(limit 30: 25% of owned, guard.maxUpdatePercent\)/);
    const refused = await ws.cli(['run', all]);
    expect(refused.code).toBe(3);
    expect(ws.lastSummary()).toMatchObject({ status: 'refused', guard: { kind: 'update', owned: 120, limit: 30, refused: true, updates: { count: 120 } } });
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.sandbox.users.byUsername('puser0001')?.email).toBe('puser0001@example.edu');

    // 30 of 120 is the limit itself: applied, no verdict for a store.
    const some = await ws.cli(['run', ws.write('some-new.txt', sisFile(SIS_HEADER, newEmails(rows, 30)))]);
    expect(some.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ guard: null, planned: { update: 30 } });
    expect(ws.sandbox.users.byUsername('puser0030')?.email).toBe('puser0030@new.example.edu');

    const forced = await ws.cli(['run', all, '--force']);
    expect(forced.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ guard: { kind: 'update', forced: true, refused: false }, planned: { update: 90 } });
    expect(ws.sandbox.users.list().filter((u) => u.email.endsWith('@new.example.edu'))).toHaveLength(120);
  });

  test('guard.maxUpdatePercent null lets a mass change through', async () => {
    ws = await workspace();
    writeConfig(ws, { guard: { maxUpdatePercent: null } });
    const rows = persons(100);
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
    expect((await ws.cli(['run', ws.write('all-new.txt', sisFile(SIS_HEADER, newEmails(rows, 100)))])).code).toBe(0);
    expect(ws.sandbox.users.byUsername('puser0100')?.email).toBe('puser0100@new.example.edu');
  });
});

describe('additions-only windows', () => {
  const HEADER = [...SIS_HEADER, 'ROW_STATUS'];
  const suspended = (w: Workspace) => w.sandbox.users.list().filter((u) => u.suspended && u.username.startsWith('puser')).map((u) => u.username).sort();

  test('inside the window a refresh stores and holds every disable; the held row is in the tryback; after it, disables go ahead', async () => {
    ws = await workspace();
    // A window around any day this test may run on: no clock is read here, the CLI checks its own start.
    writeConfig(ws, { guard: { additionsOnly: [{ from: '2000-01-01', to: '2999-12-31' }] }, courses: { timezone: 'UTC' } });
    const rows = persons(21).map((r) => [...r, 'enabled']);
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(HEADER, rows.slice(0, 20)))])).code).toBe(0);

    // P0001-P0005 missing, P0006 disabled by its row, P0007 a new email, P0021 new.
    const refresh = [...rows.slice(5, 20), rows[20]].map((r) => (r[0] === 'P0006' ? [...r.slice(0, 6), 'disabled'] : r[0] === 'P0007' ? newEmails([r], 1)[0] : r));
    const r = await ws.cli(['run', ws.write('refresh.txt', sisFile(HEADER, refresh)), '--op', 'refresh']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/guard: additions-only window/);
    expect(suspended(ws)).toEqual([]);
    expect(ws.sandbox.users.byUsername('puser0007')?.email).toBe('puser0007@new.example.edu');
    expect(ws.sandbox.users.byUsername('puser0021')).toBeDefined();
    const s = ws.lastSummary();
    expect(s).toMatchObject({ planned: { create: 1, update: 1, disable: 0, fail: 1 }, guard: { kind: 'additions-only', owned: 20, toDisable: 6, heldRows: 1, disablesHeld: true, refused: false } });
    expect(s.message).toMatch(/additions-only window 2000-01-01 … 2999-12-31: the refresh stores and holds every disable; 5 of 20 persons owned in all data sources missing from the file and 1 disable row\(s\) of the file \(in the tryback file\) were not disabled/);
    const rowsCsv = readFileSync(join(s.reportDir, 'rows.csv'), 'utf8');
    expect(rowsCsv.split('\n').filter((l) => l.includes('held-additions-only'))).toHaveLength(1);
    expect(rowsCsv).toMatch(/P0006.*held-additions-only/);
    const tryback = readFileSync(s.tryback as string, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(tryback.slice(1).map((l) => l.split('|')[0])).toEqual(['P0006']);

    // The tryback with --op store applies the held disable now (a window holds only a refresh's).
    expect((await ws.cli(['run', s.tryback as string, '--op', 'store'])).code).toBe(0);
    expect(suspended(ws)).toEqual(['puser0006']);

    // The window over: the same refresh disables the missing (over the 10 % guard: --force).
    writeConfig(ws, { guard: { additionsOnly: [{ from: '2000-01-01', to: '2000-01-31' }] }, courses: { timezone: 'UTC' } });
    const after = await ws.cli(['run', ws.write('refresh-after.txt', sisFile(HEADER, refresh)), '--op', 'refresh', '--force']);
    expect(after.code).toBe(0);
    expect(suspended(ws)).toEqual(['puser0001', 'puser0002', 'puser0003', 'puser0004', 'puser0005', 'puser0006']);
  });
});
