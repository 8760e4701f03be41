/**
 * The sandbox's gradebook and completion beyond the recorded cases: display types and the letter column, mean
 * aggregation, a course-grade completion criterion, and the refusals (a prohibited capability, a suspended student's
 * completion, completion off in the course), each as the Moodle source named in grades.ts and completion.ts answers.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { postRaw } from '../../test/moodle-contract.js';
import { type SandboxHandle, startSandbox } from './server.js';

let sb: SandboxHandle;
let course = 0;
let noCompletion = 0;
const users: number[] = [];
let lab = 0;
let quiz = 0;

async function call(fn: string, body: string): Promise<Record<string, unknown>> {
  const r = await postRaw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${body}`);
  return JSON.parse(r.text) as Record<string, unknown>;
}

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  const made = (await call('core_course_create_courses',
    'courses[0][fullname]=G&courses[0][shortname]=G1&courses[0][categoryid]=1' +
    '&courses[1][fullname]=N&courses[1][shortname]=N1&courses[1][categoryid]=1&courses[1][enablecompletion]=0')) as unknown as { id: number }[];
  [course, noCompletion] = made.map((c) => c.id);
  const people = (await call('core_user_create_users', [0, 1].map((i) =>
    `users[${i}][username]=g${i}&users[${i}][password]=Passw0rd!x&users[${i}][firstname]=G&users[${i}][lastname]=U${i}` +
    `&users[${i}][email]=g${i}%40example.com`).join('&'))) as unknown as { id: number }[];
  users.push(...people.map((p) => p.id));
  await call('enrol_manual_enrol_users', `enrolments[0][roleid]=5&enrolments[0][userid]=${users[0]}&enrolments[0][courseid]=${course}` +
    `&enrolments[1][roleid]=5&enrolments[1][userid]=${users[1]}&enrolments[1][courseid]=${course}&enrolments[1][suspend]=1` +
    `&enrolments[2][roleid]=5&enrolments[2][userid]=${users[0]}&enrolments[2][courseid]=${noCompletion}`);
  lab = sb.content.addModule(course, { modname: 'assign', name: 'Lab', grade: 100 }).id;
  quiz = sb.content.addModule(course, { modname: 'quiz', name: 'Quiz', grade: 10 }).id;
  sb.grades.set(lab, users[0], 91, { time: 1000 });
  sb.grades.set(quiz, users[0], 5, { time: 2000 });
});

afterAll(async () => {
  await sb.close();
});

type Items = { usergrades: { gradeitems: Record<string, unknown>[] }[] };
const total = async (userid: number) => {
  const r = (await call('gradereport_user_get_grade_items', `courseid=${course}&userid=${userid}`)) as unknown as Items;
  return r.usergrades[0].gradeitems.find((i) => i.itemtype === 'course')!;
};

describe('grade display and aggregation', () => {
  test('natural: the sum out of the graded maxima; the letter column when the course shows it; letters as the display', async () => {
    expect(await total(users[0])).toMatchObject({ graderaw: 96, grademax: 110, gradeformatted: '96.00', percentageformatted: '87.27 %' });
    expect(await total(users[0])).not.toHaveProperty('lettergradeformatted');
    sb.grades.display(course, { letterColumn: true });
    expect(await total(users[0])).toMatchObject({ lettergradeformatted: 'B+' });
    sb.grades.display(course, { type: 'letter', letterColumn: false });
    expect(await total(users[0])).toMatchObject({ gradeformatted: 'B+' });
    sb.grades.display(course, { type: 'real' });
  });

  test('mean of grades: the normalised grades averaged, out of 100; each graded item weighs the same', async () => {
    sb.grades.aggregation(course, 'mean');
    const r = (await call('gradereport_user_get_grade_items', `courseid=${course}&userid=${users[0]}`)) as unknown as Items;
    const [labRow, quizRow, totalRow] = r.usergrades[0].gradeitems;
    expect(totalRow).toMatchObject({ graderaw: 70.5, grademax: 100, gradedategraded: 2000 });
    expect([labRow.weightraw, quizRow.weightraw]).toEqual([0.5, 0.5]);
    sb.grades.aggregation(course, 'natural');
  });
});

describe('completion criteria', () => {
  test('a course grade criterion: met once the total reaches it, at the time it was graded', async () => {
    sb.completion.criteria(course, { grade: 95 });
    expect(sb.completion.timecompleted(course, users[0])).toBeNull();
    sb.grades.set(quiz, users[0], 6, { time: 3000 });
    expect(sb.completion.timecompleted(course, users[0])).toBe(3000);
    const r = await call('core_completion_get_course_completion_status', `courseid=${course}&userid=${users[0]}`);
    expect(r.completionstatus).toMatchObject({
      completed: true, aggregation: 1,
      completions: [{ type: 6, title: 'Course grade', status: '97% (95% required)', complete: true, timecompleted: 3000,
        details: { type: 'Course grade', criteria: 'Required course grade', requirement: '95%', status: '97%' } }],
    });
  });

  test('a suspended student has no completion: usernotenroled; completion off in the course: cannotviewreport', async () => {
    expect(await call('core_completion_get_course_completion_status', `courseid=${course}&userid=${users[1]}`)).toEqual({
      exception: 'core\\exception\\moodle_exception', errorcode: 'usernotenroled', message: 'User is not enrolled in this course',
    });
    expect(await call('core_completion_get_course_completion_status', `courseid=${noCompletion}&userid=${users[0]}`)).toMatchObject({
      errorcode: 'cannotviewreport',
    });
  });
});

describe('refusals', () => {
  test('a prohibited moodle/grade:viewall: the whole course is refused, one user is nopermissiontoviewgrades', async () => {
    sb.grades.prohibit(noCompletion, 'moodle/grade:viewall');
    expect(await call('gradereport_user_get_grade_items', `courseid=${noCompletion}`)).toEqual({
      exception: 'core\\exception\\required_capability_exception', errorcode: 'nopermissions',
      message: 'Sorry, but you do not currently have permissions to do that (View grades of other users).',
    });
    expect(await call('gradereport_user_get_grade_items', `courseid=${noCompletion}&userid=${users[0]}`)).toMatchObject({
      errorcode: 'nopermissiontoviewgrades',
    });
    expect(await call('gradereport_user_get_grade_items', 'courseid=999999')).toMatchObject({ errorcode: 'invalidrecord' });
  });
});
