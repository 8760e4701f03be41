/**
 * Replays the real Moodle 4.5 recordings (the repository's contract/ folder, refreshed by scripts/refresh-contract.sh) against the sandbox, in file order, and
 * compares status, error objects and the shape (and, ids and site URLs aside, the values) of every answer.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw } from '../../test/moodle-contract.js';
import { FUNCTIONS } from './functions.js';
import { SandboxHandle, startSandbox } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/', import.meta.url));

interface Case {
  case: string;
  function: string;
  params: { encoded: string; object: Record<string, unknown> };
  status: number;
  content_type: string;
  response: unknown;
  response_text?: string;
  after?: unknown;
}

const index = JSON.parse(readFileSync(DIR + 'index.json', 'utf8')) as { cases: { file: string; function: string }[] };
const implemented = new Set(FUNCTIONS.map((f) => f.name));

/**
 * Recorded cases that are not replayed, and why: every one is a function the sandbox does not implement (listed
 * below from index.json). The access and token cases (116–119, 127, 128) need no implementation: they are
 * answered before any function runs.
 */
const NOT_REPLAYABLE: Record<string, string> = {};
const ANSWERED_BEFORE_ANY_FUNCTION = new Set([
  '118_function_not_in_service.json',
  '119_function_does_not_exist.json',
  '127_nodebug_function_not_in_service.json',
]);
for (const c of index.cases) {
  if (!implemented.has(c.function) && !ANSWERED_BEFORE_ANY_FUNCTION.has(c.file) && !NOT_REPLAYABLE[c.file]) {
    NOT_REPLAYABLE[c.file] = `${c.function} is not implemented by the sandbox.`;
  }
}
const replayed = index.cases.filter((c) => !NOT_REPLAYABLE[c.file]).map((c) => c.file);
const load = (file: string) => JSON.parse(readFileSync(DIR + file, 'utf8')) as Case;

/** Keys whose values depend on the site, not on Moodle's behaviour. */
const SITE_KEYS = new Set([
  'siteurl', 'userpictureurl', 'profileimageurl', 'profileimageurlsmall', 'userprivateaccesskey', 'sitename',
  'courseimage',
]);
/** Keys whose values depend on when the recording ran or on what the recorded site held before (type only). */
const TIME_OR_LAYOUT_KEYS = new Set(['timemodified', 'timecreated', 'cacherev', 'sortorder', 'categorysortorder', 'path']);
/** Per case, more keys compared by type only: defaults computed from the current date. */
const LOOSE_IN: Record<string, string[]> = { '57_get_courses_by_field_shortname.json': ['startdate', 'enddate'] };

type Kind = 'user' | 'category' | 'course' | 'group' | 'cohort';
/** Recorded id → sandbox id, learnt from create responses and setup steps. */
const idMap = new Map<number, number>();
type IdMaps = Record<Kind, Map<number, number>>;
const mainMaps: IdMaps = { user: idMap, category: new Map(), course: new Map(), group: new Map(), cohort: new Map() };
/** The nodebug sandbox's own ids (cases 124–128 ran on the same site, the sandbox uses a second one). */
const nodebugMaps: IdMaps = { user: new Map(), category: new Map(), course: new Map(), group: new Map(), cohort: new Map() };
/** The maps of the sandbox the current case runs on. */
let maps = mainMaps;
/** What a response's top-level `id` is, per function. */
const ID_KIND: Record<string, Kind> = {
  core_course_create_categories: 'category', core_course_get_categories: 'category',
  core_course_create_courses: 'course', core_course_get_courses_by_field: 'course',
  core_course_duplicate_course: 'course', core_enrol_get_users_courses: 'course',
  core_group_create_groups: 'group', core_group_get_course_groups: 'group',
  core_cohort_create_cohorts: 'cohort', core_cohort_get_cohorts: 'cohort', core_cohort_search_cohorts: 'cohort',
};
const KEY_KIND: Record<string, Kind> = {
  userid: 'user', userids: 'user', groupid: 'group', groupids: 'group', courseid: 'course', courseids: 'course',
  categoryid: 'category', parent: 'category', category: 'category', cohortid: 'cohort', cohortids: 'cohort',
  // core_course_get_courses' options[ids][].
  ids: 'course',
};

