import { describe, expect, it } from '@jest/globals';
import { expectReplay, recordedCasesOf, type ContractCaseOf } from '../../test/moodle-contract.js';
import { GRADE_FUNCTIONS, getActivitiesCompletionStatus, getCourseCompletionStatus, getGradeItems } from './grades.js';

const usergrades = (r: unknown) => (r as { usergrades: unknown }).usergrades;
const completionstatus = (r: unknown) => (r as { completionstatus: unknown }).completionstatus;
const statuses = (r: unknown) => (r as { statuses: unknown }).statuses;

const CASES: ContractCaseOf[] = [
  ['110_grade_items', (c, o) => getGradeItems(c, o.courseid as number, o.userid as number), usergrades],
  ['111_course_completion_status', (c, o) => getCourseCompletionStatus(c, o.courseid as number, o.userid as number)],
  ['2026-12/187_grade_items_whole_course', (c, o) => getGradeItems(c, o.courseid as number), usergrades],
  ['2026-12/188_grade_items_one_user', (c, o) => getGradeItems(c, o.courseid as number, o.userid as number), usergrades],
  ['2026-12/190_course_completion_status_complete', (c, o) => getCourseCompletionStatus(c, o.courseid as number, o.userid as number), completionstatus],
  ['2026-12/192_course_completion_status_no_criteria', (c, o) => getCourseCompletionStatus(c, o.courseid as number, o.userid as number)],
  ['2026-12/193_activities_completion_status', (c, o) => getActivitiesCompletionStatus(c, o.courseid as number, o.userid as number), statuses],
];

describe('grade and completion wrappers against the recorded contract', () => {
  it('cover every recorded case of GRADE_FUNCTIONS in contract/', () => {
    const covered = CASES.map(([name]) => name).filter((n) => !n.includes('/'));
    expect(covered.sort()).toEqual(recordedCasesOf(GRADE_FUNCTIONS).sort());
  });
  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);
});
