/**
 * Canvas SIS imports (https://canvas.instructure.com/doc/api/file.sis_csv.html) run as they are, through the real CLI
 * against the sandbox: the documentation's sample files (BOM, CRLF, quoted commas and quotes, accents, optional
 * columns), one by one and as one zip, in dependency order whatever the order given. What Canvas does with each row is
 * spelled out as the Moodle state the run must leave.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipOf } from '../zip.js';
import { bomCrlf, workspace, type Workspace } from '../helpers.js';

/** A Canvas SIS import zip: the CSV files in a folder, as Canvas's own export has them. */
const zip = (files: Record<string, string>): Promise<Buffer> => zipOf(Object.fromEntries(Object.entries(files).map(([name, text]) => [`sis_export/${name}`, text])));

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

/** The documentation's samples, grown a little: an accent, a quoted comma, a quoted quote, optional columns. */
const FILES: Record<string, string> = {
  'enrollments.csv': bomCrlf([
    'course_id,user_id,role,section_id,status,associated_user_id,start_date,end_date,limit_section_privileges',
    'E411208,01103,student,S001,active,,2026-09-01T08:00:00Z,,',
    'E411208,13834,student,S002,inactive,,,,',
    'E411208,13aa3,teacher,S001,active,,,,true',
    'R001104,13aa3,ta,,active,,,,',
    'R001104,01103,student,S003,completed,,,,',
    'E411208,P0001,observer,,active,01103,,,',
  ]),
  'users.csv': bomCrlf([
    'user_id,login_id,authentication_provider_id,password,first_name,last_name,short_name,email,status',
    '01103,bsmith01,,Canvas-Pass1!,Bob,Smith,Bobby Smith,bob.smith@myschool.edu,active',
    '13834,JDoe03,google,Canvas-Pass1!,John,Doe,,john.doe@myschool.edu,active',
    '13aa3,psue01,7,Canvas-Pass1!,Peggy,Sue,,peggy.sue@myschool.edu,active',
    'P0001,parent01,,Canvas-Pass1!,Zoë,Müller,,zoe.muller@myschool.edu,active',
    'U0005,alopez05,,Canvas-Pass1!,Ana,"López, Jr",,ana.lopez@myschool.edu,suspended',
  ]),
  'courses.csv': bomCrlf([
    'course_id,short_name,long_name,account_id,term_id,status,start_date,end_date,course_format',
    'E411208,ENG115,English 115: Intro to English,A002,T001,active,2026-09-01T00:00:00Z,2026-12-20 17:00:00-05:00,online',
    'R001104,BIO300,"Biology 300: Rocking it, Bio Style",,T001,active,,,',
    'A110035,ART105,"Art 105: ""Art as a Medium""",A003,,published,,,',
  ]),
  'sections.csv': bomCrlf(['section_id,course_id,name,status,start_date,end_date', 'S001,E411208,Section 1,active,,', 'S002,E411208,Section 2,active,,', 'S003,R001104,Sección única,active,,']),
  'user_observers.csv': bomCrlf(['observer_id,student_id,status', 'P0001,13834,active']),
  'group_memberships.csv': bomCrlf(['group_id,user_id,status', 'G001,01103,accepted', 'G001,13aa3,accepted']),
  'groups.csv': bomCrlf(['group_id,account_id,name,status', 'G001,A001,Chess club,available']),
  'terms.csv': bomCrlf(['term_id,name,status,start_date,end_date', 'T001,Fall2026,active,2026-9-01 00:00:00,2026-12-20 00:00:00']),
  'accounts.csv': bomCrlf(['account_id,parent_account_id,name,status', 'A001,,Humanities,active', 'A002,A001,"English, Writing & Rhetoric",active', 'A003,A001,Español,active']),
};


async function setup(): Promise<Workspace> {
  const w = await workspace();
  ws = w;
  // Canvas puts a course without account_id in the root account; in Moodle that is the category dialects.defaultCategory names.
  w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, dialects: { defaultCategory: 'A001' } }));
  return w;
}

