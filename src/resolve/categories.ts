/** What the category look-ups of several entities share (a categories feed's adoption by name, a course's category path). */
import type { CategoryCriteriaKey, MoodleCategory } from '../moodle/types.js';

/** core_course_get_categories with these criteria (every one must match), through the caller's retries. */
export type CategoryRead = (criteria: { key: CategoryCriteriaKey; value: string | number }[]) => Promise<MoodleCategory[]>;

/** The categories named exactly `name` directly under `parentId` (0: top level). */
export async function categoriesNamed(read: CategoryRead, name: string, parentId: number): Promise<MoodleCategory[]> {
  return (await read([{ key: 'name', value: name }, { key: 'parent', value: parentId }])).filter((x) => x.name === name && x.parent === parentId);
}
