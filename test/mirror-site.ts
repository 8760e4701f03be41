/** A small known site for the mirror's tests, made through the web services and the sandbox's content store. */
import { addCohortMembers, createCohorts } from '../src/moodle/cohorts.js';
import { createCategories, createCourses } from '../src/moodle/courses.js';
import { enrolUsers } from '../src/moodle/enrol.js';
import { addGroupMembers, createGroups } from '../src/moodle/groups.js';
import type { MoodleCaller } from '../src/moodle/types.js';
import { createUsers } from '../src/moodle/users.js';
import type { SiteView } from '../src/sandbox/site-view.js';

type SiteWithContent = Pick<SiteView, 'content'>;

export interface MirrorSite {
  users: Record<string, number>;
  courses: Record<string, number>;
  category: number;
  cohort: number;
  group: number;
  page: number;
  forum: number;
  quiz: number;
  /** The course question bank's category, its context, and its questions by name. */
  questionCategory: { categoryid: number; contextid: number };
  questions: Record<string, number>;
}

/**
 * A small site: a category, two courses with modules (a quiz of two questions in Biology, whose question bank holds
 * a third), four users, enrolments with roles, a group, a cohort.
 */
export async function seedMirrorSite(sb: SiteWithContent, c: MoodleCaller): Promise<MirrorSite> {
  const [cat] = await createCategories(c, [{ name: 'Sciences', idnumber: 'SCI' }]);
  const made = await createCourses(c, [
    { fullname: 'Biology', shortname: 'BIO', categoryid: cat.id, idnumber: 'BIO-1' },
    { fullname: 'Chemistry', shortname: 'CHE', categoryid: cat.id, idnumber: 'CHE-1' },
  ]);
  const courses = Object.fromEntries(made.map((x) => [x.shortname, x.id]));
  const person = (n: string) => ({ username: n, firstname: n, lastname: 'Test', email: `${n}@example.com`, password: 'Passw0rd!', idnumber: n.toUpperCase() });
  const created = await createUsers(c, ['ann', 'bob', 'cat', 'dan'].map(person));
  const users = Object.fromEntries(created.map((u) => [u.username, u.id]));
  await enrolUsers(c, [
    { roleid: 5, userid: users.ann, courseid: courses.BIO },
    { roleid: 5, userid: users.bob, courseid: courses.BIO },
    { roleid: 3, userid: users.cat, courseid: courses.BIO },
    { roleid: 5, userid: users.dan, courseid: courses.CHE },
  ]);
  const [group] = await createGroups(c, [{ courseid: courses.BIO, name: 'Lab A', description: '' }]);
  await addGroupMembers(c, [{ groupid: group.id, userid: users.ann }]);
  const [cohort] = await createCohorts(c, [{ categorytype: { type: 'system', value: '' }, name: 'Year 1', idnumber: 'Y1' }]);
  await addCohortMembers(c, [{ cohortid: cohort.id, userid: users.bob }]);
  const page = sb.content.addModule(courses.BIO, { modname: 'page', name: 'Cell notes', section: 1 }).id;
  const forum = sb.content.addModule(courses.BIO, { modname: 'forum', name: 'Discussion', section: 2 }).id;
  sb.content.addModule(courses.CHE, { modname: 'page', name: 'Atoms', section: 1 });
  const quiz = sb.content.addModule(courses.BIO, { modname: 'quiz', name: 'Cells quiz', section: 2, grade: 10 }).id;
  // The course context's id as the sandbox derives it (accesslib.ts: course id + 40).
  const contextid = courses.BIO + 40;
  const bank = sb.content.addQuestionCategory(contextid, 'Default for BIO');
  const q1 = sb.content.addQuestion(bank.id, { name: 'Q1 cell parts', qtype: 'shortanswer' });
  const q2 = sb.content.addQuestion(bank.id, { name: 'Q2 true or false', qtype: 'truefalse' });
  const q3 = sb.content.addQuestion(bank.id, { name: 'Q3 bank only', qtype: 'truefalse' });
  sb.content.addQuizSlot(quiz, q1.id);
  sb.content.addQuizSlot(quiz, q2.id);
  return {
    users, courses, category: cat.id, cohort: cohort.id, group: group.id, page, forum, quiz,
    questionCategory: { categoryid: bank.id, contextid },
    questions: { q1: q1.id, q2: q2.id, q3: q3.id },
  };
}

