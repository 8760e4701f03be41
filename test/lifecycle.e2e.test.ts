/**
 * Account lifecycle through the real CLI against the sandbox (DESIGN §6, the classroom-sync spec): expel a student
 * (user unenrol), block a teacher (suspended, unenrolled), unblock (active, re-enrolled with the same role and dates),
 * password from stdin (never echoed, logged nor reported), --username-from-email, unknown person → exit 3.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteLedger } from '../src/ledger/index.js';
import { CLI, SIS_HEADER, persons, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const COURSE_H = ['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY', 'START_DATE', 'END_DATE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];
const ENROL_H = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'START_DATE', 'END_DATE', 'DATA_SOURCE_KEY'];
const START = Date.UTC(2026, 8, 1) / 1000;
const END = Date.UTC(2027, 5, 30) / 1000;

/** Two persons (P0001 student, P0002 teacher), course C1 in 2026/September/Morning, both enrolled by feeds. */
async function classroom(): Promise<{ w: Workspace; courseId: number }> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(2)))])).code).toBe(0);
  expect((await w.cli(['run', w.write('courses.txt', sisFile(COURSE_H, [['C1', 'c1', 'Course C1', '2026/September/Morning', '2026-09-01', '2027-06-30', 'Y', 'SIS']]))])).code).toBe(0);
  const rows = [
    ['C1', 'P0001', 'Student', '', '', 'SIS'],
    ['C1', 'P0002', 'Instructor', '2026-09-01', '2027-06-30', 'SIS'],
  ];
  expect((await w.cli(['run', w.write('enr.txt', sisFile(ENROL_H, rows))])).code).toBe(0);
  const courseId = w.sandbox.courses.byIdnumber('C1')!.id;
  return { w, courseId };
}

const user = (w: Workspace, key: string) => w.sandbox.users.byIdnumber(key)[0];
const enrolment = (w: Workspace, courseId: number, key: string) => w.sandbox.enrolments.of(courseId).find((e) => e.userid === user(w, key).id);
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

async function link(w: Workspace, entity: string, key: string) {
  const l = SqliteLedger.open(join(w.dir, '.mdlsync', 'ledger.db'));
  try {
    return (await l.getLinks(entity, [key])).get(key);
  } finally {
    await l.close();
  }
}

/** The CLI with text piped on stdin (runCli gives it none). */
function cliWithStdin(w: Workspace, args: string[], input: string): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: w.dir,
      env: { PATH: process.env.PATH ?? '', HOME: w.dir, MDLSYNC_URL: w.sandbox.url, MDLSYNC_TOKEN: w.sandbox.token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Every file under a folder, as text. */
function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? allText(p) : readFileSync(p, 'latin1');
  }
  return out;
}

