/**
 * Groups and group members through the real CLI against the sandbox over HTTP: creation and unchanged re-runs,
 * renames sent (a refused one alone failing), adoption by name, shift between managed groups (an unmanaged group left alone), members who are not enrolled,
 * refresh of members (only mdlsync's memberships), and dependency order of files run together.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, addGroupMembers, createCourses, createGroups } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const EH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'DATA_SOURCE_KEY'];
const GH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'GROUP_NAME', 'DESCRIPTION', 'DATA_SOURCE_KEY'];
const MH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'EXTERNAL_PERSON_KEY', 'ACTION', 'DATA_SOURCE_KEY'];

/** n persons (P0001…), course C1 made with the wrappers, the first `enrolled` persons enrolled through the CLI. */
async function setup(n: number, enrolled: number): Promise<{ w: Workspace; c1: number; client: MoodleClient }> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(n)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const [c] = await createCourses(client, [{ fullname: 'Course C1', shortname: 'C1', categoryid: 1, idnumber: 'C1' }]);
  if (enrolled > 0) {
    const rows = persons(enrolled).map((p) => ['C1', p[0], 'Student', 'SIS']);
    expect((await w.cli(['run', w.write('enr.txt', sisFile(EH, rows))])).code).toBe(0);
  }
  return { w, c1: c.id, client };
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const group = (w: Workspace, courseId: number, idnumber: string) => w.sandbox.groups.of(courseId).find((g) => g.idnumber === idnumber);
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
const GROUPS = [
  ['C1', 'A', 'Group A', 'First group', 'SIS'],
  ['C1', 'B', 'Group B', '', 'SIS'],
];

describe('groups feed', () => {
  test('groups are created with their idnumber; a re-run makes no write call; a rename is sent, then unchanged', async () => {
    const { w, c1, client } = await setup(1, 0);
    const r = await w.cli(['run', w.write('groups.txt', sisFile(GH, GROUPS))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'groups', planned: { create: 2 }, outcomes: { ok: 2, failed: 0 } });
    expect(group(w, c1, 'A')).toMatchObject({ name: 'Group A', description: 'First group' });
    expect(group(w, c1, 'B')).toMatchObject({ name: 'Group B', description: '' });

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('groups2.txt', sisFile(GH, GROUPS))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    const renamed = [['C1', 'A', 'Group A renamed', 'First group', 'SIS'], GROUPS[1]];
    const groups3 = w.write('groups3.txt', sisFile(GH, renamed));
    expect((await w.cli(['run', groups3])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 1, unchanged: 1 }, outcomes: { ok: 1, unchanged: 1 } });
    expect(w.sandbox.stats.writeCalls).toBe(1);
    expect(rowsCsv(w)).toContain('rename ""Group A"" → ""Group A renamed""');
    expect(group(w, c1, 'A')).toMatchObject({ name: 'Group A renamed', description: 'First group' });
    w.sandbox.stats.reset();
    expect((await w.cli(['run', groups3])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // One batch of two updates, one taking the other group's name: Moodle refuses the batch, the good row lands alone.
    const clash = [['C1', 'A', 'Group B', 'First group', 'SIS'], ['C1', 'B', 'Group B', 'Second group', 'SIS']];
    const clashFile = w.write('groups4.txt', sisFile(GH, clash));
    expect((await w.cli(['run', clashFile])).code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 2 }, outcomes: { ok: 1, failed: 1 } });
    expect(rowsCsv(w)).toMatch(/^2,C1\|A,update,failed,\d+,invalidparameter,Invalid parameter value detected — A different group with the same name already exists in the course,/m);
    expect(group(w, c1, 'A')?.name).toBe('Group A renamed');
    expect(group(w, c1, 'B')).toMatchObject({ name: 'Group B', description: 'Second group' });
    // The failed rename left the ledger as it was: the same file plans it again; B is unchanged.
    expect((await w.cli(['run', clashFile, '--dry-run'])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 1, unchanged: 1 } });
    await client.close();
  });

  test('tool_sync style: an existing group is adopted by idnumber (and renamed), then by exact name; disable keeps the group', async () => {
    const { w, c1, client } = await setup(1, 0);
    await createGroups(client, [
      { courseid: c1, name: 'Lab', description: '' },
      { courseid: c1, name: 'Other', description: '', idnumber: 'X' },
    ]);
    const r = await w.cli(['run', w.write('g.csv', 'course,idnumber,name,description\nC1,LAB,Lab,\nC1,X,Whatever,\n')]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'groups', planned: { adopt: 2 }, outcomes: { ok: 2 } });
    expect(w.sandbox.groups.of(c1)).toHaveLength(2);
    expect(group(w, c1, 'X')?.name).toBe('Whatever');
    expect(rowsCsv(w)).toContain('rename ""Other"" → ""Whatever""');

    const d = await w.cli(['run', w.write('d.csv', 'course,idnumber,name\nC1,X,Whatever\n'), '--op', 'delete']);
    expect(d.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1 }, outcomes: { ok: 1 } });
    expect(rowsCsv(w)).toContain('the group stays in Moodle');
    expect(w.sandbox.groups.of(c1)).toHaveLength(2);
    await client.close();
  });
});

