/**
 * Issue 5's drop test: 20 files of every feed type dropped at once into a watched folder (two written slowly, in
 * chunks; one with a bad header; one with a name no rule or convention classifies). Each valid file runs exactly
 * once, in dependency order, every one of them cleanly; the two bad ones land in rejected/ with their reasons.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWatch, type WatchEvent, type WatchHandle } from '../src/automation/index.js';
import { ENTITY_TYPES, type EntityType } from '../src/entities/index.js';
import { MoodleClient, getCohortMembers, getCohorts, getCoursesByField, getEnrolledUsers, getGroupMembers, getCourseGroups } from '../src/moodle/index.js';
import { captureLogger, configFor, sleep, waitFor, writeSlowly } from './automation-helpers.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
let handle: WatchHandle | null = null;
afterEach(async () => {
  await handle?.close();
  handle = null;
  await ws?.close();
  ws = null;
});

const file = (header: string[], rows: string[][]) => sisFile(header, rows);
const COURSE_H = ['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY', 'START_DATE', 'END_DATE'];
const ENROL_H = ['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE'];

/** The 18 valid files written at once, by name (the convention TYPE.OP.DATASOURCE.anything). */
const FAST: Record<string, string> = {
  'observers.store.SIS.a.txt': file(['EXTERNAL_OBSERVER_KEY', 'EXTERNAL_USER_KEY'], [['A0003', 'A0001']]),
  'institution-roles.store.SIS.a.txt': file(['EXTERNAL_PERSON_KEY', 'ROLE_ID'], [['A0001', 'engineering_student'], ['A0002', 'engineering_faculty'], ['B0001', 'engineering_student']]),
  'group-members.store.SIS.b.txt': file(['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'EXTERNAL_PERSON_KEY'], [['MATH101-2026', 'G1', 'C0001']]),
  'group-members.store.SIS.a.txt': file(['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'EXTERNAL_PERSON_KEY'], [['MATH101-2026', 'G1', 'A0001']]),
  'groups.store.SIS.a.txt': file(['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY', 'GROUP_NAME'], [['MATH101-2026', 'G1', 'Group 1']]),
  'enrolments.store.SIS.c.txt': file(ENROL_H, [['MATH101-2026', 'C0001', 'Student']]),
  'enrolments.store.SIS.b.txt': file(ENROL_H, [['PHYS101-2026', 'B0001', 'Student'], ['PHYS101-2026', 'B0002', 'Instructor']]),
  'enrolments.store.SIS.a.txt': file(ENROL_H, [['MATH101-2026', 'A0001', 'Student'], ['MATH101-2026', 'A0002', 'Instructor']]),
  'persons.store.SIS.c.txt': file(SIS_HEADER, persons(5, { prefix: 'c' })),
  'persons.store.SIS.b.txt': file(SIS_HEADER, persons(5, { prefix: 'b' })),
  'persons.store.SIS.a.txt': file(SIS_HEADER, persons(5, { prefix: 'a' })),
  'courses.store.SIS.b.txt': file(COURSE_H, [['PHYS101-2026', 'PHYS101', 'Physics 101', '2026/September/Morning', '2026-09-01', '2027-06-30']]),
  'courses.store.SIS.a.txt': file(COURSE_H, [['MATH101-2026', 'MATH101', 'Mathematics 101', '2026/September/Morning', '2026-09-01', '2027-06-30']]),
  'categories.store.SIS.b.txt': file(['EXTERNAL_CATEGORY_KEY', 'NAME', 'PARENT_KEY'], [['2026-SEP-AM', 'Morning', '2026-SEP']]),
  'categories.store.SIS.a.txt': file(['EXTERNAL_CATEGORY_KEY', 'NAME', 'PARENT_KEY'], [['2026', '2026', ''], ['2026-SEP', 'September', '2026']]),
  'cohorts.store.SIS.a.txt': file(['EXTERNAL_COHORT_KEY', 'NAME', 'DESCRIPTION'], [['COH1', 'Year 1', 'All first-year students']]),
  // The two bad ones: a header with a typo, and a name that says nothing about its content.
  'enrolments.store.SIS.bad.txt': file(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLLE'], [['MATH101-2026', 'A0003', 'Student']]),
  'export-2026-11-23.csv': file(SIS_HEADER, persons(2, { prefix: 'x' })),
};
/** Written slowly while the others run: nothing in the fast files depends on them. */
const SLOW: Record<string, string> = {
  'persons.store.SIS.d.txt': file(SIS_HEADER, persons(30, { prefix: 'd' })),
  'cohort-members.store.SIS.a.txt': file(['EXTERNAL_COHORT_KEY', 'EXTERNAL_PERSON_KEY'], [['COH1', 'A0001'], ['COH1', 'A0002'], ['COH1', 'B0003']]),
};
const REJECTED = ['enrolments.store.SIS.bad.txt', 'export-2026-11-23.csv'];

const typeOf = (name: string) => name.split('.')[0] as EntityType;

describe('watch DIR: 20 files of all types at once', () => {
  test('each valid file runs exactly once, in dependency order; the two bad ones are rejected with reasons', async () => {
    const w = await workspace();
    ws = w;
    const drop = join(w.dir, 'drop');
    mkdirSync(drop);
    const config = configFor(w);
    const log = captureLogger();
    const events: WatchEvent[] = [];
    handle = await startWatch(drop, { config, logger: log.logger, stabilityMs: 300, onFile: (e) => events.push(e) });

    expect(Object.keys(FAST).length + Object.keys(SLOW).length).toBe(20);
    for (const [name, text] of Object.entries(FAST)) writeFileSync(join(drop, name), text);
    await Promise.all(Object.entries(SLOW).map(([name, text]) => writeSlowly(join(drop, name), text)));

    await waitFor('twenty files handled', () => events.length >= 20, 90_000);
    await handle.idle();
    await sleep(300);

    // Exactly once each.
    expect(events.map((e) => e.name).sort()).toEqual([...Object.keys(FAST), ...Object.keys(SLOW)].sort());
    const rejected = events.filter((e) => e.outcome === 'rejected').map((e) => e.name);
    expect(rejected.sort()).toEqual(REJECTED);
    const applied = events.filter((e) => e.outcome === 'applied');
    expect(applied).toHaveLength(18);
    for (const e of applied) expect({ name: e.name, exitCode: e.summary?.exitCode, failed: e.summary?.outcomes.failed }).toEqual({ name: e.name, exitCode: 0, failed: 0 });

    // The files dropped together ran in dependency order (the slow ones join whenever they are complete).
    const fastApplied = applied.map((e) => e.name).filter((n) => FAST[n] !== undefined);
    const ranks = fastApplied.map((n) => ENTITY_TYPES.indexOf(typeOf(n)));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));

    // DIR is empty but for rejected/ (and the watcher's own, empty, .processing/).
    expect(readdirSync(drop).sort()).toEqual(['.processing', '.retry', 'rejected']);
    expect(readdirSync(join(drop, '.processing'))).toEqual([]);
    expect(readdirSync(join(drop, 'rejected')).sort()).toEqual(REJECTED.flatMap((n) => [n, `${n}.reason.txt`]).sort());
    expect(readFileSync(join(drop, 'rejected', 'enrolments.store.SIS.bad.txt.reason.txt'), 'utf8')).toMatch(/ROLLE/);
    expect(readFileSync(join(drop, 'rejected', 'export-2026-11-23.csv.reason.txt'), 'utf8')).toMatch(/does not follow the convention TYPE\.OP/);

    // What Moodle holds now.
    expect(w.sandbox.users.list().filter((u) => /^[abcd]user/.test(u.username))).toHaveLength(45);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    try {
      const uid = (key: string) => w.sandbox.users.byIdnumber(key)[0].id;
      const [math] = (await getCoursesByField(client, 'idnumber', 'MATH101-2026')).courses;
      const enrolled = await getEnrolledUsers(client, math.id);
      expect(enrolled.map((u) => u.id).sort((a, b) => a - b)).toEqual([uid('A0001'), uid('A0002'), uid('C0001')].sort((a, b) => a - b));
      const [g1] = (await getCourseGroups(client, math.id)).filter((g) => g.idnumber === 'G1');
      const [members] = await getGroupMembers(client, [g1.id]);
      expect([...members.userids].sort((a, b) => a - b)).toEqual([uid('A0001'), uid('C0001')].sort((a, b) => a - b));
      const cohorts = await getCohorts(client, []);
      const byIdnumber = (idnumber: string) => cohorts.find((c) => c.idnumber === idnumber)!;
      const [coh1] = await getCohortMembers(client, [byIdnumber('COH1').id]);
      expect([...coh1.userids].sort((a, b) => a - b)).toEqual([uid('A0001'), uid('A0002'), uid('B0003')].sort((a, b) => a - b));
      const [student] = await getCohortMembers(client, [byIdnumber('role:engineering_student').id]);
      expect([...student.userids].sort((a, b) => a - b)).toEqual([uid('A0001'), uid('B0001')].sort((a, b) => a - b));
    } finally {
      await client.close();
    }
  }, 120_000);
});
