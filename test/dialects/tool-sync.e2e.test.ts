/**
 * tool_sync files (https://docsen.activeprolearn.com/doku.php?id=tools:sync), run as they are: `;`-separated, BOM,
 * CRLF, `#` and `/` comment lines, local-time dates. Each test spells out the Moodle state tool_sync would leave (and
 * says where mdlsync differs, as docs/dialects/tool-sync.md does); a re-run is all unchanged.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses } from '../../src/moodle/index.js';
import { BOM, SIS_HEADER, persons, sisFile, workspace, type Workspace } from '../helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});


async function setup(config: object = {}): Promise<{ w: Workspace; c1: number; c2: number }> {
  const w = await workspace();
  ws = w;
  writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ dialects: { timezone: 'Europe/Paris', ...config } }));
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(4)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const made = await createCourses(client, [
    { fullname: 'Biology 101', shortname: 'BIO-101', categoryid: 1, idnumber: 'BIO101' },
    { fullname: 'Chemistry 101', shortname: 'CHE-101', categoryid: 1, idnumber: 'CHE101' },
  ]);
  await client.close();
  return { w, c1: made[0].id, c2: made[1].id };
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const enrolment = (w: Workspace, courseId: number, key: string) => w.sandbox.enrolments.of(courseId).find((e) => e.userid === uid(w, key));
const groupNamed = (w: Workspace, courseId: number, name: string) => w.sandbox.groups.of(courseId).find((g) => g.name === name);

describe('tool_sync enrolments file', () => {
  test('rolename;uid;cid;cmd;starttime;endtime;enrol;gcmd;g1;g2 by idnumber: enrols with roles and local-time dates, groups by name (created by gaddcreate), del unenrols; a re-run is unchanged', async () => {
    const { w, c1, c2 } = await setup({ toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'idnumber' } });
    const file =
      BOM +
      '# enrolments for the autumn term\r\n' +
      '/ written by the SIS export\r\n' +
      'rolename;uid;cid;cmd;starttime;endtime;enrol;gcmd;g1;g2\r\n' +
      'student;P0001;BIO101;add;2026-09-01 08:00:00;2027-01-31 18:00:00;manual;gaddcreate;Lab A;Lab B\r\n' +
      'student;P0002;BIO101;add;;;;gaddcreate;Lab A;\r\n' +
      '# a comment between rows\r\n' +
      'editingteacher;P0003;BIO101;;;;;;;\r\n' +
      'student;P0004;CHE101;add;;;;;;\r\n' +
      'student;P0001;CHE101;add;1 September;;;;;\r\n' +
      'student;NOBODY;BIO101;add;;;;;;\r\n';
    const r = await w.cli(['run', w.write('enrols.csv', file)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('tool_sync enrolments file');
    const s = w.lastSummary();
    expect(s.format).toMatchObject({ dialect: 'tool-sync', kind: 'enrolments', entities: ['enrolments', 'groups', 'group-members'] });
    // Enrolled with their roles; dates are Paris local time (CEST = UTC+2, CET = UTC+1).
    expect(enrolment(w, c1, 'P0001')).toMatchObject({ status: 0, roles: [5], timestart: Date.UTC(2026, 8, 1, 6) / 1000, timeend: Date.UTC(2027, 0, 31, 17) / 1000 });
    expect(enrolment(w, c1, 'P0002')).toMatchObject({ status: 0, roles: [5] });
    expect(enrolment(w, c1, 'P0003')).toMatchObject({ roles: [3] });
    expect(enrolment(w, c2, 'P0004')).toMatchObject({ roles: [5] });
    // An unreadable date fails its row (tool_sync would silently enrol from "now"); an unknown user fails too.
    expect(enrolment(w, c2, 'P0001')).toBeUndefined();
    const rows = readFileSync(join(s.reportDir as string, 'rows.csv'), 'utf8');
    expect(rows).toContain('column starttime has ""1 September""');
    // gaddcreate made the missing groups (by name, no idnumber, as tool_sync) and put the users in them.
    expect(groupNamed(w, c1, 'Lab A')).toMatchObject({ idnumber: '' });
    expect(groupNamed(w, c1, 'Lab A')?.members.sort()).toEqual([uid(w, 'P0001'), uid(w, 'P0002')].sort());
    expect(groupNamed(w, c1, 'Lab B')?.members).toEqual([uid(w, 'P0001')]);
    // The tryback gives back the failed source lines under the source header.
    const tryback = readFileSync(s.tryback as string, 'utf8');
    expect(tryback).toContain('rolename;uid;cid;cmd;starttime;endtime;enrol;gcmd;g1;g2\r\n');
    expect(tryback).toContain('student;NOBODY;BIO101;add;;;;;;\r\n');
    expect(tryback).toContain('student;P0001;CHE101;add;1 September;;;;;\r\n');
    expect(tryback).not.toContain('P0002');

    // The same file again (without its failing lines): nothing to do.
    w.sandbox.stats.reset();
    const again = file.split('\r\n').filter((l) => !l.includes('NOBODY') && !l.includes('1 September')).join('\r\n');
    expect((await w.cli(['run', w.write('enrols2.csv', again)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 0, ok: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // del unenrols (Moodle drops the group memberships with it); shift changes the role.
    const del = 'rolename;uid;cid;cmd\nstudent;P0002;BIO101;del\nteacher;P0003;BIO101;shift\n';
    expect((await w.cli(['run', w.write('del.csv', del)])).code).toBe(0);
    expect(enrolment(w, c1, 'P0002')).toBeUndefined();
    expect(groupNamed(w, c1, 'Lab A')?.members).toEqual([uid(w, 'P0001')]);
    expect(enrolment(w, c1, 'P0003')).toMatchObject({ roles: [4] });
    expect(enrolment(w, c1, 'P0001')).toBeDefined();
  });

  test('the default identifiers (uid idnumber, cid shortname), then uid as username; an identifier mdlsync cannot look up refuses the file and says what to set', async () => {
    const { w, c1 } = await setup();
    const r = await w.cli(['run', w.write('enrols.csv', 'rolename;uid;cid;gcmd;g1\nstudent;P0001;BIO-101;gadd;Lab Z\nteacher;P0002;BIO-101;;\nstudent;P0003;NOPE-1;;\nstudent;P0004;BIO-101;gaddcreate;Lab Y\n')]);
    expect(r.code).toBe(2);
    expect(enrolment(w, c1, 'P0001')).toMatchObject({ roles: [5] });
    expect(enrolment(w, c1, 'P0002')).toMatchObject({ roles: [4] });
    const s = w.lastSummary();
    const rows = readFileSync(join(s.reportDir as string, 'rows.csv'), 'utf8');
    // gadd does not make Lab Z: that membership fails, saying so; gaddcreate makes Lab Y in the course found by shortname.
    expect(rows).toContain('no group named Lab Z');
    expect(rows).toContain('NOPE-1');
    expect(groupNamed(w, c1, 'Lab Z')).toBeUndefined();
    expect(groupNamed(w, c1, 'Lab Y')).toMatchObject({ idnumber: '', members: [uid(w, 'P0004')] });

    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ dialects: { toolSync: { userIdentifier: 'username', courseIdentifier: 'shortname' } } }));
    // A trailing separator (spreadsheet exports) leaves an empty, unnamed column.
    expect((await w.cli(['run', w.write('enrols2.csv', 'rolename;uid;cid;\nstudent;puser0003;BIO-101;\n')])).code).toBe(0);
    expect(enrolment(w, c1, 'P0003')).toMatchObject({ roles: [5] });

    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ dialects: { toolSync: { userIdentifier: 'email', courseIdentifier: 'idnumber' } } }));
    const refused = await w.cli(['run', w.write('enrols3.csv', 'rolename;uid;cid\nstudent;puser0001@example.edu;BIO101\n')]);
    expect(refused.code).toBe(3);
    expect(refused.stderr + refused.stdout).toContain('dialects.toolSync.userIdentifier to idnumber');
  });
});

describe('tool_sync users file', () => {
  test('persons with enrolment sets, groups and a cohort; deleted=1 disables, deleted=0 keeps (tool_sync deletes whenever the column is there); a re-run is unchanged', async () => {
    const { w, c1 } = await setup({ toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'idnumber' } });
    const header = 'username;firstname;lastname;idnumber;email;password;address;city;country;lang;deleted;course1;role1;start1;end1;group1;cohort;cohortid;icq';
    const file =
      BOM +
      '# users from the SIS\r\n' +
      header + '\r\n' +
      'JDoe;John;Doe;U001;jdoe@example.edu;;"1, rue de la Paix";Paris;fr;en_utf8;0;BIO101;student;1788220800;;Lab A;Year 1;Y1;\r\n' +
      'zoe;Zoë;Lefèvre;U002;zoe@example.edu;;;Lyon;FR;en;;BIO101;editingteacher;;;Lab A;Year 1;Y1;12345\r\n' +
      'puser0001;First0001;Last0001;P0001;puser0001@example.edu;;;;;;1;;;;;;;;\r\n' +
      'puser0002;First0002;Last0002;P0002;puser0002@example.edu;;;Nice;;;0;;;;;;;;\r\n' +
      'ghost;Gh;Ost;U003;ghost@example.edu;;;;;;maybe;;;;;;;;\r\n';
    const r = await w.cli(['run', w.write('userimport.csv', file)]);
    expect(r.code).toBe(2);
    const s = w.lastSummary();
    expect(s.format).toMatchObject({ dialect: 'tool-sync', kind: 'users', entities: ['persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members'] });
    expect(JSON.stringify(s.warnings)).toContain('icq: not read');
    const john = w.sandbox.users.byIdnumber('U001')[0];
    expect(john).toMatchObject({ username: 'jdoe', firstname: 'John', lastname: 'Doe', email: 'jdoe@example.edu', address: '1, rue de la Paix', city: 'Paris', country: 'FR', lang: 'en' });
    const zoe = w.sandbox.users.byIdnumber('U002')[0];
    expect(zoe).toMatchObject({ username: 'zoe', firstname: 'Zoë', lastname: 'Lefèvre' });
    // deleted=1 disables the account (persons.disable: suspend by default); deleted=0 only updates.
    expect(w.sandbox.users.byIdnumber('P0001')[0]).toMatchObject({ suspended: true });
    expect(w.sandbox.users.byIdnumber('P0002')[0]).toMatchObject({ suspended: false, city: 'Nice' });
    expect(w.sandbox.users.byIdnumber('U003')).toHaveLength(0);
    expect(readFileSync(join(s.reportDir as string, 'rows.csv'), 'utf8')).toContain('column deleted has ""maybe""');
    // Enrolment sets (Unix start), groups created by name, the cohort created with its idnumber and filled.
    expect(enrolment(w, c1, 'U001')).toMatchObject({ roles: [5], timestart: 1788220800 });
    expect(enrolment(w, c1, 'U002')).toMatchObject({ roles: [3] });
    expect(groupNamed(w, c1, 'Lab A')?.members.sort()).toEqual([john.id, zoe.id].sort());
    // Made as tool_sync makes it: that name, no idnumber.
    expect(groupNamed(w, c1, 'Lab A')).toMatchObject({ idnumber: '' });
    const cohort = w.sandbox.cohorts.byIdnumber('Y1');
    expect(cohort).toMatchObject({ name: 'Year 1' });
    expect(w.sandbox.cohorts.cohortMembers('Y1').sort()).toEqual([john.id, zoe.id].sort());

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('userimport2.csv', file.replace(/\r\nghost.*\r\n$/, '\r\n'))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 0, ok: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });
  test('default identifiers, no idnumber column: keyed by username, enrolled by course shortname; an ISO-8859-1 file read with --encoding latin1', async () => {
    const { w, c1 } = await setup();
    const file = Buffer.from('username;firstname;lastname;email;course1;role1;end1\nhelene;H\xe9l\xe8ne;Dupr\xe9;helene@example.edu;BIO-101;student;2027-06-30 23:59:00\n', 'latin1');
    const path = join(w.dir, 'userimport.csv');
    writeFileSync(path, file);
    const r = await w.cli(['run', '--encoding', 'latin1', path]);
    expect(r.code).toBe(0);
    const helene = w.sandbox.users.byUsername('helene')!;
    expect(helene).toMatchObject({ firstname: 'Hélène', lastname: 'Dupré', idnumber: '' });
    expect(w.sandbox.enrolments.of(c1).find((e) => e.userid === helene.id)).toMatchObject({ roles: [5], timeend: Date.UTC(2027, 5, 30, 21, 59) / 1000 });
  });
});


describe('tool_sync course files', () => {
  test('creation file: category paths made on demand, a category id, local start dates, a template copy; bad dates and .mbz templates fail their row; a re-run is unchanged; the deletion list hides', async () => {
    const { w } = await setup();
    const file =
      BOM +
      '# courses of the year\r\n' +
      'shortname;fullname;category;idnumber;summary;startdate;visible;template;self;topic1\r\n' +
      'BIO-201;Biology 201;/Sciences\\Life sciences/;BIO201;"Cells, genes; and more";2026-09-01 08:00:00;1;;1;Intro\r\n' +
      'CHE-201;Chimie générale;1;;Atoms;01.09.2026;1;BIO-101;;\r\n' +
      'ART-0;Art history;1;;;;0;;;\r\n' +
      'ART-1;Art;1;;;not a date;;;;\r\n' +
      'OLD-1;Old;1;;;;;/var/backups/old.mbz;;\r\n';
    const r = await w.cli(['run', w.write('uploadcourses.csv', file)]);
    expect(r.code).toBe(2);
    const s = w.lastSummary();
    expect(s.format).toMatchObject({ dialect: 'tool-sync', kind: 'courses' });
    expect(JSON.stringify(s.warnings)).toContain('topic1: not read');
    expect(JSON.stringify(s.warnings)).toContain('self: not read');
    const bio = w.sandbox.courses.byIdnumber('BIO201');
    expect(bio).toMatchObject({ shortname: 'BIO-201', fullname: 'Biology 201', summary: 'Cells, genes; and more', visible: true, startdate: Date.UTC(2026, 8, 1, 6) / 1000 });
    const cats = w.sandbox.categories.list();
    const sciences = cats.find((c) => c.name === 'Sciences' && c.parent === 0);
    const life = cats.find((c) => c.name === 'Life sciences' && c.parent === sciences?.id);
    expect(bio?.categoryid).toBe(life?.id);
    const che = w.sandbox.courses.byShortname('CHE-201');
    expect(w.sandbox.courses.byShortname('ART-0')).toMatchObject({ visible: false });
    expect(che).toMatchObject({ fullname: 'Chimie générale', categoryid: 1, visible: true, startdate: Date.UTC(2026, 7, 31, 22) / 1000 });
    // CHE-201 is a copy of BIO-101 (its template), made once.
    expect(w.sandbox.stats.byFunction.core_course_duplicate_course).toBe(1);
    expect(w.sandbox.courses.byShortname('ART-1')).toBeUndefined();
    expect(w.sandbox.courses.byShortname('OLD-1')).toBeUndefined();
    const rows = readFileSync(join(s.reportDir as string, 'rows.csv'), 'utf8');
    expect(rows).toContain('column startdate has ""not a date""');
    expect(rows).toContain('is a backup file');

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('uploadcourses2.csv', file.split('\r\n').slice(0, 5).join('\r\n'))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 0, ok: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // The deletion list (headerless, one shortname a line) hides the courses (courses.disable: hide, the default).
    const del = await w.cli(['run', '--dialect', 'tool-sync/delete-courses', w.write('deletecourses.txt', 'CHE-201\r\n\r\n')]);
    expect(del.code).toBe(0);
    expect(w.sandbox.courses.byShortname('CHE-201')).toMatchObject({ visible: false });
    // A course with an idnumber is named by its short name as well (Moodle's short names are unique).
    expect((await w.cli(['run', '--dialect', 'tool-sync/delete-courses', w.write('deletecourses1.txt', 'CHE-101\n')])).code).toBe(0);
    expect(w.sandbox.courses.byShortname('CHE-101')).toMatchObject({ visible: false });
    expect(readFileSync(join(w.lastSummary().reportDir as string, 'rows.csv'), 'utf8')).toMatch(/^1,CHE-101,disable,ok,\d+,/m);
    // Or by idnumber (courseIdentifier idnumber).
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ dialects: { toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'idnumber' } } }));
    expect((await w.cli(['run', '--dialect', 'tool-sync/delete-courses', w.write('deletecourses2.txt', 'BIO201\n')])).code).toBe(0);
    expect(w.sandbox.courses.byIdnumber('BIO201')).toMatchObject({ visible: false });
    expect(w.sandbox.courses.byShortname('BIO-101')).toMatchObject({ visible: true });

    // The existence check only reports: refused, pointing at mdlsync plan.
    const check = await w.cli(['run', '--dialect', 'tool-sync/check-courses', w.write('courses.csv', 'BIO-101;Biology\n')]);
    expect(check.code).toBe(3);
    expect(check.stderr + check.stdout).toContain('mdlsync plan');
  });
});

describe('tool_sync cohorts file', () => {
  test('cidnumber;cname;cdescription;userid;cmd: cohorts created once and filled, del removes a member or deletes the cohort, free fails its row; a re-run is unchanged', async () => {
    const { w } = await setup();
    const file =
      BOM +
      '# cohorts\r\n' +
      'cidnumber;cname;cdescription;userid;cmd\r\n' +
      'Y1;Year 1;"First year, all groups";P0001;add\r\n' +
      'Y1;Year 1;"First year, all groups";P0002;\r\n' +
      'Y1;Year 1;"First year, all groups";P0003;add\r\n' +
      'Y2;Année 2;;;add\r\n' +
      'Y2;;;P0004;\r\n' +
      'Y3;;;;add\r\n' +
      'Y1;;;;free\r\n';
    const r = await w.cli(['run', w.write('cohorts.csv', file)]);
    expect(r.code).toBe(2);
    expect(w.lastSummary().format).toMatchObject({ dialect: 'tool-sync', kind: 'cohorts', entities: ['cohorts', 'cohort-members'] });
    expect(w.sandbox.cohorts.byIdnumber('Y1')).toMatchObject({ name: 'Year 1', description: 'First year, all groups' });
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toMatchObject({ name: 'Année 2' });
    expect(w.sandbox.cohorts.byIdnumber('Y3')).toBeUndefined();
    expect(w.sandbox.cohorts.cohortMembers('Y1').sort()).toEqual(['P0001', 'P0002', 'P0003'].map((k) => uid(w, k)).sort());
    expect(w.sandbox.cohorts.cohortMembers('Y2')).toEqual([uid(w, 'P0004')]);
    const tryback = readFileSync(w.lastSummary().tryback as string, 'utf8');
    expect(tryback).toContain('Y3;;;;add\r\n');
    expect(tryback).toContain('Y1;;;;free\r\n');
    expect(tryback).toContain('cmd free');

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('cohorts2.csv', file.split('\r\n').slice(0, 7).join('\r\n'))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 0, ok: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // del with a user removes the member; del without one deletes the cohort (cohorts.disable: delete, the default).
    expect((await w.cli(['run', w.write('cohorts3.csv', 'cidnumber;userid;cmd\nY1;P0002;del\nY2;;del\n')])).code).toBe(0);
    expect(w.sandbox.cohorts.cohortMembers('Y1').sort()).toEqual(['P0001', 'P0003'].map((k) => uid(w, k)).sort());
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toBeUndefined();
  });
});

describe('tool_sync groups and group members files', () => {
  test('groups file (add-only) makes groups found by idnumber, else name; the members file adds, shifts and removes; a re-run is unchanged', async () => {
    const { w, c1 } = await setup({ toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'idnumber' } });
    expect((await w.cli(['run', w.write('enrols.csv', 'rolename;uid;cid\nstudent;P0001;BIO101\nstudent;P0002;BIO101\nstudent;P0003;BIO101\n')])).code).toBe(0);
    const groups = BOM + '/ groups of BIO101\r\ncourseid;name;idnumber;description;type;grouping\r\nBIO101;Lab A;LA;"Mondays, 8:00";;\r\nBIO101;Lab B;;;group;\r\nBIO101;All labs;;;grouping;\r\n';
    const r = await w.cli(['run', w.write('groups.csv', groups)]);
    expect(r.code).toBe(2);
    expect(w.lastSummary().format).toMatchObject({ dialect: 'tool-sync', kind: 'groups' });
    expect(JSON.stringify(w.lastSummary().warnings)).toContain('grouping: not read');
    expect(groupNamed(w, c1, 'Lab A')).toMatchObject({ idnumber: 'LA', description: 'Mondays, 8:00' });
    // No idnumber: the name is the key (tool_sync leaves the idnumber empty).
    expect(groupNamed(w, c1, 'Lab B')).toMatchObject({ idnumber: 'Lab B' });
    expect(groupNamed(w, c1, 'All labs')).toBeUndefined();

    // The same header is mdlsync's own group-members table (idnumbers), which reads it unless told the dialect.
    const members = '# memberships\ngroupid;userid;courseid;cmd\nLA;P0001;BIO101;add\nLA;P0002;BIO101;\nLab B;P0003;BIO101;add\n';
    expect((await w.cli(['run', '--dialect', 'tool-sync/group-members', w.write('groupmembers.csv', members)])).code).toBe(0);
    expect(w.lastSummary().format).toMatchObject({ dialect: 'tool-sync', kind: 'group-members' });
    expect(groupNamed(w, c1, 'Lab A')?.members.sort()).toEqual([uid(w, 'P0001'), uid(w, 'P0002')].sort());
    expect(groupNamed(w, c1, 'Lab B')?.members).toEqual([uid(w, 'P0003')]);
    w.sandbox.stats.reset();
    expect((await w.cli(['run', '--dialect', 'tool-sync/group-members', w.write('groupmembers2.csv', members)])).code).toBe(0);
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // Groups named by name (groupIdentifier name): shift moves P0002 out of Lab A into Lab B; del removes P0001.
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ dialects: { toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'idnumber', groupIdentifier: 'name' } } }));
    expect((await w.cli(['run', '--dialect', 'tool-sync/group-members', w.write('groupmembers3.csv', 'groupid;userid;courseid;cmd\nLab B;P0002;BIO101;shift\nLab A;P0001;BIO101;del\n')])).code).toBe(0);
    expect(groupNamed(w, c1, 'Lab A')?.members).toEqual([]);
    expect(groupNamed(w, c1, 'Lab B')?.members.sort()).toEqual([uid(w, 'P0002'), uid(w, 'P0003')].sort());
  });
});
