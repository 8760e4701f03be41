/**
 * seedSchool(): a school written straight into the store reads back through the web-service functions as an
 * ordinary site (courses, sections and modules, enrolments with roles, editing teachers, quizzes with questions),
 * and the same seed writes the same school every time.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { postRaw } from '../../test/moodle-contract.js';
import { DEMO_SCHOOL, type SandboxHandle, type SeededSchool, startSandbox } from './server.js';

let sb: SandboxHandle;
let school: SeededSchool;

async function call(fn: string, body: string): Promise<unknown> {
  const r = await postRaw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${body}`);
  return JSON.parse(r.text) as unknown;
}

beforeAll(async () => {
  sb = await startSandbox({ seed: DEMO_SCHOOL });
  school = sb.seedSchool({ categories: 2, courses: 3, modulesPerCourse: 10, students: 7, teachersPerCourse: 2,
    studentsPerCourse: 5, teachers: 2, sectionsPerCourse: 3 });
});

afterAll(async () => {
  await sb.close();
});

describe('seedSchool', () => {
  test('the demo school is there from the start: 3 departments, 12 courses, 120 students', () => {
    expect(sb.categories.list().filter((c) => c.idnumber.startsWith('DEPT')).length).toBe(3 + 2);
    expect(sb.courses.list().length).toBe(1 + 12 + 3);
    expect(sb.users.list().filter((u) => /^s\d{5}$/.test(u.username)).length).toBe(120 + 7);
  });

  test('courses read back with their sections and modules, in turn over the sections', async () => {
    const course = school.courseIds[0];
    const sections = (await call('core_course_get_contents', `courseid=${course}`)) as
      { section: number; modules: { modname: string; name: string }[] }[];
    expect(sections.map((s) => s.section)).toEqual([0, 1, 2, 3]);
    expect(sections[1].modules.map((m) => m.modname)).toEqual(['forum', 'quiz', 'label', 'page']);
    expect(sections.flatMap((s) => s.modules).length).toBe(10);
    expect(school.moduleIds.length).toBe(30);
    const courses = (await call('core_course_get_courses', school.courseIds.map((id, i) => `options[ids][${i}]=${id}`).join('&'))) as
      { shortname: string; numsections: number }[];
    expect(courses.map((c) => c.numsections)).toEqual([3, 3, 3]);
  });

  test('students and editing teachers are enrolled with their roles; the teachers hold moodle/course:update', async () => {
    const course = school.courseIds[1];
    const enrolled = sb.enrolments.of(course);
    expect(enrolled.filter((e) => e.roles.includes(5)).length).toBe(5);
    expect(enrolled.filter((e) => e.roles.includes(3)).map((e) => e.userid)).toEqual(school.teacherIds);
    const editors = (await call('core_enrol_get_enrolled_users', `courseid=${course}` +
      '&options[0][name]=withcapability&options[0][value]=moodle%2Fcourse%3Aupdate&options[1][name]=userfields&options[1][value]=id')) as
      { id: number }[];
    expect(editors.map((u) => u.id)).toEqual(school.teacherIds);
  });

  test('each quiz has two questions in its course\'s bank', async () => {
    const r = (await call('mod_quiz_get_quizzes_by_courses', `courseids[0]=${school.courseIds[2]}`)) as
      { quizzes: { name: string; hasquestions: number; sumgrades: number }[] };
    expect(r.quizzes.map((q) => [q.name, q.hasquestions, q.sumgrades])).toEqual([['Quiz 1', 1, 10]]);
  });

  test('the same seed writes the same school', async () => {
    const again = await startSandbox({ seed: DEMO_SCHOOL });
    try {
      const view = (s: SandboxHandle) => ({
        courses: s.courses.list().slice(1).map((c) => ({ ...c, createdAt: 0, modifiedAt: 0 })),
        users: s.users.list().map((u) => [u.id, u.username, u.firstname, u.lastname, u.idnumber]),
        modules: s.courses.list().map((c) => s.content.modules(c.id)),
      });
      const first = await startSandbox({ seed: DEMO_SCHOOL });
      expect(view(again)).toEqual(view(first));
      await first.close();
    } finally {
      await again.close();
    }
  });
});
