/**
 * Cohorts and cohort members through the real CLI against the sandbox over HTTP: store / update / delete, unchanged
 * re-runs with no write call, adoption by idnumber, `role:` cohorts refused, refresh-ds over two data sources (emptied,
 * never deleted), warning mapping in a batch of 100, and a members refresh that leaves hand-made members alone.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, addCohortMembers, createCategories, createCohorts, deleteUsers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const CH = ['EXTERNAL_COHORT_KEY', 'NAME', 'DESCRIPTION', 'CONTEXT', 'VISIBLE', 'DATA_SOURCE_KEY'];
const MH = ['EXTERNAL_COHORT_KEY', 'EXTERNAL_PERSON_KEY', 'DATA_SOURCE_KEY'];

async function setup(n: number): Promise<{ w: Workspace; client: MoodleClient }> {
  const w = await workspace();
  ws = w;
  if (n > 0) expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(n)))])).code).toBe(0);
  return { w, client: new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token }) };
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const membersOf = (w: Workspace, id: number): number[] | undefined => w.sandbox.cohorts.list().find((c) => c.id === id)?.members;
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

describe('cohorts feed', () => {
  test('store creates, a re-run writes nothing, a change updates, delete deletes; role: cohorts are refused', async () => {
    const { w, client } = await setup(0);
    const [fac] = await createCategories(client, [{ name: 'Faculty', parent: 0, idnumber: 'FAC' }]);
    const [adopted] = await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Made by hand', idnumber: 'HAND' }]);
    await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Teachers', idnumber: 'role:TEACHER' }]);
    const rows = [
      ['Y1', 'Year 1', 'First year', 'system', 'Y', 'SIS'],
      ['Y2', 'Year 2', '', 'FAC', 'N', 'SIS'],
      ['HAND', 'Adopted', '', '', '', 'SIS'],
      ['role:TEACHER', 'Mine now', '', '', '', 'SIS'],
    ];
    w.sandbox.stats.reset();
    const r = await w.cli(['run', w.write('c1.txt', sisFile(CH, rows))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ type: 'cohorts', planned: { create: 2, adopt: 1, fail: 1 }, outcomes: { ok: 3, failed: 1 } });
    expect(w.sandbox.stats.byFunction['core_cohort_get_cohorts']).toBe(1);
    expect(w.sandbox.stats.byFunction['core_cohort_search_cohorts']).toBeUndefined();
    expect(w.sandbox.cohorts.byIdnumber('Y1')).toMatchObject({ name: 'Year 1', description: 'First year', categoryid: 0, visible: true });
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toMatchObject({ name: 'Year 2', categoryid: fac.id, visible: false });
    expect(w.sandbox.cohorts.byIdnumber('HAND')).toMatchObject({ id: adopted.id, name: 'Adopted' });
    expect(w.sandbox.cohorts.byIdnumber('role:TEACHER')).toMatchObject({ name: 'Teachers' });
    expect(rowsCsv(w)).toMatch(/role:TEACHER.*reserved: cohorts whose idnumber starts with ""role:"" belong to institution roles/);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('c2.txt', sisFile(CH, rows.slice(0, 3)))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 3 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(w.sandbox.stats.calls).toBe(1); // the site check only: every key is in the ledger

    const changed = [['Y1', 'Year One', 'First year', 'system', 'Y', 'SIS'], rows[1], rows[2]];
    expect((await w.cli(['run', w.write('c3.txt', sisFile(CH, changed))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 1, unchanged: 2 } });
    expect(w.sandbox.cohorts.byIdnumber('Y1')).toMatchObject({ name: 'Year One', description: 'First year' });

    expect((await w.cli(['run', '--op', 'delete', w.write('c4.txt', sisFile(CH, [rows[1]]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { delete: 1 }, outcomes: { ok: 1 } });
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toBeUndefined();
    // Back in the file: created again.
    expect((await w.cli(['run', w.write('c5.txt', sisFile(CH, [rows[1]]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { enable: 1 }, outcomes: { ok: 1 } });
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toMatchObject({ name: 'Year 2', categoryid: fac.id });
  });

  test('refresh-ds empties (never deletes) the missing cohorts of its own data source only', async () => {
    const { w } = await setup(2);
    const rows = [
      ['A1', 'A one', '', '', '', 'A'],
      ['A2', 'A two', '', '', '', 'A'],
      ['B1', 'B one', '', '', '', 'B'],
    ];
    expect((await w.cli(['run', w.write('c.txt', sisFile(CH, rows))])).code).toBe(0);
    const members = [
      ['A2', 'P0001', 'A'],
      ['B1', 'P0002', 'B'],
    ];
    expect((await w.cli(['run', w.write('m.txt', sisFile(MH, members))])).code).toBe(0);
    expect(w.sandbox.cohorts.cohortMembers('A2')).toEqual([uid(w, 'P0001')]);

    const r = await w.cli(['run', '--op', 'refresh-ds', '--datasource', 'A', '--force', w.write('c2.txt', sisFile(CH, [rows[0]]))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 1, disable: 1 }, outcomes: { ok: 1, unchanged: 1 } });
    expect(w.sandbox.cohorts.byIdnumber('A2')).toMatchObject({ members: [] });
    expect(w.sandbox.cohorts.byIdnumber('B1')).toMatchObject({ members: [uid(w, 'P0002')] });

    // The emptied cohort's memberships are no longer mdlsync's: a members re-run adds P0001 again.
    expect((await w.cli(['run', w.write('m2.txt', sisFile(MH, members))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { enable: 1, unchanged: 1 } });
    expect(w.sandbox.cohorts.cohortMembers('A2')).toEqual([uid(w, 'P0001')]);
  });
});

describe('cohorts.disable: empty', () => {
  test('an explicit delete empties the cohort and keeps it', async () => {
    const { w } = await setup(2);
    w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, cohorts: { disable: 'empty' } }));
    const rows = [['E1', 'To empty', '', '', '', 'SIS']];
    expect((await w.cli(['run', w.write('c.txt', sisFile(CH, rows))])).code).toBe(0);
    expect((await w.cli(['run', w.write('m.txt', sisFile(MH, [['E1', 'P0001', 'SIS'], ['E1', 'P0002', 'SIS']]))])).code).toBe(0);
    expect(w.sandbox.cohorts.cohortMembers('E1')).toHaveLength(2);
    expect((await w.cli(['run', '--op', 'delete', w.write('c2.txt', sisFile(CH, rows))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1 }, outcomes: { ok: 1 } });
    expect(w.sandbox.cohorts.byIdnumber('E1')).toMatchObject({ name: 'To empty', members: [] });
    expect(w.sandbox.stats.byFunction['core_cohort_delete_cohorts']).toBeUndefined();
  });
});

describe('cohort-members feed', () => {
  test('one unknown person and one existing member in a batch of 100: 98 added, 1 failed with its reason, 1 already-member ok', async () => {
    const { w, client } = await setup(100);
    const [y1] = await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Year 1', idnumber: 'Y1' }]);
    // P0007 was already a member (added by hand); P0042 is in the ledger but was deleted in Moodle since.
    await addCohortMembers(client, [{ cohortid: y1.id, userid: uid(w, 'P0007') }]);
    const gone = uid(w, 'P0042');
    await deleteUsers(client, [gone]);

    w.sandbox.stats.reset();
    const rows = persons(100).map((p) => ['Y1', p[0], 'SIS']);
    const r = await w.cli(['run', w.write('m.txt', sisFile(MH, rows))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ type: 'cohort-members', planned: { create: 100 }, outcomes: { ok: 99, failed: 1 } });
    expect(w.sandbox.stats.byFunction['core_cohort_add_cohort_members']).toBe(2);
    expect(w.sandbox.cohorts.cohortMembers('Y1')).toHaveLength(99);
    const csv = rowsCsv(w);
    expect(csv).toMatch(new RegExp(`Y1\\|P0042.*failed.*person P0042: Moodle user ${gone} does not exist`));
    expect(csv).toMatch(/Y1\|P0007.*ok.*already a member/);

    // Unchanged re-run (without the failed row): no write call.
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('m2.txt', sisFile(MH, rows.filter((x) => x[1] !== 'P0042')))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 99 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // A plain unknown key fails in the plan, with no call.
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('m3.txt', sisFile(MH, [['Y1', 'NOBODY', 'SIS'], ['NOPE', 'P0001', 'SIS']]))])).code).toBe(2);
    const csv3 = rowsCsv(w);
    expect(csv3).toMatch(/Y1\|NOBODY.*unknown person NOBODY/);
    expect(csv3).toMatch(/NOPE\|P0001.*unknown cohort NOPE/);
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('a refresh of cohort members removes only memberships mdlsync made (a member added by hand stays)', async () => {
    const { w, client } = await setup(3);
    const [y1] = await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Year 1', idnumber: 'Y1' }]);
    expect((await w.cli(['run', w.write('m.txt', sisFile(MH, [['Y1', 'P0001', 'SIS'], ['Y1', 'P0002', 'SIS']]))])).code).toBe(0);
    await addCohortMembers(client, [{ cohortid: y1.id, userid: uid(w, 'P0003') }]);

    const r = await w.cli(['run', '--op', 'refresh', '--force', w.write('m2.txt', sisFile(MH, [['Y1', 'P0001', 'SIS']]))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 1, disable: 1 }, outcomes: { ok: 1, unchanged: 1 } });
    expect(w.sandbox.cohorts.cohortMembers('Y1')).toEqual([uid(w, 'P0001'), uid(w, 'P0003')].sort((a, b) => a - b));

    // An explicit delete row removes its membership too.
    expect((await w.cli(['run', '--op', 'delete', w.write('m3.txt', sisFile(MH, [['Y1', 'P0001', 'SIS']]))])).code).toBe(0);
    expect(w.sandbox.cohorts.cohortMembers('Y1')).toEqual([uid(w, 'P0003')]);
  });

  test('members named by cohort name and username: stored, a re-run is all unchanged, a refresh without a row removes it', async () => {
    const { w, client } = await setup(3);
    // A cohort without an idnumber: only its name can name it.
    const [y2] = await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Year 2', idnumber: '' }]);
    await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Twins', idnumber: 'T1' }]);
    await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Twins', idnumber: 'T2' }]);
    const header = 'cohort_name,username,cmd\n';
    const rows = ['Year 2,PUSER0001,add', 'Year 2,puser0002,add'];
    const r = await w.cli(['run', w.write('n1.csv', `${header}${rows.join('\n')}\nTwins,puser0003,add\nNobody,puser0003,add\n`)]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ type: 'cohort-members', planned: { create: 2, fail: 2 }, outcomes: { ok: 2, failed: 2 } });
    expect(membersOf(w, y2.id)).toEqual([uid(w, 'P0001'), uid(w, 'P0002')].sort((a, b) => a - b));
    expect(rowsCsv(w)).toMatch(/2 Moodle cohorts are named Twins/);
    expect(rowsCsv(w)).toMatch(/no Moodle cohort is named Nobody/);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('n2.csv', `${header}${rows.join('\n')}\n`)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 2 }, outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    expect((await w.cli(['run', '--op', 'refresh', '--force', w.write('n3.csv', `${header}${rows[0]}\n`)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 1, disable: 1 }, outcomes: { ok: 1, unchanged: 1 } });
    expect(membersOf(w, y2.id)).toEqual([uid(w, 'P0001')]);
  });
});
