/**
 * A refresh whose file has rows that could not be read into a key disables nothing (real CLI, sandbox over HTTP):
 * the people in those rows would otherwise be taken for missing and suspended.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => ws.close());

const suspended = () =>
  ws.sandbox.users
    .list()
    .filter((u) => u.suspended)
    .map((u) => u.username)
    .sort();

/** 100 persons; the row of person 40 (line 41) written with ";"; a quote opened on line 98 swallows lines 98 to 101. */
function damagedRefresh(prefix: string): string {
  const rows = persons(100, { prefix });
  const lines = sisFile(SIS_HEADER, rows).split('\n');
  lines[40] = rows[39].join(';');
  lines[97] = lines[97].replace('|First', '|"First');
  return lines.join('\n');
}

describe('refresh with unreadable rows', () => {
  test('disables nothing, still stores, exits 2 and says why; --force disables and says what it risked', async () => {
    const stored = await ws.cli(['run', ws.write('ru-all.txt', sisFile(SIS_HEADER, persons(100, { prefix: 'ru' })))]);
    expect(stored.code).toBe(0);
    // One changed e-mail shows the store phase still runs.
    const file = damagedRefresh('ru').replace('ruuser0005@example.edu', 'ruuser0005@new.example.edu');

    const r = await ws.cli(['run', ws.write('ru-refresh.txt', file), '--op', 'refresh']);
    expect(r.code).toBe(2);
    expect(suspended()).toEqual([]);
    expect(ws.sandbox.users.byUsername('ruuser0005')?.email).toBe('ruuser0005@new.example.edu');
    const s = ws.lastSummary() as unknown as { reportDir: string; guard: Record<string, unknown>; message: string };
    expect(s.guard).toMatchObject({ toDisable: 5, disablesSkipped: true, refused: false, unreadable: { rows: 2, lines: '41, 98-101' } });
    expect(s.message).toMatch(/refresh disables nothing: 2 row\(s\) of the file could not be read into a key \(lines 41, 98-101\)/);
    expect(r.stdout + r.stderr).toMatch(/disables nothing/);
    const rows = readFileSync(join(s.reportDir, 'rows.csv'), 'utf8');
    expect(rows).toMatch(/^98,,fail,failed,,unterminated-quote,.*lines 98 to 101/m);
    expect(rows).toMatch(/^41,,fail,failed,,short-row,.*the whole line reads as one value/m);
    expect(rows).not.toMatch(/,disable,/);

    const forced = await ws.cli(['run', ws.write('ru-refresh-forced.txt', file), '--op', 'refresh', '--force']);
    expect(forced.code).toBe(2);
    expect(suspended()).toEqual(['ruuser0040', 'ruuser0097', 'ruuser0098', 'ruuser0099', 'ruuser0100']);
    const f = ws.lastSummary() as unknown as { guard: Record<string, unknown>; message: string };
    expect(f.guard).toMatchObject({ toDisable: 5, disablesSkipped: false, forced: true });
    expect(f.message).toMatch(/--force: disabled although 2 row\(s\) of the file could not be read into a key \(lines 41, 98-101\)/);
  });

  test('refresh-ds too; the plan says so and a row with a short tail (key readable) does not block', async () => {
    await ws.cli(['run', ws.write('rd-all.txt', sisFile([...SIS_HEADER, 'DATA_SOURCE_KEY'], persons(20, { prefix: 'rd', ds: 'SIS' })))]);
    const rows = persons(20, { prefix: 'rd', ds: 'SIS' });
    rows[3] = rows[3].slice(0, 5); // short row: the key comes first, so it is still read
    rows.splice(19, 1); // one person really gone
    const readable = sisFile([...SIS_HEADER, 'DATA_SOURCE_KEY'], rows);
    const ok = await ws.cli(['run', ws.write('rd-short.txt', readable), '--op', 'refresh-ds', '--datasource', 'SIS']);
    expect(ok.code).toBe(2);
    expect(suspended()).toContain('rduser0020');

    rows[5] = [`"${rows[5].join('|')}"`, '', '', '', '', '', '']; // the whole row quoted into the key cell
    const plan = await ws.cli(['plan', ws.write('rd-quoted.txt', sisFile([...SIS_HEADER, 'DATA_SOURCE_KEY'], rows)), '--op', 'refresh-ds', '--datasource', 'SIS']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/refresh disables nothing: 1 row\(s\) of the file could not be read into a key \(line 7\)/);
  });
});
