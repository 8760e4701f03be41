/**
 * Errors Moodle raises after it has committed, through the real CLI against the sandbox over HTTP: the welcome mail
 * of enrol_manual_enrol_users failing ("Message was not sent.", contract/2026-12 cases 173-176) and a reply lost
 * after the commit (timeout). A failed call whose effect may have landed is read back before its rows are reported.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const H = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];
const STUDENTS = [
  ['C1', 'P0001', 'Student', 'Y', 'SIS'],
  ['C1', 'P0002', 'Student', 'Y', 'SIS'],
  ['C1', 'P0003', 'Student', 'Y', 'SIS'],
];
const TEACHER = ['C1', 'P0004', 'Instructor', 'Y', 'SIS'];

/** Persons P0001-P0004, course C1, and P0004 enrolled as its teacher (the course contact welcome mails come from). */
async function setup(): Promise<{ w: Workspace; course: number }> {
  const w = await workspace({ debug: false });
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(4)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const [made] = await createCourses(client, [{ fullname: 'Course C1', shortname: 'C1', categoryid: 1, idnumber: 'C1' }]);
  await client.close();
  expect((await w.cli(['run', w.write('teacher.txt', sisFile(H, [TEACHER]))])).code).toBe(0);
  return { w, course: made.id };
}

/** Moodle settings for the next runs (short timeouts only around the faulted run: a loaded machine is slow). */
const config = (w: Workspace, moodle: object = {}): void =>
  writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20, ...moodle } }));
const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
const studentRows = (w: Workspace): string[] => rowsCsv(w).split('\n').filter((l) => /C1\|P000[123]/.test(l));

describe('errors Moodle raises after it has committed', () => {
  test('enrolments whose welcome mail fails are ok with a warning naming Moodle\'s error, linked, and unchanged on a re-run', async () => {
    const { w, course } = await setup();
    w.sandbox.mail.failing = true;
    const r = await w.cli(['run', w.write('enr.txt', sisFile(H, [...STUDENTS, TEACHER]))]);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { create: 3 }, outcomes: { ok: 3, unchanged: 1, failed: 0 } });
    const rows = studentRows(w);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/,create,ok,\d+,,"warning: Moodle answered ""Message was not sent\."" but the row is saved in Moodle \(read back\)",enrolments,/);
    expect(w.lastSummary().tryback).toBeNull();
    for (const key of ['P0001', 'P0002', 'P0003']) {
      expect(w.sandbox.enrolments.of(course).find((e) => e.userid === uid(w, key))).toMatchObject({ status: 0, roles: [5] });
    }

    // The ledger linked them: the same file again is unchanged and makes no write call, mail or no mail.
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('enr2.txt', sisFile(H, [...STUDENTS, TEACHER]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 4, failed: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('a suspension whose welcome mail fails is read back as suspended: ok', async () => {
    const { w, course } = await setup();
    expect((await w.cli(['run', w.write('enr.txt', sisFile(H, STUDENTS))])).code).toBe(0);
    w.sandbox.mail.failing = true;
    const suspended = STUDENTS.map((r, i) => (i === 0 ? [...r.slice(0, 3), 'N', 'SIS'] : r));
    expect((await w.cli(['run', w.write('enr2.txt', sisFile(H, suspended))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 1 }, outcomes: { ok: 1, unchanged: 2, failed: 0 } });
    expect(rowsCsv(w)).toMatch(/C1\|P0001,update,ok,\d+,,.*Message was not sent\./);
    expect(w.sandbox.enrolments.of(course).find((e) => e.userid === uid(w, 'P0001'))).toMatchObject({ status: 1 });
  });

  test('a reply lost after the commit (timeout) is read back, not sent again: one welcome mail each, ok with a warning', async () => {
    const { w, course } = await setup();
    config(w, { timeoutMs: 2000 });
    const before = w.sandbox.mail.sent;
    w.sandbox.faults.add({ fn: 'enrol_manual_enrol_users', kind: 'commit-then-stall', ms: 4000 });
    expect((await w.cli(['run', w.write('enr.txt', sisFile(H, STUDENTS))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 3, failed: 0 } });
    for (const row of studentRows(w)) expect(row).toMatch(/,create,ok,\d+,,warning: the call got no answer in time but the row is saved in Moodle \(read back\),enrolments,/);
    // Sent once: a resend would have mailed every student a second welcome message.
    expect(w.sandbox.mail.sent - before).toBe(3);
    expect(w.sandbox.enrolments.of(course).filter((e) => e.roles.includes(5))).toHaveLength(3);
  });

  test('when Moodle stops answering after a call went out, its rows are "unknown: verified on the next run", never "not sent"', async () => {
    const { w, course } = await setup();
    config(w, { timeoutMs: 1000, retries: 3 });
    w.sandbox.faults.add({ fn: 'enrol_manual_enrol_users', kind: 'commit-then-stall', ms: 2500, times: 10 });
    w.sandbox.faults.add({ fn: 'core_enrol_get_enrolled_users', kind: 'drop', times: 100 });
    const r = await w.cli(['run', w.write('enr.txt', sisFile(H, STUDENTS))]);
    expect(r.code).not.toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { failed: 3 } });
    for (const row of studentRows(w)) {
      expect(row).toMatch(/,create,failed,/);
      expect(row).toMatch(/verified on the next run/);
      expect(row).not.toMatch(/not sent/);
    }
    // Moodle did save them; the next run reads that back and links them.
    expect(w.sandbox.enrolments.of(course).filter((e) => e.roles.includes(5))).toHaveLength(3);
    w.sandbox.faults.clear();
    config(w);
    expect((await w.cli(['run', w.write('enr2.txt', sisFile(H, STUDENTS))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { ok: 3, failed: 0 } });
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('enr3.txt', sisFile(H, STUDENTS))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 3 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });
});
