/**
 * Blackboard SIS Framework snapshot flat files (help.blackboard.com › Snapshot Flat File › Snapshot Header), run as
 * Blackboard's documentation writes them: one object type per file, pipe or comma delimited, headers in any order,
 * dates yyyymmdd, a data source per object type (SIS.PERSON, SIS.COURSE, SIS.MEMBERSHIP), UTF-8 with a BOM, CRLF.
 * Each expectation says what Learn would hold and what Moodle holds instead.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses } from '../../src/moodle/index.js';
import { bomCrlf, BOM, workspace, type Workspace } from '../helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

// Comma-delimited (an integration setting in Learn): CSV quoting, a quoted comma in the street.
const PERSONS = bomCrlf([
  'external_person_key,user_id,passwd,firstname,middlename,lastname,email,street_1,street_2,city,state,zip_code,country,b_phone_1,m_phone,company,department,job_title,system_role,institution_role,available_ind,data_source_key',
  'P100,jose,Passw0rd!x,José,Luís,Conceição,jose@x.edu,"1 Main St, Bldg A",Apt 2,Lisboa,LX,1000-001,PT,555-0100,555-0101,Uni Lisboa,Math,Lecturer,none,Faculty,Y,SIS.PERSON',
  'P200,ana,Passw0rd!y,Ana,,Ribeiro,ana@x.edu,,,Porto,,,Portugal,,,,,,none,Student,Y,SIS.PERSON',
  'P300,rui,Passw0rd!z,Rui,,Melo,rui@x.edu,,,,,,,,,,,,none,Student,N,SIS.PERSON',
]);

const TERMS = bomCrlf(['EXTERNAL_TERM_KEY|NAME|START_DATE|END_DATE|DURATION|DATA_SOURCE_KEY', '2026FA|Fall 2026|20260901|20261220|R|SIS.TERM']);
const CATEGORIES = bomCrlf(['EXTERNAL_CATEGORY_KEY|TITLE|PARENT_CATEGORY_KEY|FRONTPAGE_IND|DATA_SOURCE_KEY', 'SCI|Sciences||Y|SIS.CATEGORY', 'BIO|Biologia e Ciências|SCI|N|SIS.CATEGORY']);
// Columns in another order than the documentation's, as Learn allows.
const COURSES = bomCrlf([
  'COURSE_NAME|EXTERNAL_COURSE_KEY|COURSE_ID|DURATION|START_DATE|END_DATE|EXTERNAL_TERM_KEY|CATALOG_IND|DATA_SOURCE_KEY',
  'Biology 101|C-BIO101|BIO101|R|20260901|20261220|2026FA|Y|SIS.COURSE',
  'Research seminar|C-SEM|SEM|C|20260901|20261220||Y|SIS.COURSE',
]);
const CATEGORY_MEMBERSHIP = bomCrlf(['EXTERNAL_COURSE_KEY|EXTERNAL_CATEGORY_KEY|DATA_SOURCE_KEY', 'C-SEM|BIO|SIS.CATMEM']);
const MEMBERSHIPS = bomCrlf([
  'EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|RECEIVE_EMAIL_IND|AVAILABLE_IND|DATA_SOURCE_KEY',
  'C-BIO101|P100|Instructor|Y|Y|SIS.MEMBERSHIP',
  'C-BIO101|P200|Student|Y|Y|SIS.MEMBERSHIP',
  'C-SEM|P200|Teaching Assistant|N|Y|SIS.MEMBERSHIP',
  'C-SEM|P300|Guest|N|Y|SIS.MEMBERSHIP',
]);
const BASE = { moodle: { backoffMs: 20 } };
const FAMILY = { ...BASE, dialects: { defaultCategory: 'SCI' }, dataSourceFamilies: [['SIS.PERSON', 'SIS.COURSE', 'SIS.MEMBERSHIP']] };

describe('Blackboard snapshot flat file dialect', () => {
  test('persons, terms, categories, courses, category memberships and memberships end as Learn would hold them; a re-run is unchanged', async () => {
    const w = await workspace();
    ws = w;
    const run = async (name: string, content: string) => {
      const r = await w.cli(['run', w.write(name, content)]);
      return { ...r, s: w.lastSummary() };
    };

    // Persons: every Moodle field filled from its Blackboard column; the primary institution role is a role cohort.
    const p = await run('person.csv', PERSONS);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('Blackboard snapshot flat file person (User) feed → persons, institution-roles');
    const warnings = (p.s.warnings as string[]).join('\n');
    for (const col of ['state', 'zip_code', 'job_title', 'system_role']) expect(warnings).toContain(`${col}:`);
    const jose = w.sandbox.users.byIdnumber('P100')[0];
    expect(jose).toMatchObject({
      username: 'jose',
      firstname: 'José',
      middlename: 'Luís',
      lastname: 'Conceição',
      email: 'jose@x.edu',
      address: '1 Main St, Bldg A, Apt 2',
      city: 'Lisboa',
      country: 'PT',
      phone1: '555-0100',
      phone2: '555-0101',
      institution: 'Uni Lisboa',
      department: 'Math',
      suspended: false,
      passwordSet: true,
    });
    // "Portugal" is no ISO code: Learn stores the text, Moodle only a code, so none is sent.
    expect(w.sandbox.users.byIdnumber('P200')[0]).toMatchObject({ city: 'Porto', country: '' });
    // AVAILABLE_IND=N: Learn's unavailable user cannot log in; Moodle's is suspended.
    expect(w.sandbox.users.byIdnumber('P300')[0].suspended).toBe(true);
    const members = (idnumber: string) => {
      const c = w.sandbox.cohorts.byIdnumber(idnumber);
      return c ? c.members.map((id) => w.sandbox.users.byId(id)!.idnumber).sort() : undefined;
    };
    expect(members('role:faculty')).toEqual(['P100']);
    expect(members('role:student')).toEqual(['P200', 'P300']);

    // A term is a category keyed by the term key; Blackboard's categories keep their hierarchy.
    expect((await run('term.txt', TERMS)).code).toBe(0);
    expect((await run('category.txt', CATEGORIES)).code).toBe(0);
    const cat = (idnumber: string) => w.sandbox.categories.list().find((c) => c.idnumber === idnumber)!;
    expect(cat('2026FA')).toMatchObject({ name: 'Fall 2026', parent: 0 });
    expect(cat('SCI')).toMatchObject({ name: 'Sciences', parent: 0 });
    expect(cat('BIO')).toMatchObject({ name: 'Biologia e Ciências', parent: cat('SCI').id });

    // Courses: yyyymmdd dates at midnight in the machine's zone (UTC here), the term's category.
    // Learn needs no category, Moodle does: a course without a term goes to dialects.defaultCategory.
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ ...BASE, dialects: { defaultCategory: 'SCI' } }));
    expect((await run('course.txt', COURSES)).code).toBe(0);
    const bio = w.sandbox.courses.byIdnumber('C-BIO101')!;
    expect(bio).toMatchObject({ shortname: 'BIO101', fullname: 'Biology 101', categoryid: cat('2026FA').id, startdate: Date.UTC(2026, 8, 1) / 1000, enddate: Date.UTC(2026, 11, 20) / 1000 });
    const sem = w.sandbox.courses.byIdnumber('C-SEM')!;
    // DURATION C sends no end date: Moodle's create_course then applies the site's course duration (a year).
    expect(sem).toMatchObject({ shortname: 'SEM', startdate: Date.UTC(2026, 8, 1) / 1000, enddate: Date.UTC(2027, 8, 1) / 1000, categoryid: cat('SCI').id });

    // Category membership: the course moves to the category (Moodle courses have one category).
    expect((await run('catmem.txt', CATEGORY_MEMBERSHIP)).code).toBe(0);
    expect(w.sandbox.courses.byIdnumber('C-SEM')!.categoryid).toBe(cat('BIO').id);

    // Memberships from SIS.MEMBERSHIP into courses of SIS.COURSE: without a family every row is refused.
    const refused = await run('membership.txt', MEMBERSHIPS);
    expect(refused.code).toBe(2);
    expect(refused.s).toMatchObject({ outcomes: { failed: 4 } });
    expect(readFileSync(join(refused.s.reportDir, 'rows.csv'), 'utf8')).toContain('course C-BIO101 belongs to data source SIS.COURSE, this row to SIS.MEMBERSHIP');
    expect(w.sandbox.enrolments.of(bio.id)).toEqual([]);

    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify(FAMILY));
    const m = await run('membership.txt', MEMBERSHIPS);
    expect(m.code).toBe(2);
    expect(m.s).toMatchObject({ outcomes: { ok: 3, failed: 1 } });
    expect(m.s.warnings).toEqual(['RECEIVE_EMAIL_IND: Moodle has no per-enrolment email switch: not acted on']);
    const roleOf = (courseId: number, key: string) => w.sandbox.enrolments.of(courseId).find((e) => e.userid === w.sandbox.users.byIdnumber(key)[0].id)?.roles;
    expect(roleOf(bio.id, 'P100')).toEqual([3]); // Instructor → editingteacher
    expect(roleOf(bio.id, 'P200')).toEqual([5]); // Student → student
    expect(roleOf(sem.id, 'P200')).toEqual([4]); // Teaching Assistant → teacher
    expect(roleOf(sem.id, 'P300')).toBeUndefined(); // Guest: no Moodle enrolment
    expect(readFileSync(m.s.tryback as string, 'utf8')).toBe(
      `${BOM}EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|RECEIVE_EMAIL_IND|AVAILABLE_IND|DATA_SOURCE_KEY\r\n# line 5: unknown-role: the course role Guest has no Moodle enrolment: Moodle lets guests in through the course's guest access enrolment method instead\r\nC-SEM|P300|Guest|N|Y|SIS.MEMBERSHIP\r\n`,
    );

    // A re-run of every file changes nothing, but for the one documented difference: a course placed by the course
    // feed (defaultCategory) and moved by a category membership goes back and forth, each file putting it where it says.
    w.sandbox.stats.reset();
    // Persons: 3 persons and their 3 institution roles.
    for (const [name, content, rows] of [['person.csv', PERSONS, 6], ['term.txt', TERMS, 1], ['category.txt', CATEGORIES, 2]] as const) {
      const again = await run(name, content);
      expect(again.code).toBe(0);
      expect(again.s.outcomes).toMatchObject({ ok: 0, unchanged: rows, failed: 0 });
    }
    expect(w.sandbox.stats.writeCalls).toBe(0);
    const courses = await run('course.txt', COURSES);
    expect(readFileSync(join(courses.s.reportDir, 'rows.csv'), 'utf8')).toMatch(/^3,C-SEM,update,ok/m);
    expect(courses.s.outcomes).toMatchObject({ unchanged: 1, ok: 1 });
    expect(w.sandbox.courses.byIdnumber('C-SEM')!.categoryid).toBe(cat('SCI').id);
    expect((await run('catmem.txt', CATEGORY_MEMBERSHIP)).s.outcomes).toMatchObject({ ok: 1 });
    expect(w.sandbox.courses.byIdnumber('C-SEM')!.categoryid).toBe(cat('BIO').id);
    w.sandbox.stats.reset();
    const again = await run('membership.txt', MEMBERSHIPS);
    expect(again.s.outcomes).toMatchObject({ unchanged: 3, failed: 1 });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  }, 120_000);

  test('secondary institution role, observer association and plain membership files are read natively; --dialect forces the Blackboard reading', async () => {
    const w = await workspace();
    ws = w;
    expect((await w.cli(['run', w.write('p.txt', bomCrlf(['EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL|DATA_SOURCE_KEY', 'P1|u1|Passw0rd!x|A|B|a@x.edu|SIS', 'P2|u2|Passw0rd!x|C|D|c@x.edu|SIS']))])).code).toBe(0);
    const r = await w.cli(['run', w.write('secondary.txt', bomCrlf(['EXTERNAL_PERSON_KEY|ROLE_ID|DATA_SOURCE_KEY', 'P1|Staff|SIS']))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary().format).toMatchObject({ dialect: 'mdlsync' });
    expect(w.sandbox.cohorts.byIdnumber('role:staff')!.members).toEqual([w.sandbox.users.byIdnumber('P1')[0].id]);

    // A plain membership file is native (grader is a default roleMap name); --dialect blackboard/membership also reads
    // Learn's UI spellings with spaces.
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    const [made] = await createCourses(client, [{ fullname: 'Course X', shortname: 'X1', categoryid: 1, idnumber: 'X1' }]);
    await client.close();
    const plain = bomCrlf(['EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE', 'X1|P1|Course Builder', 'X1|P2|Grader']);
    expect((await w.cli(['run', w.write('plain.txt', plain)])).code).toBe(2);
    expect(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8')).toMatch(/^2,X1\|P1,fail,failed,,unknown-role,"unknown role ""Course Builder""/m);
    expect((await w.cli(['run', '--dialect', 'blackboard/membership', w.write('plain2.txt', plain)])).code).toBe(0);
    const roles = (key: string) => w.sandbox.enrolments.of(made.id).find((e) => e.userid === w.sandbox.users.byIdnumber(key)[0].id)?.roles;
    expect([roles('P1'), roles('P2')]).toEqual([[3], [4]]);

    // Observer association: the observer gets the parent role (id 9) in the observed user's context (level 30).
    expect((await w.cli(['run', w.write('observer.txt', bomCrlf(['EXTERNAL_OBSERVER_KEY|EXTERNAL_USER_KEY|DATA_SOURCE_KEY', 'P2|P1|SIS']))])).code).toBe(0);
    expect(w.lastSummary().format).toMatchObject({ dialect: 'mdlsync' });
    expect(w.sandbox.roles.roleAssignments({ roleid: 9, contextlevel: 30 })).toEqual([
      expect.objectContaining({ userid: w.sandbox.users.byIdnumber('P2')[0].id, instanceid: w.sandbox.users.byIdnumber('P1')[0].id }),
    ]);
  });
});
