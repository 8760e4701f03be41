/**
 * The sandbox's content controls, as other tests use them: a test adds, renames, hides and deletes modules through
 * `sandbox.content` and sees each change the way Moodle reports it through core_course_get_contents,
 * core_course_get_updates_since and core_course_check_updates (a hide by the eye icon changes no instance, so the
 * update functions do not report it); the options of get_contents; a new course's sections; the call cost.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { postRaw } from '../../test/moodle-contract.js';
import { type SandboxHandle, startSandbox } from './server.js';
import { courseContextId } from './accesslib.js';

let sb: SandboxHandle;
let courseid: number;

async function call(fn: string, body: string): Promise<unknown> {
  const r = await postRaw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${body}`);
  return JSON.parse(r.text) as unknown;
}

interface Section {
  section: number;
  name: string;
  modules: { id: number; name: string; modname: string; visible: number; url?: string; contents?: unknown[] }[];
}
const contents = async (options = '') => (await call('core_course_get_contents', `courseid=${courseid}${options}`)) as Section[];
interface Updates {
  instances: { id: number; updates: { name: string; timeupdated?: number }[] }[];
  warnings: { itemid: number; warningcode: string }[];
}
const updatesSince = async (since: number) =>
  (await call('core_course_get_updates_since', `courseid=${courseid}&since=${since}`)) as Updates;

const T = 1_800_000_000;

beforeAll(async () => {
  sb = await startSandbox({ perCallCostMs: 1 });
  const [course] = (await call('core_course_create_courses',
    'courses[0][fullname]=Content&courses[0][shortname]=CONTENT&courses[0][categoryid]=1&courses[0][numsections]=3')) as
    { id: number }[];
  courseid = course.id;
});

afterAll(async () => {
  await sb.close();
});

describe('course content through the sandbox handle', () => {
  test('a new course has section 0 and its numsections sections, named as topics name them', async () => {
    expect((await contents()).map((s) => [s.section, s.name, s.modules.length])).toEqual([
      [0, 'General', 0], [1, 'New section', 0], [2, 'New section', 0], [3, 'New section', 0],
    ]);
    const [other] = (await call('core_course_create_courses',
      'courses[0][fullname]=Bare&courses[0][shortname]=BARE&courses[0][categoryid]=1')) as { id: number }[];
    expect(sb.content.sections(other.id).map((s) => s.section)).toEqual([0]);
  });

  test('added, renamed, hidden and deleted modules, as get_contents and the update functions report them', async () => {
    const page = sb.content.addModule(courseid, { modname: 'page', name: 'Notes', section: 1, timemodified: T });
    const quiz = sb.content.addModule(courseid, { modname: 'quiz', name: 'Check', section: 2, timemodified: T });
    let sections = await contents();
    expect(sections[1].modules).toMatchObject([{ id: page.id, name: 'Notes', modname: 'page', visible: 1,
      url: `${sb.url}/mod/page/view.php?id=${page.id}` }]);
    expect(sections[2].modules.map((m) => m.id)).toEqual([quiz.id]);
    expect((await updatesSince(T - 1)).instances).toEqual([
      { contextlevel: 'module', id: page.id, updates: [{ name: 'configuration', timeupdated: T }] },
      { contextlevel: 'module', id: quiz.id, updates: [{ name: 'configuration', timeupdated: T }] },
    ]);
    expect((await updatesSince(T)).instances).toEqual([]);

    // Renamed through its settings form: the instance changes, so the rename is an update.
    sb.content.updateModule(page.id, { name: 'Notes (week 1)', timemodified: T + 10 });
    expect((await contents())[1].modules[0].name).toBe('Notes (week 1)');
    expect((await updatesSince(T)).instances).toEqual([
      { contextlevel: 'module', id: page.id, updates: [{ name: 'configuration', timeupdated: T + 10 }] },
    ]);

    // Hidden by the eye icon: listed as hidden, and not an update (as on a real site).
    sb.content.updateModule(quiz.id, { visible: false });
    expect((await contents())[2].modules[0].visible).toBe(0);
    expect((await updatesSince(T + 10)).instances).toEqual([]);

    // Deleted: gone from the listing and from the updates; checking it by id is a warning.
    sb.content.deleteModule(page.id);
    sections = await contents();
    expect(sections[1].modules).toEqual([]);
    expect((await updatesSince(T - 1)).instances.map((i) => i.id)).toEqual([quiz.id]);
    const checked = (await call('core_course_check_updates', `courseid=${courseid}` +
      `&tocheck[0][contextlevel]=module&tocheck[0][id]=${page.id}&tocheck[0][since]=${T - 1}` +
      `&tocheck[1][contextlevel]=course&tocheck[1][id]=${courseid}&tocheck[1][since]=0`)) as Updates;
    expect(checked).toEqual({ instances: [], warnings: [
      { item: 'module', itemid: page.id, warningcode: 'cmidnotincourse', message: 'This module id does not belong to this course.' },
      { item: 'context', itemid: courseid, warningcode: 'contextlevelnotsupported', message: 'Context level not yet supported course' },
    ] });
  });

  test('get_contents options: excludemodules, modname, cmid, sectionnumber; an unknown option is refused', async () => {
    const forum = sb.content.addModule(courseid, { modname: 'forum', name: 'Talk', section: 3 });
    const label = sb.content.addModule(courseid, { modname: 'label', name: 'Read me', intro: '<p>Hi</p>', section: 3 });
    expect((await contents('&options[0][name]=excludemodules&options[0][value]=1')).every((s) => s.modules.length === 0))
      .toBe(true);
    const onlyForums = await contents('&options[0][name]=modname&options[0][value]=forum');
    expect(onlyForums.flatMap((s) => s.modules.map((m) => m.id))).toEqual([forum.id]);
    const one = await contents(`&options[0][name]=cmid&options[0][value]=${label.id}`);
    expect(one.flatMap((s) => s.modules)).toMatchObject([{ id: label.id, modname: 'label' }]);
    // A label has no page of its own: no url, its text as the description.
    expect(one.flatMap((s) => s.modules)[0]).toMatchObject({ noviewlink: true, description: '<p>Hi</p>' });
    expect(one.flatMap((s) => s.modules)[0]).not.toHaveProperty('url');
    expect((await contents('&options[0][name]=sectionnumber&options[0][value]=3')).map((s) => s.section)).toEqual([3]);
    expect(await contents('&options[0][name]=bogus&options[0][value]=1')).toEqual({
      exception: 'core\\exception\\moodle_exception', errorcode: 'errorinvalidparam', message: 'The param "bogus" is invalid.',
    });
  });

  test('every content change bumps the course\'s cacherev (what core_course_get_courses_by_field shows), enrolments do not', async () => {
    const cacherev = async () => ((await call('core_course_get_courses_by_field', `field=id&value=${courseid}`)) as
      { courses: { cacherev: number }[] }).courses[0].cacherev;
    const url = sb.content.addModule(courseid, { modname: 'url', name: 'Link', section: 2, settings: { externalurl: 'https://example.org/a' } });
    let before = await cacherev();
    sb.content.updateModule(url.id, { visible: false });
    expect(await cacherev()).not.toBe(before);
    before = await cacherev();
    sb.content.moveModule(url.id, 3);
    expect(await cacherev()).not.toBe(before);
    before = await cacherev();
    sb.content.updateSection(courseid, 3, { name: 'Week three' });
    expect(await cacherev()).not.toBe(before);
    before = await cacherev();
    expect(await call('enrol_manual_enrol_users', `enrolments[0][roleid]=5&enrolments[0][userid]=2&enrolments[0][courseid]=${courseid}`))
      .toBeNull();
    expect(await cacherev()).toBe(before);
    const section3 = (await contents())[3];
    expect(section3.name).toBe('Week three');
    expect(section3.modules.map((m) => m.id)).toContain(url.id);
    expect(section3.modules.find((m) => m.id === url.id)?.contents).toMatchObject([{ type: 'url', fileurl: 'https://example.org/a' }]);
  });

  test('check_updates filter: only the areas asked for', async () => {
    const assign = sb.content.addModule(courseid, { modname: 'assign', name: 'Essay', section: 1, timemodified: T + 100 });
    sb.content.submit(assign.id, 2, T + 101);
    const check = async (filter: string) => (await call('core_course_check_updates', `courseid=${courseid}` +
      `&tocheck[0][contextlevel]=module&tocheck[0][id]=${assign.id}&tocheck[0][since]=${T + 99}${filter}`)) as Updates;
    expect((await check('')).instances[0].updates.map((u) => u.name)).toEqual(['configuration', 'usersubmissions']);
    expect((await check('&filter[0]=gradeitems')).instances[0].updates.map((u) => u.name)).toEqual(['usersubmissions']);
    const bySection = (await call('core_course_get_courses_by_field',
      `field=sectionid&value=${sb.content.sections(courseid)[1].id}`)) as { courses: { id: number }[] };
    expect(bySection.courses.map((c) => c.id)).toEqual([courseid]);
  });

  test('a deleted course takes its content and question bank with it', async () => {
    const [gone] = (await call('core_course_create_courses',
      'courses[0][fullname]=Gone&courses[0][shortname]=GONE&courses[0][categoryid]=1&courses[0][numsections]=1')) as { id: number }[];
    const quiz = sb.content.addModule(gone.id, { modname: 'quiz', name: 'Q', section: 1 });
    const bank = sb.content.addQuestionCategory(courseContextId(gone.id), 'Bank');
    sb.content.addQuizSlot(quiz.id, sb.content.addQuestion(bank.id, { name: 'Q1', qtype: 'truefalse' }).id);
    expect(await call('core_course_delete_courses', `courseids[0]=${gone.id}`)).toEqual({ warnings: [] });
    expect(sb.content.sections(gone.id)).toEqual([]);
    expect(sb.content.module(quiz.id)).toBeUndefined();
    expect(sb.content.questionCategory(bank.id)).toBeUndefined();
    expect(sb.content.quizQuestions(quiz.instance)).toEqual([]);
  });

  test('ids are never reused: a module added after the newest was deleted gets a new cmid and instance', () => {
    const last = sb.content.addModule(courseid, { modname: 'choice', name: 'Vote' });
    sb.content.deleteModule(last.id);
    const next = sb.content.addModule(courseid, { modname: 'choice', name: 'Vote again' });
    expect(next.id).toBeGreaterThan(last.id);
    expect(next.instance).toBeGreaterThan(last.instance);
  });

  test('an unknown course is a missing record', async () => {
    const r = (await call('core_course_get_contents', 'courseid=999999')) as { errorcode: string };
    expect(r.errorcode).toBe('invalidrecord');
  });

  test('content reads are counted and pay the per-call cost like every call', async () => {
    sb.stats.reset();
    await contents();
    await updatesSince(0);
    expect(sb.stats.byFunction).toEqual({ core_course_get_contents: 1, core_course_get_updates_since: 1 });
    expect(sb.stats.writeCalls).toBe(0);
    expect(sb.stats.paidMs).toBe(2);
  });
});