function idKind(fn: string, path: string, key: string): Kind | undefined {
  if (KEY_KIND[key]) return KEY_KIND[key];
  if (key === 'id') return path.includes('.enrolledcourses') ? 'course' : ID_KIND[fn] ?? 'user';
  if (key === 'itemid') return fn.startsWith('core_course_') ? 'course' : 'user';
  return undefined;
}

/** An id value: the mapped sandbox id when known; 0 and 999999 (never an existing record) exactly. */
function compareId(kind: Kind, recorded: number, actual: unknown, path: string, valuesToo: boolean): void {
  expect(`${path}: ${typeof actual}`).toBe(`${path}: number`);
  if (!valuesToo) return;
  const mapped = maps[kind].get(recorded);
  if (mapped !== undefined) expect(`${path}=${String(actual)}`).toBe(`${path}=${mapped}`);
  else if (recorded === 0 || recorded === 999999) expect(`${path}=${String(actual)}`).toBe(`${path}=${recorded}`);
}

function typeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Same keys and value types everywhere; same values too, except site-dependent keys and ids (mapped). */
function compare(recorded: unknown, actual: unknown, path: string, valuesToo: boolean, fn = '', loose: string[] = []): void {
  expect(`${path}: ${typeOf(actual)}`).toBe(`${path}: ${typeOf(recorded)}`);
  if (Array.isArray(recorded) && Array.isArray(actual)) {
    if (valuesToo) expect(`${path}.length=${actual.length}`).toBe(`${path}.length=${recorded.length}`);
    const n = valuesToo ? recorded.length : Math.min(1, recorded.length, actual.length);
    for (let i = 0; i < n; i++) compare(recorded[i], actual[i], `${path}[${i}]`, valuesToo, fn, loose);
    return;
  }
  if (typeOf(recorded) === 'object') {
    const r = recorded as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    expect(`${path} keys: ${Object.keys(a).sort().join(',')}`).toBe(`${path} keys: ${Object.keys(r).sort().join(',')}`);
    for (const k of Object.keys(r)) {
      const kind = idKind(fn, path, k);
      if (SITE_KEYS.has(k) || TIME_OR_LAYOUT_KEYS.has(k) || loose.includes(k)) {
        expect(typeOf(a[k])).toBe(typeOf(r[k]));
      } else if (kind && typeof r[k] === 'number') {
        compareId(kind, r[k] as number, a[k], `${path}.${k}`, valuesToo);
      } else if (kind && Array.isArray(r[k]) && Array.isArray(a[k])) {
        const ra = r[k] as number[];
        const aa = a[k] as unknown[];
        if (valuesToo) expect(`${path}.${k}.length=${aa.length}`).toBe(`${path}.${k}.length=${ra.length}`);
        ra.forEach((v, i) => compareId(kind, v, aa[i], `${path}.${k}[${i}]`, valuesToo));
      } else {
        compare(r[k], a[k], `${path}.${k}`, valuesToo, fn, loose);
      }
    }
    return;
  }
  if (valuesToo) expect(`${path}=${JSON.stringify(actual)}`).toBe(`${path}=${JSON.stringify(recorded)}`);
}

/** Which id space a request parameter holds, from its key (users[0][id], enrolments[0][courseid], parent…). */
function paramKind(key: string): Kind | undefined {
  const parts = key.replace(/\]/g, '').split('[');
  const names = parts.filter((p) => !/^\d+$/.test(p));
  const last = names[names.length - 1];
  if (KEY_KIND[last]) return KEY_KIND[last];
  if (last === 'id') {
    return ({ users: 'user', categories: 'category', courses: 'course', groups: 'group', cohorts: 'cohort' } as
      Record<string, Kind>)[parts[0]];
  }
  // add_cohort_members' {type, value} pairs: only numeric values (type id) can be mapped.
  if (last === 'value' && names[names.length - 2] === 'cohorttype') return 'cohort';
  if (last === 'value' && names[names.length - 2] === 'usertype') return 'user';
  return undefined;
}