describe('user lifecycle', () => {
  test('classroom flow: expel the student, block the teacher, unblock restores the same role and dates', async () => {
    const { w, courseId } = await classroom();
    expect(enrolment(w, courseId, 'P0001')).toMatchObject({ status: 0, roles: [5] });
    expect(enrolment(w, courseId, 'P0002')).toMatchObject({ status: 0, roles: [3], timestart: START, timeend: END });
    // The ledger remembers what was sent.
    expect(JSON.parse((await link(w, 'enrolments', 'C1|P0002'))!.data!)).toMatchObject({ roleId: 3, role: 'editingteacher', timestart: START, timeend: END, suspend: false });

    // Expel the student.
    const ex = await w.cli(['user', 'unenrol', 'P0001', 'C1']);
    expect(ex.code).toBe(0);
    expect(enrolment(w, courseId, 'P0001')).toBeUndefined();
    expect(await link(w, 'enrolments', 'C1|P0001')).toMatchObject({ status: 'disabled' });
    expect(w.lastSummary()).toMatchObject({ kind: 'user-unenrol', person: 'P0001', course: 'C1', exitCode: 0, enrolments: 1 });
    expect(rowsCsv(w)).toMatch(/^,C1\|P0001,disable,ok,\d+,,/m);

    // Block the teacher: suspended and no longer enrolled.
    const bl = await w.cli(['user', 'block', 'P0002']);
    expect(bl.code).toBe(0);
    expect(bl.stdout).toContain('P0002 blocked: account suspended, 1 enrolment(s) removed');
    expect(user(w, 'P0002').suspended).toBe(true);
    expect(enrolment(w, courseId, 'P0002')).toBeUndefined();
    expect(await link(w, 'enrolments', 'C1|P0002')).toMatchObject({ status: 'disabled' });
    expect(rowsCsv(w)).toMatch(/^,P0002,disable,ok,\d+,,"account suspended, 1 enrolment\(s\) removed",persons,/m);
    expect(rowsCsv(w)).toMatch(/^,C1\|P0002,disable,ok,\d+,,block: unenrolled,enrolments,/m);
    // The student's account is untouched.
    expect(user(w, 'P0001').suspended).toBe(false);

    // Unblock: active, enrolled again with the same role and dates.
    const ub = await w.cli(['user', 'unblock', 'P0002']);
    expect(ub.code).toBe(0);
    expect(user(w, 'P0002').suspended).toBe(false);
    expect(enrolment(w, courseId, 'P0002')).toMatchObject({ status: 0, roles: [3], timestart: START, timeend: END });
    expect(await link(w, 'enrolments', 'C1|P0002')).toMatchObject({ status: 'active' });
    expect(w.lastSummary()).toMatchObject({ kind: 'user-unblock', enrolments: 1, outcomes: { ok: 2, failed: 0 } });
    // The expelled student is not brought back by anything, and the feed sees the teacher as unchanged.
    expect(enrolment(w, courseId, 'P0001')).toBeUndefined();
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('enr2.txt', sisFile(ENROL_H, [['C1', 'P0002', 'Instructor', '2026-09-01', '2027-06-30', 'SIS']]))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 1 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    // A second unblock has nothing left to restore.
    expect((await w.cli(['user', 'unblock', 'P0002'])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ enrolments: 0 });
  });

  test('with enrolments.disable "suspend", block suspends the enrolments and unblock reactivates them', async () => {
    const { w, courseId } = await classroom();
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, enrolments: { disable: 'suspend' } }));
    expect((await w.cli(['user', 'block', 'P0002'])).code).toBe(0);
    expect(enrolment(w, courseId, 'P0002')).toMatchObject({ status: 1, roles: [3], timestart: START, timeend: END });
    expect((await w.cli(['user', 'unblock', 'P0002'])).code).toBe(0);
    expect(enrolment(w, courseId, 'P0002')).toMatchObject({ status: 0, roles: [3], timestart: START, timeend: END });
    expect(user(w, 'P0002').suspended).toBe(false);
  });

  test('password from stdin: set, never echoed, logged nor reported; --username-from-email sets username = email', async () => {
    const { w } = await classroom();
    const secret = 'Brand-New-Pa55word!';
    const before = user(w, 'P0001');
    w.sandbox.stats.reset();
    const r = await cliWithStdin(w, ['user', 'password', 'P0001'], `${secret}\n`);
    expect(r.code).toBe(0);
    expect(w.sandbox.stats.byFunction.core_user_update_users).toBe(1);
    expect(user(w, 'P0001')).toMatchObject({ passwordSet: true, username: before.username });
    expect(rowsCsv(w)).toMatch(/^,P0001,update,ok,\d+,,password set,persons,/m);

    const r2 = await cliWithStdin(w, ['user', 'password', 'P0001', '--username-from-email'], secret);
    expect(r2.code).toBe(0);
    expect(user(w, 'P0001')).toMatchObject({ passwordSet: true, username: 'puser0001@example.edu', email: 'puser0001@example.edu' });

    for (const out of [r.stdout, r.stderr, r2.stdout, r2.stderr, allText(join(w.dir, 'reports')), allText(join(w.dir, '.mdlsync'))]) expect(out).not.toContain(secret);

    // Nothing on stdin: a usage error, nothing sent.
    w.sandbox.stats.reset();
    const empty = await cliWithStdin(w, ['user', 'password', 'P0001'], '');
    expect(empty.code).toBe(1);
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('a persons feed does the same through its ACTION column: block, unblock, password (one outcome per row, failures to the tryback)', async () => {
    const { w, courseId } = await classroom();
    const H = [...SIS_HEADER, 'ACTION'];
    const [p1, p2] = persons(2);
    // P0002 blocked from a batch, next to an ordinary store row and a block of someone Moodle does not have.
    const blockFile = w.write('block.txt', sisFile(H, [[...p1, 'add'], [...p2, 'BLOCK'], ['NOBODY', 'nobody', '', 'No', 'Body', 'n@example.edu', 'block']]));
    const plan = await w.cli(['plan', blockFile]);
    expect(plan.code).toBe(0);
    expect(readFileSync(join(w.lastSummary().reportDir, 'plan.csv'), 'utf8')).toContain('ACTION=block: suspend the account');
    w.sandbox.stats.reset();
    const bl = await w.cli(['run', blockFile]);
    expect(bl.code).toBe(2);
    expect(user(w, 'P0002').suspended).toBe(true);
    expect(enrolment(w, courseId, 'P0002')).toBeUndefined();
    expect(user(w, 'P0001').suspended).toBe(false);
    expect(enrolment(w, courseId, 'P0001')).toMatchObject({ status: 0, roles: [5] });
    const rows = rowsCsv(w).trim().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^2,P0001,unchanged,unchanged,/);
    expect(rows[1]).toMatch(/^3,P0002,disable,ok,\d+,,"account suspended, 1 enrolment\(s\) removed",persons,/);
    expect(rows[2]).toMatch(/^4,NOBODY,fail,failed,,unknown-person,/);
    const tryback = readFileSync(w.lastSummary().tryback as string, 'utf8');
    expect(tryback).toContain('NOBODY');
    expect(tryback).not.toContain('P0002');
    // The person's link is not rewritten: the nightly store of the same row leaves the block alone.
    expect(await link(w, 'persons', 'P0002')).toMatchObject({ status: 'active' });
    expect((await w.cli(['run', w.write('nightly.txt', sisFile(SIS_HEADER, [p1, p2]))])).code).toBe(0);
    expect(user(w, 'P0002').suspended).toBe(true);

    // Unblock: active again, the same enrolment back with the same role and dates.
    const ub = await w.cli(['run', w.write('unblock.txt', sisFile(H, [[...p2, 'unblock']]))]);
    expect(ub.code).toBe(0);
    expect(user(w, 'P0002').suspended).toBe(false);
    expect(enrolment(w, courseId, 'P0002')).toMatchObject({ status: 0, roles: [3], timestart: START, timeend: END });
    expect(rowsCsv(w)).toMatch(/^2,P0002,enable,ok,\d+,,"account reactivated, 1 enrolment\(s\) restored",persons,/m);

    // ACTION=password sends PASSWD although passwords are create-only; USERNAME_FROM_EMAIL=Y sets username = email.
    const PH = [...SIS_HEADER, 'ACTION', 'USERNAME_FROM_EMAIL'];
    const weak = 'abc';
    w.sandbox.stats.reset();
    const pw = await w.cli(['run', w.write('pw.txt', sisFile(PH, [['P0001', '', 'Brand-New-Pa55!', '', '', '', 'password', 'Y'], ['P0002', '', weak, '', '', '', 'password', '']]))]);
    expect(pw.code).toBe(2);
    expect(user(w, 'P0001')).toMatchObject({ username: 'puser0001@example.edu', email: 'puser0001@example.edu', suspended: false });
    expect(user(w, 'P0002').username).toBe('puser0002');
    const pwRows = rowsCsv(w);
    expect(pwRows).toMatch(/^2,P0001,update,ok,\d+,,"password set, username = email = puser0001@example.edu",persons,/m);
    // The weak one reached Moodle (its policy refused it): the row fails, without the password in the report.
    expect(pwRows).toMatch(/^3,P0002,update,failed,\d+,/m);
    expect(w.sandbox.stats.byFunction.core_user_update_users).toBeGreaterThanOrEqual(2);
    expect(w.sandbox.stats.byFunction.enrol_manual_enrol_users ?? 0).toBe(0);
  });

  test('an enrolments feed ACTION=delete is user unenrol: an enrolment it removes while blocked is not restored by unblock', async () => {
    const { w, courseId } = await classroom();
    expect((await w.cli(['user', 'block', 'P0002'])).code).toBe(0);
    const del = await w.cli(['run', w.write('expel.txt', sisFile([...ENROL_H, 'ACTION'], [['C1', 'P0002', 'Instructor', '', '', 'SIS', 'delete']]))]);
    expect(del.code).toBe(0);
    expect(rowsCsv(w)).toMatch(/^2,C1\|P0002,disable,ok,/m);
    expect((await w.cli(['user', 'unblock', 'P0002'])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ enrolments: 0 });
    expect(user(w, 'P0002').suspended).toBe(false);
    expect(enrolment(w, courseId, 'P0002')).toBeUndefined();
  });

  test('an unknown person is refused with exit 3 and nothing is written', async () => {
    const { w } = await classroom();
    w.sandbox.stats.reset();
    for (const args of [['user', 'block', 'NOBODY'], ['user', 'unblock', 'NOBODY'], ['user', 'unenrol', 'NOBODY', 'C1']]) {
      const r = await w.cli(args);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('person NOBODY is unknown');
    }
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(w.lastSummary()).toMatchObject({ status: 'refused', exitCode: 3, error: { code: 'unknown-person' } });

    const down = await w.cli(['user', 'block', 'P0001'], { MDLSYNC_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(3);
    expect(down.stdout).toContain('is unreachable');
    expect(user(w, 'P0001').suspended).toBe(false);
  });
});
