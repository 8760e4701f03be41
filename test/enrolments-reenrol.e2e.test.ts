/**
 * What the recorded re-enrolment cases (contract/2026-12 168, 169, 205) mean for an enrolments run, through the real
 * CLI against the sandbox: a course whose manual enrolment method was deleted or disabled fails its rows (every row
 * of that course at once, with Moodle's wsnoinstance and what to do) while the other courses' rows land; and since a
 * re-enrolment without dates or suspend resets them, a role change of a suspended enrolment with dates sends them
 * all again, so the enrolment keeps its dates and stays suspended.
 */
import { afterEach, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const H = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'START_DATE', 'END_DATE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];

async function setup(n: number, courses: string[]): Promise<{ w: Workspace; course: Record<string, number> }> {
  const w = await workspace();
  ws = w;
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(n)))])).code).toBe(0);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const made = await createCourses(client, courses.map((c) => ({ fullname: `Course ${c}`, shortname: c, categoryid: 1, idnumber: c })));
  await client.close();
  return { w, course: Object.fromEntries(courses.map((c, i) => [c, made[i].id])) };
}

const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

test('a course without an enabled manual method fails its rows at once, with wsnoinstance and what to do; the others land', async () => {
  const { w, course } = await setup(3, ['C1', 'C2', 'C3']);
  // An admin deleted C2's manual enrolment method and disabled C3's (Course › Enrolment methods).
  w.sandbox.enrolments.deleteInstanceByHand(course.C2, 'manual');
  w.sandbox.enrolments.setInstanceStatusByHand(course.C3, 'manual', 1);
  const rows = ['C2', 'C1', 'C3'].flatMap((c) => ['P0001', 'P0002', 'P0003'].map((p) => [c, p, 'Student', '', '', 'Y', 'SIS']));
  w.sandbox.stats.reset();
  const r = await w.cli(['run', w.write('enr.txt', sisFile(H, rows))]);
  expect(r.code).toBe(2);
  expect(w.lastSummary()).toMatchObject({ type: 'enrolments', outcomes: { ok: 3, failed: 6 } });
  expect(w.sandbox.enrolments.of(course.C1).map((e) => e.userid)).toEqual(['P0001', 'P0002', 'P0003'].map((p) => uid(w, p)));
  // Each refusal names its course: its rows fail together and the rest goes again as one call (no splitting).
  expect(w.sandbox.stats.byFunction.enrol_manual_enrol_users).toBe(3);
  const csv = rowsCsv(w);
  for (const [c, p] of rows.filter(([c]) => c !== 'C1')) {
    expect(csv).toMatch(new RegExp(`^\\d+,${c}\\|${p},create,failed,${uid(w, p)},wsnoinstance,` +
      `"?Manual enrolment plugin instance doesn't exist or is disabled for the course \\(id = ${course[c]}\\): course ${c} \\(Moodle id ${course[c]}\\) ` +
      'has no enabled ""Manual enrolments"" method; add or enable it under Course › Participants › Enrolment methods, then run the tryback file"?,', 'm'));
  }
  const tryback = readFileSync(w.lastSummary().tryback as string, 'utf8');
  expect(tryback.split('\n').filter((l) => /^C[123]\|/.test(l))).toHaveLength(6);

  // Enabled again, the tryback file lands the rows.
  w.sandbox.enrolments.setInstanceStatusByHand(course.C3, 'manual', 0);
  expect((await w.cli(['run', w.lastSummary().tryback as string])).code).toBe(2);
  expect(w.sandbox.enrolments.of(course.C3)).toHaveLength(3);
});

test('a role change of a suspended enrolment with dates sends its dates and suspend again: both are kept', async () => {
  const { w, course } = await setup(1, ['C1']);
  const start = Date.UTC(2026, 8, 1) / 1000;
  const end = Date.UTC(2027, 5, 30) / 1000;
  expect((await w.cli(['run', w.write('a.txt', sisFile(H, [['C1', 'P0001', 'Student', '2026-09-01', '2027-06-30', 'N', 'SIS']]))])).code).toBe(0);
  expect(w.sandbox.enrolments.of(course.C1)).toEqual([{ userid: uid(w, 'P0001'), status: 1, timestart: start, timeend: end, roles: [5] }]);

  const r = await w.cli(['run', w.write('b.txt', sisFile(H, [['C1', 'P0001', 'Instructor', '2026-09-01', '2027-06-30', 'N', 'SIS']]))]);
  expect(r.code).toBe(0);
  expect(w.lastSummary()).toMatchObject({ planned: { update: 1 }, outcomes: { ok: 1 } });
  // Without the dates and suspend (case 205) Moodle would have made this 0/0 and active.
  expect(w.sandbox.enrolments.of(course.C1)).toEqual([{ userid: uid(w, 'P0001'), status: 1, timestart: start, timeend: end, roles: [3] }]);
});