/** The recorded body with the sandbox token and, where known, the sandbox's ids for the recorded ids. */
function rewriteBody(encoded: string, token: string): string {
  // A role (un)assignment's instanceid is a user, category or course id, as its sibling contextlevel says.
  const levels = new Map<string, string>();
  for (const pair of encoded.split('&')) {
    const [k, v = ''] = pair.split('=');
    const key = decodeURIComponent(k);
    if (key.endsWith('[contextlevel]')) levels.set(key.slice(0, -'[contextlevel]'.length), decodeURIComponent(v));
  }
  const LEVEL_KIND: Record<string, Kind> = { user: 'user', coursecat: 'category', course: 'course' };
  return encoded
    .split('&')
    .map((pair) => {
      const [k, v = ''] = pair.split('=');
      const key = decodeURIComponent(k);
      if (key === 'wstoken' && v === 'TOKEN') return `${k}=${encodeURIComponent(token)}`;
      const level = key.endsWith('[instanceid]') ? levels.get(key.slice(0, -'[instanceid]'.length)) : undefined;
      const kind = level !== undefined ? LEVEL_KIND[level] : paramKind(key);
      if (kind) {
        const mapped = maps[kind].get(Number(v));
        if (mapped !== undefined) return `${k}=${mapped}`;
      }
      return pair;
    })
    .join('&');
}

/** A recorded error whose message names recorded ids, with the sandbox's ids. */
function expectedError(file: string, response: Record<string, unknown>): Record<string, unknown> {
  if (!file.startsWith('65_')) return response;
  const message = (response.message as string)
    .replace(/this user \((\d+)\)/, (_, id: string) => `this user (${maps.user.get(Number(id)) ?? id})`)
    .replace(/this course \((\d+)\)/, (_, id: string) => `this course (${maps.course.get(Number(id)) ?? id})`);
  return { ...response, message };
}

/** A recorded answer whose warning messages name recorded ids (add_cohort_members, type id), with the sandbox's ids. */
function expectedResponse(file: string, response: unknown): unknown {
  if (!file.startsWith('85_')) return response;
  const r = response as { warnings: { warningcode: string; message: string }[] };
  return {
    warnings: r.warnings.map((w) => ({
      ...w,
      message: w.message.replace(/^record already exists: cohort\(id=(\d+) id=(\d+)\)$/, (_, co: string, us: string) =>
        `record already exists: cohort(id=${maps.cohort.get(Number(co)) ?? co} id=${maps.user.get(Number(us)) ?? us})`),
    })),
  };
}

const post = postRaw;

