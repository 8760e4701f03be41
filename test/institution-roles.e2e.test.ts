/**
 * Institution roles through the real CLI against the sandbox over HTTP: the SIS guide's secondary institution role
 * examples (store, ROW_STATUS, refresh, refresh-ds) in cohort mode, a member added by hand left alone, an unknown person,
 * and system-role mode once.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, addCohortMembers } from '../src/moodle/index.js';
import { SIS_HEADER, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const RH = ['EXTERNAL_PERSON_KEY', 'ROLE_ID'];
const RSH = ['EXTERNAL_PERSON_KEY', 'ROLE_ID', 'ROW_STATUS'];
const RDH = ['EXTERNAL_PERSON_KEY', 'ROLE_ID', 'DATA_SOURCE_KEY'];
/** The guide's first example. */
const GUIDE = [
  ['testPerson1', 'engineering_student'],
  ['testPerson2', 'engineering_faculty'],
  ['testPerson3', 'engineering_faculty'],
  ['testPerson4', 'engineering_student'],
];

async function setup(config?: object): Promise<Workspace> {
  const w = await workspace();
  ws = w;
  if (config) w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, ...config }));
  const rows = [1, 2, 3, 4, 5].map((i) => [`testPerson${i}`, `person${i}_test`, `Changeme-${i}x`, 'First', `Last${i}`, `p${i}@example.edu`]);
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
  return w;
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
/** The person keys of the role cohort's members, sorted. */
const members = (w: Workspace, role: string): string[] =>
  w.sandbox.cohorts
    .cohortMembers(`role:${role}`)
    .map((id) => w.sandbox.users.byId(id)?.idnumber ?? String(id))
    .sort();
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

