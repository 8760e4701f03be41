/**
 * `mdlsync export grades|completions` through the real CLI against the sandbox: a site built by feeds (categories,
 * courses, persons, enrolments with a suspended student) and graded by hand in the sandbox; the files checked row
 * by row against that known data, `--changes` (nothing, then the one grade that changed), the scope by category,
 * and the errors that fail one course and not the rest (a course deleted in Moodle, a permission refused).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { MoodleClient, deleteCourses, enrolUsers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let w: Workspace;
/** Moodle ids of the feeds' records, by key. */
const id: Record<string, number> = {};
const T = 1_780_000_000; // 2026-05-28T20:26:40Z
const at = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const cm: Record<string, number> = {};

beforeAll(async () => {
  w = await workspace();
  const run = async (name: string, text: string) => expect((await w.cli(['run', w.write(name, text)])).code).toBe(0);
  await run('cats.txt', sisFile(['EXTERNAL_CATEGORY_KEY', 'NAME', 'PARENT_KEY'], [['DEPT', 'Department', ''], ['SUB', 'Sub', 'DEPT']]));
  await run('courses.txt', sisFile(['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY'],
    [['C1', 'C1', 'Course one', 'SUB'], ['C2', 'C2', 'Course two', 'DEPT'], ['C3', 'C3', 'Course three', 'DEPT']]));
  await run('people.txt', sisFile(SIS_HEADER, persons(4)));
  await run('enrol.txt', sisFile(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'AVAILABLE_IND'], [
    ['C1', 'P0001', 'student', 'Y'], ['C1', 'P0002', 'student', 'Y'], ['C1', 'P0003', 'student', 'Y'], ['C1', 'P0004', 'student', 'N'],
    ['C2', 'P0001', 'student', 'Y'], ['C2', 'P0002', 'student', 'Y'], ['C3', 'P0001', 'student', 'Y'],
  ]));
  for (const c of ['C1', 'C2', 'C3']) id[c] = w.sandbox.courses.byIdnumber(c)!.id;
  for (const p of ['P0001', 'P0002', 'P0003', 'P0004']) id[p] = w.sandbox.users.byIdnumber(p)[0].id;
  // A student enrolled by hand in Moodle: no person link in the ledger.
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  await enrolUsers(client, [{ roleid: 5, userid: 2, courseid: id.C1 }]);
  await client.close();
  const sb = w.sandbox;
  cm.lab = sb.content.addModule(id.C1, { modname: 'assign', name: 'Lab report', grade: 100, completion: 2, idnumber: 'LAB1' }).id;
  cm.quiz = sb.content.addModule(id.C1, { modname: 'quiz', name: 'Quiz', grade: 10, completion: 1 }).id;
  sb.completion.criteria(id.C1, { activities: [cm.lab, cm.quiz] });
  sb.grades.display(id.C1, { letterColumn: true });
  sb.grades.set(cm.lab, id.P0001, 85, { time: T });
  sb.grades.set(cm.quiz, id.P0001, 9, { time: T + 60 });
  sb.grades.set(cm.lab, id.P0002, 62, { time: T });
  sb.grades.set(cm.lab, id.P0004, 70, { time: T });
  sb.completion.activity(cm.quiz, id.P0001, { time: T + 120 });
  cm.essay = sb.content.addModule(id.C2, { modname: 'assign', name: 'Essay', grade: 20 }).id;
  sb.grades.set(cm.essay, id.P0002, 15, { time: T });
});

afterAll(async () => {
  await w.close();
});

const csv = (text: string, delimiter = ',') => parse(text, { columns: true, delimiter }) as Record<string, string>[];
const file = (name: string) => readFileSync(join(w.dir, name), 'utf8');