async function call(sb: SandboxHandle, fn: string, params: string) {
  const r = await post(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${params}`);
  return JSON.parse(r.text) as unknown;
}

let main: SandboxHandle;
let nodebug: SandboxHandle;

/** The recorded site's service, which lacked core_course_search_courses (cases 118 and 127 call it). */
const RECORDED_SERVICE = FUNCTIONS.map((f) => f.name).filter((name) => name !== 'core_course_search_courses');

beforeAll(async () => {
  main = await startSandbox({ functions: RECORDED_SERVICE });
  nodebug = await startSandbox({ debug: false, functions: RECORDED_SERVICE });
  // The nodebug recordings ran on a site where ctalice already existed.
  await call(nodebug, 'core_user_create_users',
    'users[0][username]=ctalice&users[0][password]=Passw0rd!&users[0][firstname]=Alice&users[0][lastname]=Test' +
    '&users[0][email]=ctalice%40example.com');
});

afterAll(async () => {
  await main.close();
  await nodebug.close();
});

describe('recorded Moodle 4.5 contract', () => {
  test('every recorded case is replayed or listed with a reason', () => {
    for (const c of index.cases) expect(replayed.includes(c.file) || Boolean(NOT_REPLAYABLE[c.file])).toBe(true);
    expect(replayed.length).toBeGreaterThanOrEqual(95);
  });

  for (const file of replayed) {
    test(file, async () => {
      const rec = load(file);
      const sb = rec.case.startsWith('nodebug_') ? nodebug : main;
      maps = sb === nodebug ? nodebugMaps : mainMaps;
      if (file.startsWith('37_')) {
        // Users the recording created outside the recorded cases: ctdel1 (id 24) and ctdel2 (id 25).
        const made = (await call(sb, 'core_user_create_users',
          'users[0][username]=ctdel1&users[0][password]=Passw0rd!&users[0][firstname]=Del&users[0][lastname]=One' +
          '&users[0][email]=ctdel1%40example.com&users[1][username]=ctdel2&users[1][password]=Passw0rd!' +
          '&users[1][firstname]=Del&users[1][lastname]=Two&users[1][email]=ctdel2%40example.com')) as { id: number }[];
        idMap.set(24, made[0].id);
        idMap.set(25, made[1].id);
      }
      await SETUP[file]?.(sb);
      const r = await post(sb, rewriteBody(rec.params.encoded, sb.token));
      expect(r.status).toBe(rec.status);
      expect(r.contentType).toBe(rec.content_type);
      if (rec.response_text !== undefined) {
        expect(r.text).toBe(rec.response_text);
        return;
      }
      const actual = JSON.parse(r.text) as unknown;
      const isError = typeOf(rec.response) === 'object' && 'exception' in (rec.response as object);
      if (rec.response === null) {
        expect(r.text).toBe('null');
      } else if (isError) {
        // exception, errorcode, message and debuginfo (present or absent) exactly.
        expect(actual).toEqual(expectedError(file, rec.response as Record<string, unknown>));
      } else {
        learnIds(rec, actual);
        compare(expectedResponse(file, rec.response), actual, 'response', rec.function !== 'core_webservice_get_site_info', rec.function,
          LOOSE_IN[file]);
        checkAfter(rec, sb);
      }
      checkCourseAfter(file, rec, sb);
    });
  }
});

/** Ids the sandbox gave to what a recorded call created. */
function learnIds(rec: Case, actual: unknown): void {
  const kind = ({
    core_user_create_users: 'user', core_course_create_categories: 'category', core_course_create_courses: 'course',
    core_course_duplicate_course: 'course', core_group_create_groups: 'group', core_cohort_create_cohorts: 'cohort',
  } as Record<string, Kind>)[rec.function];
  if (!kind) return;
  const recorded = ([] as { id: number }[]).concat(rec.response as { id: number }[]);
  const got = ([] as { id: number }[]).concat(actual as { id: number }[]);
  recorded.forEach((x, i) => maps[kind].set(x.id, got[i].id));
}

const enc = (s: string) => encodeURIComponent(s);

/** Users the recording created outside the recorded cases (ids 26–30), as case 71 shows them. */
async function createCourseUsers(sb: SandboxHandle): Promise<void> {
  const people: [number, string, string][] = [
    [26, 'ctstud1', 'Stud1'], [27, 'ctstud2', 'Stud2'], [28, 'ctteach1', 'Teach1'], [29, 'ctnoenrol', 'Noenrol'],
    [30, 'ctstud3', 'Stud3'],
  ];
  const body = people.map(([, u, f], i) =>
    `users[${i}][username]=${u}&users[${i}][password]=${enc('Passw0rd!')}&users[${i}][firstname]=${f}` +
    `&users[${i}][lastname]=Test&users[${i}][email]=${enc(`${u}@example.com`)}` +
    `&users[${i}][idnumber]=CT-${f.toUpperCase()}`).join('&');
  const made = (await call(sb, 'core_user_create_users', body)) as { id: number }[];
  people.forEach(([id], i) => idMap.set(id, made[i].id));
}

/** Recorded enrolments done between cases: [recorded user id, recorded course id], as students. */
async function enrolStudents(sb: SandboxHandle, pairs: [number, number][]): Promise<void> {
  const body = pairs.map(([u, c], i) =>
    `enrolments[${i}][roleid]=5&enrolments[${i}][userid]=${maps.user.get(u)}` +
    `&enrolments[${i}][courseid]=${maps.course.get(c)}`).join('&');
  expect(await call(sb, 'enrol_manual_enrol_users', body)).toBeNull();
}

/** State the recording set up between the recorded cases (ids are the recorded ones). */
const SETUP: Record<string, (sb: SandboxHandle) => Promise<void>> = {
  '61_enrol_student.json': createCourseUsers,
  // The nodebug site: CT-MATH101 (recorded id 6) in a category (recorded id 6), for 125 and 126.
  '125_nodebug_create_course_duplicate_shortname.json': async (sb) => {
    const [cat] = (await call(sb, 'core_course_create_categories', 'categories[0][name]=CT%20Department')) as
      { id: number }[];
    const [course] = (await call(sb, 'core_course_create_courses',
      `courses[0][fullname]=CT%20Mathematics%20101&courses[0][shortname]=CT-MATH101&courses[0][categoryid]=${cat.id}`)) as
      { id: number }[];
    maps.category.set(6, cat.id);
    maps.course.set(6, course.id);
  },
  // Groups: ctstud1 (unenrolled in 75) and ctstud2 are enrolled in MATH (101 adds 27; 131 finds 26, 27, 28).
  '96_create_group.json': (sb) => enrolStudents(sb, [[26, 6], [27, 6]]),
  // Cohorts from an earlier run of the recording on the same site, as case 93 lists them (1 renamed, after 2 was
  // created: created here in the order the recorded site lists them, the sandbox lists by id).
  '78_create_cohort_system.json': async (sb) => {
    const made = (await call(sb, 'core_cohort_create_cohorts',
      'cohorts[0][categorytype][type]=system&cohorts[0][categorytype][value]=&cohorts[0][name]=C1%20Cohort%20Cat' +
      '&cohorts[0][idnumber]=C1-COHCAT&cohorts[1][categorytype][type]=system&cohorts[1][categorytype][value]=' +
      '&cohorts[1][name]=C1%20Cohort%20One%20(renamed)&cohorts[1][idnumber]=C1-COH1' +
      '&cohorts[1][description]=sys%20cohort')) as { id: number }[];
    maps.cohort.set(2, made[0].id);
    maps.cohort.set(1, made[1].id);
  },
  // "ctstud2 (id 27) was enrolled in PHYS before" (after 129, whose PHYS list is [30] alone).
  '130_unenrol_batch_valid_then_nonexistent_course.json': (sb) => enrolStudents(sb, [[27, 7]]),
};

const u = (id: number) => maps.user.get(id) ?? id;
const c = (id: number) => maps.course.get(id) ?? id;
const enrolledIn = (sb: SandboxHandle, course: number) => sb.enrolments.of(c(course)).map((e) => e.userid);
const ROLE_IDS: Record<string, number> = { editingteacher: 3, student: 5 };

/** The recordings' follow-up reads of courses, enrolments and groups, checked through the handle. */
function checkCourseAfter(file: string, rec: Case, sb: SandboxHandle): void {
  const after = rec.after as Record<string, unknown> & unknown[];
  const n = Number(file.split('_')[0]);
  switch (n) {
    case 45:
      expect(sb.categories.list().filter((x) => x.idnumber === 'CT-CATA')).toEqual([]);
      break;
    case 48:
      expect(sb.categories.list().find((x) => x.idnumber === 'CT-DEPT')?.name).toBe('CT Department (renamed)');
      break;
    case 49:
      expect(sb.courses.byShortname('CT-MATH101')?.idnumber).toBe('CT-MATH101-2025');
      expect(sb.enrolments.of(c(6))).toEqual([]);
      break;
    case 54:
      expect(sb.courses.byShortname('CT-BATCHA')).toBeUndefined();
      break;
    case 60:
      for (const want of after as { id: number; shortname: string; fullname: string }[]) {
        const got = sb.courses.list().find((x) => x.id === c(want.id));
        expect({ shortname: got?.shortname, fullname: got?.fullname })
          .toEqual({ shortname: want.shortname, fullname: want.fullname });
      }
      break;
    case 64: case 69: case 74:
      // Everyone enrolled in MATH, any status.
      expect(enrolledIn(sb, 6)).toEqual((after as number[]).map(u));
      break;
    case 66: case 77: case 130:
      expect(enrolledIn(sb, 7)).toEqual((after.phys_enrolled as number[]).map(u));
      break;
    case 67: {
      const all = after.all as { id: number; roles: string[] }[];
      expect(sb.enrolments.of(c(6)).map((e) => ({ id: e.userid, roles: e.roles })))
        .toEqual(all.map((x) => ({ id: u(x.id), roles: x.roles.map((r) => ROLE_IDS[r]).sort() })));
      expect(sb.enrolments.of(c(6)).filter((e) => e.status === 0).map((e) => e.userid))
        .toEqual((after.onlyactive as number[]).map(u));
      break;
    }
    case 68:
      for (const want of after as { id: number; roles: string[] }[]) {
        expect(sb.enrolments.of(c(6)).find((e) => e.userid === u(want.id))?.roles)
          .toEqual(want.roles.map((r) => ROLE_IDS[r]).sort());
      }
      break;
    case 75:
      // The whole enrolment and every role of ctstud1 in MATH are gone.
      expect(sb.enrolments.of(c(6)).find((e) => e.userid === u(26))).toBeUndefined();
      expect(enrolledIn(sb, 6)).toEqual([17, 28].map(u));
      break;
    case 81:
      expect(sb.cohorts.byIdnumber('CT-COHA')).toBeUndefined();
      break;
    case 83: case 84: case 87: case 89:
      for (const want of after as { cohortid: number; userids: number[] }[]) {
        const got = sb.cohorts.list().find((x) => x.id === maps.cohort.get(want.cohortid));
        expect(got?.members).toEqual(want.userids.map(u).sort((a, b) => a - b));
      }
      break;
    case 94:
      expect(sb.cohorts.byIdnumber('CT-COH1')?.name).toBe('CT Cohort One (renamed)');
      break;
    case 105: case 108: case 109:
      // The parent link: ctnoenrol (29) holds 'parent' (9) in ctstud1's (26) user context, until 108 removes it.
      expect(sb.roles.roleAssignments({ roleid: 9, contextlevel: 30, instanceid: u(26) }).map((r) => r.userid))
        .toEqual(n === 105 ? [u(29)] : []);
      break;
    case 106:
      expect(sb.roles.roleAssignments({ roleid: 5, contextlevel: 30 })).toEqual([]);
      break;
    case 107:
      expect(sb.enrolments.of(c(6)).find((e) => e.userid === u(28))?.roles).toContain(4);
      break;
    case 101:
      for (const want of after as { groupid: number; userids: number[] }[]) {
        const g = sb.groups.of(c(6)).find((x) => x.id === maps.group.get(want.groupid));
        expect(g?.members).toEqual(want.userids.map(u));
      }
      break;
    case 129: {
      const row = (after.user_enrolments_row as { userid: number; status: number; timestart: number; timeend: number }[])[0];
      const got = sb.enrolments.of(c(7)).find((e) => e.userid === u(row.userid));
      expect(got).toMatchObject({ status: row.status, timestart: row.timestart, timeend: row.timeend });
      expect(enrolledIn(sb, 7)).toEqual((after.enrolled_users_all as number[]).map(u));
      expect(sb.enrolments.of(c(7)).filter((e) => e.status === 0).map((e) => e.userid))
        .toEqual((after.enrolled_users_onlyactive as number[]).map(u));
      break;
    }
    case 114:
      // Ids come from sequences: the rolled-back CT-BATCHA (54) used up the id after CT-PHYS101's, as recorded.
      expect(c(9) - c(7)).toBe(9 - 7);
      expect(sb.courses.byShortname('CT-MATH101-COPY')).toMatchObject({ fullname: 'CT Mathematics 101 (copy)', idnumber: '' });
      break;
    case 131:
      expect(enrolledIn(sb, 6)).toEqual((after.math_enrolled as number[]).map(u));
      break;
    default:
      break;
  }
}

/** The recordings' follow-up reads of the form {username: id | null}, checked through the handle. */
function checkAfter(rec: Case, sb: SandboxHandle): void {
  const after = rec.after as Record<string, unknown> | undefined;
  if (!after || Array.isArray(after)) return;
  for (const [username, v] of Object.entries(after)) {
    if (username === 'users_with_idnumber') continue;
    if (v === null) expect(sb.users.byUsername(username)).toBeUndefined();
    if (typeof v === 'number') expect(sb.users.byUsername(username)?.id).toBe(idMap.get(v) ?? v);
  }
  if (after.users_with_idnumber) {
    const want = (after.users_with_idnumber as { username: string }[]).map((u) => u.username).sort();
    expect(sb.users.byIdnumber('CT-ALICE').map((u) => u.username).sort()).toEqual(want);
  }
}
