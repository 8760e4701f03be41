/**
 * The name Moodle gives a linked record, read by Moodle id in batches: a user's username, a course's shortname, a
 * category's or cohort's name. `mdlsync export ids` writes them next to the ids; a run checks with them that a row
 * shaped like that export's output (key, name, MOODLE_ID) still says what Moodle has (src/resolve/confirm.ts).
 * Read-only; ids Moodle no longer has are simply absent from the answer.
 */
import { getCategories, getCohorts, getCoursesByField, getCoursesByIds, getUsersByField, type MoodleCaller, type MoodleCourse } from '../moodle/index.js';
import type { Retry } from './common.js';

/** The types whose name is read from Moodle (a group's name is in its ledger link's state). */
export const NAMED_TYPES = ['persons', 'courses', 'categories', 'cohorts'] as const;
export type NamedType = (typeof NAMED_TYPES)[number];

/** Ids per read call: one call per 200 records, whatever the type (the full records these functions answer are large). */
export const NAMES_PER_CALL = 200;

/** The one function each type's names are read with (for the preflight and `doctor`). */
export const NAME_FUNCTIONS: Record<NamedType, string> = {
  persons: 'core_user_get_users_by_field',
  courses: 'core_course_get_courses_by_field',
  categories: 'core_course_get_categories',
  cohorts: 'core_cohort_get_cohorts',
};

/** One batch of ids → [id, name] pairs, by the type's read function. */
const READERS: Record<NamedType, (c: MoodleCaller, ids: number[]) => Promise<Array<[number, string]>>> = {
  persons: async (c, ids) => (await getUsersByField(c, 'id', ids.map(String))).map((u) => [u.id, u.username]),
  courses: async (c, ids) => (await coursesByIds(c, ids)).map((x) => [x.id, x.shortname]),
  // `ids` takes a comma list in one criterion; without addsubcategories only the named categories come back.
  categories: async (c, ids) => (await getCategories(c, [{ key: 'ids', value: ids.join(',') }])).map((x) => [x.id, x.name]),
  cohorts: async (c, ids) => (await getCohorts(c, ids)).map((x) => [x.id, x.name]),
};

/**
 * The courses of these ids Moodle has. One id Moodle lacks fails a whole `ids` call (contract 2026-12/150): the list is
 * then halved until the failing ids stand alone, each asked by field `id`, which answers an unknown id with nothing.
 */
export async function coursesByIds(c: MoodleCaller, ids: readonly number[]): Promise<MoodleCourse[]> {
  const found = await getCoursesByIds(c, ids);
  if (found) return found;
  if (ids.length === 1) return (await getCoursesByField(c, 'id', ids[0])).courses;
  const mid = Math.ceil(ids.length / 2);
  return [...(await coursesByIds(c, ids.slice(0, mid))), ...(await coursesByIds(c, ids.slice(mid)))];
}

/** Moodle id → name for the given ids (each id once, NAMES_PER_CALL per call, one call at a time); absent: Moodle lacks it. */
export async function moodleNames(client: MoodleCaller, type: NamedType, ids: Iterable<number>, retry: Retry): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  const names = new Map<number, string>();
  for (let i = 0; i < unique.length; i += NAMES_PER_CALL) {
    const batch = unique.slice(i, i + NAMES_PER_CALL);
    for (const [id, name] of await retry(() => READERS[type](client, batch))) names.set(id, name);
  }
  return names;
}

export function isNamedType(type: string): type is NamedType {
  return (NAMED_TYPES as readonly string[]).includes(type);
}
