/**
 * Enrolments through the real CLI against the sandbox over HTTP: roles, suspension, delete (unenrol or suspend),
 * refresh-ds scopes, the refresh guard, hand-made enrolments, batch isolation and bad input.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses, enrolUsers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const H = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];

/** A workspace with n persons (P0001…, through a persons feed) and courses made in the sandbox with the wrappers. */
async function setup(n: number, courses: string[] = ['C1', 'C2']): Promise<{ w: Workspace; course: Record<string, number> }> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(n)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const made = await createCourses(
    client,
    courses.map((c) => ({ fullname: `Course ${c}`, shortname: c, categoryid: 1, idnumber: c })),
  );
  await client.close();
  return { w, course: Object.fromEntries(courses.map((c, i) => [c, made[i].id])) };
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const enrolment = (w: Workspace, courseId: number, key: string) => w.sandbox.enrolments.of(courseId).find((e) => e.userid === uid(w, key));
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
const config = (w: Workspace, extra: object): void => writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, ...extra }));

describe('enrolments feed', () => {
  test('course_shortname and username: stored, a re-run is all unchanged, a refresh without a row unenrols it', async () => {
    const { w } = await setup(3);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    // A course whose shortname is not its idnumber.
    const [bio] = await createCourses(client, [{ fullname: 'Biology', shortname: 'BIO-101', categoryid: 1, idnumber: 'BIO-2026' }]);
    await client.close();
    const header = 'course_shortname,username,role\n';
    const rows = ['BIO-101,PUSER0001,student', 'BIO-101,puser0002,editingteacher'];
    const r = await w.cli(['run', w.write('e1.csv', `${header}${rows.join('\n')}\nBIO-2026,puser0003,student\n`)]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ type: 'enrolments', planned: { create: 2, fail: 1 }, outcomes: { ok: 2, failed: 1 } });
    expect(enrolment(w, bio.id, 'P0001')).toBeDefined();
    expect(enrolment(w, bio.id, 'P0002')).toBeDefined();
    expect(rowsCsv(w)).toMatch(/no Moodle course has shortname BIO-2026/);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('e2.csv', `${header}${rows.join('\n')}\n`)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 2 }, outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    expect((await w.cli(['run', '--op', 'refresh', '--force', w.write('e3.csv', `${header}${rows[0]}\n`)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 1, disable: 1 }, outcomes: { ok: 1, unchanged: 1 } });
    expect(enrolment(w, bio.id, 'P0001')).toBeDefined();
    expect(enrolment(w, bio.id, 'P0002')).toBeUndefined();
  });

  test('a student and a teacher are enrolled with their roles; a re-run makes no write call', async () => {
    const { w, course } = await setup(2);
    const rows = [
      ['C1', 'P0001', 'Student', 'Y', 'SIS'],
      ['C1', 'P0002', 'Instructor', 'Y', 'SIS'],
    ];
    const r = await w.cli(['run', w.write('enr.txt', sisFile(H, rows))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'enrolments', planned: { create: 2 }, outcomes: { ok: 2, failed: 0 } });
    expect(enrolment(w, course.C1, 'P0001')).toMatchObject({ status: 0, roles: [5] });
    expect(enrolment(w, course.C1, 'P0002')).toMatchObject({ status: 0, roles: [3] });

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('enr2.txt', sisFile(H, rows))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('AVAILABLE_IND=N suspends the enrolment; Y reactivates it; dates are sent', async () => {
    const { w, course } = await setup(1);
    const h = [...H, 'START_DATE', 'END_DATE'];
    expect((await w.cli(['run', w.write('a.txt', sisFile(h, [['C1', 'P0001', 'S', 'N', 'SIS', '2026-09-01', '2027-06-30']]))])).code).toBe(0);
    expect(enrolment(w, course.C1, 'P0001')).toMatchObject({ status: 1, timestart: Date.UTC(2026, 8, 1) / 1000, timeend: Date.UTC(2027, 5, 30) / 1000 });
    expect((await w.cli(['run', w.write('b.txt', sisFile(h, [['C1', 'P0001', 'S', 'Y', 'SIS', '2026-09-01', '2027-06-30']]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 1 } });
    expect(enrolment(w, course.C1, 'P0001')).toMatchObject({ status: 0 });
  });

  test('delete unenrols; with enrolments.disable "suspend" it suspends instead', async () => {
    const { w, course } = await setup(2);
    const rows = [
      ['C1', 'P0001', 'Student', 'Y', 'SIS'],
      ['C1', 'P0002', 'Student', 'Y', 'SIS'],
    ];
    expect((await w.cli(['run', w.write('enr.txt', sisFile(H, rows))])).code).toBe(0);
    expect((await w.cli(['run', w.write('del.txt', sisFile(H, [rows[0]])), '--op', 'delete'])).code).toBe(0);
    expect(enrolment(w, course.C1, 'P0001')).toBeUndefined();
    expect(rowsCsv(w)).toMatch(/^2,C1\|P0001,disable,ok,\d+,,,enrolments,/m);

    config(w, { enrolments: { disable: 'suspend' } });
    expect((await w.cli(['run', w.write('del2.txt', sisFile(H, [rows[1]])), '--op', 'delete'])).code).toBe(0);
    expect(enrolment(w, course.C1, 'P0002')).toMatchObject({ status: 1, roles: [5] });
    // Back in a store: re-enabled.
    expect((await w.cli(['run', w.write('back.txt', sisFile(H, [rows[1]]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { enable: 1 } });
    expect(enrolment(w, course.C1, 'P0002')).toMatchObject({ status: 0 });
  });

  test('refresh-ds of one data source touches only its own enrolments; a hand-made enrolment is never removed', async () => {
    const { w, course } = await setup(4);
    const a = [
      ['C1', 'P0001', 'S', 'Y', 'A'],
      ['C1', 'P0002', 'S', 'Y', 'A'],
    ];
    const b = [
      ['C2', 'P0001', 'S', 'Y', 'B'],
      ['C2', 'P0002', 'S', 'Y', 'B'],
    ];
    expect((await w.cli(['run', w.write('a.txt', sisFile(H, a))])).code).toBe(0);
    expect((await w.cli(['run', w.write('b.txt', sisFile(H, b))])).code).toBe(0);
    // Enrolled by hand: the ledger has never heard of it.
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await enrolUsers(client, [{ roleid: 5, userid: uid(w, 'P0004'), courseid: course.C1 }]);
    await client.close();

    const r = await w.cli(['run', w.write('a2.txt', sisFile(H, [a[0]])), '--op', 'refresh-ds', '--datasource', 'A', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1, unchanged: 1 } });
    expect(enrolment(w, course.C1, 'P0002')).toBeUndefined();
    expect(enrolment(w, course.C1, 'P0001')).toBeDefined();
    expect(enrolment(w, course.C2, 'P0001')).toBeDefined();
    expect(enrolment(w, course.C2, 'P0002')).toBeDefined();
    expect(enrolment(w, course.C1, 'P0004')).toBeDefined();

    // A complete refresh (all data sources) still leaves the hand-made enrolment alone.
    const all = await w.cli(['run', w.write('all.txt', sisFile(H, [a[0], b[0]])), '--op', 'refresh', '--force']);
    expect(all.code).toBe(0);
    expect(enrolment(w, course.C2, 'P0002')).toBeUndefined();
    expect(enrolment(w, course.C1, 'P0004')).toBeDefined();
  });

  test('the refresh guard refuses a refresh that would unenrol too many, and writes nothing', async () => {
    const { w, course } = await setup(5);
    const rows = persons(5).map((p) => ['C1', p[0], 'S', 'Y', 'SIS']);
    expect((await w.cli(['run', w.write('enr.txt', sisFile(H, rows))])).code).toBe(0);
    w.sandbox.stats.reset();
    const r = await w.cli(['run', w.write('r.txt', sisFile(H, [rows[0]])), '--op', 'refresh']);
    expect(r.code).toBe(3);
    expect(w.lastSummary()).toMatchObject({ status: 'refused', guard: { entity: 'enrolments', owned: 5, toDisable: 4, refused: true } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(w.sandbox.enrolments.of(course.C1)).toHaveLength(5);
  });

  test('3 rows Moodle refuses among 100: the other 97 are enrolled, the 3 go to the tryback', async () => {
    const { w, course } = await setup(100, ['C1']);
    const rows = persons(100).map((p) => ['C1', p[0], 'Student', 'Y', 'SIS']);
    rows[10][2] = 'coursecreator'; // known role, not assignable in a course
    rows[60][2] = 'coursecreator';
    w.sandbox.users.deleteByHand(uid(w, 'P0041')); // the ledger still links P0041
    const r = await w.cli(['run', w.write('enr.txt', sisFile(H, rows))]);
    expect(r.code).toBe(2);
    const s = w.lastSummary();
    expect(s).toMatchObject({ outcomes: { ok: 97, failed: 3 } });
    expect(w.sandbox.enrolments.of(course.C1)).toHaveLength(97);
    const csv = rowsCsv(w);
    expect(csv).toMatch(/^12,C1\|P0011,create,failed,\d+,wsusercannotassign,/m);
    expect(csv).toMatch(/^62,C1\|P0061,create,failed,\d+,wsusercannotassign,/m);
    expect(csv).toMatch(/^42,C1\|P0041,create,failed,\d+,userdeleted,/m);
    const tryback = readFileSync(s.tryback as string, 'utf8');
    expect(tryback.split('\n').filter((l) => /^C1\|/.test(l))).toEqual(['C1|P0011|coursecreator|Y|SIS', 'C1|P0041|Student|Y|SIS', 'C1|P0061|coursecreator|Y|SIS']);
  });

  test('bad input: unknown role, end before start, unknown person and course fail their rows only', async () => {
    const { w, course } = await setup(2);
    const h = [...H, 'START_DATE', 'END_DATE'];
    const rows = [
      ['C1', 'P0001', 'Dean', 'Y', 'SIS', '', ''],
      ['C1', 'P0002', 'S', 'Y', 'SIS', '2026-09-01', '2026-08-01'],
      ['C1', 'NOBODY', 'S', 'Y', 'SIS', '', ''],
      ['NOCOURSE', 'P0001', 'S', 'Y', 'SIS', '', ''],
      ['C2', 'P0002', 'S', 'Y', 'SIS', '', ''],
    ];
    const r = await w.cli(['run', w.write('bad.txt', sisFile(h, rows))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 1, failed: 4 } });
    const csv = rowsCsv(w);
    expect(csv).toContain('2,C1|P0001,fail,failed,,unknown-role,"unknown role ""Dean""');
    expect(csv).toMatch(/^3,C1\|P0002,fail,failed,,invalid-dates,the end date 2026-08-01 \(END_DATE\) is before the start date 2026-09-01 \(START_DATE\),enrolments,/m);
    expect(csv).toMatch(/^4,C1\|NOBODY,fail,failed,,unknown-person,unknown person NOBODY,enrolments,/m);
    expect(csv).toMatch(/^5,NOCOURSE\|P0001,fail,failed,,unknown-course,unknown course NOCOURSE,enrolments,/m);
    expect(enrolment(w, course.C2, 'P0002')).toBeDefined();
    expect(w.sandbox.enrolments.of(course.C1)).toHaveLength(0);
  });

  test('bad input: an enrolment in a course of another data source fails its row; rows for courses of its own data source land', async () => {
    const { w } = await setup(2);
    const CH = ['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY', 'START_DATE', 'END_DATE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];
    const courseRows = [
      ['CB', 'cb', 'Course CB', '2026/Fall', '2026-09-01', '2027-06-30', 'Y', 'B'],
      ['CA', 'ca', 'Course CA', '2026/Fall', '2026-09-01', '2027-06-30', 'Y', 'A'],
    ];
    expect((await w.cli(['run', w.write('courses.txt', sisFile(CH, courseRows))])).code).toBe(0);
    const rows = [
      ['CB', 'P0001', 'S', 'Y', 'A'],
      ['CA', 'P0001', 'S', 'Y', 'A'],
      ['CA', 'P0002', 'S', 'Y', 'A'],
    ];
    const r = await w.cli(['run', w.write('enr.txt', sisFile(H, rows))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 2, failed: 1 } });
    expect(rowsCsv(w)).toContain(
      `2,CB|P0001,fail,failed,,data-source-mismatch,"course CB belongs to data source B, this row to A: enrol it from the courses' data source, or move the course"`,
    );
    const ca = w.sandbox.courses.byIdnumber('CA')!.id;
    const cb = w.sandbox.courses.byIdnumber('CB')!.id;
    expect(enrolment(w, ca, 'P0001')).toBeDefined();
    expect(enrolment(w, ca, 'P0002')).toBeDefined();
    expect(w.sandbox.enrolments.of(cb)).toHaveLength(0);
  });

  test('a role change assigns the new role and removes the one mdlsync gave; a role given by hand stays', async () => {
    const { w, course } = await setup(2);
    const first = [
      ['C1', 'P0001', 'Student', 'Y', 'SIS'],
      ['C1', 'P0002', 'Student', 'Y', 'SIS'],
    ];
    expect((await w.cli(['run', w.write('a.txt', sisFile(H, first))])).code).toBe(0);
    // An admin also makes P0002 a non-editing teacher by hand (an enrol call with another role).
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await enrolUsers(client, [{ roleid: 4, userid: uid(w, 'P0002'), courseid: course.C1 }]);
    await client.close();
    expect(enrolment(w, course.C1, 'P0002')?.roles).toEqual(expect.arrayContaining([4, 5]));

    const b = w.write('b.txt', sisFile(H, first.map((r) => [r[0], r[1], 'Instructor', 'Y', 'SIS'])));
    expect((await w.cli(['plan', b])).code).toBe(0);
    const plan = readFileSync(join(w.lastSummary().reportDir, 'plan.csv'), 'utf8');
    expect(plan).toContain('role student → editingteacher: assign editingteacher, remove student');
    w.sandbox.stats.reset();
    expect((await w.cli(['run', b])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 2 }, outcomes: { ok: 2, failed: 0 } });
    expect(w.sandbox.stats.byFunction.core_role_unassign_roles).toBe(1);
    expect(enrolment(w, course.C1, 'P0001')).toMatchObject({ status: 0, roles: [3] });
    const p2 = enrolment(w, course.C1, 'P0002')!.roles;
    expect([...p2].sort()).toEqual([3, 4]);

    // The ledger now says editingteacher: the same file again writes nothing; back to Student removes editingteacher.
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('b2.txt', sisFile(H, first.map((r) => [r[0], r[1], 'Instructor', 'Y', 'SIS'])))])).code).toBe(0);
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect((await w.cli(['run', w.write('c.txt', sisFile(H, [first[0]]))])).code).toBe(0);
    expect(enrolment(w, course.C1, 'P0001')).toMatchObject({ status: 0, roles: [5] });
  });

  test('the flat-file style header works too', async () => {
    const { w, course } = await setup(2);
    const r = await w.cli(['run', w.write('flat.csv', 'operation,role,idnumber_user,idnumber_course\nadd,student,P0001,C1\nadd,editingteacher,P0002,C1\n')]);
    expect(r.code).toBe(0);
    expect(enrolment(w, course.C1, 'P0002')).toMatchObject({ roles: [3] });
    const d = await w.cli(['run', w.write('flat2.csv', 'operation,role,idnumber_user,idnumber_course\ndel,student,P0001,C1\n')]);
    expect(d.code).toBe(0);
    expect(enrolment(w, course.C1, 'P0001')).toBeUndefined();
  });
});
