/**
 * Replays the recorded reads by id that `mdlsync export ids` and link confirmations make (contract/2026-12/147, 149,
 * 150: core_course_get_courses_by_field with field `ids`; 186: core_user_get_users_by_field with 200 ids) against a
 * production-mode sandbox (the recordings were made with debugging off) holding the recorded records under its own
 * ids: the recorded body with the ids mapped, the answer compared in shape (keys) and values.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw } from '../../test/moodle-contract.js';
import { startSandbox, type SandboxHandle } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));
interface Case {
  function: string;
  params: { encoded: string; object: Record<string, unknown> };
  response: unknown;
}
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Case;

type Course = { id: number; shortname: string; idnumber: string } & Record<string, unknown>;
/** The courses of 147/149 as recorded: id → shortname (= idnumber). */
const RECORDED_COURSES: [number, string][] = [[5, 'R2-GRP'], [6, 'R2-ENR'], [9, 'R2-BIO201']];

let sb: SandboxHandle;
/** Recorded course id → sandbox course id. */
const courseIds = new Map<number, number>();

async function call(body: string): Promise<unknown> {
  const r = await postRaw(sb, body);
  expect(r.status).toBe(200);
  return JSON.parse(r.text);
}

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  const fields = RECORDED_COURSES.map(
    ([, s], i) => `courses[${i}][fullname]=${s}&courses[${i}][shortname]=${s}&courses[${i}][idnumber]=${s}&courses[${i}][categoryid]=1`,
  ).join('&');
  const made = (await call(`wstoken=${sb.token}&wsfunction=core_course_create_courses&moodlewsrestformat=json&${fields}`)) as { id: number }[];
  RECORDED_COURSES.forEach(([recorded], i) => courseIds.set(recorded, made[i].id));
});
afterAll(async () => sb?.close());

/** The recorded body with the sandbox's token and, in `value`, the sandbox's course ids (an unknown id stays unknown). */
function mapped(rec: Case): string {
  return rec.params.encoded
    .replace(/^wstoken=[^&]*/, `wstoken=${sb.token}`)
    .replace(/value=([^&]*)/, (_, v: string) => `value=${decodeURIComponent(v).split(',').map((id) => courseIds.get(Number(id)) ?? id).join('%2C')}`);
}

describe('core_course_get_courses_by_field, field ids', () => {
  test.each(['147_get_courses_by_field_ids', '149_get_courses_by_field_ids_unsorted'])('%s: the courses in the order of the list, shaped as recorded', async (name) => {
    const rec = load(name);
    const got = (await call(mapped(rec))) as { courses: Course[]; warnings: unknown[] };
    const want = rec.response as { courses: Course[]; warnings: unknown[] };
    expect(got.warnings).toEqual(want.warnings);
    expect(got.courses.map((c) => [c.id, c.shortname, c.idnumber])).toEqual(want.courses.map((c) => [courseIds.get(c.id), c.shortname, c.idnumber]));
    for (const [i, c] of got.courses.entries()) expect(Object.keys(c).sort()).toEqual(Object.keys(want.courses[i]).sort());
  });

  test('150: one unknown id fails the whole call with a PHP Error, no errorcode, no courses', async () => {
    const rec = load('150_get_courses_by_field_ids_one_nonexistent');
    expect(rec.params.object.value).toBe('5,999999,9');
    expect(await call(mapped(rec))).toEqual(rec.response);
  });
});

describe('core_user_get_users_by_field, field id', () => {
  test('186: 200 ids, every one answered, in id order, shaped as recorded', async () => {
    const rec = load('186_get_users_by_field_200_ids');
    const want = rec.response as Record<string, unknown>[];
    const n = want.length;
    // Like the recorded accounts, each has an idnumber (Moodle leaves an empty one out of the answer).
    const users = Array.from({ length: n }, (_, i) => `users[${i}][username]=r186u${i}&users[${i}][password]=Passw0rd!x&users[${i}][firstname]=F&users[${i}][lastname]=L&users[${i}][email]=r186u${i}%40example.com&users[${i}][idnumber]=R186-${i}`);
    const made = (await call(`wstoken=${sb.token}&wsfunction=core_user_create_users&moodlewsrestformat=json&${users.join('&')}`)) as { id: number }[];
    // Asked in the recorded request's order (ascending), each recorded id replaced by one of the sandbox's.
    const ids = made.map((u) => u.id).sort((a, b) => a - b);
    const body = `wstoken=${sb.token}&wsfunction=core_user_get_users_by_field&moodlewsrestformat=json&field=id&${ids.map((id, i) => `values%5B${i}%5D=${id}`).join('&')}`;
    const got = (await call(body)) as Record<string, unknown>[];
    expect(got.map((u) => u.id)).toEqual(ids);
    expect(want.map((u) => u.id)).toEqual([...want.map((u) => u.id as number)].sort((a, b) => a - b));
    // The recorded accounts' optional keys vary with their data (an idnumber, a department …): every key the sandbox
    // answers is one the recording shows, and the keys every recorded account has, every answered one has.
    const recordedKeys = new Set(want.flatMap((u) => Object.keys(u)));
    const always = [...recordedKeys].filter((k) => want.every((u) => k in u));
    for (const u of got) {
      for (const k of Object.keys(u)) expect(recordedKeys).toContain(k);
      for (const k of always) expect(Object.keys(u)).toContain(k);
    }
  });
});