describe('mdlsync export grades', () => {
  test('course totals and items of every linked course; the suspended student asked alone; one call per course', async () => {
    w.sandbox.stats.reset();
    const r = await w.cli(['export', 'grades', '--items', '-o', 'grades.csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rows: 20 read, 20 written/);
    const rows = csv(file('grades.csv'));
    const pick = (p: string, c: string, item = '') => rows.find((x) => x.person_key === p && x.course_key === c && x.item_key === item);
    expect(pick('P0001', 'C1')).toEqual({
      person_key: 'P0001', course_key: 'C1', moodle_user_id: String(id.P0001), moodle_course_id: String(id.C1), item_type: 'course',
      item_key: '', item_name: '', grade: '94', grade_max: '110', percentage: '85.45', letter: 'B', graded_at: at(T + 60),
      enrolment_status: 'active',
    });
    expect(pick('P0001', 'C1', 'LAB1')).toMatchObject({ item_type: 'assign', item_name: 'Lab report', grade: '85', grade_max: '100', percentage: '85.00', letter: 'B' });
    expect(pick('P0001', 'C1', `cm-${cm.quiz}`)).toMatchObject({ item_type: 'quiz', grade: '9', grade_max: '10', percentage: '90.00', letter: 'A-' });
    // Natural aggregation with empty grades excluded: P0002's total is out of the graded item only.
    expect(pick('P0002', 'C1')).toMatchObject({ grade: '62', grade_max: '100', percentage: '62.00', letter: 'D' });
    expect(pick('P0003', 'C1')).toMatchObject({ grade: '', grade_max: '110', percentage: '', letter: '', graded_at: '', enrolment_status: 'active' });
    expect(pick('P0004', 'C1')).toMatchObject({ grade: '70', enrolment_status: 'suspended' });
    // Enrolled by hand in Moodle: no key, its Moodle id.
    expect(rows.filter((x) => x.person_key === '' && x.item_type === 'course')).toEqual([expect.objectContaining({ moodle_user_id: '2', course_key: 'C1' })]);
    // C2 shows no letters (the site's default report has no letter column).
    expect(pick('P0002', 'C2')).toMatchObject({ grade: '15', grade_max: '20', percentage: '75.00', letter: '' });
    expect(pick('P0001', 'C3')).toMatchObject({ grade: '', grade_max: '0' });
    expect(w.sandbox.stats.byFunction.gradereport_user_get_grade_items).toBe(4); // C1, C2, C3 and P0004 in C1
    expect(w.lastSummary()).toMatchObject({ kind: 'export', what: 'grades', status: 'ok', courses: { total: 3, exported: 3, failed: 0 } });
  });

  test('--changes: nothing the second time, then only the grade that changed; the snapshot dialect on stdout', async () => {
    expect((await w.cli(['export', 'grades', '--course', 'C1', 'C2', '-o', 'first.csv'])).code).toBe(0);
    const again = await w.cli(['export', 'grades', '--course', 'C2', 'C1', '--changes', '--dialect', 'snapshot']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('EXTERNAL_PERSON_KEY|EXTERNAL_COURSE_KEY|MOODLE_USER_ID|MOODLE_COURSE_ID|ITEM_TYPE|ITEM_KEY|ITEM_NAME|GRADE|' +
      'GRADE_MAX|PERCENTAGE|LETTER_GRADE|GRADED_DATE|ENROLMENT_STATUS\n');
    expect(again.stderr).toMatch(/0 written, 7 unchanged left out/);
    w.sandbox.grades.set(cm.lab, id.P0003, 77, { time: T + 600 });
    const changed = await w.cli(['export', 'grades', '--course', 'C1', 'C2', '--changes', '--dialect', 'snapshot']);
    expect(csv(changed.stdout, '|')).toEqual([expect.objectContaining({
      EXTERNAL_PERSON_KEY: 'P0003', EXTERNAL_COURSE_KEY: 'C1', GRADE: '77', GRADE_MAX: '100', GRADED_DATE: at(T + 600), ENROLMENT_STATUS: 'active',
    })]);
    // Remembered once written: the same question again has nothing new.
    expect((await w.cli(['export', 'grades', '--course', 'C1', 'C2', '--changes', '-o', 'none.csv'])).stdout).toMatch(/rows: 7 read, 0 written/);
  });

  test('--category: the linked courses of the category and its subcategories', async () => {
    const r = await w.cli(['export', 'grades', '--category', 'SUB', '-o', 'sub.csv']);
    expect(r.code).toBe(0);
    expect(new Set(csv(file('sub.csv')).map((x) => x.course_key))).toEqual(new Set(['C1']));
    const unknown = await w.cli(['export', 'grades', '--category', 'NOPE', '-o', 'nope.csv']);
    expect(unknown.code).toBe(3);
    expect(unknown.stdout).toMatch(/The ledger links no category NOPE/);
  });
});

describe('mdlsync export completions', () => {
  test('state and time completed per person; no criteria is "not tracked"; activities with --activities', async () => {
    w.sandbox.stats.reset();
    const r = await w.cli(['export', 'completions', '--activities', '--course', 'C1', 'C2', '-o', 'done.csv']);
    expect(r.code).toBe(0);
    const rows = csv(file('done.csv'));
    const course = (p: string, c: string) => rows.find((x) => x.person_key === p && x.course_key === c && x.item_type === 'course');
    // Complete once both the lab (graded: automatic) and the quiz (ticked off at T+120) are.
    expect(course('P0001', 'C1')).toMatchObject({ completion: 'complete', completed_at: at(T + 120), enrolment_status: 'active' });
    expect(course('P0002', 'C1')).toMatchObject({ completion: 'incomplete', completed_at: '' });
    expect(course('P0004', 'C1')).toMatchObject({ completion: '', enrolment_status: 'suspended' });
    expect(rows.filter((x) => x.person_key === 'P0002' && x.course_key === 'C1' && x.item_type !== 'course').map((x) => [x.item_key, x.completion]))
      .toEqual([[`cm-${cm.lab}`, 'complete'], [`cm-${cm.quiz}`, 'incomplete']]);
    expect(course('P0001', 'C2')).toMatchObject({ completion: 'not tracked' });
    expect(course('P0002', 'C2')).toMatchObject({ completion: 'not tracked' });
    // C2: the first student's nocriteriaset spares the second call.
    expect(w.sandbox.stats.byFunction.core_completion_get_course_completion_status).toBe(4 + 1);
    expect(r.stdout).toMatch(/1 not tracking completion/);
  });
});

describe('errors fail one course, not the export', () => {
  test('a course deleted in Moodle and a refused permission are failed rows; the rest is written', async () => {
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await deleteCourses(client, [id.C3]);
    await client.close();
    w.sandbox.grades.prohibit(id.C2, 'moodle/grade:viewall');
    const r = await w.cli(['export', 'grades', '--course', 'C1', 'C2', 'C3', 'NOPE', '-o', 'partial.csv']);
    expect(r.code).toBe(2);
    expect(new Set(csv(file('partial.csv')).map((x) => x.course_key))).toEqual(new Set(['C1']));
    const failed = csv(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8'));
    expect(failed.map((x) => [x.key, x.errorcode])).toEqual([['NOPE', 'unknown-course'], ['C2', 'nopermissions'], ['C3', 'invalidrecord']]);
    expect(failed[2].message).toMatch(/course C3 \(Moodle id \d+\) is no longer in Moodle/);
    expect(failed[1].message).toMatch(/Moodle refused the grades of course C2 \(nopermissions/);
    expect(r.stdout).toMatch(/3 failed: see .*rows\.csv/);
  });
});
