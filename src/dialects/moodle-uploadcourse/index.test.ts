import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeedSet } from '../../feed/feed-set.js';
import type { CourseRecord } from '../../entities/courses/record.js';
import { DEFAULT_DIALECT_SETTINGS, type DialectSettings } from '../definition.js';
import { claimsUploadCourse, moodleUploadcourse } from './index.js';

const kind = moodleUploadcourse.kinds[0];
const compile = (header: string, settings: Partial<DialectSettings> = {}) => {
  const columns = header.split(',');
  return kind.compile(columns.map((c) => c.toLowerCase()), columns, { ...DEFAULT_DIALECT_SETTINGS, timezone: 'UTC', ...settings });
};

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-uploadcourse-'));
let n = 0;
async function records(text: string): Promise<{ line: number; record?: CourseRecord; error?: { code: string; message: string } }[]> {
  const p = join(dir, `f${n++}.csv`);
  writeFileSync(p, text);
  const set = await openFeedSet(p, { timezone: 'UTC' });
  expect(set.format.dialect).toBe('moodle-uploadcourse');
  const out = [];
  for await (const i of set.parts[0].items()) out.push(i as { line: number; record?: CourseRecord; error?: { code: string; message: string } });
  return out;
}

describe('Upload courses: which headers it claims', () => {
  it('claims a header with a column only Upload courses has; leaves plain Moodle-style courses feeds and user files alone', () => {
    expect(claimsUploadCourse(['shortname', 'fullname', 'category', 'delete'])).toBe(true);
    expect(claimsUploadCourse(['shortname', 'fullname', 'category_path', 'enrolment_1', 'enrolment_1_role'])).toBe(true);
    expect(claimsUploadCourse(['shortname', 'fullname', 'role_student'])).toBe(true);
    expect(claimsUploadCourse(['shortname', 'fullname', 'category'])).toBe(false);
    expect(claimsUploadCourse(['shortname', 'fullname', 'delete', 'username'])).toBe(false);
    expect(claimsUploadCourse(['fullname', 'delete'])).toBe(false);
    expect(claimsUploadCourse(['shortname', 'fullname', 'delete', 'unheard_of'])).toBe(false);
  });
});

describe('Upload courses: translation', () => {
  it('dates as the tool reads them, in the date order chosen, into ISO UTC; visible and delete as 0/1', () => {
    const c = compile('shortname,fullname,startdate,enddate,visible,delete');
    expect(c.translate(['C1', 'One', '01.09.2026', '1788220800', '0', '0'], 2)).toEqual({
      rows: { courses: [{ shortname: 'C1', fullname: 'One', startdate: '2026-09-01T00:00:00Z', enddate: '2026-09-01T00:00:00Z', visible: '0', action: '' }] },
    });
    expect(c.translate(['C1', 'One', '09/02/2026', '', '', '1'], 2)).toMatchObject({ rows: { courses: [{ startdate: '2026-09-02T00:00:00Z', action: 'delete' }] } });
    expect(compile('shortname,startdate', { dateOrder: 'dmy' }).translate(['C1', '09/02/2026'], 2)).toMatchObject({ rows: { courses: [{ startdate: '2026-02-09T00:00:00Z' }] } });
    expect(c.translate(['C1', 'One', 'next week', '', '', ''], 2)).toMatchObject({ error: { code: 'invalid-value', key: 'C1' } });
    expect(c.translate(['C1', 'One', '', '', 'yes', ''], 2)).toMatchObject({ error: { message: 'column visible has "yes", expected 0 or 1' } });
    expect(c.translate(['C1', 'One', '', '', '', '2'], 2)).toMatchObject({ error: { code: 'invalid-value' } });
  });

  it('rename and backupfile fail their row only when given; the columns the web services do not take are warned once', () => {
    const c = compile('shortname,fullname,rename,backupfile,reset,tags,enrolment_1,enrolment_1_role,role_student,showactivitydates,mystery');
    expect(c.translate(['C1', 'One', 'C2', '', '', '', '', '', '', '', ''], 2)).toMatchObject({ error: { message: expect.stringContaining('does not rename') } });
    expect(c.translate(['C1', 'One', '', 'b.mbz', '', '', '', '', '', '', ''], 2)).toMatchObject({ error: { message: expect.stringContaining('does not restore') } });
    expect(c.translate(['C1', 'One', '', '', '1', 'a, b', 'manual', 'student', 'Learner', '1', 'x'], 2)).toMatchObject({ rows: { courses: [{ shortname: 'C1' }] } });
    expect(c.warnings).toEqual([
      expect.stringMatching(/^reset: not done/),
      expect.stringMatching(/^showactivitydates: not set/),
      expect.stringMatching(/^tags: not set/),
      expect.stringMatching(/^enrolment_1: enrolment methods are not added/),
      expect.stringMatching(/^enrolment_1_role: /),
      expect.stringMatching(/^role_student: course role names/),
      'mystery: not an Upload courses column, ignored',
    ]);
  });

  it('through the native courses mapper: category paths split on " / ", settings and custom fields, a file without idnumber keyed by shortname', async () => {
    const items = await records(
      '\uFEFFshortname,fullname,category_path,numsections,groupmode,lang,theme,hiddensections,customfield_level,delete\r\n' +
        'C1,"Course, one",Faculty / 2026/27 / Autumn,8,1,fr,boost,0,Beginner,0\r\n' +
        'C2,Two,,x,,,,,,\r\n',
    );
    expect(items[0]).toMatchObject({
      line: 2,
      record: {
        key: 'C1',
        fields: { fullname: 'Course, one', category: { path: ['Faculty', '2026/27', 'Autumn'] }, settings: { numsections: 8, groupmode: 1, lang: 'fr', forcetheme: 'boost', hiddensections: 0 }, customfields: { level: 'Beginner' } },
      },
    });
    expect(items[1]).toMatchObject({ line: 3, error: { code: 'invalid-value', message: 'column numsections has "x", expected a whole number' } });
  });
});
