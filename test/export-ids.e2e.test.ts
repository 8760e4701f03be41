/**
 * `mdlsync export ids` end to end against the sandbox: the sample feeds are loaded, their ids exported, and the
 * exported files run back with --op store are all `unchanged` (no Moodle write). A SIS that sends a wrong MOODLE_ID
 * gets its row failed, never a silent relink.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { postRaw } from './moodle-contract.js';
import { ROOT, workspace, type Workspace } from './helpers.js';

const TYPES = ['categories', 'courses', 'persons', 'groups', 'cohorts'];
let ws: Workspace;

beforeAll(async () => {
  ws = await workspace();
  for (const t of TYPES) copyFileSync(join(ROOT, 'fixtures', `${t}.txt`), join(ws.dir, `${t}.txt`));
  // One run for the five sample feeds (run orders them by dependency).
  const r = await ws.cli(['run', ...TYPES.map((t) => `${t}.txt`), '-q']);
  expect(r.code).toBe(0);
}, 60_000);
afterAll(async () => ws?.close());

/** summary.json of every run, oldest first. */
function summaries(): Array<{ type: string; file: string; outcomes: Record<string, number>; moodleCalls: { byFunction: Record<string, number> } }> {
  const dir = join(ws.dir, 'reports');
  return readdirSync(dir)
    .filter((n) => /^\d{8}T/.test(n))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(dir, n, 'summary.json'), 'utf8')));
}

const WRITES = /create|update|delete|add_|assign|enrol_users|duplicate/;

