/** Typed wrappers of the core_course_* web-service functions (courses and categories). */
import { countFormVars } from './encode.js';
import { expectOnePerRecord } from './replies.js';
import type {
  CategoryCriteriaKey,
  CourseLookupField,
  CreateCategoryInput,
  CreateCourseInput,
  DuplicateCourseInput,
  MoodleCaller,
  MoodleCategory,
  MoodleCourse,
  MoodleWarning,
  UpdateCategoryInput,
  UpdateCourseInput,
} from './types.js';

/** The course and category wsfunctions this module wraps (its tests check each against the recorded cases). What a run needs is
 * declared per entity type in its definition (src/entities/<type>/index.ts): `run` and `doctor` check the token's service against that list. */
export const COURSE_FUNCTIONS: string[] = [
  'core_course_create_categories',
  'core_course_get_categories',
  'core_course_update_categories',
  'core_course_create_courses',
  'core_course_update_courses',
  'core_course_get_courses_by_field',
  'core_course_delete_courses',
  'core_course_duplicate_course',
];

/** The wsfunctions a categories run calls (a subset of COURSE_FUNCTIONS); the categories definition names it for `run` and `doctor`. */
export const CATEGORY_FUNCTIONS: string[] = [
  'core_webservice_get_site_info',
  'core_course_create_categories',
  'core_course_get_categories',
  'core_course_update_categories',
];

/** Leaves one record adds to a `{categories: [...]}` call. */
export const categoryLeaves = (input: CreateCategoryInput | UpdateCategoryInput): number => countFormVars({ c: input });

/** Leaves one record adds to a `{courses: [...]}` call. */
export const courseLeaves = (input: CreateCourseInput | UpdateCourseInput): number => countFormVars({ c: input });

/**
 * All or nothing: one bad record (idnumber taken, unknown parent) rolls the whole call back. Answers [{id, name}]
 * in input order; a shorter reply is a ProtocolError. An empty list makes no call.
 */
export async function createCategories(c: MoodleCaller, categories: CreateCategoryInput[]): Promise<{ id: number; name: string }[]> {
  if (categories.length === 0) return [];
  const reply = await c.call<unknown>('core_course_create_categories', { categories });
  return expectOnePerRecord<{ id: number; name: string }>('core_course_create_categories', 'categories', categories.length, reply);
}

/**
 * Searches with AND-ed criteria. `addsubcategories` is sent explicitly and defaults to false here (Moodle's
 * default, true, also returns every descendant of a match).
 */
export async function getCategories(
  c: MoodleCaller,
  criteria: { key: CategoryCriteriaKey; value: string | number }[],
  addsubcategories = false,
): Promise<MoodleCategory[]> {
  const reply = await c.call<MoodleCategory[] | null>('core_course_get_categories', { criteria, addsubcategories });
  return reply ?? [];
}

/** Returns nothing (the body is null); one bad record fails the call. An empty list makes no call. */
export async function updateCategories(c: MoodleCaller, categories: UpdateCategoryInput[]): Promise<void> {
  if (categories.length === 0) return;
  await c.call<null>('core_course_update_categories', { categories });
}

/**
 * All or nothing (shortnametaken, courseidnumbertaken, errorcatcontextnotvalid …). Answers [{id, shortname}] in
 * input order; a shorter reply is a ProtocolError. An empty list makes no call.
 */
export async function createCourses(c: MoodleCaller, courses: CreateCourseInput[]): Promise<{ id: number; shortname: string }[]> {
  if (courses.length === 0) return [];
  const reply = await c.call<unknown>('core_course_create_courses', { courses });
  return expectOnePerRecord<{ id: number; shortname: string }>('core_course_create_courses', 'courses', courses.length, reply);
}

/** Record by record, no transaction: failures come back as warnings (item 'course', itemid = course id). */
export async function updateCourses(c: MoodleCaller, courses: UpdateCourseInput[]): Promise<MoodleWarning[]> {
  if (courses.length === 0) return [];
  const reply = await c.call<{ warnings?: MoodleWarning[] } | null>('core_course_update_courses', { courses });
  return reply?.warnings ?? [];
}

/**
 * One value per call (`ids` takes several: a list is sent as a comma list). An empty idnumber or shortname
 * would match every course with none, so it makes no call and finds nothing; so does an empty `ids` list.
 */
export async function getCoursesByField(
  c: MoodleCaller,
  field: CourseLookupField,
  value?: string | number | readonly number[],
): Promise<{ courses: MoodleCourse[]; warnings: MoodleWarning[] }> {
  const sent = Array.isArray(value) ? value.join(',') : (value as string | number | undefined);
  if (field !== '' && (sent === undefined || sent === '')) return { courses: [], warnings: [] };
  const reply = await c.call<{ courses?: MoodleCourse[]; warnings?: MoodleWarning[] } | null>('core_course_get_courses_by_field', {
    field,
    value: sent,
  });
  return { courses: reply?.courses ?? [], warnings: reply?.warnings ?? [] };
}

/**
 * Courses by id (field `ids`), in the order asked (contract 2026-12/149). Moodle 4.5 fails the whole call when one id
 * is no course: a PHP Error with no errorcode and no courses (2026-12/150), which this answers as null so the caller
 * can split the list (field `id` answers an unknown id with no course). An empty list makes no call.
 */
export async function getCoursesByIds(c: MoodleCaller, ids: readonly number[]): Promise<MoodleCourse[] | null> {
  if (ids.length === 0) return [];
  const reply = await c.call<{ courses?: MoodleCourse[]; exception?: unknown } | null>('core_course_get_courses_by_field', { field: 'ids', value: ids.join(',') });
  if (reply !== null && typeof reply.exception === 'string') return null;
  return reply?.courses ?? [];
}

/**
 * Not transactional: unknown ids and refusals come back as warnings (unknowncourseidnumber, cannotdeletecourse),
 * and an exception midway leaves earlier courses deleted. Slow: send small batches.
 */
export async function deleteCourses(c: MoodleCaller, courseids: number[]): Promise<MoodleWarning[]> {
  if (courseids.length === 0) return [];
  const reply = await c.call<{ warnings?: MoodleWarning[] } | null>('core_course_delete_courses', { courseids });
  return reply?.warnings ?? [];
}

/** One course per call; a full backup and restore runs inside the request, so give the client a long timeout. */
export function duplicateCourse(c: MoodleCaller, input: DuplicateCourseInput): Promise<{ id: number; shortname: string }> {
  return c.call<{ id: number; shortname: string }>('core_course_duplicate_course', { ...input });
}
