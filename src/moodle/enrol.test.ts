import { describe, expect, it } from '@jest/globals';
import { cannedCaller, countedLeaves, expectReplay, nothing, recordedCasesOf, recordedLeaves, same, type ContractCaseOf } from '../../test/moodle-contract.js';
import { encodeForm } from './encode.js';
import { ENROL_FUNCTIONS, enrolUsers, enrolmentLeaves, getCourseEnrolmentMethods, getEnrolledUsers, getUsersCourses, unenrolUsers } from './enrol.js';

/* ---- recorded contract cases, replayed through the real encoder ---- */

const CASES: ContractCaseOf[] = [
  ['59_course_enrolment_methods', (c, o) => getCourseEnrolmentMethods(c, o.courseid as number), same],
  ['61_enrol_student', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['62_enrol_editingteacher', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['63_enrol_nonexistent_course', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['64_enrol_nonexistent_user', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['65_enrol_role_not_assignable', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['66_enrol_batch_second_invalid', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['67_enrol_suspended_with_dates', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['68_enrol_again_same_user_other_role', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['69_enrol_again_unsuspend', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['70_enrol_suspended_user_account', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['71_get_enrolled_users', (c, o) => getEnrolledUsers(c, o.courseid as number, o.options as never), same],
  ['72_get_users_courses', (c, o) => getUsersCourses(c, o.userid as number, o.returnusercount as boolean | undefined), same],
  ['73_unenrol_user_not_enrolled', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  ['74_unenrol_user_ok', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  ['75_unenrol_with_roleid', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  ['76_unenrol_nonexistent_course', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  ['77_unenrol_batch_second_invalid', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  // roleid "student" where an int is expected: the wrapper's types refuse it, the site answers invalidparameter.
  ['121_invalid_param_type', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['126_nodebug_enrol_nonexistent_user', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['129_enrol_suspended_with_dates_dbcheck', (c, o) => enrolUsers(c, o.enrolments as never), nothing],
  ['130_unenrol_batch_valid_then_nonexistent_course', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  ['131_unenrol_suspended_user_account', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
  ['132_unenrol_nonexistent_user', (c, o) => unenrolUsers(c, o.enrolments as never), nothing],
];

describe('enrolment wrappers against the recorded contract', () => {
  it('cover every recorded case of ENROL_FUNCTIONS', () => {
    expect(CASES.map(([name]) => name).sort()).toEqual(recordedCasesOf(ENROL_FUNCTIONS).sort());
  });

  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);

  it('per-record leaf counters add up to the recorded bodies (minus the 3 control pairs)', () => {
    for (const name of ['66_enrol_batch_second_invalid', '67_enrol_suspended_with_dates', '75_unenrol_with_roleid', '77_unenrol_batch_second_invalid']) {
      expect(countedLeaves(name, 'enrolments', enrolmentLeaves)).toBe(recordedLeaves(name));
    }
  });
});

/* ---- behaviour beyond the recordings ---- */

describe('enrolment wrappers', () => {
  it('enrolUsers sends suspend as 1/0 and leaves omitted dates out', async () => {
    const c = cannedCaller(null, null);
    await enrolUsers(c, [{ roleid: 5, userid: 2, courseid: 3, suspend: true }]);
    await enrolUsers(c, [{ roleid: 5, userid: 2, courseid: 3, suspend: false, timestart: 10 }]);
    expect(c.calls.map(([fn, p]) => decodeURIComponent(encodeForm('T', fn, p).split('json&')[1]))).toEqual([
      'enrolments[0][roleid]=5&enrolments[0][userid]=2&enrolments[0][courseid]=3&enrolments[0][suspend]=1',
      'enrolments[0][roleid]=5&enrolments[0][userid]=2&enrolments[0][courseid]=3&enrolments[0][suspend]=0&enrolments[0][timestart]=10',
    ]);
  });

  it('enrol and unenrol make no request for an empty list', async () => {
    const c = cannedCaller();
    await enrolUsers(c, []);
    await unenrolUsers(c, []);
    expect(c.calls).toEqual([]);
  });

  it('getEnrolledUsers sends typed options as name/value pairs (booleans as 1/0), and none by default', async () => {
    const c = cannedCaller([{ id: 1 }], null);
    await expect(
      getEnrolledUsers(c, 6, [
        { name: 'onlyactive', value: true },
        { name: 'userfields', value: 'id,idnumber' },
      ]),
    ).resolves.toEqual([{ id: 1 }]);
    await expect(getEnrolledUsers(c, 7)).resolves.toEqual([]);
    expect(c.calls.map(([fn, p]) => decodeURIComponent(encodeForm('T', fn, p).split('json&')[1]))).toEqual([
      'courseid=6&options[0][name]=onlyactive&options[0][value]=1&options[1][name]=userfields&options[1][value]=id,idnumber',
      'courseid=7',
    ]);
  });

  it('getUsersCourses sends returnusercount only when given, and reads methods/null replies as []', async () => {
    const c = cannedCaller(null, null);
    await expect(getUsersCourses(c, 26, false)).resolves.toEqual([]);
    await expect(getCourseEnrolmentMethods(c, 6)).resolves.toEqual([]);
    expect(encodeForm('T', ...c.calls[0]).split('json&')[1]).toBe('userid=26&returnusercount=0');
  });

  it('ENROL_FUNCTIONS names every wrapped function', () => {
    expect([...ENROL_FUNCTIONS].sort()).toEqual(
      [
        'core_enrol_get_course_enrolment_methods',
        'core_enrol_get_enrolled_users',
        'core_enrol_get_users_courses',
        'enrol_manual_enrol_users',
        'enrol_manual_unenrol_users',
      ].sort(),
    );
  });
});