/** Every run's summary.json, oldest first. */
function summaries(w: Workspace): Array<Record<string, unknown> & { reportDir: string }> {
  const dir = join(w.dir, 'reports');
  return readdirSync(dir)
    .filter((n) => /^\d{8}T/.test(n))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(dir, n, 'summary.json'), 'utf8')));
}

const PARENT = 9;
const CONTEXT_USER = 30;
const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const course = (w: Workspace, key: string) => w.sandbox.courses.byIdnumber(key)!;
const category = (w: Workspace, key: string) => w.sandbox.categories.list().find((c) => c.idnumber === key)!;
const enrolment = (w: Workspace, courseKey: string, userKey: string) => w.sandbox.enrolments.of(course(w, courseKey).id).find((e) => e.userid === uid(w, userKey));
const group = (w: Workspace, courseKey: string, key: string) => w.sandbox.groups.of(course(w, courseKey).id).find((g) => g.idnumber === key);
const observed = (w: Workspace): string[] => {
  const key = (id: number) => w.sandbox.users.byId(id)?.idnumber ?? String(id);
  return w.sandbox.roles
    .roleAssignments({ roleid: PARENT, contextlevel: CONTEXT_USER })
    .map((a) => `${key(a.userid)}→${key(a.instanceid)}`)
    .sort();
};

function expectImported(w: Workspace): void {
  // accounts.csv → categories, parents first.
  const humanities = category(w, 'A001');
  expect(humanities).toMatchObject({ name: 'Humanities', parent: 0 });
  expect(category(w, 'A002')).toMatchObject({ name: 'English, Writing & Rhetoric', parent: humanities.id });
  expect(category(w, 'A003')).toMatchObject({ name: 'Español', parent: humanities.id });
  // courses.csv: short_name, long_name, account_id; dates in UTC unless they say otherwise.
  expect(course(w, 'E411208')).toMatchObject({
    shortname: 'ENG115',
    fullname: 'English 115: Intro to English',
    categoryid: category(w, 'A002').id,
    visible: true,
    startdate: Date.parse('2026-09-01T00:00:00Z') / 1000,
    enddate: Date.parse('2026-12-20T17:00:00-05:00') / 1000,
  });
  expect(course(w, 'R001104')).toMatchObject({ shortname: 'BIO300', fullname: 'Biology 300: Rocking it, Bio Style', categoryid: humanities.id });
  expect(course(w, 'A110035')).toMatchObject({ fullname: 'Art 105: "Art as a Medium"', categoryid: category(w, 'A003').id, visible: true });
  // users.csv: user_id is the idnumber, login_id the (lower-case) username, short_name the alternate name.
  expect(w.sandbox.users.byUsername('bsmith01')).toMatchObject({ idnumber: '01103', firstname: 'Bob', lastname: 'Smith', alternatename: 'Bobby Smith', email: 'bob.smith@myschool.edu', suspended: false, passwordSet: true });
  expect(w.sandbox.users.byUsername('jdoe03')).toMatchObject({ idnumber: '13834' });
  expect(w.sandbox.users.byUsername('parent01')).toMatchObject({ firstname: 'Zoë', lastname: 'Müller' });
  expect(w.sandbox.users.byUsername('alopez05')).toMatchObject({ lastname: 'López, Jr', suspended: true });
  // sections.csv → groups; enrollments.csv section_id → their members.
  expect(group(w, 'E411208', 'S001')).toMatchObject({ name: 'Section 1', members: [uid(w, '01103'), uid(w, '13aa3')].sort((a, b) => a - b) });
  expect(group(w, 'E411208', 'S002')).toMatchObject({ name: 'Section 2', members: [uid(w, '13834')] });
  expect(group(w, 'R001104', 'S003')).toMatchObject({ name: 'Sección única', members: [uid(w, '01103')] });
  // enrollments.csv: student 5, teacher → editingteacher 3, ta → teacher 4; inactive and completed suspend.
  expect(enrolment(w, 'E411208', '01103')).toMatchObject({ status: 0, roles: [5], timestart: Date.parse('2026-09-01T08:00:00Z') / 1000 });
  expect(enrolment(w, 'E411208', '13834')).toMatchObject({ status: 1, roles: [5] });
  expect(enrolment(w, 'E411208', '13aa3')).toMatchObject({ status: 0, roles: [3] });
  expect(enrolment(w, 'R001104', '13aa3')).toMatchObject({ status: 0, roles: [4] });
  expect(enrolment(w, 'R001104', '01103')).toMatchObject({ status: 1, roles: [5] });
  // The observer enrollment is no course enrolment: an observer link to associated_user_id, as user_observers.csv makes.
  expect(enrolment(w, 'E411208', 'P0001')).toBeUndefined();
  expect(observed(w)).toEqual(['P0001→01103', 'P0001→13834']);
  // groups.csv → a cohort in its account's category; group_memberships.csv → its members.
  expect(w.sandbox.cohorts.byIdnumber('G001')).toMatchObject({ name: 'Chess club', categoryid: humanities.id });
  expect(w.sandbox.cohorts.cohortMembers('G001')).toEqual([uid(w, '01103'), uid(w, '13aa3')].sort((a, b) => a - b));
}

