/**
 * Who gets which rights, through the real CLI against the sandbox over HTTP: a Moodle role shortname in a file is
 * that role (the role map never remaps it), and a row of one data source never acts on what another owns, whatever
 * the row asks (store, ROW_STATUS=disabled, ACTION=delete).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, addCohortMembers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const COURSE_HEADER = ['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY', 'START_DATE', 'END_DATE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];

/** A workspace with n persons (P0001…) and the courses given, made by a courses feed of data source `ds`. */
async function setup(n: number, courses: string[], ds = 'SIS.COURSE'): Promise<Workspace> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(n)))])).code).toBe(0);
  const rows = courses.map((c) => [c, c.toLowerCase(), `Course ${c}`, '2026/Fall', '2026-09-01', '2027-06-30', 'Y', ds]);
  expect((await w.cli(['run', w.write('courses.txt', sisFile(COURSE_HEADER, rows))])).code).toBe(0);
  return w;
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const courseId = (w: Workspace, key: string): number => w.sandbox.courses.byIdnumber(key)!.id;
const enrolment = (w: Workspace, course: string, key: string) => w.sandbox.enrolments.of(courseId(w, course)).find((e) => e.userid === uid(w, key));
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

describe('a Moodle role shortname is never remapped', () => {
  test('a file written for Moodle’s own tools ("add, teacher, T101, CF101") enrols the non-editing teacher (role 4), with the default role map', async () => {
    const w = await setup(3, ['CF101']);
    const file = sisFile(['operation', 'role', 'idnumber_user', 'idnumber_course'], [
      ['add', 'teacher', 'P0001', 'CF101'],
      ['add', 'editingteacher', 'P0002', 'CF101'],
      ['add', 'Instructor', 'P0003', 'CF101'],
    ]).replaceAll('|', ',');
    const r = await w.cli(['run', w.write('enrol.csv', file), '--type', 'enrolments']);
    expect(r.code).toBe(0);
    expect(enrolment(w, 'CF101', 'P0001')).toMatchObject({ roles: [4] });
    expect(enrolment(w, 'CF101', 'P0002')).toMatchObject({ roles: [3] });
    // A SIS name that is no shortname is still translated by the role map.
    expect(enrolment(w, 'CF101', 'P0003')).toMatchObject({ roles: [3] });
  });

  test('a roleMap entry that shadows a shortname is a one-sentence config error naming the entry (exit 1); nothing is sent', async () => {
    const w = await setup(1, ['CF101']);
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, enrolments: { roleMap: { Teacher: 'editingteacher', I: 'editingteacher' } } }));
    w.sandbox.stats.reset();
    const file = sisFile(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'DATA_SOURCE_KEY'], [['CF101', 'P0001', 'teacher', 'SIS.COURSE']]);
    const r = await w.cli(['run', w.write('enr.txt', file)]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mdlsync: .*enrolments\.roleMap: the entry "Teacher" → "editingteacher" shadows the Moodle role shortname "teacher"/);
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(enrolment(w, 'CF101', 'P0001')).toBeUndefined();
  });
});

