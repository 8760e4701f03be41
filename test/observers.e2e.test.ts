/**
 * Observers through the real CLI against the sandbox over HTTP: the SIS guide's observer examples 1–3 (store, the
 * changed pair of example 2, delete and refresh of example 3), refresh-ds, unknown persons, a link made by hand that a
 * refresh leaves alone, and `mdlsync doctor`'s observer-role check.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, assignRoles } from '../src/moodle/index.js';
import { SIS_HEADER, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const OH = ['EXTERNAL_OBSERVER_KEY', 'EXTERNAL_USER_KEY'];
const OHDS = ['EXTERNAL_OBSERVER_KEY', 'EXTERNAL_USER_KEY', 'DATA_SOURCE_KEY'];
const PARENT = 9;
const CONTEXT_USER = 30;

/** The guide's students test_student_N00 and their observers test_student_N00_observer (N = 1…4). */
async function setup(): Promise<Workspace> {
  const w = await workspace();
  ws = w;
  const rows: string[][] = [];
  for (const n of [100, 200, 300, 400]) {
    for (const key of [`test_student_${n}`, `test_student_${n}_observer`]) rows.push([key, key, `Secret-${n}x`, 'First', key, `${key}@example.edu`]);
  }
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
  return w;
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
/** Who observes whom, as the sandbox holds it: `observer→observed` by person key, sorted. */
function links(w: Workspace): string[] {
  const key = (id: number) => w.sandbox.users.byId(id)?.idnumber ?? String(id);
  return w.sandbox.roles
    .roleAssignments({ roleid: PARENT, contextlevel: CONTEXT_USER })
    .map((a) => `${key(a.userid)}→${key(a.instanceid)}`)
    .sort();
}
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
const pair = (n: number, m = n): string[] => [`test_student_${n}_observer`, `test_student_${m}`];

describe('observers feed: the SIS guide examples', () => {
  test('example 1: store links both observers to test_student_100 in its user context; a re-run makes no write call', async () => {
    const w = await setup();
    const r = await w.cli(['run', w.write('obs.txt', sisFile(OH, [pair(100), pair(200, 100)]))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'observers', planned: { create: 2 }, outcomes: { ok: 2, failed: 0 } });
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100', 'test_student_200_observer→test_student_100']);
    expect(w.sandbox.roles.roleAssignments({ roleid: PARENT, userid: uid(w, 'test_student_100_observer') })).toEqual([
      expect.objectContaining({ contextlevel: CONTEXT_USER, instanceid: uid(w, 'test_student_100') }),
    ]);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('obs2.txt', sisFile(OH, [pair(100), pair(200, 100)]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('example 2: the changed pair is a store of the new pair plus a delete of the old one (or a refresh)', async () => {
    const w = await setup();
    expect((await w.cli(['run', w.write('obs.txt', sisFile(OH, [pair(100), pair(200, 100)]))])).code).toBe(0);

    expect((await w.cli(['run', w.write('new.txt', sisFile(OH, [pair(200)]))])).code).toBe(0);
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100', 'test_student_200_observer→test_student_100', 'test_student_200_observer→test_student_200']);
    const d = await w.cli(['run', w.write('old.txt', sisFile(OH, [pair(200, 100)])), '--op', 'delete']);
    expect(d.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1 }, outcomes: { ok: 1 } });
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100', 'test_student_200_observer→test_student_200']);

    // The same change as one refresh: the working set with the corrected pair.
    expect((await w.cli(['run', w.write('back.txt', sisFile(OH, [pair(200, 100)]))])).code).toBe(0);
    const r = await w.cli(['run', w.write('set.txt', sisFile(OH, [pair(100), pair(200)])), '--op', 'refresh', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 2, disable: 1 } });
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100', 'test_student_200_observer→test_student_200']);
  });

  test('example 3: delete disables a subset; a refresh disables what the file lacks and stores the new pairs', async () => {
    const w = await setup();
    expect((await w.cli(['run', w.write('set.txt', sisFile(OH, [pair(100), pair(200)]))])).code).toBe(0);

    // "Disabling a subset": the pairs in a delete file go; the rest stay.
    expect((await w.cli(['run', w.write('del.txt', sisFile(OH, [pair(200)])), '--op', 'delete'])).code).toBe(0);
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100']);

    // "While storing new or existing ones": refresh with 100 kept, 300 and 400 new; 200 (restored first) goes.
    expect((await w.cli(['run', w.write('again.txt', sisFile(OH, [pair(200)]))])).code).toBe(0);
    const r = await w.cli(['run', w.write('refresh.txt', sisFile(OH, [pair(100), pair(300), pair(400)])), '--op', 'refresh', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 1, create: 2, disable: 1 }, outcomes: { failed: 0 } });
    expect(links(w)).toEqual([
      'test_student_100_observer→test_student_100',
      'test_student_300_observer→test_student_300',
      'test_student_400_observer→test_student_400',
    ]);
    expect(rowsCsv(w)).toMatch(/^,test_student_200_observer\|test_student_200,disable,ok,/m);
  });
});

describe('observers feed: scope and failures', () => {
  test('refresh-ds removes only its data source\'s links; a link made by hand is never removed', async () => {
    const w = await setup();
    const rows = [[...pair(100), 'A'], [...pair(200), 'A'], [...pair(300), 'B']];
    expect((await w.cli(['run', w.write('ds.txt', sisFile(OHDS, rows))])).code).toBe(0);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await assignRoles(client, [{ roleid: PARENT, userid: uid(w, 'test_student_400_observer'), contextlevel: 'user', instanceid: uid(w, 'test_student_400') }]);
    await client.close();

    const r = await w.cli(['run', w.write('a.txt', sisFile(OHDS, [rows[0]])), '--op', 'refresh-ds', '--datasource', 'A', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ guard: { dataSource: 'A', owned: 2, toDisable: 1 }, planned: { disable: 1, unchanged: 1 } });
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100', 'test_student_300_observer→test_student_300', 'test_student_400_observer→test_student_400']);

    // A full refresh with the same file takes B's link too, never the one made by hand.
    expect((await w.cli(['run', w.write('all.txt', sisFile(OHDS, [rows[0]])), '--op', 'refresh', '--force'])).code).toBe(0);
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100', 'test_student_400_observer→test_student_400']);
  });

  test('an unknown observer or observed person fails its row, naming the column; the rest land', async () => {
    const w = await setup();
    const r = await w.cli(['run', w.write('obs.txt', sisFile(OH, [['nobody', 'test_student_100'], pair(100), ['test_student_100_observer', 'ghost']]))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 1, failed: 2 } });
    const csv = rowsCsv(w);
    expect(csv).toContain('unknown-person,unknown person nobody (EXTERNAL_OBSERVER_KEY)');
    expect(csv).toContain('unknown-person,unknown person ghost (EXTERNAL_USER_KEY)');
    expect(links(w)).toEqual(['test_student_100_observer→test_student_100']);
  });

  test('doctor says whether the observer role can be assigned in user context', async () => {
    const w = await setup();
    const ok = await w.cli(['doctor', '--types', 'observers']);
    expect(ok.stdout).toContain('ok   observer role "parent" (id 9) can be assigned in user context');
    // student (5) is not assignable in a user context: the role id is wrong.
    w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, enrolments: { roleIds: { student: 5, parent: 5 } } }));
    const bad = await w.cli(['doctor', '--types', 'observers']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('FAIL observer role "parent" (id 5) is missing or not assignable in user context');
    expect(w.sandbox.roles.roleAssignments({ contextlevel: CONTEXT_USER })).toEqual([]);
  });
});
