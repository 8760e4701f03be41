import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCourseDate } from '../../feed/dates.js';
import { splitCategoryPath } from './feed.js';
import { openFeed } from '../../feed/index.js';
import { type FeedItem } from '../../feed/types.js';
import type { CourseRecord } from './record.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-courses-'));
let n = 0;
const file = (text: string): string => {
  const p = join(dir, `f${n++}.txt`);
  writeFileSync(p, text);
  return p;
};

async function items(path: string, opts = {}): Promise<FeedItem<CourseRecord>[]> {
  const feed = await openFeed(path, opts);
  expect(feed.info.type).toBe('courses');
  const out: FeedItem<CourseRecord>[] = [];
  for await (const i of feed.items()) out.push(i as FeedItem<CourseRecord>);
  return out;
}

describe('course dates', () => {
  it('ISO dates and date-times in a time zone, or with their own offset; nonsense is undefined', () => {
    expect(parseCourseDate('2026-09-01', 'UTC')).toBe(Date.UTC(2026, 8, 1) / 1000);
    expect(parseCourseDate('2026-09-01', 'Europe/Paris')).toBe(Date.UTC(2026, 7, 31, 22) / 1000);
    expect(parseCourseDate('2026-01-15T08:30', 'Europe/Paris')).toBe(Date.UTC(2026, 0, 15, 7, 30) / 1000);
    expect(parseCourseDate('2026-09-01T08:00:00Z', 'Europe/Paris')).toBe(Date.UTC(2026, 8, 1, 8) / 1000);
    expect(parseCourseDate('2026-09-01T08:00+02:00', 'UTC')).toBe(Date.UTC(2026, 8, 1, 6) / 1000);
    expect(parseCourseDate('2026-02-30', 'UTC')).toBeUndefined();
    expect(parseCourseDate('01/09/2026', 'UTC')).toBeUndefined();
  });

  it('category paths: levels, a custom separator, an empty level', () => {
    expect(splitCategoryPath('2026/September/Morning', '/')).toEqual(['2026', 'September', 'Morning']);
    expect(splitCategoryPath('2026 > Sept', '>')).toEqual(['2026', 'Sept']);
    expect(splitCategoryPath('2026//Morning', '/')).toBe('level 2 of the category path 2026//Morning is empty');
  });
});

describe('course feeds', () => {
  it('SIS dialect: shortname, fullname, path or key, dates, availability; end before start is a row error', async () => {
    const got = await items(
      file(
        'EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME|CATEGORY|START_DATE|END_DATE|AVAILABLE_IND|TEMPLATE|DESCRIPTION\n' +
          'C1|math|Maths|2026/Sep|2026-09-01|2027-06-30|N|TPL|Algebra\n' +
          'C2|phys|Physics|SCIENCE|||||\n' +
          'C3|chem|Chemistry|X|2026-09-01|2026-08-01|||\n',
      ),
      { timezone: 'UTC' },
    );
    expect(got[0].record).toEqual({
      key: 'C1',
      available: false,
      fields: { shortname: 'math', fullname: 'Maths', category: { path: ['2026', 'Sep'] }, startdate: Date.UTC(2026, 8, 1) / 1000, enddate: Date.UTC(2027, 5, 30) / 1000, template: 'TPL', summary: 'Algebra' },
    });
    expect(got[1].record?.fields.category).toEqual({ key: 'SCIENCE' });
    expect(got[2].error).toMatchObject({ key: 'C3', code: 'invalid-value', message: 'the end date is before the start date' });
  });

  it('Moodle dialect: idnumber else shortname as the key; category id; visible 0 hides; a custom path separator', async () => {
    const got = await items(file('shortname,fullname,category,visible\nm1,Math,7,0\n'));
    expect(got[0].record).toEqual({ key: 'm1', keyedByShortname: true, available: false, fields: { shortname: 'm1', fullname: 'Math', category: { id: 7 } } });
    const byPath = await items(file('idnumber,shortname,fullname,category_path\nK,k,K,2026 > Sep\n'), { pathSeparator: '>' });
    expect(byPath[0].record?.fields.category).toEqual({ path: ['2026', 'Sep'] });
    expect(byPath[0].record?.key).toBe('K');
    expect(byPath[0].record?.keyedByShortname).toBeUndefined();
  });
});

describe('dates across a daylight-saving change (offsets cached per quarter hour)', () => {
  it('reads wall times on both sides of the change with the right offset, in any order', () => {
    const tz = 'Europe/London'; // BST starts 2026-03-29 at 01:00 UTC
    const after = parseCourseDate('2026-03-29T02:30', tz);
    const before = parseCourseDate('2026-03-29T00:30', tz);
    expect(before).toBe(Date.UTC(2026, 2, 29, 0, 30) / 1000);
    expect(after).toBe(Date.UTC(2026, 2, 29, 1, 30) / 1000);
    expect(parseCourseDate('2026-07-01', tz)).toBe(Date.UTC(2026, 5, 30, 23, 0) / 1000);
    expect(parseCourseDate('2026-01-01', tz)).toBe(Date.UTC(2026, 0, 1, 0, 0) / 1000);
    expect(parseCourseDate('2026-07-01', 'Asia/Kathmandu')).toBe(Date.UTC(2026, 5, 30, 18, 15) / 1000);
  });
});
