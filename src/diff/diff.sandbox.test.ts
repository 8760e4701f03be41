/**
 * diffFile in-process against the sandbox over HTTP (no CLI spawn; the CLI is tested in test/diff.e2e.test.ts): the
 * sample feeds of fixtures/ are loaded with runFile, then changed by hand in Moodle, and each type's diff is read.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type winston from 'winston';
import { loadConfig, type Config } from '../config/index.js';
import { EXIT } from '../errors.js';
import { MoodleClient, addCohortMembers, deleteCohortMembers, deleteCourses, deleteGroupMembers, enrolUsers, updateCategories, updateCohorts, updateCourses, updateGroups, updateUsers } from '../moodle/index.js';
import { createLogger } from '../report/logger.js';
import { runLifecycle } from '../lifecycle.js';
import { runFile } from '../run.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { diffFile, type DiffRow } from './index.js';

const FIXTURES = resolve(import.meta.dirname, '..', '..', 'fixtures');
let sandbox: SandboxHandle;
let dir: string;
let config: Config;
let logger: winston.Logger;
let client: MoodleClient;

const fixture = (name: string): string => join(FIXTURES, `${name}.txt`);
const find = (rows: DiffRow[], key: string): DiffRow[] => rows.filter((r) => r.key === key);
const uid = (idnumber: string): number => sandbox.users.byIdnumber(idnumber)[0].id;

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-diff-'));
  config = loadConfig({ cwd: dir, env: {}, overrides: { url: sandbox.url, token: sandbox.token, ledger: join(dir, 'ledger.db'), reports: join(dir, 'reports'), archive: join(dir, 'archive') } });
  logger = createLogger({ level: 'error', file: join(dir, 'reports', 'mdlsync.log'), silentConsole: true });
  for (const t of ['categories', 'courses', 'persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members']) {
    expect((await runFile({ file: fixture(t), op: 'store' }, { config, logger })).exitCode).toBe(EXIT.ok);
  }
  client = new MoodleClient({ url: sandbox.url, token: sandbox.token });
});

afterAll(async () => {
  await client.close();
  logger.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('diff of the sample feeds', () => {
  test('loaded and untouched: every type is in step (exit 0)', async () => {
    for (const t of ['categories', 'courses', 'persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members']) {
      const { summary, rows } = await diffFile({ file: fixture(t) }, { config, logger });
      expect([t, summary.exitCode, rows.filter((r) => r.finding !== 'in-step')]).toEqual([t, EXIT.ok, []]);
    }
  });

  test('records changed and deleted by hand; --repair puts the course back and leaves the deleted one reported', async () => {
    const math = sandbox.courses.byIdnumber('MATH101-2026')!;
    const phys = sandbox.courses.byIdnumber('PHYS101-2026')!;
    await updateCourses(client, [{ id: math.id, fullname: 'Maths (edited by hand)' }]);
    await deleteCourses(client, [phys.id]);
    const sep = sandbox.categories.list().find((c) => c.idnumber === '2026-SEP')!;
    await updateCategories(client, [{ id: sep.id, name: 'Sept.' }]);
    const y1 = sandbox.cohorts.byIdnumber('YEAR1-2026')!;
    await updateCohorts(client, [{ id: y1.id, categorytype: { type: 'system', value: '' }, name: 'Year one', idnumber: 'YEAR1-2026', visible: 1 }]);

    const courses = await diffFile({ file: fixture('courses') }, { config, logger });
    expect(courses.summary.exitCode).toBe(EXIT.drift);
    expect(find(courses.rows, 'MATH101-2026')).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'fullname', fileValue: 'Mathematics 101', moodleValue: 'Maths (edited by hand)' })]);
    expect(find(courses.rows, 'PHYS101-2026')).toEqual([expect.objectContaining({ finding: 'deleted-in-moodle', moodleId: phys.id })]);
    expect(find((await diffFile({ file: fixture('categories') }, { config, logger })).rows, '2026-SEP')).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'name', moodleValue: 'Sept.' })]);
    expect(find((await diffFile({ file: fixture('cohorts') }, { config, logger })).rows, 'YEAR1-2026')).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'name', fileValue: 'Year 1 (2026)' })]);

    const repaired = await diffFile({ file: fixture('courses'), repair: true }, { config, logger });
    expect(sandbox.courses.byIdnumber('MATH101-2026')!.fullname).toBe('Mathematics 101');
    expect(sandbox.courses.byIdnumber('PHYS101-2026')).toBeUndefined();
    expect(find(repaired.rows, 'MATH101-2026')[0].repair).toBe('re-sent');
    expect(find(repaired.rows, 'PHYS101-2026')[0].repair).toMatch(/^not repaired: diff.recreateDeleted is off/);
    expect(repaired.summary).toMatchObject({ exitCode: EXIT.drift, outcomes: { ok: 1, failed: 0 } });
  });

  test('a group renamed by hand: changed-in-moodle, and --repair renames it back (core_group_update_groups)', async () => {
    const course = sandbox.courses.byIdnumber('MATH101-2026')!.id;
    const g2 = sandbox.groups.of(course).find((g) => g.idnumber === 'MATH101-2026-G2')!;
    await updateGroups(client, [{ id: g2.id, name: 'Thursday people' }]);

    const found = await diffFile({ file: fixture('groups') }, { config, logger });
    expect(found.summary.exitCode).toBe(EXIT.drift);
    expect(find(found.rows, 'MATH101-2026|MATH101-2026-G2')).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'name', fileValue: 'Group 2', moodleValue: 'Thursday people' })]);

    const repaired = await diffFile({ file: fixture('groups'), repair: true }, { config, logger });
    expect(find(repaired.rows, 'MATH101-2026|MATH101-2026-G2')[0].repair).toBe('re-sent');
    expect(sandbox.groups.of(course).find((g) => g.id === g2.id)!.name).toBe('Group 2');
    expect((await diffFile({ file: fixture('groups') }, { config, logger })).summary.exitCode).toBe(0);
  });

  test('members removed and added by hand: missing-in-moodle and extra-in-moodle; --repair re-adds only what mdlsync gave', async () => {
    const y1 = sandbox.cohorts.byIdnumber('YEAR1-2026')!;
    await deleteCohortMembers(client, [{ cohortid: y1.id, userid: uid('testPerson2') }]);
    await addCohortMembers(client, [{ cohortid: y1.id, userid: uid('testPerson5') }]);
    const g1 = sandbox.groups.of(sandbox.courses.byIdnumber('MATH101-2026')!.id).find((g) => g.idnumber === 'MATH101-2026-G1')!;
    await deleteGroupMembers(client, [{ groupid: g1.id, userid: uid('testPerson3') }]);

    const cm = await diffFile({ file: fixture('cohort-members') }, { config, logger });
    expect(cm.summary.exitCode).toBe(EXIT.drift);
    expect(find(cm.rows, 'YEAR1-2026|testPerson2')).toEqual([expect.objectContaining({ finding: 'missing-in-moodle', line: 3 })]);
    expect(find(cm.rows, 'YEAR1-2026|testPerson5')).toEqual([expect.objectContaining({ finding: 'extra-in-moodle', line: null })]);
    const gm = await diffFile({ file: fixture('group-members') }, { config, logger });
    expect(find(gm.rows, 'MATH101-2026|MATH101-2026-G1|testPerson3')).toEqual([expect.objectContaining({ finding: 'missing-in-moodle' })]);

    await diffFile({ file: fixture('cohort-members'), repair: true }, { config, logger });
    expect(sandbox.cohorts.cohortMembers('YEAR1-2026')).toEqual(expect.arrayContaining([uid('testPerson2'), uid('testPerson5')]));
    await diffFile({ file: fixture('group-members'), repair: true }, { config, logger });
    expect(sandbox.groups.of(g1.courseid).find((g) => g.id === g1.id)!.members).toContain(uid('testPerson3'));
    expect((await diffFile({ file: fixture('group-members') }, { config, logger })).summary.exitCode).toBe(EXIT.ok);
  });

  test("the SIS's MOODLE_ID of an account deleted in Moodle (classroom spec, observations 3-4): reported; re-created only with diff.recreateDeleted", async () => {
    const id = uid('testPerson4');
    const file = join(dir, 'ids.txt');
    writeFileSync(file, `EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|EMAIL|MOODLE_ID\ntestPerson4|ddarling_test|Delta|Darling|ddarling@example.edu|${id}\n`);
    expect((await diffFile({ file }, { config, logger })).rows).toEqual([expect.objectContaining({ finding: 'in-step', moodleId: id })]);
    sandbox.users.deleteByHand(id);

    const found = await diffFile({ file, repair: true }, { config, logger });
    expect(found.summary.exitCode).toBe(EXIT.drift);
    expect(found.rows).toEqual([expect.objectContaining({ finding: 'deleted-in-moodle', moodleId: id, repair: expect.stringMatching(/^not repaired/) })]);
    expect(sandbox.users.byIdnumber('testPerson4')).toEqual([]);

    const recreated = await diffFile({ file, repair: true }, { config: { ...config, diff: { recreateDeleted: true } }, logger });
    const now = sandbox.users.byIdnumber('testPerson4');
    expect(now).toHaveLength(1);
    expect(recreated.rows[0].repair).toBe(`re-created as Moodle id ${now[0].id}`);
    expect(recreated.summary.exitCode).toBe(EXIT.ok);
    // The SIS still holds the old id: the next diff says so, and which id to store, until the SIS stores it.
    const after = await diffFile({ file, repair: true }, { config: { ...config, diff: { recreateDeleted: true } }, logger });
    expect(after.rows).toEqual([expect.objectContaining({ finding: 'deleted-in-moodle', field: 'MOODLE_ID', fileValue: String(id), moodleValue: String(now[0].id), repair: expect.stringMatching(/^not repaired/) })]);
    expect(sandbox.users.byIdnumber('testPerson4')).toEqual(now);
  });

  test('an account suspended by mdlsync user block is no drift; one suspended by hand is, and --repair reactivates it', async () => {
    await runLifecycle({ command: 'block', person: 'testPerson1' }, { config, logger });
    expect(sandbox.users.byIdnumber('testPerson1')[0].suspended).toBe(true);
    await updateUsers(client, [{ id: uid('testPerson2'), suspended: 1 }]);
    const d = await diffFile({ file: fixture('persons') }, { config, logger });
    expect(find(d.rows, 'testPerson1')).toEqual([expect.objectContaining({ finding: 'in-step', message: expect.stringMatching(/mdlsync user block/) })]);
    expect(find(d.rows, 'testPerson2')).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'suspended', fileValue: '0', moodleValue: '1' })]);
    const e = await diffFile({ file: fixture('enrolments') }, { config, logger });
    expect(find(e.rows, 'MATH101-2026|testPerson1')).toEqual([expect.objectContaining({ finding: 'in-step', message: expect.stringMatching(/mdlsync user block/) })]);
    await diffFile({ file: fixture('persons'), repair: true }, { config, logger });
    expect(sandbox.users.byIdnumber('testPerson2')[0].suspended).toBe(false);
    expect(sandbox.users.byIdnumber('testPerson1')[0].suspended).toBe(true);
  });

  test('an enrolment the file keeps suspended (AVAILABLE_IND=N), reactivated by hand: changed-in-moodle, and --repair suspends it again', async () => {
    const math = sandbox.courses.byIdnumber('MATH101-2026')!.id;
    const suspended = (): number | undefined => sandbox.enrolments.of(math).find((e) => e.userid === uid('testPerson3'))?.status;
    expect(suspended()).toBe(1);
    await enrolUsers(client, [{ roleid: 5, userid: uid('testPerson3'), courseid: math, suspend: 0 }]);
    const d = await diffFile({ file: fixture('enrolments') }, { config, logger });
    expect(find(d.rows, 'MATH101-2026|testPerson3')).toEqual([expect.objectContaining({ finding: 'changed-in-moodle', field: 'suspended', fileValue: '1', moodleValue: '0' })]);
    await diffFile({ file: fixture('enrolments'), repair: true }, { config, logger });
    expect(suspended()).toBe(1);
  });
});
