import { describe, expect, it } from '@jest/globals';
import type { CourseRecord } from '../entities/courses/record.js';
import type { LedgerLink } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/types.js';
import { confirmsLinks, linkConfirmer } from './confirm.js';

const TS = '2026-01-01T00:00:00.000Z';
const link = (key: string, moodleId: number): LedgerLink => ({ entity: 'courses', key, moodleId, dataSource: null, hash: 'h', status: 'active', firstSeen: TS, lastSeen: TS, lastRun: null, disabledAt: null });
const course = (key: string, shortname?: string): CourseRecord => ({ key, fields: shortname === undefined ? {} : { shortname }, moodleId: 1 });

describe('confirmsLinks', () => {
  it('only a header of key, name, data source and MOODLE_ID; never groups (compared as they are)', () => {
    expect(confirmsLinks('courses', ['key', 'shortname', 'dataSource', 'moodleId'])).toBe(true);
    expect(confirmsLinks('persons', ['idnumber', 'username', 'moodleId'])).toBe(true);
    expect(confirmsLinks('courses', ['key', 'shortname'])).toBe(false);
    expect(confirmsLinks('courses', ['key', 'shortname', 'fullname', 'moodleId'])).toBe(false);
    expect(confirmsLinks('persons', ['key', 'username', 'available', 'moodleId'])).toBe(false);
    expect(confirmsLinks('groups', ['course', 'group', 'name', 'moodleId'])).toBe(false);
  });
});

describe('linkConfirmer', () => {
  it('none for a usual header: a usual file costs nothing', () => {
    expect(linkConfirmer({ type: 'courses', fields: ['key', 'shortname', 'fullname', 'moodleId'] }, { call: () => Promise.reject(new Error('no call')) }, {})).toBeUndefined();
  });

  it('a row confirms its link when its name is the one Moodle has now (read by id), or it gives none', async () => {
    const asked: unknown[] = [];
    const client: MoodleCaller = {
      call: async <T>(fn: string, params: Record<string, unknown>): Promise<T> => {
        asked.push([fn, params]);
        return { courses: [{ id: 1, shortname: 'MATH' }, { id: 2, shortname: 'PHYS' }], warnings: [] } as T;
      },
    };
    const confirm = linkConfirmer({ type: 'courses', fields: ['key', 'shortname', 'moodleId'] }, client, { retries: 1 })!;
    const keys = await confirm([
      { record: course('C1', 'MATH'), link: link('C1', 1) },
      { record: course('C2', 'PHYS-NEW'), link: link('C2', 2) },
      { record: course('C3'), link: link('C3', 3) },
      { record: course('C4', 'GONE'), link: link('C4', 4) },
    ]);
    expect([...keys].sort()).toEqual(['C1', 'C3']);
    // One call for the named rows' ids; the unnamed row asks nothing.
    expect(asked).toEqual([['core_course_get_courses_by_field', { field: 'ids', value: '1,2,4' }]]);
  });
});
