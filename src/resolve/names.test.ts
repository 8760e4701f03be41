import { describe, expect, it } from '@jest/globals';
import type { MoodleCaller } from '../moodle/types.js';
import { moodleNames } from './names.js';

const noRetry = <T>(fn: () => Promise<T>): Promise<T> => fn();

/** Courses 1..6 but 4 exist; an `ids` list holding 4 fails as Moodle 4.5 does (contract 2026-12/150). */
function courseSite(): MoodleCaller & { asked: string[] } {
  const asked: string[] = [];
  const have = (id: number) => id !== 4 && id >= 1 && id <= 6;
  return {
    asked,
    call: async <T>(fn: string, params: Record<string, unknown>): Promise<T> => {
      expect(fn).toBe('core_course_get_courses_by_field');
      asked.push(`${params.field}=${params.value}`);
      const ids = String(params.value).split(',').map(Number);
      if (params.field === 'ids' && !ids.every(have)) return { exception: 'Error', message: 'Attempt to assign property "contextvalidated" on null' } as T;
      return { courses: ids.filter(have).map((id) => ({ id, shortname: `C${id}` })), warnings: [] } as T;
    },
  };
}

describe('moodleNames', () => {
  it('courses: a list with an id Moodle lacks is halved until that id stands alone, asked by field id', async () => {
    const site = courseSite();
    const names = await moodleNames(site, 'courses', [1, 2, 3, 4, 5, 6], noRetry);
    expect([...names.entries()]).toEqual([[1, 'C1'], [2, 'C2'], [3, 'C3'], [5, 'C5'], [6, 'C6']]);
    expect(site.asked).toEqual(['ids=1,2,3,4,5,6', 'ids=1,2,3', 'ids=4,5,6', 'ids=4,5', 'ids=4', 'id=4', 'ids=5', 'ids=6']);
  });

  it('cohorts: each id once, 200 a call; no call for no ids (an empty list would ask for every cohort)', async () => {
    const sizes: number[] = [];
    const site: MoodleCaller = {
      call: async <T>(_fn: string, params: Record<string, unknown>): Promise<T> => {
        const ids = params.cohortids as number[];
        sizes.push(ids.length);
        return ids.map((id) => ({ id, name: `K${id}` })) as T;
      },
    };
    const ids = Array.from({ length: 401 }, (_, i) => i + 1);
    expect((await moodleNames(site, 'cohorts', [...ids, 1, 2], noRetry)).size).toBe(401);
    expect(sizes).toEqual([200, 200, 1]);
    expect((await moodleNames(site, 'cohorts', [], noRetry)).size).toBe(0);
    expect(sizes).toHaveLength(3);
  });
});
