/**
 * `mdlsync undo RUNID` (README "When a run goes wrong"): forced refreshes that suspended 500 persons, removed their
 * enrolments and their group memberships are undone to the exact state before (accounts active, enrolments with the
 * same roles and dates, group memberships back); a record changed by hand after the run is listed and left alone.
 * Courses a refresh hid and cohort memberships a refresh removed are put back the same way.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, addCohortMembers, createCourses, updateCourses, updateUsers } from '../src/moodle/index.js';
import { PG_URL, pgAdmin } from '../src/ledger/test-backends.js';
import { SqliteLedger } from '../src/ledger/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
let pgSchema: string | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
  if (pgSchema) {
    const schema = pgSchema;
    pgSchema = null;
    await pgAdmin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
});

const N = 500;
const EH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'START_DATE', 'END_DATE'];
const GH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'GROUP_NAME', 'DESCRIPTION'];
const MH = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'EXTERNAL_PERSON_KEY'];

/** What the site holds of the persons, their enrolments and group memberships, as comparable values. */
function siteState(w: Workspace, courses: number[]) {
  const users = w.sandbox.users
    .list()
    .filter((u) => /^P\d{4}$/.test(u.idnumber))
    .map((u) => [u.idnumber, u.suspended, u.email] as const)
    .sort();
  const enrolments = courses.map((c) => w.sandbox.enrolments.of(c).map((e) => ({ ...e, roles: [...e.roles] })));
  const groups = courses.map((c) => w.sandbox.groups.of(c).map((g) => ({ name: g.name, members: [...g.members].sort((a, b) => a - b) })));
  return { users, enrolments, groups };
}

/** 500 persons, two courses (students with dates in C1, every tenth a teacher in C2), and every student in group A of C1. */
async function school(): Promise<{ w: Workspace; courses: number[] }> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(N)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const made = await createCourses(client, [
    { fullname: 'Course C1', shortname: 'C1', categoryid: 1, idnumber: 'C1' },
    { fullname: 'Course C2', shortname: 'C2', categoryid: 1, idnumber: 'C2' },
  ]);
  await client.close();
  const rows = persons(N).map((p, i) => ['C1', p[0], 'Student', i % 2 === 0 ? '2026-09-01' : '', i % 3 === 0 ? '2027-06-30' : '']);
  for (let i = 0; i < N; i += 10) rows.push(['C2', persons(N)[i][0], 'Instructor', '', '']);
  expect((await w.cli(['run', w.write('enrol.txt', sisFile(EH, rows))])).code).toBe(0);
  expect((await w.cli(['run', w.write('groups.txt', sisFile(GH, [['C1', 'A', 'Group A', 'All of them']]))])).code).toBe(0);
  expect((await w.cli(['run', w.write('members.txt', sisFile(MH, persons(N).map((p) => ['C1', 'A', p[0]])))])).code).toBe(0);
  return { w, courses: made.map((c) => c.id) };
}

/** A forced refresh of an empty file of that header: everything mdlsync owns of the type is disabled. */
async function forcedEmptyRefresh(w: Workspace, name: string, header: string[]): Promise<string> {
  const r = await w.cli(['run', w.write(name, sisFile(header, [])), '--op', 'refresh', '--force']);
  expect(r.code).toBe(0);
  return w.lastSummary().runId as string;
}