describe('export ids', () => {
  test('every linked record in the style it was fed, and the files run back as all unchanged', async () => {
    const exported = await ws.cli(['export', 'ids', '-o', 'ids']);
    expect(exported.stderr).toContain('persons: 4 id(s) (SIS snapshot headers, "|"-delimited, as run');
    expect(exported.code).toBe(0);
    const persons = ws.sandbox.users.byUsername('aanderson_test')!;
    expect(readFileSync(join(ws.dir, 'ids', 'persons.ids.csv'), 'utf8').split('\n').slice(0, 2)).toEqual([
      'EXTERNAL_PERSON_KEY|USER_ID|DATA_SOURCE_KEY|MOODLE_ID',
      `testPerson1|aanderson_test|SIS.2026|${persons.id}`,
    ]);
    expect(readFileSync(join(ws.dir, 'ids', 'groups.ids.csv'), 'utf8')).toMatch(/^EXTERNAL_COURSE_KEY\|EXTERNAL_GROUP_KEY\|GROUP_NAME\|DATA_SOURCE_KEY\|MOODLE_ID\nMATH101-2026\|MATH101-2026-G1\|Group 1\|SIS\.2026\|\d+\n/);
    expect(readdirSync(join(ws.dir, 'ids')).sort()).toEqual(TYPES.map((t) => `${t}.ids.csv`).sort());

    const before = summaries().length;
    const back = await ws.cli(['run', ...TYPES.map((t) => join('ids', `${t}.ids.csv`)), '--op', 'store', '-q']);
    expect(back.code).toBe(0);
    const runs = summaries().slice(before);
    expect(runs.map((s) => s.type)).toEqual(TYPES);
    for (const s of runs) {
      expect(s.outcomes).toMatchObject({ ok: 0, failed: 0, relinked: 0 });
      expect(s.outcomes.unchanged).toBeGreaterThan(0);
      expect(Object.keys(s.moodleCalls.byFunction).filter((f) => WRITES.test(f))).toEqual([]);
    }
  }, 60_000);

  test('the Moodle-style headers on --dialect moodle (cohorts stay SIS style), one type to stdout', async () => {
    const r = await ws.cli(['export', 'ids', '--dialect', 'moodle', '-o', 'mids']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/cohorts: 3 id\(s\) \(SIS snapshot headers.*would be read as a categories feed/);
    expect(readFileSync(join(ws.dir, 'mids', 'courses.ids.csv'), 'utf8').split('\n')[0]).toBe('idnumber,shortname,data_source_key,moodle_id');
    const stdout = await ws.cli(['export', 'ids', '--type', 'categories', '--dialect', 'moodle']);
    expect(stdout.stdout.split('\n')[0]).toBe('idnumber,name,data_source_key,moodle_id');
    expect(stdout.stdout).toContain('2026-SEP,September,SIS.2026,');
    const before = summaries().length;
    const back = await ws.cli(['run', ...TYPES.map((t) => join('mids', `${t}.ids.csv`)), '--op', 'store', '-q']);
    expect(back.code).toBe(0);
    for (const s of summaries().slice(before)) expect(s.outcomes).toMatchObject({ ok: 0, failed: 0, relinked: 0 });
  }, 60_000);

  test("a wrong MOODLE_ID fails its row: not a number, another record's id, a renamed account is sent", async () => {
    const [a, b, c] = ['aanderson_test', 'bbrown_test', 'gcarlin_test'].map((u) => ws.sandbox.users.byUsername(u)!.id);
    const file = ws.write(
      'wrong.txt',
      [
        'EXTERNAL_PERSON_KEY|USER_ID|DATA_SOURCE_KEY|MOODLE_ID',
        `testPerson1|aanderson_test|SIS.2026|${b}`,
        'testPerson2|bbrown_test|SIS.2026|12a',
        `testNew|newbie_test|SIS.2026|${c}`,
        `testPerson3|gcarlin_renamed|SIS.2026|${c}`,
      ].join('\n') + '\n',
    );
    const r = await ws.cli(['run', file, '-q']);
    expect(r.code).toBe(2);
    const rows = readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8');
    expect(rows).toContain(`testPerson1,fail,failed,,moodle-id-conflict,"the file's Moodle id ${b} differs from Moodle user ${a} linked to this key: nothing was changed`);
    expect(rows).toMatch(/testPerson2,fail,failed,,invalid-moodle-id,"column MOODLE_ID has ""12a"", expected a positive whole number \(a Moodle user id\)"/);
    expect(rows).toContain(`testNew,fail,failed,,moodle-id-conflict,"the file's Moodle id ${c} is linked to the key testPerson3 (Moodle user ${c}): nothing was changed`);
    // The row names the account otherwise than Moodle does: not a confirmation, an update that renames it.
    expect(rows).toContain(`testPerson3,update,ok,${c},,`);
    expect(ws.sandbox.users.byId(c)).toMatchObject({ username: 'gcarlin_renamed', firstname: 'Gamma' });
    expect(ws.sandbox.users.byId(a)).toMatchObject({ username: 'aanderson_test' });
    expect(ws.sandbox.users.byUsername('newbie_test')).toBeUndefined();
    expect(readFileSync(ws.lastSummary().tryback!, 'utf8')).toContain('testPerson2|bbrown_test|SIS.2026|12a');
  }, 60_000);

  test('a linked course deleted in Moodle is left out and named (one unknown id fails a whole ids call in Moodle 4.5)', async () => {
    const chem = ws.sandbox.courses.list().find((c) => c.shortname === 'CHEM101')!;
    const del = await postRaw(ws.sandbox, `wstoken=${ws.sandbox.token}&wsfunction=core_course_delete_courses&moodlewsrestformat=json&courseids[0]=${chem.id}`);
    expect(del.status).toBe(200);
    // The courses were last fed in Moodle-style headers (the test before): --dialect sis asks for the other style.
    const r = await ws.cli(['export', 'ids', '--type', 'courses', '--dialect', 'sis']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split('|')[0])).toEqual(['EXTERNAL_COURSE_KEY', 'MATH101-2026', 'PHYS101-2026']);
    expect(r.stderr).toContain(`courses: 2 id(s)`);
    expect(r.stderr).toContain(`; 1 linked courses no longer in Moodle left out (CHEM101-2026 → ${chem.id})`);
  }, 60_000);
});
