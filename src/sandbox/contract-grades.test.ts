/**
 * Replays the recorded grade and completion cases of contract/2026-12/ (187–193) against a production-mode sandbox
 * (recorded with debugging off) holding the recorded site's R2 courses: R2-BIO201 with a page, an assignment
 * (out of 100, automatic completion by grade), a forum and a quiz (out of 10); three active students, a suspended
 * one and a teacher; student 1 graded 85 and student 2 62 on the assignment; course completion by the page and the
 * assignment; R2-NOCRIT with completion on and no criteria. Answers are compared value for value, ids mapped:
 * users, courses and course modules to the ones made here, grade items, grade categories and module instances
 * learnt on first sight and then held to (one recorded id, one sandbox id).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw } from '../../test/moodle-contract.js';
import { SandboxHandle, startSandbox } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as
  { function: string; params: { encoded: string }; status: number; response: unknown };

/** The recorded site's grading and completion time. */
const T = 1796442165;

let sb: SandboxHandle;
/** Recorded id → sandbox id, per kind. */
const maps = new Map<string, Map<number, number>>();
const mapOf = (kind: string) => maps.get(kind) ?? maps.set(kind, new Map()).get(kind)!;

async function call(fn: string, body: string): Promise<unknown> {
  const r = await postRaw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${body}`);
  return JSON.parse(r.text) as unknown;
}

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  const [cat] = (await call('core_course_create_categories', 'categories[0][name]=R2')) as { id: number }[];
  const courses = (await call('core_course_create_courses',
    `courses[0][fullname]=R2%20Biology&courses[0][shortname]=R2-BIO201&courses[0][idnumber]=R2-BIO201&courses[0][categoryid]=${cat.id}` +
    `&courses[1][fullname]=R2%20No%20criteria&courses[1][shortname]=R2-NOCRIT&courses[1][categoryid]=${cat.id}`)) as { id: number }[];
  mapOf('course').set(9, courses[0].id).set(10, courses[1].id);
  const people = ['r2stud1', 'r2stud2', 'r2stud3', 'r2stud4', 'r2teach'];
  const users = (await call('core_user_create_users', people.map((u, i) =>
    `users[${i}][username]=${u}&users[${i}][password]=Passw0rd!x&users[${i}][firstname]=${u[0].toUpperCase()}${u.slice(1)}` +
    `&users[${i}][lastname]=Rtwo&users[${i}][email]=${u}%40example.com&users[${i}][idnumber]=${u.toUpperCase()}`).join('&'))) as
    { id: number }[];
  mapOf('user').set(17463, users[0].id).set(17465, users[1].id).set(17467, users[2].id);
  const bio = courses[0].id;
  const enrol: [number, number, number, number][] = [
    [users[0].id, bio, 5, 0], [users[1].id, bio, 5, 0], [users[2].id, bio, 5, 0], [users[3].id, bio, 5, 1],
    [users[4].id, bio, 3, 0], [users[0].id, courses[1].id, 5, 0],
  ];
  expect(await call('enrol_manual_enrol_users', enrol.map(([u, c, r, s], i) =>
    `enrolments[${i}][roleid]=${r}&enrolments[${i}][userid]=${u}&enrolments[${i}][courseid]=${c}&enrolments[${i}][suspend]=${s}`)
    .join('&'))).toBeNull();
  const page = sb.content.addModule(bio, { modname: 'page', name: 'R2 Cell biology notes', completion: 1 });
  const assign = sb.content.addModule(bio, { modname: 'assign', name: 'R2 Lab report', grade: 100, completion: 2 });
  const forum = sb.content.addModule(bio, { modname: 'forum', name: 'R2 Discussion', completion: 1 });
  const quiz = sb.content.addModule(bio, { modname: 'quiz', name: 'R2 Cells quiz', grade: 10, completion: 1 });
  mapOf('cm').set(13, page.id).set(14, assign.id).set(15, forum.id).set(16, quiz.id);
  sb.completion.criteria(bio, { activities: [page.id, assign.id], aggregation: 'all' });
  sb.grades.set(assign.id, users[0].id, 85, { time: T });
  sb.grades.set(assign.id, users[1].id, 62, { time: T });
  sb.completion.activity(page.id, users[0].id, { time: T });
});

afterAll(async () => {
  await sb.close();
});

/** The recorded body with the sandbox's token and ids. */
function body(encoded: string): string {
  return encoded.split('&').map((pair) => {
    const [k, v] = pair.split('=');
    if (k === 'wstoken') return `wstoken=${sb.token}`;
    const kind = k === 'courseid' ? 'course' : k === 'userid' ? 'user' : undefined;
    return kind ? `${k}=${mapOf(kind).get(Number(v)) ?? v}` : pair;
  }).join('&');
}

/** One recorded id against the sandbox's: the known mapping, or learnt now and held to from then on. */
function sameId(kind: string, recorded: number, actual: unknown, path: string): void {
  const m = mapOf(kind);
  if (!m.has(recorded) && ![...m.values()].includes(actual as number)) m.set(recorded, actual as number);
  expect(`${path}=${String(actual)}`).toBe(`${path}=${m.get(recorded)}`);
}

/** Which id a key holds, from the key and its object (grade item rows name their instance's kind). */
function idKind(key: string, obj: Record<string, unknown>, parentKey: string): string | undefined {
  if (key === 'userid') return 'user';
  if (key === 'courseid') return 'course';
  if (key === 'cmid') return 'cm';
  if (parentKey === 'gradeitems') {
    if (key === 'id') return 'gradeitem';
    if (key === 'categoryid') return 'gradecategory';
    if (key === 'iteminstance') return obj.itemtype === 'course' ? 'gradecategory' : `instance:${String(obj.itemmodule)}`;
  }
  if (parentKey === 'statuses' && key === 'instance') return `instance:${String(obj.modname)}`;
  return undefined;
}

/** Same keys, same values; ids as mapped; links to course modules with the sandbox's site and cmid. */
function compare(recorded: unknown, actual: unknown, path: string, parentKey = ''): void {
  if (Array.isArray(recorded)) {
    expect(Array.isArray(actual)).toBe(true);
    expect(`${path}.length=${(actual as unknown[]).length}`).toBe(`${path}.length=${recorded.length}`);
    recorded.forEach((r, i) => compare(r, (actual as unknown[])[i], `${path}[${i}]`, parentKey));
    return;
  }
  if (recorded !== null && typeof recorded === 'object') {
    const r = recorded as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    expect(`${path} keys: ${Object.keys(a).sort().join(',')}`).toBe(`${path} keys: ${Object.keys(r).sort().join(',')}`);
    for (const k of Object.keys(r)) {
      const kind = idKind(k, r, parentKey);
      if (kind && typeof r[k] === 'number') sameId(kind, r[k] as number, a[k], `${path}.${k}`);
      else if (k === 'criteria' && typeof r[k] === 'string') {
        const want = (r[k] as string).replace(/^<a href="http:\/\/127\.0\.0\.1:8080(\/mod\/\w+\/view\.php\?id=)(\d+)"/,
          (_, p: string, id: string) => `<a href="${sb.url}${p}${mapOf('cm').get(Number(id))}"`);
        expect(`${path}.${k}=${String(a[k])}`).toBe(`${path}.${k}=${want}`);
      } else compare(r[k], a[k], `${path}.${k}`, Array.isArray(r[k]) ? k : parentKey);
    }
    return;
  }
  expect(`${path}=${JSON.stringify(actual)}`).toBe(`${path}=${JSON.stringify(recorded)}`);
}

const CASES = [
  '188_grade_items_one_user', '187_grade_items_whole_course', '189_overview_course_grades_student',
  '190_course_completion_status_complete', '191_course_completion_status_incomplete',
  '192_course_completion_status_no_criteria', '193_activities_completion_status',
];

describe('recorded grade and completion cases (contract/2026-12)', () => {
  for (const name of CASES) {
    test(name, async () => {
      const rec = load(name);
      const r = await postRaw(sb, body(rec.params.encoded));
      expect(r.status).toBe(rec.status);
      const actual = JSON.parse(r.text) as unknown;
      if (rec.response !== null && typeof rec.response === 'object' && 'exception' in rec.response) {
        expect(actual).toEqual(rec.response);
        return;
      }
      compare(rec.response, actual, 'response');
    });
  }

  test('the suspended student and the teacher have no entry; a graded course total changes with a new grade', async () => {
    const bio = mapOf('course').get(9)!;
    const stud3 = mapOf('user').get(17467)!;
    sb.grades.set(mapOf('cm').get(16)!, stud3, 7, { time: T });
    const res = (await call('gradereport_user_get_grade_items', `courseid=${bio}`)) as
      { usergrades: { userid: number; gradeitems: { itemtype: string; graderaw: number | null; grademax: number }[] }[] };
    expect(res.usergrades.map((u) => u.userid)).toEqual([17463, 17465, 17467].map((id) => mapOf('user').get(id)));
    const total = res.usergrades[2].gradeitems.find((i) => i.itemtype === 'course');
    expect(total).toMatchObject({ graderaw: 7, grademax: 10 });
  });
});
