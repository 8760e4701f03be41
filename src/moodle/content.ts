/**
 * Typed wrappers of the read-only course functions the mirror uses: a course's content (core_course_get_contents),
 * what changed in a course since a time (core_course_get_updates_since, core_course_check_updates), and the course
 * lists (core_course_get_courses, core_course_search_courses). Shapes from the recorded cases 177–181.
 */
import type { MoodleCaller, MoodleWarning } from './types.js';

/** A module of core_course_get_contents (fields the mirror reads; Moodle sends more). */
export interface ContentModule {
  id: number;
  url?: string;
  name: string;
  instance: number;
  contextid?: number;
  visible: number;
  uservisible?: boolean;
  visibleoncoursepage: number;
  modname: string;
  completion?: number;
  indent?: number;
  groupmode?: number;
  /** Files of resources and pages: their own timemodified (not the module's settings). */
  contents?: { type: string; filename: string; timemodified: number | null; [k: string]: unknown }[];
  contentsinfo?: { filescount: number; filessize: number; lastmodified: number; [k: string]: unknown };
  [k: string]: unknown;
}

/** A section of core_course_get_contents. */
export interface ContentSection {
  id: number;
  name: string;
  visible: number;
  summary: string;
  summaryformat: number;
  /** The section number (0 is General). */
  section: number;
  uservisible?: boolean;
  modules: ContentModule[];
  [k: string]: unknown;
}

/** `options[]` of core_course_get_contents (excludemodules, excludecontents, includestealthmodules, sectionid, cmid …). */
export type ContentsOption = { name: string; value: string | number | boolean };

/** The course's sections and their modules as the token user sees them; options send only when given. */
export async function getContents(c: MoodleCaller, courseid: number, options: ContentsOption[] = []): Promise<ContentSection[]> {
  const params: Record<string, unknown> = { courseid };
  if (options.length > 0) params.options = options;
  const reply = await c.call<ContentSection[] | null>('core_course_get_contents', params);
  return reply ?? [];
}

/** One area of a changed instance: `configuration` with timeupdated, or an area (usergrades, questions …) with itemids. */
export interface UpdateArea {
  name: string;
  timeupdated?: number;
  itemids?: number[];
}

export interface UpdatedInstance {
  contextlevel: string;
  id: number;
  updates: UpdateArea[];
}

export interface CourseUpdates {
  instances: UpdatedInstance[];
  warnings: MoodleWarning[];
}

/** Modules of the course changed since `since` (unix seconds); enrolment and completion changes are not reported. */
export async function getUpdatesSince(c: MoodleCaller, courseid: number, since: number, filter?: string[]): Promise<CourseUpdates> {
  const params: Record<string, unknown> = { courseid, since };
  if (filter && filter.length > 0) params.filter = filter;
  const reply = await c.call<Partial<CourseUpdates> | null>('core_course_get_updates_since', params);
  return { instances: reply?.instances ?? [], warnings: reply?.warnings ?? [] };
}

/** One instance to check: a module (contextlevel 'module') by cmid, with its own since. */
export interface UpdateCheck {
  contextlevel: 'module';
  id: number;
  since: number;
}

/** Like getUpdatesSince for the named modules only; a module unchanged since its own `since` is left out. */
export async function checkUpdates(c: MoodleCaller, courseid: number, tocheck: UpdateCheck[], filter?: string[]): Promise<CourseUpdates> {
  if (tocheck.length === 0) return { instances: [], warnings: [] };
  const params: Record<string, unknown> = { courseid, tocheck };
  if (filter && filter.length > 0) params.filter = filter;
  const reply = await c.call<Partial<CourseUpdates> | null>('core_course_check_updates', params);
  return { instances: reply?.instances ?? [], warnings: reply?.warnings ?? [] };
}

/** A course of core_course_get_courses (full record: no cacherev, unlike get_courses_by_field). */
export interface FullCourse {
  id: number;
  shortname: string;
  categoryid: number;
  fullname: string;
  idnumber?: string;
  format?: string;
  startdate?: number;
  enddate?: number;
  visible?: number;
  timecreated?: number;
  timemodified?: number;
  [k: string]: unknown;
}

/** The courses with these ids (no ids: every course, the site course included). */
export async function getCourses(c: MoodleCaller, ids: number[] = []): Promise<FullCourse[]> {
  const reply = await c.call<FullCourse[] | null>('core_course_get_courses', ids.length > 0 ? { options: { ids } } : {});
  return reply ?? [];
}

/** A course of core_course_search_courses (summary record with its contacts: the course's editing teachers). */
export interface SearchedCourse {
  id: number;
  fullname: string;
  shortname: string;
  categoryid: number;
  contacts?: { id: number; fullname: string }[];
  [k: string]: unknown;
}

/** One page of a search (criterianame search, modulelist, blocklist, tagid). */
export async function searchCourses(
  c: MoodleCaller,
  criterianame: string,
  criteriavalue: string,
  page = 0,
  perpage = 0,
): Promise<{ total: number; courses: SearchedCourse[]; warnings: MoodleWarning[] }> {
  const reply = await c.call<{ total?: number; courses?: SearchedCourse[]; warnings?: MoodleWarning[] } | null>(
    'core_course_search_courses',
    { criterianame, criteriavalue, page, perpage },
  );
  return { total: reply?.total ?? 0, courses: reply?.courses ?? [], warnings: reply?.warnings ?? [] };
}
