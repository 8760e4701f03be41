/**
 * Replays the recorded cases of contract/2026-12/ about course content and people (177–186, 194–196) against one
 * production-mode sandbox (recorded with debugging off) holding what the recorded site held: the R2 Contract
 * category with R2-BIO201 (a page and an assignment in section 1, a forum and a quiz in section 2, the Announcements
 * forum in section 0), R2-NOCRIT and R2-GRP, three students, an editing teacher and a suspended enrolment. Answers
 * are compared in shape and value: ids mapped to the sandbox's own, site URLs, context ids and times by type only;
 * who is listed, which modules, their order and counts, and error objects exactly.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw, rewriteRecorded, type RecordedCall } from '../../test/moodle-contract.js';
import { type SandboxHandle, startSandbox } from './server.js';
import { courseContextId } from './accesslib.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

interface Case extends RecordedCall<{ object: Record<string, unknown> }> {
  after?: Record<string, { rows: Record<string, unknown>[] }>;
}
const load = (prefix: string): Case => {
  const index = JSON.parse(readFileSync(`${DIR}index.json`, 'utf8')) as { cases: { file: string }[] };
  const file = index.cases.find((c) => c.file.startsWith(`${prefix}_`))!.file;
  return JSON.parse(readFileSync(DIR + file, 'utf8')) as Case;
};

type Kind = 'user' | 'course' | 'category' | 'cm' | 'instance' | 'section' | 'question' | 'qcategory' | 'context' | 'item';
/** Recorded id → sandbox id, per kind. */
const ids: Record<Kind, Map<number, number>> = {
  user: new Map(), course: new Map(), category: new Map(), cm: new Map(), instance: new Map(), section: new Map(),
  question: new Map(), qcategory: new Map(), context: new Map(), item: new Map(),
};
const map = (kind: Kind, recorded: number): number => ids[kind].get(recorded) ?? recorded;

/** Values that depend on the site or the moment of the recording: compared by type. */
const BY_TYPE = new Set([
  'url', 'modicon', 'fileurl', 'courseimage', 'profileimageurl', 'profileimageurlsmall', 'contextid', 'timecreated',
  'timemodified', 'timeupdated', 'lastmodified', 'sortorder', 'categorysortorder',
]);

/**
 * The recorded answer as the sandbox should give it: ids mapped (by the key and, for `id`, by what the path says it
 * is), by-type values replaced by their type. The actual answer goes through the same function with no mapping.
 */
type KindOfId = (path: string, key: string, parent: Record<string, unknown>) => Kind | undefined;

function normalize(v: unknown, kindOfId: KindOfId, path = ''): unknown {
  if (Array.isArray(v)) return v.map((x, i) => normalize(x, kindOfId, `${path}[${i}]`));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const kind = kindOfId(path, k, v as Record<string, unknown>);
    if (BY_TYPE.has(k)) out[k] = x === null ? null : typeof x;
    else if (kind && typeof x === 'number') out[k] = map(kind, x);
    else if (kind && Array.isArray(x)) out[k] = x.map((n) => map(kind, n as number));
    else out[k] = normalize(x, kindOfId, `${path}.${k}`);
  }
  return out;
}
const asIs = (v: unknown): unknown => normalize(v, () => undefined);

/** Every object's keys in order, all the way down: PHP writes them in the order of the return description. */
function keyOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keyOrder);
  if (v === null || typeof v !== 'object') return '';
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, keyOrder(x)]);
}

/** The recorded body with the sandbox's token and ids (numeric values of the keys `kindOf` names). */
const rewrite = (encoded: string, token: string, kindOf: (key: string) => Kind | undefined) =>
  rewriteRecorded(encoded, token, (name, v) => {
    const kind = kindOf(name);
    return kind && /^\d+$/.test(v) ? map(kind, Number(v)) : undefined;
  });

/** The answer equals the recording (as normalize() puts it), keys in the recorded order. */
function expectRecorded(got: unknown, recorded: unknown, kindOfId: KindOfId): void {
  expect(asIs(got)).toEqual(normalize(recorded, kindOfId));
  expect(keyOrder(got)).toEqual(keyOrder(recorded));
}

let sb: SandboxHandle;

