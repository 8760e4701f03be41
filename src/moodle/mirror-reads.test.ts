/** The wrappers the mirror reads Moodle with, against the recorded cases 177–186 and 194–196 (contract/2026-12/). */
import { describe, expect, it } from '@jest/globals';
import { cannedCaller, expectReplay, same, type ContractCaseOf } from '../../test/moodle-contract.js';
import { checkUpdates, getContents, getCourses, getUpdatesSince, searchCourses } from './content.js';
import { getEnrolledUsers } from './enrol.js';
import { getQuizzesByCourses, getRandomQuestionSummaries } from './quiz.js';
import { getUsers, getUsersByField } from './users.js';

const withWarnings = (r: unknown) => ({ warnings: [], ...(r as object) });

const CASES: ContractCaseOf[] = [
  ['2026-12/177_get_contents_with_activities', (c, o) => getContents(c, o.courseid as number), same],
  ['2026-12/178_get_courses_by_ids', (c, o) => getCourses(c, (o.options as { ids: number[] }).ids), same],
  ['2026-12/179_search_courses_by_name', (c, o) => searchCourses(c, o.criterianame as string, o.criteriavalue as string, o.page as number, o.perpage as number), same],
  ['2026-12/180_get_updates_since', (c, o) => getUpdatesSince(c, o.courseid as number, o.since as number), same],
  ['2026-12/181_check_updates', (c, o) => checkUpdates(c, o.courseid as number, o.tocheck as never), same],
  ['2026-12/182_get_enrolled_users_userfields_onlyactive', (c, o) => getEnrolledUsers(c, o.courseid as number, o.options as never), same],
  ['2026-12/183_get_enrolled_users_withcapability_course_update', (c, o) => getEnrolledUsers(c, o.courseid as number, o.options as never), same],
  ['2026-12/184_get_users_criteria_idnumber_r2', (c, o) => getUsers(c, o.criteria as never), withWarnings],
  ['2026-12/185_get_users_criteria_email_r2', (c, o) => getUsers(c, o.criteria as never), withWarnings],
  ['2026-12/186_get_users_by_field_200_ids', (c, o) => getUsersByField(c, o.field as never, (o.values as unknown[]).map(String)), same],
  ['2026-12/194_quizzes_by_courses', (c, o) => getQuizzesByCourses(c, o.courseids as number[]), same],
  [
    '2026-12/195_question_summaries_course_bank',
    (c, o) => getRandomQuestionSummaries(c, { categoryid: o.categoryid as number, contextid: o.contextid as number, includesubcategories: true }),
    same,
  ],
  // Without tagids Moodle refuses the call (invalidparameter): the wrapper never sends that body, this is the raw call.
  ['2026-12/196_question_summaries_without_tagids', (c, o) => c.call('core_question_get_random_question_summaries', o), same],
];

describe('mirror read wrappers against the recorded contract', () => {
  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);
});

describe('mirror read wrappers beyond the recordings', () => {
  it('getCourses without ids asks for every course; checkUpdates and getQuizzesByCourses make no call for nothing', async () => {
    const c = cannedCaller([{ id: 1 }]);
    await expect(getCourses(c)).resolves.toEqual([{ id: 1 }]);
    expect(c.calls).toEqual([['core_course_get_courses', {}]]);
    await expect(checkUpdates(c, 9, [])).resolves.toEqual({ instances: [], warnings: [] });
    await expect(getQuizzesByCourses(c, [])).resolves.toEqual({ quizzes: [], warnings: [] });
    expect(c.calls).toHaveLength(1);
  });

  it('question summaries send tagids[0]=0 for no tag filter (an empty list cannot be written in a form body)', async () => {
    const c = cannedCaller({ totalcount: 0, questions: [] });
    await getRandomQuestionSummaries(c, { categoryid: 4, contextid: 50, tagids: [] });
    expect(c.calls[0][1]).toEqual({ categoryid: 4, includesubcategories: true, tagids: [0], contextid: 50, limit: 0, offset: 0 });
  });

  it('null replies become empty answers', async () => {
    const c = cannedCaller(null, null, null);
    await expect(getContents(c, 3)).resolves.toEqual([]);
    await expect(getUpdatesSince(c, 3, 0)).resolves.toEqual({ instances: [], warnings: [] });
    await expect(getRandomQuestionSummaries(c, { categoryid: 1, contextid: 1 })).resolves.toEqual({ totalcount: 0, questions: [] });
  });
});