/** P0003 re-activated by hand after a mass suspension is left by the undo; the undo's own undo is guarded and forced. */
async function handChangeAndUndoOfUndo(w: Workspace): Promise<void> {
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(10)))])).code).toBe(0);
  const run = await forcedEmptyRefresh(w, 'people-empty.txt', SIS_HEADER);
  // An admin re-activates P0003 by hand after the run.
  const p3 = w.sandbox.users.byIdnumber('P0003')[0];
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  await updateUsers(client, [{ id: p3.id, suspended: 0 }]);
  await client.close();

  const r = await w.cli(['undo', run, '--apply']);
  expect(r.code).toBe(0);
  expect(w.lastSummary()).toMatchObject({ planned: { enable: 9, unchanged: 1 }, outcomes: { ok: 9, unchanged: 1, failed: 0 } });
  expect(r.stdout).toContain('1 record(s) are left as they are');
  expect(r.stdout).toMatch(/^left as they are:\n {2}persons P0003: changed since the run: the account is not suspended any more/m);
  expect(w.lastSummary()).toMatchObject({ left: { count: 1, first: [expect.stringMatching(/^persons P0003: changed since/)] } });
  const rows = readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
  expect(rows).toMatch(/,P0003,unchanged,unchanged,\d+,,"?left: changed since the run: the account is not suspended any more/);
  expect(w.sandbox.users.list().filter((u) => u.suspended).map((u) => u.idnumber)).toEqual([]);
  const undo = w.lastSummary().runId as string;
  expect((await w.cli(['ledger', 'show', '--runs'])).stdout).toMatch(new RegExp(`^${undo} +ok +persons undo`, 'm'));

  // The undo is a run with before-images of its own: undoing it suspends the nine again (P0003 was not its to
  // touch), a mass disable the guard refuses unless forced.
  const refused = await w.cli(['undo', undo, '--apply']);
  expect(refused.code).toBe(3);
  expect(w.lastSummary()).toMatchObject({ status: 'refused', guard: { refused: true, toDisable: 9 } });
  const again = await w.cli(['undo', undo, '--apply', '--force']);
  expect(again.code).toBe(0);
  expect(w.lastSummary()).toMatchObject({ planned: { disable: 9 }, outcomes: { ok: 9 } });
  expect(w.sandbox.users.list().filter((u) => u.suspended).map((u) => u.idnumber).sort()).toEqual(persons(10).map((p) => p[0]).filter((k) => k !== 'P0003'));

  // A run id the ledger does not know is refused.
  const unknown = await w.cli(['undo', '20200101T000000000Z-0000']);
  expect(unknown.code).toBe(3);
  expect(unknown.stderr + unknown.stdout).toContain('no run 20200101T000000000Z-0000 in the ledger');
}