describe('Canvas SIS import dialect', () => {
  test('a zip of the documented files runs in dependency order, terms.csv left out with a note; a re-run is all unchanged', async () => {
    const w = await setup();
    const r = await w.cli(['run', w.write('canvas_sis.zip', await zip(FILES))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: canvas_sis.zip: terms.csv left out: Moodle has no terms');
    const runs = summaries(w);
    expect(runs.map((s) => (s.format as { kind: string }).kind)).toEqual(['accounts', 'courses', 'users', 'sections', 'enrollments', 'groups', 'group_memberships', 'user_observers']);
    for (const s of runs) expect(s).toMatchObject({ format: { dialect: 'canvas' }, outcomes: { failed: 0 } });
    expect(runs[1].warnings).toEqual(['term_id: Moodle has no terms: give the course its own start_date and end_date', 'course_format: on_campus/online/blended is no Moodle course format']);
    expectImported(w);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('canvas_sis_again.zip', await zip(FILES))])).code).toBe(0);
    for (const s of summaries(w).slice(runs.length)) expect((s.outcomes as Record<string, number>).unchanged).toBeGreaterThan(0);
    for (const s of summaries(w).slice(runs.length)) expect(s.outcomes).toMatchObject({ ok: 0, failed: 0 });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('files given one by one run in the same order; deleted rows unenrol, leave the section, suspend the user; bad rows fail alone', async () => {
    const w = await setup();
    const names = ['enrollments.csv', 'users.csv', 'sections.csv', 'courses.csv', 'accounts.csv', 'groups.csv', 'group_memberships.csv', 'user_observers.csv'];
    const r = await w.cli(['run', ...names.map((n) => w.write(n, FILES[n]))]);
    expect(r.code).toBe(0);
    expectImported(w);

    const later = bomCrlf([
      'course_id,user_id,role,section_id,status',
      'E411208,01103,student,S001,deleted',
      'E411208,13834,student,S002,active',
      'E411208,NOBODY,student,S002,active',
      'E411208,13aa3,teacher,S001,sometimes',
    ]);
    const e = await w.cli(['run', w.write('enrollments-later.csv', later)]);
    expect(e.code).toBe(2);
    expect(enrolment(w, 'E411208', '01103')).toBeUndefined();
    expect(group(w, 'E411208', 'S001')?.members).toEqual([uid(w, '13aa3')]);
    expect(enrolment(w, 'E411208', '13834')).toMatchObject({ status: 0 });
    const tryback = readFileSync(w.lastSummary().tryback as string, 'utf8');
    expect(tryback).toContain('E411208,NOBODY,student,S002,active');
    expect(tryback).toContain('# line 5: invalid-value: the status is "sometimes", expected active, deleted, completed, inactive, deleted_last_completed');
    expect(enrolment(w, 'E411208', '13aa3')).toMatchObject({ status: 0, roles: [3] });

    expect((await w.cli(['run', w.write('users-later.csv', bomCrlf(['user_id,login_id,first_name,last_name,email,status', '13834,jdoe03,John,Doe,john.doe@myschool.edu,deleted']))])).code).toBe(0);
    expect(w.sandbox.users.byUsername('jdoe03')).toMatchObject({ suspended: true, deleted: false });

    expect((await w.cli(['run', w.write('observers-later.csv', bomCrlf(['observer_id,student_id,status', 'P0001,13834,deleted']))])).code).toBe(0);
    expect(observed(w)).toEqual(['P0001→01103']);
  });

  test("Canvas batch mode is refresh-ds of the term's data source; change_threshold is the refresh guard", async () => {
    const w = await setup();
    w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, dialects: { defaultCategory: 'A001' }, guard: { maxPercent: 30 } }));
    const base = ['accounts.csv', 'courses.csv', 'users.csv', 'sections.csv'];
    expect((await w.cli(['run', w.write('base.zip', await zip(Object.fromEntries(base.map((n) => [n, FILES[n]]))))])).code).toBe(0);
    const header = 'course_id,user_id,role,section_id,status';
    const rows = ['E411208,01103,student,S001,active', 'E411208,13834,student,S002,active', 'E411208,13aa3,teacher,S001,active', 'R001104,13aa3,ta,,active', 'R001104,01103,student,S003,active'];
    expect((await w.cli(['run', '-d', 'FALL2026', w.write('enr.csv', bomCrlf([header, ...rows]))])).code).toBe(0);

    // A batch without 13834: their enrolment and section membership go, nothing else changes.
    const batch = await w.cli(['run', '--op', 'refresh-ds', '-d', 'FALL2026', w.write('enr-batch.csv', bomCrlf([header, ...rows.filter((r) => !r.includes('13834'))]))]);
    expect(batch.code).toBe(0);
    expect(enrolment(w, 'E411208', '13834')).toBeUndefined();
    expect(group(w, 'E411208', 'S002')?.members).toEqual([]);
    expect(enrolment(w, 'E411208', '01103')).toMatchObject({ status: 0, roles: [5] });

    // A partial batch (one row of four) would remove 75 % of the term's enrolments: refused before any write, as
    // change_threshold aborts a batch; --force is the override.
    const partial = await w.cli(['run', '--op', 'refresh-ds', '-d', 'FALL2026', w.write('enr-partial.csv', bomCrlf([header, rows[0]]))]);
    expect(partial.code).toBe(3);
    expect(partial.stdout).toContain('guard: refresh would disable 3 of 4 enrolments owned in data source FALL2026 (limit 1): refused');
    expect(enrolment(w, 'E411208', '13aa3')).toMatchObject({ status: 0, roles: [3] });
    expect(enrolment(w, 'R001104', '01103')).toBeDefined();
  });

  test('terms.csv alone and change_sis_id.csv are refused with what to do; a zip holding change_sis_id.csv runs nothing', async () => {
    const w = await setup();
    const terms = await w.cli(['run', w.write('terms.csv', FILES['terms.csv'])]);
    expect(terms.code).toBe(3);
    expect(terms.stdout + terms.stderr).toContain('Canvas terms.csv: Moodle has no terms');

    const change = bomCrlf(['old_id,new_id,old_integration_id,new_integration_id,type', 'u001,u002,,,user']);
    const c = await w.cli(['run', w.write('change_sis_id.csv', change)]);
    expect(c.code).toBe(3);
    expect(c.stdout + c.stderr).toContain('mdlsync does not re-key records from a file');

    const z = await w.cli(['run', w.write('with_change.zip', await zip({ 'accounts.csv': FILES['accounts.csv'], 'change_sis_id.csv': change }))]);
    expect(z.code).toBe(3);
    expect(z.stdout + z.stderr).toContain('change_sis_id.csv is Canvas SIS import change_sis_id.csv, which mdlsync does not run; nothing in the archive was run');
    expect(w.sandbox.categories.list().find((cat) => cat.idnumber === 'A001')).toBeUndefined();
  });
});