describe('institution roles, cohort mode: the SIS guide examples', () => {
  test('store: one cohort per ROLE_ID, made once at system context; the persons are members; a re-run makes no write call', async () => {
    const w = await setup();
    const r = await w.cli(['run', w.write('roles.txt', sisFile(RH, GUIDE))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'institution-roles', planned: { create: 4 }, outcomes: { ok: 4, failed: 0 } });
    expect(w.sandbox.cohorts.byIdnumber('role:engineering_student')).toMatchObject({ categoryid: 0, name: 'engineering_student' });
    expect(members(w, 'engineering_student')).toEqual(['testPerson1', 'testPerson4']);
    expect(members(w, 'engineering_faculty')).toEqual(['testPerson2', 'testPerson3']);
    expect(w.sandbox.cohorts.list()).toHaveLength(2);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('roles2.txt', sisFile(RH, GUIDE))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 4 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('ROW_STATUS: enabled rows are stored, a disabled row removes the role mdlsync gave; the cohort stays', async () => {
    const w = await setup();
    expect((await w.cli(['run', w.write('roles.txt', sisFile(RH, [...GUIDE, ['testPerson3', 'ENGINEERING_STUDENT']]))])).code).toBe(0);
    expect(members(w, 'engineering_student')).toEqual(['testPerson1', 'testPerson3', 'testPerson4']);
    // The guide's second file.
    const rows = [
      ['testPerson1', 'engineering_student', 'enabled'],
      ['testPerson2', 'engineering_faculty', 'enabled'],
      ['testPerson3', 'engineering_student', 'disabled'],
    ];
    const r = await w.cli(['run', w.write('status.txt', sisFile(RSH, rows))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 2, disable: 1 }, outcomes: { failed: 0 } });
    expect(members(w, 'engineering_student')).toEqual(['testPerson1', 'testPerson4']);
    expect(members(w, 'engineering_faculty')).toEqual(['testPerson2', 'testPerson3']);
  });

  test('refresh: the roles the file lacks are removed (never a member added by hand); the cohorts stay', async () => {
    const w = await setup();
    expect((await w.cli(['run', w.write('roles.txt', sisFile(RH, GUIDE))])).code).toBe(0);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    const student = w.sandbox.cohorts.byIdnumber('role:engineering_student')!;
    expect(await addCohortMembers(client, [{ cohortid: student.id, userid: uid(w, 'testPerson5') }])).toEqual([]);
    await client.close();

    const r = await w.cli(['run', w.write('refresh.txt', sisFile(RH, GUIDE.slice(0, 2))), '--op', 'refresh', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 2, disable: 2 }, outcomes: { failed: 0 } });
    expect(members(w, 'engineering_student')).toEqual(['testPerson1', 'testPerson5']);
    expect(members(w, 'engineering_faculty')).toEqual(['testPerson2']);
    expect(w.sandbox.cohorts.list()).toHaveLength(2);

    // Back in a store: joined again, in the existing cohort.
    expect((await w.cli(['run', w.write('back.txt', sisFile(RH, GUIDE))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { enable: 2, unchanged: 2 } });
    expect(members(w, 'engineering_faculty')).toEqual(['testPerson2', 'testPerson3']);
    expect(w.sandbox.cohorts.list()).toHaveLength(2);
  });

  test('refresh-ds: only the records of its data source are compared and removed', async () => {
    const w = await setup();
    const rows = GUIDE.map((g, i) => [...g, i < 2 ? 'ENG' : 'OTHER']);
    expect((await w.cli(['run', w.write('roles.txt', sisFile(RDH, rows))])).code).toBe(0);
    const r = await w.cli(['run', w.write('eng.txt', sisFile(RDH, [rows[0]])), '--op', 'refresh-ds', '--datasource', 'ENG', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ guard: { dataSource: 'ENG', owned: 2, toDisable: 1 }, planned: { unchanged: 1, disable: 1 } });
    expect(members(w, 'engineering_student')).toEqual(['testPerson1', 'testPerson4']);
    expect(members(w, 'engineering_faculty')).toEqual(['testPerson3']);
  });

  test('an existing member is adopted as ok; an unknown person fails with its key', async () => {
    const w = await setup();
    expect((await w.cli(['run', w.write('one.txt', sisFile(RH, [GUIDE[0]]))])).code).toBe(0);
    // Forget the ledger's knowledge by running a fresh ledger: the person is a member already.
    w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, ledger: 'other.db' }));
    const r = await w.cli(['run', w.write('roles.txt', sisFile(RH, [GUIDE[0], ['testPerson9', 'engineering_student']]))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 1, failed: 1 } });
    const csv = rowsCsv(w);
    expect(csv).toMatch(/^2,testPerson1\|engineering_student,create,ok,\d+,,already a member,institution-roles,/m);
    expect(csv).toContain('unknown-person,unknown person testPerson9');
    expect(w.sandbox.cohorts.list()).toHaveLength(1);
  });
});

describe('institution roles, system-role mode', () => {
  test('ROLE_ID → role shortname → id, assigned at system context; an unmapped ROLE_ID names the config key; delete unassigns', async () => {
    const w = await setup({ institutionRoles: { mode: 'system-role', roleMap: { ENGINEERING_FACULTY: 'coursecreator' } } });
    const r = await w.cli(['run', w.write('roles.txt', sisFile(RH, GUIDE.slice(0, 3)))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 2, failed: 1 } });
    expect(rowsCsv(w)).toContain('ROLE_ID engineering_student has no Moodle role: set institutionRoles.roleMap[""engineering_student""] to a Moodle role shortname');
    const system = () => w.sandbox.roles.roleAssignments({ roleid: 2, contextlevel: 10 }).map((a) => w.sandbox.users.byId(a.userid)?.idnumber).sort();
    expect(system()).toEqual(['testPerson2', 'testPerson3']);
    expect(w.sandbox.roles.roleAssignments({ contextlevel: 10 }).every((a) => a.instanceid === 0)).toBe(true);
    expect(w.sandbox.cohorts.list()).toEqual([]);

    expect((await w.cli(['run', w.write('del.txt', sisFile(RH, [GUIDE[2]])), '--op', 'delete'])).code).toBe(0);
    expect(system()).toEqual(['testPerson2']);
    const doctor = await w.cli(['doctor', '--types', 'institution-roles']);
    expect(doctor.stdout).toContain('ok   institution role "coursecreator" (id 2) can be assigned at system context');
  });
});
