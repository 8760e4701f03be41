/**
 * Moodle Upload users files (https://docs.moodle.org/en/Upload_users), run as they are: a UTF-8 BOM, CRLF, quoted
 * commas, accents, optional columns, per-course enrolment columns. What admin/tool/uploaduser does is what the
 * sandbox must end with (and where mdlsync differs, docs/dialects/moodle-uploaduser.md says so).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCohorts, createCourses, createGroups, createUsers } from '../../src/moodle/index.js';
import { workspace, type Workspace } from '../helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const config = (w: Workspace, extra: Record<string, unknown> = {}): void =>
  writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, dialects: { timezone: 'UTC' }, ...extra }));

const user = (w: Workspace, username: string) => w.sandbox.users.byUsername(username);
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

// 2026-09-01 00:00 UTC
const SEP1 = 1788220800;
const DAY = 86400;

describe('Moodle Upload users dialect', () => {
  test('a file as the docs write it: people, their enrolments, groups and cohorts; an account with the username is adopted; a re-run is unchanged', async () => {
    const w = await workspace();
    ws = w;
    config(w);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    const [cf101, cf102] = await createCourses(client, [
      { fullname: 'Course 101', shortname: 'CF101', categoryid: 1 },
      { fullname: 'Course 102', shortname: 'CF102', categoryid: 1 },
    ]);
    await createGroups(client, [{ courseid: cf101.id, name: 'Blue', description: '' }]);
    await createCohorts(client, [{ categorytype: { type: 'system', value: '' }, name: 'Year 1', idnumber: 'Y1' }]);
    // Made by hand, no idnumber: the row with its username adopts it (Moodle's tool matches by username).
    const [hand] = await createUsers(client, [{ username: 'hand', firstname: 'Old', lastname: 'Name', email: 'hand@example.org', password: 'Hand-1234!' }]);
    await client.close();

    const header = 'username,password,firstname,lastname,email,idnumber,theme,mailformat,maildisplay,maildigest,description,profile_field_dept,course1,role1,group1,enroltimestart1,enrolperiod1,course2,type2,enrolstatus2,cohort1';
    const good = [
      'jdupont,Passw0rd!,Jérôme,Dupont,jdupont@example.org,P1001,boost,0,1,1,"Likes maths, physics",Sciences,CF101,,Blue,2026-09-01,30,CF102,2,1,Y1',
      'msmith,Passw0rd!,Mary,Smith,msmith@example.org,P1002,,,,,,,CF101,editingteacher,,,,,,,Y2',
      'hand,,New,Name,hand@example.org,P1003,,,,,,,CF102,,,,,,,,',
      'cred,Passw0rd!,Cy,Red,cred@example.org,P1005,,,,,,,CF101,,Red,,,,,,Y2',
    ];
    const bad = ['bnope,Passw0rd!,Bea,Nope,bnope@example.org,P1004,,,,,,,NOPE,,,,,CF101,,,'];
    const file = `\uFEFF${[header, ...good, ...bad].join('\r\n')}\r\n`;
    const r = await w.cli(['run', w.write('upload.csv', file)]);
    expect(r.code).toBe(2);
    const s = w.lastSummary();
    expect(s).toMatchObject({ format: { dialect: 'moodle-uploaduser', entities: ['persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members'] } });
    expect(s.warnings).toEqual(expect.arrayContaining([expect.stringContaining('maildigest: ')]));

    // The people, with every column the tool sets.
    const j = user(w, 'jdupont')!;
    expect(j).toMatchObject({ firstname: 'Jérôme', lastname: 'Dupont', idnumber: 'P1001', theme: 'boost', mailformat: 0, maildisplay: 1, description: 'Likes maths, physics', customfields: { dept: 'Sciences' }, passwordSet: true });
    expect(user(w, 'msmith')).toMatchObject({ idnumber: 'P1002', mailformat: 1 });
    // Adopted, not a second account and not a username-taken failure.
    expect(user(w, 'hand')).toMatchObject({ id: hand.id, firstname: 'New', idnumber: 'P1003' });
    expect(w.sandbox.users.list().filter((u) => u.username === 'hand')).toHaveLength(1);
    // The row whose course1 is missing still made its person.
    expect(user(w, 'bnope')).toBeDefined();

    // Enrolments: course by shortname, role (default student, typeN 2 = editingteacher), start + period days, status.
    const enrol = (courseId: number, username: string) => w.sandbox.enrolments.of(courseId).find((e) => e.userid === user(w, username)!.id);
    expect(enrol(cf101.id, 'jdupont')).toMatchObject({ status: 0, roles: [5], timestart: SEP1, timeend: SEP1 + 30 * DAY });
    expect(enrol(cf102.id, 'jdupont')).toMatchObject({ status: 1, roles: [3] });
    expect(enrol(cf101.id, 'msmith')).toMatchObject({ status: 0, roles: [3] });
    expect(enrol(cf102.id, 'hand')).toMatchObject({ status: 0, roles: [5] });
    expect(enrol(cf101.id, 'bnope')).toMatchObject({ roles: [5] }); // its course2, past the failed course1
    expect(enrol(cf101.id, 'cred')).toMatchObject({ roles: [5] });
    // Groups by name within course1: Blue existed; Red is created as the tool creates it (that name, no idnumber).
    const groups = w.sandbox.groups.of(cf101.id);
    expect(groups.map((g) => g.name).sort()).toEqual(['Blue', 'Red']);
    expect(groups.find((g) => g.name === 'Blue')!.members).toEqual([j.id]);
    expect(groups.find((g) => g.name === 'Red')).toMatchObject({ idnumber: '', description: '', members: [user(w, 'cred')!.id] });
    // Cohorts by idnumber: Y1 existed and keeps its name; Y2 is created as the tool creates it (idnumber = name, system).
    expect(w.sandbox.cohorts.byIdnumber('Y1')).toMatchObject({ name: 'Year 1' });
    expect(w.sandbox.cohorts.cohortMembers('Y1')).toEqual([j.id]);
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toMatchObject({ name: 'Y2' });
    expect(w.sandbox.cohorts.list().filter((c) => c.idnumber === 'Y2')).toHaveLength(1);
    expect(w.sandbox.cohorts.cohortMembers('Y2')).toEqual([user(w, 'msmith')!.id, user(w, 'cred')!.id].sort((a, b) => a - b));

    // Each failed part is its own row with the source line; the tryback gives back that line as written.
    const csv = rowsCsv(w);
    expect(csv).toContain('6,NOPE|bnope,fail,failed,,unknown-course,no Moodle course has shortname NOPE,enrolments');
    // A group or cohort many rows name is one row, on the first line that names it.
    expect(csv).toMatch(/^5,CF101\|Red,create,ok,\d+,,,groups,/m);
    expect(csv).toMatch(/^3,Y2,create,ok,\d+,,,cohorts,/m);
    expect(csv).toMatch(/^2,Y1,unchanged,unchanged,\d+,,/m);
    const tryback = readFileSync(s.tryback as string, 'utf8');
    // The header as written (BOM and CRLF kept), then each failed line once with why.
    expect(tryback).toBe(`\uFEFF${header}\r\n# line 6: unknown-course: no Moodle course has shortname NOPE\r\n${bad[0]}\r\n`);

    // Again (the good rows): nothing to do.
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('again.csv', `\uFEFF${[header, ...good].join('\r\n')}\r\n`)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 0, ok: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // A refresh of the same file removes none of the groups and cohorts it only makes sure of.
    expect((await w.cli(['run', '--op', 'refresh', '--force', w.write('refresh.csv', `\uFEFF${[header, ...good.slice(0, 1)].join('\r\n')}\r\n`)])).code).toBeLessThan(3);
    const refreshed = rowsCsv(w);
    // The memberships the file lacks go (they are the file's own); the groups and cohorts themselves are not touched.
    expect(refreshed).toMatch(/^,Y2\|msmith,disable,ok,/m);
    expect(refreshed).not.toMatch(/,disable,.*,(groups|cohorts)$/m);
    expect(w.sandbox.cohorts.byIdnumber('Y2')).toMatchObject({ name: 'Y2' });
    expect(w.sandbox.groups.of(cf101.id).map((g) => g.name).sort()).toEqual(['Blue', 'Red']);
  });

  test('deleted=1 disables as persons.disable says; oldusername renames the account found by idnumber, or fails without one; a plain file stays native', async () => {
    const w = await workspace();
    ws = w;
    config(w);
    const plain = 'username,firstname,lastname,email,idnumber\nann,Ann,A,ann@example.org,P1\nbob,Bob,B,bob@example.org,P2\ncy,Cy,C,cy@example.org,\n';
    const r0 = await w.cli(['run', w.write('plain.csv', plain)]);
    expect(r0.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ format: { dialect: 'mdlsync' } });
    const ann = user(w, 'ann')!;

    const file = 'username,oldusername,idnumber,deleted\nbob,,P2,1\nanna,ann,P1,0\ncyrus,cy,,\nzed,old,P9,\nnobody,,P404,1\n';
    const r = await w.cli(['run', w.write('changes.csv', file)]);
    expect(r.code).toBe(2);
    const s = w.lastSummary();
    expect(s).toMatchObject({ format: { dialect: 'moodle-uploaduser' } });
    expect(JSON.stringify(s)).toContain('a row with 1 disables its account as config persons.disable says');
    // deleted=1 with persons.disable suspend (the default): suspended, not deleted.
    expect(user(w, 'bob')).toMatchObject({ suspended: true, deleted: false });
    // Renamed: the same account.
    expect(user(w, 'anna')).toMatchObject({ id: ann.id, idnumber: 'P1' });
    expect(user(w, 'ann')).toBeUndefined();
    // No idnumber: refused, and no second account.
    expect(user(w, 'cyrus')).toBeUndefined();
    expect(user(w, 'cy')).toBeDefined();
    // An idnumber no account has: a rename creates nothing.
    expect(user(w, 'zed')).toBeUndefined();
    const csv = rowsCsv(w);
    expect(csv).toContain("oldusername cy: renaming an account found by its old username is not done");
    expect(csv).toContain('upload type ""update existing users only"" creates none');
    // An account that does not exist has nothing to delete (the tool reports an error; a re-run of a delete is calm).
    expect(csv).toContain('6,P404,unchanged,unchanged,');

    // With persons.disable delete, deleted=1 deletes the account.
    config(w, { persons: { disable: 'delete' } });
    expect((await w.cli(['run', w.write('delete.csv', 'username,idnumber,deleted\nanna,P1,1\n')])).code).toBe(0);
    expect(user(w, 'anna')).toBeUndefined();
    expect(w.sandbox.users.byId(ann.id)).toMatchObject({ deleted: true });
  });

  test('upload types: add new only leaves existing accounts and the rest of their line unchanged; update only fails a row whose account does not exist', async () => {
    const w = await workspace();
    ws = w;
    config(w);
    expect((await w.cli(['run', w.write('plain.csv', 'username,firstname,lastname,email\nann,Ann,A,ann@example.org\n')])).code).toBe(0);

    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    const [cf101] = await createCourses(client, [{ fullname: 'Course 101', shortname: 'CF101', categoryid: 1 }]);
    await client.close();

    // Add new only: an existing account's whole line is skipped, its enrolment too (as the tool skips the row).
    const header = 'username,firstname,lastname,email,url,course1';
    const r1 = await w.cli(['run', '--upload-type', 'addnew', w.write('addnew.csv', `${header}\nann,Changed,A,ann@example.org,http://x,CF101\nnew,New,N,new@example.org,,CF101\n`)]);
    expect(r1.code).toBe(0);
    expect(user(w, 'ann')).toMatchObject({ firstname: 'Ann' });
    expect(user(w, 'new')).toMatchObject({ firstname: 'New' });
    const enrolled = w.sandbox.enrolments.of(cf101.id).map((e) => e.userid);
    expect(enrolled).toEqual([user(w, 'new')!.id]);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 1, ok: 2 } });
    expect(rowsCsv(w)).toContain('2,ann,unchanged,unchanged,');
    expect(rowsCsv(w)).not.toContain('CF101|ann');
    expect(w.lastSummary().warnings).toEqual(['url: the web page field is no longer a user field core_user_create_users takes: not set (use a profile field)', 'upload type "add new only": existing accounts are not updated (reported as unchanged)']);

    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, dialects: { uploadType: 'update' } }));
    const r2 = await w.cli(['run', w.write('update.csv', `${header}\nann,Changed,A,ann@example.org,,\nghost,Gho,St,ghost@example.org,,\n`)]);
    expect(r2.code).toBe(2);
    expect(user(w, 'ann')).toMatchObject({ firstname: 'Changed' });
    expect(user(w, 'ghost')).toBeUndefined();
    expect(rowsCsv(w)).toContain('no Moodle account has username ghost: upload type ""update existing users only"" creates none');
  });
});
