import { describe, expect, it } from '@jest/globals';
import { cannedCaller, countedLeaves, expectReplay, nothing, recordedCasesOf, recordedLeaves, same, warningsOf, type ContractCaseOf } from '../../test/moodle-contract.js';
import { encodeForm } from './encode.js';
import { ProtocolError } from './errors.js';
import {
  COURSE_FUNCTIONS,
  categoryLeaves,
  courseLeaves,
  createCategories,
  createCourses,
  deleteCourses,
  duplicateCourse,
  getCategories,
  getCoursesByField,
  getCoursesByIds,
  updateCategories,
  updateCourses,
} from './courses.js';

/* ---- recorded contract cases, replayed through the real encoder ---- */

const CASES: ContractCaseOf[] = [
  ['41_create_category', (c, o) => createCategories(c, o.categories as never), same],
  ['42_create_category_nested', (c, o) => createCategories(c, o.categories as never), same],
  ['43_create_category_duplicate_idnumber', (c, o) => createCategories(c, o.categories as never), same],
  ['44_create_category_nonexistent_parent', (c, o) => createCategories(c, o.categories as never), same],
  ['45_create_categories_batch_second_invalid', (c, o) => createCategories(c, o.categories as never), same],
  ['46_get_categories_by_idnumber', (c, o) => getCategories(c, o.criteria as never, o.addsubcategories === 1), same],
  ['47_get_categories_by_idnumber_notfound', (c, o) => getCategories(c, o.criteria as never), same],
  ['48_update_category', (c, o) => updateCategories(c, o.categories as never), nothing],
  ['49_create_courses_ok', (c, o) => createCourses(c, o.courses as never), same],
  ['50_create_course_duplicate_shortname', (c, o) => createCourses(c, o.courses as never), same],
  ['51_create_course_duplicate_idnumber', (c, o) => createCourses(c, o.courses as never), same],
  ['52_create_course_nonexistent_category', (c, o) => createCourses(c, o.courses as never), same],
  ['53_create_course_missing_categoryid', (c, o) => createCourses(c, o.courses as never), same],
  ['54_create_courses_batch_second_invalid', (c, o) => createCourses(c, o.courses as never), same],
  ['55_get_courses_by_field_idnumber', (c, o) => getCoursesByField(c, o.field as never, o.value as string), same],
  ['56_get_courses_by_field_idnumber_notfound', (c, o) => getCoursesByField(c, o.field as never, o.value as string), same],
  ['57_get_courses_by_field_shortname', (c, o) => getCoursesByField(c, o.field as never, o.value as string), same],
  ['60_update_courses_batch_one_bad', (c, o) => updateCourses(c, o.courses as never), warningsOf],
  ['114_duplicate_course', (c, o) => duplicateCourse(c, o as never), same],
  ['115_delete_courses_nonexistent', (c, o) => deleteCourses(c, o.courseids as never), warningsOf],
  ['125_nodebug_create_course_duplicate_shortname', (c, o) => createCourses(c, o.courses as never), same],
];

describe('course wrappers against the recorded contract', () => {
  it('cover every recorded case of COURSE_FUNCTIONS', () => {
    expect(CASES.map(([name]) => name).sort()).toEqual(recordedCasesOf(COURSE_FUNCTIONS).sort());
  });

  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);

  it('per-record leaf counters add up to the recorded bodies (minus the 3 control pairs)', () => {
    for (const name of ['41_create_category', '45_create_categories_batch_second_invalid', '48_update_category']) {
      expect(countedLeaves(name, 'categories', categoryLeaves)).toBe(recordedLeaves(name));
    }
    for (const name of ['49_create_courses_ok', '60_update_courses_batch_one_bad']) {
      expect(countedLeaves(name, 'courses', courseLeaves)).toBe(recordedLeaves(name));
    }
  });
});

/* ---- behaviour beyond the recordings ---- */