describe('mdlsync undo', () => {
  test('a forced mass suspension of 500 persons with their enrolments and group memberships is undone to the exact state before', async () => {
    const { w, courses } = await school();
    const before = siteState(w, courses);
    expect(before.users.filter(([, suspended]) => suspended)).toEqual([]);
    expect(before.enrolments[0]).toHaveLength(N);
    expect(before.groups[0][0].members).toHaveLength(N);

    const members = await forcedEmptyRefresh(w, 'members-empty.txt', MH);
    const enrolments = await forcedEmptyRefresh(w, 'enrol-empty.txt', EH);
    const people = await forcedEmptyRefresh(w, 'people-empty.txt', SIS_HEADER);
    const harmed = siteState(w, courses);
    expect(harmed.users.every(([, suspended]) => suspended)).toBe(true);
    expect(harmed.enrolments).toEqual([[], []]);
    expect(harmed.groups[0][0].members).toEqual([]);

    // A dry run by default: the plan is printed and written, nothing is sent.
    w.sandbox.stats.reset();
    const dry = await w.cli(['undo', people]);
    expect(dry.code).toBe(0);
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(dry.stdout).toContain(`persons undo from run ${people}`);
    expect(dry.stdout).toContain(`Apply it with mdlsync undo ${people} --apply`);
    expect(w.lastSummary()).toMatchObject({ status: 'dry-run', undone: people, planned: { enable: N, unchanged: 0 } });
    expect(readFileSync(join(w.lastSummary().reportDir, 'plan.csv'), 'utf8')).toMatch(/,P0001,enable,\d+,"undo: disabled by the run, re-enabled"/);

    // Applied, in the reverse order of the harm: accounts, enrolments, then the memberships that need them.
    for (const id of [people, enrolments, members]) {
      const r = await w.cli(['undo', id, '--apply']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Run ${id} undone.`);
      expect(w.lastSummary()).toMatchObject({ status: 'ok', undone: id, outcomes: { failed: 0, unchanged: 0 } });
    }
    expect(siteState(w, courses)).toEqual(before);

    // The ledger is as before too: the same files plan all unchanged.
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('people-again.txt', sisFile(SIS_HEADER, persons(N)))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: N } });
    expect((await w.cli(['run', w.write('members-again.txt', sisFile(MH, persons(N).map((p) => ['C1', 'A', p[0]])))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: N } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  }, 240_000);

  test('undo leaves a record changed by hand after the run, and the undo is itself undone', async () => {
    ws = await workspace();
    await handChangeAndUndoOfUndo(ws);
  }, 120_000);

  (PG_URL ? test : test.skip)('the same with the ledger in PostgreSQL', async () => {
    const w = await workspace();
    ws = w;
    pgSchema = `tundo_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, ledger: { url: PG_URL, schema: pgSchema } }));
    await handChangeAndUndoOfUndo(w);
  }, 120_000);

  test('an update is put back with the values from before it (never a password); what a run created is suspended only with --including-creates', async () => {
    const w = await workspace();
    ws = w;
    const ten = persons(10);
    expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, ten))])).code).toBe(0);
    // A bad export: new emails and new passwords for P0001-P0003 (passwords: create-only, so none is sent), and two new persons.
    const changed = ten.map((p, i) => (i < 3 ? [p[0], p[1], `Changed-${i}x`, p[3], `Other${i}`, `wrong${i}@example.org`] : p));
    const extra = persons(12).slice(10);
    const run = (await w.cli(['run', w.write('bad.txt', sisFile(SIS_HEADER, [...changed, ...extra]))])).code;
    expect(run).toBe(0);
    const bad = w.lastSummary().runId as string;
    expect(w.sandbox.users.byIdnumber('P0002')[0]).toMatchObject({ email: 'wrong1@example.org', lastname: 'Other1' });

    const r = await w.cli(['undo', bad, '--apply']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { update: 3, unchanged: 2 }, outcomes: { ok: 3, unchanged: 2, failed: 0 } });
    for (const [key, , , first, last, email] of ten.slice(0, 3)) expect(w.sandbox.users.byIdnumber(key)[0]).toMatchObject({ firstname: first, lastname: last, email, suspended: false });
    // Passwords are never kept, so never restored: the ledger holds none of them.
    const exported = (await w.cli(['ledger', 'export'])).stdout;
    expect(exported).toContain('"table":"before_images"');
    expect(exported).not.toMatch(/Secret-|Changed-/);
    const rows = readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
    expect(rows).toMatch(/P0011,unchanged,unchanged,.*created by the run: left \(--including-creates suspends it\)/);
    // The ledger holds what it held before the bad run: the good file plans unchanged.
    expect((await w.cli(['run', w.write('people-again.txt', sisFile(SIS_HEADER, ten))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 10 } });

    // The updates are undone already (ledger changed since); --including-creates suspends the two new accounts: 2 of
    // the 12 owned, over the guard's 10 %, so it is refused unless forced.
    expect((await w.cli(['undo', bad, '--apply', '--including-creates'])).code).toBe(3);
    expect(w.lastSummary()).toMatchObject({ status: 'refused', guard: { toDisable: 2, limit: 1, refused: true } });
    const creates = await w.cli(['undo', bad, '--apply', '--including-creates', '--force']);
    expect(creates.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 2, unchanged: 3 }, outcomes: { ok: 2, unchanged: 3 } });
    expect(w.sandbox.users.list().filter((u) => u.suspended).map((u) => u.idnumber).sort()).toEqual(['P0011', 'P0012']);
    expect(w.sandbox.users.byIdnumber('P0011')).toHaveLength(1);
  }, 120_000);

  test('the before-images of runs older than undoKeepDays are forgotten at the end of a run; such a run can no longer be undone', async () => {
    const w = await workspace();
    ws = w;
    const old = '20200101T000000000Z-0001';
    const ledger = SqliteLedger.open(join(w.dir, '.mdlsync', 'ledger.db'));
    await ledger.writeLinks([{ entity: 'persons', key: 'X1', moodleId: 99, dataSource: null, hash: 'h', status: 'active', runId: old }]);
    expect(await ledger.images.forRun(old)).toHaveLength(1);
    await ledger.close();
    const r = await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(2)))]);
    expect(r.code).toBe(0);
    const made = w.lastSummary().runId as string;
    expect(r.stderr + r.stdout).toMatch(/retention: forgot the before-images of 1 record\(s\) of runs older than 90 days \(undoKeepDays\)/);
    const after = SqliteLedger.open(join(w.dir, '.mdlsync', 'ledger.db'));
    expect(await after.images.forRun(old)).toEqual([]);
    await after.close();
    const gone = await w.cli(['undo', old]);
    expect(gone.code).toBe(3);
    expect(gone.stderr + gone.stdout).toMatch(/no run 20200101T000000000Z-0001 in the ledger/);
    // The run just made keeps its images: its two creates are listed (left without --including-creates).
    expect((await w.cli(['undo', made])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ undone: made, planned: { unchanged: 2 }, left: { count: 2 } });
  }, 60_000);

  test('courses a forced refresh hid are shown again, but one shown by hand since is left; a course the run made is hidden only with --including-creates', async () => {
    const w = await workspace();
    ws = w;
    const CH = ['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY'];
    const rows = [1, 2, 3].map((i) => [`C${i}`, `C${i}`, `Course ${i}`, '2026/Autumn']);
    expect((await w.cli(['run', w.write('courses.txt', sisFile(CH, rows.slice(0, 2)))])).code).toBe(0);
    const made = (await w.cli(['run', w.write('courses3.txt', sisFile(CH, rows))])).code;
    expect(made).toBe(0);
    const third = w.lastSummary().runId as string;
    const run = await forcedEmptyRefresh(w, 'courses-empty.txt', CH);
    const visible = (key: string) => w.sandbox.courses.byIdnumber(key)?.visible;
    expect([visible('C1'), visible('C2'), visible('C3')]).toEqual([false, false, false]);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await updateCourses(client, [{ id: w.sandbox.courses.byIdnumber('C2')!.id, visible: 1 }]);
    await client.close();

    const r = await w.cli(['undo', run, '--apply']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { enable: 2, unchanged: 1 }, outcomes: { ok: 2, unchanged: 1, failed: 0 } });
    expect(r.stdout).toMatch(/courses C2: changed since the run: the course is shown again/);
    expect([visible('C1'), visible('C2'), visible('C3')]).toEqual([true, true, true]);

    // The run that created C3: hidden with --including-creates (C1 and C2 it left unchanged: no image of them).
    const creates = await w.cli(['undo', third, '--apply', '--including-creates', '--force']);
    expect(creates.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { disable: 1 }, outcomes: { ok: 1 } });
    expect([visible('C1'), visible('C2'), visible('C3')]).toEqual([true, true, false]);
    expect(w.sandbox.courses.byIdnumber('C3')).toBeDefined();
  }, 120_000);

  test('cohort memberships a forced refresh removed are added back to their cohorts; one re-added by hand since is left', async () => {
    const w = await workspace();
    ws = w;
    const KH = ['EXTERNAL_COHORT_KEY', 'NAME', 'DESCRIPTION'];
    const CMH = ['EXTERNAL_COHORT_KEY', 'EXTERNAL_PERSON_KEY'];
    const twenty = persons(20).map((p) => p[0]);
    expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(20)))])).code).toBe(0);
    expect((await w.cli(['run', w.write('cohorts.txt', sisFile(KH, [['Y1', 'Year 1', ''], ['Y2', 'Year 2', '']]))])).code).toBe(0);
    const rows = [...twenty.map((k) => ['Y1', k]), ...twenty.slice(0, 5).map((k) => ['Y2', k])];
    expect((await w.cli(['run', w.write('members.txt', sisFile(CMH, rows))])).code).toBe(0);
    const ids = (keys: string[]) => keys.map((k) => w.sandbox.users.byIdnumber(k)[0].id).sort((a, b) => a - b);
    const site = () => [w.sandbox.cohorts.cohortMembers('Y1'), w.sandbox.cohorts.cohortMembers('Y2')];
    const before = site();
    expect(before).toEqual([ids(twenty), ids(twenty.slice(0, 5))]);

    const run = await forcedEmptyRefresh(w, 'members-empty.txt', CMH);
    expect(site()).toEqual([[], []]);
    // An admin puts P0003 back in Y2 by hand after the run.
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    await addCohortMembers(client, [{ cohortid: w.sandbox.cohorts.byIdnumber('Y2')!.id, userid: ids(['P0003'])[0] }]);
    await client.close();

    const dry = await w.cli(['undo', run]);
    expect(dry.code).toBe(0);
    expect(readFileSync(join(w.lastSummary().reportDir, 'plan.csv'), 'utf8')).toMatch(/,Y1\|P0001,enable,\d+,"?undo: removed by the run, added back to cohort Y1/);
    const r = await w.cli(['undo', run, '--apply']);
    expect(r.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ status: 'ok', undone: run, planned: { enable: 24, unchanged: 1 }, outcomes: { ok: 24, unchanged: 1, failed: 0 } });
    expect(r.stdout).toMatch(/^ {2}cohort-members Y2\|P0003: changed since the run: a member of the cohort again \(by hand or by another tool\)$/m);
    expect(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8')).toMatch(/,Y2\|P0003,unchanged,unchanged,\d+,,"?left: changed since the run: a member of the cohort again/);
    expect(site()).toEqual(before);
    // The ledger holds the 24 memberships as before the run (P0003 in Y2 stays as the run left it: out of the ledger).
    w.sandbox.stats.reset();
    expect((await w.cli(['run', w.write('members-again.txt', sisFile(CMH, rows))])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ planned: { unchanged: 24, enable: 1 } });
    expect(site()).toEqual(before);
  }, 120_000);
});
