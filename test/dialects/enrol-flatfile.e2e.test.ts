/**
 * enrol_flatfile files (https://docs.moodle.org/en/Flat_file), run as they are: headerless lines `operation, role,
 * user idnumber, course idnumber[, starttime, endtime]`, spaces after the commas, CRLF. What the plugin does is what
 * the sandbox must end with.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses } from '../../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from '../helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

async function setup(): Promise<{ w: Workspace; cf101: number }> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(3)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const [made] = await createCourses(client, [{ fullname: 'Course CF101', shortname: 'CF101', categoryid: 1, idnumber: 'CF101' }]);
  await client.close();
  return { w, cf101: made.id };
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const enrolment = (w: Workspace, courseId: number, key: string) => w.sandbox.enrolments.of(courseId).find((e) => e.userid === uid(w, key));

describe('enrol_flatfile dialect', () => {
  test('add lines enrol with their role and times, a re-run is unchanged, del unenrols; the tryback gives back the failed line as written', async () => {
    const { w, cf101 } = await setup();
    const file = 'add, student, P0001, CF101\r\nadd, editingteacher, P0002, CF101, 1788220800, 1790812800\r\nadd, student, P0003, CF101\r\nadd, student, NOBODY, CF101\r\n';
    const r = await w.cli(['run', w.write('enrol.txt', file)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('format: Moodle flat-file enrolment (enrol_flatfile) file → enrolments');
    const s = w.lastSummary();
    expect(s).toMatchObject({ type: 'enrolments', format: { dialect: 'enrol-flatfile', entities: ['enrolments'] }, outcomes: { ok: 3, failed: 1 } });
    expect(enrolment(w, cf101, 'P0001')).toMatchObject({ status: 0, roles: [5] });
    expect(enrolment(w, cf101, 'P0002')).toMatchObject({ status: 0, roles: [3], timestart: 1788220800, timeend: 1790812800 });
    // Headerless: the tryback has no header line, only the failed line as written (CRLF kept).
    expect(readFileSync(s.tryback as string, 'utf8')).toBe('# line 4: unknown-person: unknown person NOBODY\r\nadd, student, NOBODY, CF101\r\n');

    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('enrol2.txt', file.split('\r\n').slice(0, 3).join('\r\n'))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 3, failed: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    expect((await w.cli(['run', w.write('del.txt', 'del, student, P0003, CF101\n')])).code).toBe(0);
    expect(enrolment(w, cf101, 'P0003')).toBeUndefined();
    expect(enrolment(w, cf101, 'P0001')).toBeDefined();
  });

  test("the plugin's role mapping is config dialects.flatfileRoles; a bad time fails its line only; --dialect reads a file detection would not", async () => {
    const { w, cf101 } = await setup();
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ dialects: { flatfileRoles: { teacheredit: 'editingteacher', pupil: 'student' } } }));
    const r = await w.cli(['run', w.write('map.txt', 'add,teacheredit,P0001,CF101\nadd,pupil,P0002,CF101,soon\n')]);
    expect(r.code).toBe(2);
    expect(enrolment(w, cf101, 'P0001')).toMatchObject({ roles: [3] });
    expect(enrolment(w, cf101, 'P0002')).toBeUndefined();
    expect(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8')).toContain('the time ""soon"" is not a Unix time');

    // --dialect names the format outright.
    const forced = await w.cli(['run', '--dialect', 'enrol-flatfile', w.write('odd.txt', 'add,student,P0003,CF101\n')]);
    expect(forced.code).toBe(0);
    expect(enrolment(w, cf101, 'P0003')).toMatchObject({ roles: [5] });
  });
});