describe('course wrappers', () => {
  it('create calls throw ProtocolError when Moodle answers with fewer items than were sent', async () => {
    const cats = [{ name: 'A' }, { name: 'B' }];
    await expect(createCategories(cannedCaller([{ id: 1, name: 'A' }]), cats)).rejects.toThrow(ProtocolError);
    await expect(createCategories(cannedCaller(null), cats)).rejects.toThrow(/core_course_create_categories: sent 2 categories, Moodle answered with no list/);
    const courses = [{ fullname: 'A', shortname: 'A', categoryid: 1 }, { fullname: 'B', shortname: 'B', categoryid: 1 }];
    await expect(createCourses(cannedCaller([{ id: 1, shortname: 'A' }]), courses)).rejects.toThrow(/sent 2 courses, Moodle answered with 1 courses/);
  });

  it('list calls make no request for an empty list (Moodle would refuse the missing key)', async () => {
    const c = cannedCaller();
    await expect(createCategories(c, [])).resolves.toEqual([]);
    await expect(updateCategories(c, [])).resolves.toBeUndefined();
    await expect(createCourses(c, [])).resolves.toEqual([]);
    await expect(updateCourses(c, [])).resolves.toEqual([]);
    await expect(deleteCourses(c, [])).resolves.toEqual([]);
    expect(c.calls).toEqual([]);
  });

  it('getCategories sends addsubcategories=0 by default and turns null into []', async () => {
    const c = cannedCaller(null);
    await expect(getCategories(c, [{ key: 'idnumber', value: 'X' }])).resolves.toEqual([]);
    expect(encodeForm('T', ...c.calls[0])).toBe(
      'wstoken=T&wsfunction=core_course_get_categories&moodlewsrestformat=json&criteria%5B0%5D%5Bkey%5D=idnumber&criteria%5B0%5D%5Bvalue%5D=X&addsubcategories=0',
    );
    const d = cannedCaller([]);
    await getCategories(d, [{ key: 'id', value: 5 }], true);
    expect(d.calls[0]).toEqual(['core_course_get_categories', { criteria: [{ key: 'id', value: 5 }], addsubcategories: true }]);
  });

  it('getCoursesByField joins ids, and never asks for an empty idnumber or shortname (it would match every course without one)', async () => {
    const c = cannedCaller({ courses: [{ id: 6 }] }, { courses: [] });
    await expect(getCoursesByField(c, 'ids', [6, 7])).resolves.toEqual({ courses: [{ id: 6 }], warnings: [] });
    await expect(getCoursesByField(c, 'idnumber', '')).resolves.toEqual({ courses: [], warnings: [] });
    await expect(getCoursesByField(c, 'shortname', '')).resolves.toEqual({ courses: [], warnings: [] });
    await expect(getCoursesByField(c, 'ids', [])).resolves.toEqual({ courses: [], warnings: [] });
    await getCoursesByField(c, '');
    expect(c.calls.map(([fn, p]) => encodeForm('T', fn, p).split('json&')[1])).toEqual(['field=ids&value=6%2C7', 'field=']);
  });

  it('updateCourses and deleteCourses accept a reply without warnings', async () => {
    await expect(updateCourses(cannedCaller(null), [{ id: 1, fullname: 'x' }])).resolves.toEqual([]);
    await expect(deleteCourses(cannedCaller({}), [1])).resolves.toEqual([]);
  });

  it('duplicateCourse sends booleans as 1/0', async () => {
    const c = cannedCaller({ id: 9, shortname: 'C' });
    await duplicateCourse(c, { courseid: 6, fullname: 'C', shortname: 'C', categoryid: 2, visible: false, options: [{ name: 'users', value: true }] });
    expect(encodeForm('T', ...c.calls[0]).split('json&')[1]).toBe(
      'courseid=6&fullname=C&shortname=C&categoryid=2&visible=0&options%5B0%5D%5Bname%5D=users&options%5B0%5D%5Bvalue%5D=1',
    );
  });

  it('COURSE_FUNCTIONS names every wrapped function', () => {
    expect([...COURSE_FUNCTIONS].sort()).toEqual(
      [
        'core_course_create_categories',
        'core_course_create_courses',
        'core_course_delete_courses',
        'core_course_duplicate_course',
        'core_course_get_categories',
        'core_course_get_courses_by_field',
        'core_course_update_categories',
        'core_course_update_courses',
      ].sort(),
    );
  });
});

describe('getCoursesByIds against the recorded 2026-12 cases', () => {
  const byIds = (c: Parameters<typeof getCoursesByIds>[0], o: Record<string, unknown>) => getCoursesByIds(c, String(o.value).split(',').map(Number));
  it.each([
    ['2026-12/147_get_courses_by_field_ids', (r: unknown) => (r as { courses: unknown[] }).courses],
    // In the order of the ids list, not sorted.
    ['2026-12/149_get_courses_by_field_ids_unsorted', (r: unknown) => (r as { courses: unknown[] }).courses],
    // One unknown id: Moodle's PHP Error (no errorcode) is null, so the caller splits the list.
    ['2026-12/150_get_courses_by_field_ids_one_nonexistent', () => null],
  ] as const)('%s: same request body byte for byte, recorded reply understood', (name, expected) => expectReplay(name, byIds, expected));

  it('an empty list makes no call', async () => {
    const c = cannedCaller();
    await expect(getCoursesByIds(c, [])).resolves.toEqual([]);
    expect(c.calls).toEqual([]);
  });
});