async function call(fn: string, body: string): Promise<unknown> {
  const r = await postRaw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${body}`);
  return JSON.parse(r.text) as unknown;
}

async function replay(rec: Case, kindOf: (key: string) => Kind | undefined = () => undefined): Promise<unknown> {
  const r = await postRaw(sb, rewrite(rec.params.encoded, sb.token, kindOf));
  expect(r.status).toBe(rec.status);
  expect(r.contentType).toBe(rec.content_type);
  return JSON.parse(r.text) as unknown;
}

const enc = encodeURIComponent;

/** The recorded site's state before the cases, built through the web service and the content store. */
async function buildSite(): Promise<void> {
  const [cat] = (await call('core_course_create_categories', 'categories[0][name]=R2%20Contract')) as { id: number }[];
  ids.category.set(11, cat.id);
  const courses: [number, string, string, number][] = [
    [5, 'R2-GRP', 'R2 Groups', 0], [9, 'R2-BIO201', 'R2 Biology 201', 1], [10, 'R2-NOCRIT', 'R2 No criteria', 1],
  ];
  const body = courses.map(([, sn, fn, completion], i) =>
    `courses[${i}][fullname]=${enc(fn)}&courses[${i}][shortname]=${sn}&courses[${i}][idnumber]=${sn}` +
    `&courses[${i}][categoryid]=${cat.id}&courses[${i}][summary]=${enc(`${fn} summary`)}` +
    `&courses[${i}][startdate]=1796428800&courses[${i}][enddate]=1827964800&courses[${i}][enablecompletion]=${completion}`)
    .join('&');
  const made = (await call('core_course_create_courses', body)) as { id: number }[];
  courses.forEach(([recorded], i) => ids.course.set(recorded, made[i].id));
  // The course context (17487 on the recorded site: its course image and question bank live there).
  ids.context.set(17487, courseContextId(made[1].id));
  const people: [number, string][] = [
    [17463, 'r2stud1'], [17465, 'r2stud2'], [17467, 'r2stud3'], [17469, 'r2teach1'], [20827, 'r2upd3'],
  ];
  const users = (await call('core_user_create_users', people.map(([, u], i) =>
    `users[${i}][username]=${u}&users[${i}][password]=${enc('Passw0rd!x')}&users[${i}][firstname]=${u[0].toUpperCase()}${u.slice(1)}` +
    `&users[${i}][lastname]=Rtwo&users[${i}][email]=${u}%40example.com&users[${i}][idnumber]=${u.toUpperCase()}`)
    .join('&'))) as { id: number }[];
  people.forEach(([recorded], i) => ids.user.set(recorded, users[i].id));
  const bio = map('course', 9);
  const enrolments: [number, number, number][] = [[17463, 5, 0], [17465, 5, 0], [17467, 5, 0], [17469, 3, 0], [20827, 5, 1]];
  expect(await call('enrol_manual_enrol_users', enrolments.map(([u, role, suspend], i) =>
    `enrolments[${i}][roleid]=${role}&enrolments[${i}][userid]=${map('user', u)}&enrolments[${i}][courseid]=${bio}` +
    `&enrolments[${i}][suspend]=${suspend}`).join('&'))).toBeNull();
  buildContent(bio);
}

/** Recorded times: the activities were made just after `since` (1796442131) of cases 180 and 181. */
const MADE = 1796442133;

/** R2-BIO201's content as the data generator left it (case 177), and its question bank (case 195). */
function buildContent(course: number): void {
  const content = sb.content;
  const add = (recordedCm: number, recordedInstance: number, m: Parameters<typeof content.addModule>[1]) => {
    const cm = content.addModule(course, m);
    ids.cm.set(recordedCm, cm.id);
    ids.instance.set(recordedInstance, cm.instance);
    return cm;
  };
  add(8, 8, { modname: 'forum', name: 'Announcements', section: 0, timemodified: MADE - 1121,
    settings: { type: 'news' } });
  add(13, 1, { modname: 'page', name: 'R2 Cell biology notes', section: 1, completion: 1, timemodified: MADE - 1 });
  const assign = add(14, 1, { modname: 'assign', name: 'R2 Lab report', section: 1, completion: 2, grade: 100,
    timemodified: MADE, settings: { completionusegrade: 1 } });
  add(15, 13, { modname: 'forum', name: 'R2 Discussion forum', section: 2, completion: 1, timemodified: MADE });
  const quiz = add(16, 1, { modname: 'quiz', name: 'R2 Cells quiz', section: 2, completion: 1, grade: 10,
    intro: 'Two questions', timemodified: MADE });
  for (const u of [17463, 17465]) {
    content.submit(assign.id, map('user', u), MADE + 1);
    content.gradeSubmission(assign.id, map('user', u), 80, MADE + 2);
  }
  content.sections(course).forEach((section, i) => ids.section.set([8, 13, 14][i], section.id));
  const qcat = content.addQuestionCategory(map('context', 17487), 'R2 Biology questions');
  ids.qcategory.set(2, qcat.id);
  const questions: [string, string, number][] = [
    ['R2 Q1 shortanswer', 'shortanswer', 5], ['R2 Q2 truefalse', 'truefalse', 5],
    ['R2 Q3 truefalse (bank only, not in quiz)', 'truefalse', 0],
  ];
  questions.forEach(([name, qtype, mark], i) => {
    const q = content.addQuestion(qcat.id, { name, qtype, time: MADE });
    ids.question.set(i + 1, q.id);
    if (mark) content.addQuizSlot(quiz.id, q.id, mark);
  });
}

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  await buildSite();
});

afterAll(async () => {
  await sb.close();
});

describe('recorded Moodle 4.5 course lists (contract/2026-12)', () => {
  test('178 core_course_get_courses options[ids]: full records in the order asked, numsections = last section', async () => {
    const rec = load('178');
    const got = await replay(rec, (k) => (k.startsWith('options[ids]') ? 'course' : undefined));
    const kindOfId = (path: string, key: string): Kind | undefined =>
      (key === 'id' ? 'course' : key === 'categoryid' ? 'category' : undefined);
    expectRecorded(got, rec.response, kindOfId);
  });

  test('179 core_course_search_courses search: the matching course with its editing teacher as contact', async () => {
    const rec = load('179');
    const got = await replay(rec);
    const kindOfId = (path: string, key: string): Kind | undefined =>
      (key === 'id' ? (path.includes('contacts') ? 'user' : 'course') : key === 'categoryid' ? 'category' : undefined);
    expectRecorded(got, rec.response, kindOfId);
  });
});

describe('recorded Moodle 4.5 course content (contract/2026-12)', () => {
  const courseParam = (k: string): Kind | undefined => (k === 'courseid' ? 'course' : undefined);

  test('177 core_course_get_contents: sections 0-2 with their modules, completion data for the admin, page contents', async () => {
    const rec = load('177');
    const got = await replay(rec, courseParam);
    const kindOfId = (path: string, key: string): Kind | undefined => {
      if (key === 'id') return path.includes('.modules') ? 'cm' : 'section';
      return key === 'instance' ? 'instance' : undefined;
    };
    expectRecorded(got, rec.response, kindOfId);
  });

  /** Questions are mapped; submission and grade rows are the sandbox's own, made in the recorded order (1, 2). */
  const updateIds: KindOfId = (path, key, parent) => {
    if (key === 'id') return 'cm';
    return key === 'itemids' && parent.name === 'questions' ? 'question' : undefined;
  };

  test('180 core_course_get_updates_since: configuration per module, an assignment\'s users\' rows, a quiz\'s questions', async () => {
    const rec = load('180');
    const got = await replay(rec, courseParam);
    expectRecorded(got, rec.response, updateIds);
  });

  test('181 core_course_check_updates: a module checked since after its changes is left out', async () => {
    const rec = load('181');
    const got = await replay(rec, (k) => (k === 'courseid' ? 'course' : k.endsWith('[id]') ? 'cm' : undefined));
    expectRecorded(got, rec.response, updateIds);
  });
});

describe('recorded Moodle 4.5 people reads (contract/2026-12)', () => {
  const userIds: KindOfId = (path, key) => (key === 'id' ? (path.includes('enrolledcourses') ? 'course' : 'user') : undefined);

  test('182 core_enrol_get_enrolled_users userfields + onlyactive: the suspended enrolment left out', async () => {
    const rec = load('182');
    const got = await replay(rec, (k) => (k === 'courseid' ? 'course' : undefined));
    expectRecorded(got, rec.response, userIds);
    // The suspended enrolment the recording read back is there, just not listed.
    const statuses = rec.after!.user_enrolments.rows.map((r) => ({ userid: map('user', r.userid as number), status: r.status }));
    expect(sb.enrolments.of(map('course', 9)).map((e) => ({ userid: e.userid, status: e.status }))).toEqual(statuses);
  });

  test('183 core_enrol_get_enrolled_users withcapability moodle/course:update: the editing teacher only', async () => {
    const rec = load('183');
    const got = await replay(rec, (k) => (k === 'courseid' ? 'course' : undefined));
    expectRecorded(got, rec.response, userIds);
  });

  test.each(['184', '185'])('%s core_user_get_users by exact criteria', async (n) => {
    const rec = load(n);
    const got = await replay(rec);
    expectRecorded(got, rec.response, userIds);
  });

  test('186 core_user_get_users_by_field with 200 ids: all 200, in id order', async () => {
    const rec = load('186');
    const recorded = rec.response as Record<string, string | number | boolean>[];
    // The 200 accounts as the recorded site had them (among 43,110 others there), created in id order.
    const body = recorded.map((u, i) => {
      let fields = `users[${i}][username]=${u.username}&users[${i}][password]=${enc('Passw0rd!x')}` +
        `&users[${i}][firstname]=${enc(String(u.firstname))}&users[${i}][lastname]=${enc(String(u.lastname))}` +
        `&users[${i}][email]=${enc(String(u.email))}&users[${i}][idnumber]=${enc(String(u.idnumber))}` +
        `&users[${i}][timezone]=${enc(String(u.timezone))}`;
      if (u.description !== undefined) fields += `&users[${i}][description]=${enc(String(u.description))}`;
      return fields;
    }).join('&');
    const made = (await call('core_user_create_users', body)) as { id: number }[];
    recorded.forEach((u, i) => ids.user.set(u.id as number, made[i].id));
    const suspended = recorded.filter((u) => u.suspended).map((u, i) => `users[${i}][id]=${map('user', u.id as number)}` +
      `&users[${i}][suspended]=1`);
    expect(await call('core_user_update_users', suspended.join('&'))).toEqual({ warnings: [] });
    const got = await replay(rec, (k) => (k.startsWith('values[') ? 'user' : undefined));
    expectRecorded(got, rec.response, userIds);
  });
});

describe('recorded Moodle 4.5 quizzes and question bank (contract/2026-12)', () => {
  test('194 mod_quiz_get_quizzes_by_courses: the quiz\'s settings, no question list', async () => {
    const rec = load('194');
    const got = await replay(rec, (k) => (k.startsWith('courseids') ? 'course' : undefined));
    const kindOfId: KindOfId = (path, key) =>
      ({ id: 'instance', coursemodule: 'cm', course: 'course' } as Record<string, Kind>)[key];
    expectRecorded(got, rec.response, kindOfId);
  });

  const bankParams = (k: string): Kind | undefined =>
    (({ categoryid: 'qcategory', contextid: 'context' } as Record<string, Kind>)[k]);

  test('195 core_question_get_random_question_summaries with tagids[0]=0: the ready questions of the category', async () => {
    const rec = load('195');
    const got = await replay(rec, bankParams);
    const kindOfId: KindOfId = (path, key) =>
      ({ id: 'question', category: 'qcategory' } as Record<string, Kind>)[key];
    expectRecorded(got, rec.response, kindOfId);
    // A hidden question is not listed.
    const content = sb.content;
    const hidden = content.addQuestion(map('qcategory', 2), { name: 'R2 hidden', qtype: 'truefalse', status: 'hidden' });
    const again = (await replay(rec, bankParams)) as { totalcount: number; questions: { id: number }[] };
    expect(again.totalcount).toBe(3);
    expect(again.questions.map((q) => q.id)).not.toContain(hidden.id);
  });

  test('196 core_question_get_random_question_summaries without tagids: invalidparameter', async () => {
    const rec = load('196');
    expect(await replay(rec, bankParams)).toEqual(rec.response);
  });
});