describe('a row of one data source never acts on what another owns, whatever it asks', () => {
  const EH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'ROW_STATUS', 'ACTION', 'DATA_SOURCE_KEY'];

  test('ROW_STATUS=disabled and ACTION=delete rows of OTHER.DS fail data-source-mismatch for a course owned by SIS.COURSE, like their enabled row; nobody is unenrolled', async () => {
    const w = await setup(3, ['C1'], 'SIS.COURSE');
    const enrol = sisFile(EH, [
      ['C1', 'P0001', 'S', 'enabled', '', 'SIS.COURSE'],
      ['C1', 'P0002', 'S', 'enabled', '', 'SIS.COURSE'],
      ['C1', 'P0003', 'S', 'enabled', '', 'SIS.COURSE'],
    ]);
    expect((await w.cli(['run', w.write('enr.txt', enrol)])).code).toBe(0);

    const other = sisFile(EH, [
      ['C1', 'P0001', 'S', 'disabled', '', 'OTHER.DS'],
      ['C1', 'P0002', 'S', 'enabled', 'delete', 'OTHER.DS'],
      ['C1', 'P0003', 'S', 'enabled', '', 'OTHER.DS'],
    ]);
    w.sandbox.stats.reset();
    const r = await w.cli(['run', w.write('other.txt', other)]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 3 } });
    const why = `"course C1 belongs to data source SIS.COURSE, this row to OTHER.DS: enrol it from the courses' data source, or move the course"`;
    const csv = rowsCsv(w);
    expect(csv).toContain(`2,C1|P0001,fail,failed,,data-source-mismatch,${why}`);
    expect(csv).toContain(`3,C1|P0002,fail,failed,,data-source-mismatch,${why}`);
    expect(csv).toContain(`4,C1|P0003,fail,failed,,data-source-mismatch,${why}`);
    expect(w.sandbox.stats.writeCalls).toBe(0);
    for (const p of ['P0001', 'P0002', 'P0003']) expect(enrolment(w, 'C1', p)).toMatchObject({ status: 0, roles: [5] });
    // The failed rows wait in the tryback, untouched.
    const tryback = readFileSync(w.lastSummary().tryback as string, 'utf8');
    expect(tryback).toContain('C1|P0001|S|disabled||OTHER.DS');
    expect(tryback).toContain('C1|P0002|S|enabled|delete|OTHER.DS');

    // From the course's own data source the same disable and delete do what they ask.
    const own = sisFile(EH, [
      ['C1', 'P0001', 'S', 'disabled', '', 'SIS.COURSE'],
      ['C1', 'P0002', 'S', 'enabled', 'delete', 'SIS.COURSE'],
    ]);
    expect((await w.cli(['run', w.write('own.txt', own)])).code).toBe(0);
    expect(enrolment(w, 'C1', 'P0001')).toBeUndefined();
    expect(enrolment(w, 'C1', 'P0002')).toBeUndefined();
    expect(enrolment(w, 'C1', 'P0003')).toMatchObject({ status: 0 });
  });

  test('a person owned by SIS.PERSON is not suspended by a ROW_STATUS=disabled row of OTHER.DS, nor by --op delete with --datasource OTHER.DS', async () => {
    const w = await workspace();
    ws = w;
    const PH = [...SIS_HEADER, 'DATA_SOURCE_KEY'];
    expect((await w.cli(['run', w.write('people.txt', sisFile(PH, persons(2, { ds: 'SIS.PERSON' })))])).code).toBe(0);
    const [p1, p2] = persons(2);
    const H = [...SIS_HEADER, 'ROW_STATUS', 'DATA_SOURCE_KEY'];
    const r = await w.cli(['run', w.write('off.txt', sisFile(H, [[...p1, 'disabled', 'OTHER.DS']]))]);
    expect(r.code).toBe(2);
    expect(rowsCsv(w)).toContain('2,P0001,fail,failed,,data-source-mismatch,"account P0001 belongs to data source SIS.PERSON, this row to OTHER.DS: send the row from data source SIS.PERSON"');
    const d = await w.cli(['run', w.write('del.txt', sisFile(SIS_HEADER, [p2])), '--op', 'delete', '--datasource', 'OTHER.DS']);
    expect(d.code).toBe(2);
    expect(rowsCsv(w)).toContain('2,P0002,fail,failed,,data-source-mismatch,');
    expect(w.sandbox.users.byIdnumber('P0001')[0].suspended).toBe(false);
    expect(w.sandbox.users.byIdnumber('P0002')[0].suspended).toBe(false);
  });

  test('cohort members: rows of OTHER.DS neither remove a member of a cohort owned by SIS.COHORTS (mdlsync’s or one added by hand) nor add one', async () => {
    const w = await workspace();
    ws = w;
    expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(3)))])).code).toBe(0);
    const CH = ['EXTERNAL_COHORT_KEY', 'NAME', 'DESCRIPTION', 'CONTEXT', 'VISIBLE', 'DATA_SOURCE_KEY'];
    expect((await w.cli(['run', w.write('cohorts.txt', sisFile(CH, [['Y1', 'Year 1', '', 'system', 'Y', 'SIS.COHORTS']]))])).code).toBe(0);
    const MH = ['EXTERNAL_COHORT_KEY', 'EXTERNAL_PERSON_KEY', 'ACTION', 'ROW_STATUS', 'DATA_SOURCE_KEY'];
    expect((await w.cli(['run', w.write('m.txt', sisFile(MH, [['Y1', 'P0001', 'add', 'enabled', 'SIS.COHORTS']]))])).code).toBe(0);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await addCohortMembers(client, [{ cohortid: w.sandbox.cohorts.byIdnumber('Y1')!.id, userid: uid(w, 'P0002') }]);
    await client.close();

    w.sandbox.stats.reset();
    const other = sisFile(MH, [
      ['Y1', 'P0001', '', 'disabled', 'OTHER.DS'],
      ['Y1', 'P0002', 'delete', 'enabled', 'OTHER.DS'],
      ['Y1', 'P0003', 'add', 'enabled', 'OTHER.DS'],
    ]);
    expect((await w.cli(['run', w.write('other.txt', other)])).code).toBe(2);
    const csv = rowsCsv(w);
    expect(csv).toContain('2,Y1|P0001,fail,failed,,data-source-mismatch,');
    expect(csv).toMatch(/^3,Y1\|P0002,fail,failed,,data-source-mismatch,"cohort Y1 belongs to data source SIS.COHORTS, this row to OTHER.DS: send its members from the cohort's data source",cohort-members,/m);
    expect(csv).toContain('4,Y1|P0003,fail,failed,,data-source-mismatch,');
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(w.sandbox.cohorts.cohortMembers('Y1')).toEqual([uid(w, 'P0001'), uid(w, 'P0002')].sort((a, b) => a - b));
  });
});