describe('group-members feed', () => {
  test('shift moves a person between two managed groups and leaves an unmanaged group alone', async () => {
    const { w, c1, client } = await setup(2, 2);
    expect((await w.cli(['run', w.write('groups.txt', sisFile(GH, GROUPS))])).code).toBe(0);
    // A group made by hand: mdlsync does not manage it.
    const [hand] = await createGroups(client, [{ courseid: c1, name: 'Hand', description: '', idnumber: 'H' }]);
    await addGroupMembers(client, [{ groupid: hand.id, userid: uid(w, 'P0001') }]);

    expect((await w.cli(['run', w.write('m1.txt', sisFile(MH, [['C1', 'A', 'P0001', 'add', 'SIS']]))])).code).toBe(0);
    expect(group(w, c1, 'A')?.members).toEqual([uid(w, 'P0001')]);

    const s = await w.cli(['run', w.write('m2.txt', sisFile(MH, [['C1', 'B', 'P0001', 'shift', 'SIS']]))]);
    expect(s.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'group-members', outcomes: { ok: 1, failed: 0 } });
    expect(group(w, c1, 'A')?.members).toEqual([]);
    expect(group(w, c1, 'B')?.members).toEqual([uid(w, 'P0001')]);
    expect(group(w, c1, 'H')?.members).toEqual([uid(w, 'P0001')]);
    await client.close();
  });

  test('a member who is not enrolled fails with its reason; the others land', async () => {
    const { w, c1, client } = await setup(3, 2);
    expect((await w.cli(['run', w.write('groups.txt', sisFile(GH, GROUPS))])).code).toBe(0);
    const rows = [
      ['C1', 'A', 'P0001', '', 'SIS'],
      ['C1', 'A', 'P0003', '', 'SIS'],
      ['C1', 'A', 'P0002', '', 'SIS'],
    ];
    const r = await w.cli(['run', w.write('m.txt', sisFile(MH, rows))]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 2, failed: 1 } });
    expect(rowsCsv(w)).toMatch(/^3,C1\|A\|P0003,fail,failed,,not-enrolled,person P0003 is not enrolled in course C1: only enrolled users may be members of groups/m);
    expect(group(w, c1, 'A')?.members).toEqual([uid(w, 'P0001'), uid(w, 'P0002')].sort((a, b) => a - b));
    await client.close();
  });

  test('a refresh of members removes only the memberships mdlsync made', async () => {
    const { w, c1, client } = await setup(3, 3);
    expect((await w.cli(['run', w.write('groups.txt', sisFile(GH, GROUPS))])).code).toBe(0);
    const rows = [
      ['C1', 'A', 'P0001', '', 'SIS'],
      ['C1', 'A', 'P0002', '', 'SIS'],
    ];
    expect((await w.cli(['run', w.write('m.txt', sisFile(MH, rows))])).code).toBe(0);
    const a = group(w, c1, 'A')!;
    await addGroupMembers(client, [{ groupid: a.id, userid: uid(w, 'P0003') }]);

    const r = await w.cli(['run', w.write('m2.txt', sisFile(MH, [rows[0]])), '--op', 'refresh', '--force']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1, unchanged: 1 }, outcomes: { ok: 1, failed: 0 } });
    expect(group(w, c1, 'A')?.members).toEqual([uid(w, 'P0001'), uid(w, 'P0003')].sort((x, y) => x - y));
    await client.close();
  });

  test('members named by course shortname, group name and username: stored, re-run unchanged, a refresh without a row removes it', async () => {
    const { w, client } = await setup(3, 0);
    // A course whose shortname is not its idnumber, and a group made by hand without an idnumber.
    const [bio] = await createCourses(client, [{ fullname: 'Biology', shortname: 'BIO-101', categoryid: 1, idnumber: 'BIO-2026' }]);
    const [lab] = await createGroups(client, [{ courseid: bio.id, name: 'Lab A', description: '' }]);
    const enrol = persons(3).map((p) => ['BIO-2026', p[0], 'Student', 'SIS']);
    expect((await w.cli(['run', w.write('enr-bio.txt', sisFile(EH, enrol))])).code).toBe(0);
    const header = 'course_shortname,group_name,username\n';
    const rows = ['BIO-101,Lab A,PUSER0001', 'BIO-101,Lab A,puser0002'];
    const r = await w.cli(['run', w.write('m1.csv', `${header}${rows.join('\n')}\nBIO-101,Lab B,puser0003\nBIO-999,Lab A,puser0003\n`)]);
    expect(r.code).toBe(2);
    expect(w.lastSummary()).toMatchObject({ type: 'group-members', planned: { create: 2, fail: 2 }, outcomes: { ok: 2, failed: 2 } });
    const members = () => w.sandbox.groups.of(bio.id).find((g) => g.id === lab.id)?.members;
    expect(members()).toEqual([uid(w, 'P0001'), uid(w, 'P0002')].sort((x, y) => x - y));
    expect(rowsCsv(w)).toMatch(/course BIO-101 has no group named Lab B/);
    expect(rowsCsv(w)).toMatch(/no Moodle course has shortname BIO-999/);

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('m2.csv', `${header}${rows.join('\n')}\n`)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 2 }, outcomes: { unchanged: 2 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    expect((await w.cli(['run', w.write('m3.csv', `${header}${rows[0]}\n`), '--op', 'refresh', '--force'])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1, unchanged: 1 }, outcomes: { ok: 1, unchanged: 1 } });
    expect(members()).toEqual([uid(w, 'P0001')]);
    await client.close();
  });

  test('members, groups and enrolments given together run in dependency order', async () => {
    const { w, c1, client } = await setup(2, 0);
    const members = w.write('members.txt', sisFile(MH, [['C1', 'A', 'P0001', '', 'SIS'], ['C1', 'B', 'P0002', 'add', 'SIS']]));
    const groups = w.write('groups.txt', sisFile(GH, GROUPS));
    const enrolments = w.write('enrolments.txt', sisFile(EH, [['C1', 'P0001', 'Student', 'SIS'], ['C1', 'P0002', 'Student', 'SIS']]));
    const r = await w.cli(['run', members, groups, enrolments]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ type: 'group-members', outcomes: { ok: 2, failed: 0 } });
    expect(w.sandbox.enrolments.of(c1)).toHaveLength(2);
    expect(group(w, c1, 'A')?.members).toEqual([uid(w, 'P0001')]);
    expect(group(w, c1, 'B')?.members).toEqual([uid(w, 'P0002')]);
    await client.close();
  });
});
