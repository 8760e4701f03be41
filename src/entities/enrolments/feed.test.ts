import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeed } from '../../feed/index.js';
import { FeedFileError, type FeedItem } from '../../feed/types.js';
import type { EnrolmentRecord } from './record.js';
import { parseEnrolmentDate } from './feed.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-enrol-feed-'));
let n = 0;
const file = (text: string): string => {
  const p = join(dir, `f${n++}.txt`);
  writeFileSync(p, text);
  return p;
};

async function read(text: string): Promise<{ type: string; dialect: string; items: FeedItem<EnrolmentRecord>[] }> {
  const feed = await openFeed(file(text));
  const items: FeedItem<EnrolmentRecord>[] = [];
  for await (const i of feed.items()) items.push(i as FeedItem<EnrolmentRecord>);
  return { type: feed.info.type, dialect: feed.info.dialect, items };
}

describe('enrolment feeds', () => {
  it('reads the SIS dialect: key COURSE|PERSON, role, dates, availability', async () => {
    const r = await read('EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|START_DATE|END_DATE|AVAILABLE_IND|ROW_STATUS|DATA_SOURCE_KEY\nC1|P1|Student|2026-09-01|2027-06-30|N|enabled|SIS\n');
    expect(r).toMatchObject({ type: 'enrolments', dialect: 'sis' });
    expect(r.items[0].record).toEqual({
      key: 'C1|P1',
      fields: { course: 'C1', person: 'P1', role: 'Student', start: Date.UTC(2026, 8, 1) / 1000, end: Date.UTC(2027, 5, 30) / 1000 },
      available: false,
      rowStatus: 'enabled',
      dataSource: 'SIS',
    });
  });

  it('a date repeated over rows reads the same on each; a repeated bad date fails each of its rows', async () => {
    const r = await read('EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|START_DATE\nC1|P1|2026-09-01\nC1|P2|2026-02-30\nC1|P3|2026-09-01\nC1|P4|2026-02-30\n');
    expect(r.items.map((i) => i.record?.fields.start ?? i.error?.code)).toEqual([Date.UTC(2026, 8, 1) / 1000, 'invalid-value', Date.UTC(2026, 8, 1) / 1000, 'invalid-value']);
  });

  it('reads the flat-file style and the tool_sync style', async () => {
    const a = await read('operation,role,idnumber_user,idnumber_course\nadd,student,P1,C1\ndel,student,P2,C1\n');
    expect(a.type).toBe('enrolments');
    expect(a.items.map((i) => [i.record?.key, i.record?.command])).toEqual([
      ['C1|P1', 'store'],
      ['C1|P2', 'delete'],
    ]);
    const b = await read('course,user,role,cmd\nC1,P1,editingteacher,add\n');
    expect(b.items[0].record).toMatchObject({ key: 'C1|P1', fields: { role: 'editingteacher' }, command: 'store' });
  });

  it('reads course_shortname and username (or user_username): the key keeps them, the username lower-cased', async () => {
    const a = await read('course_shortname,username,role\nBIO 101,Ann.Lee,student\n');
    expect(a.type).toBe('enrolments');
    expect(a.items[0].record).toEqual({ key: 'BIO 101|ann.lee', fields: { course: 'BIO 101', courseBy: 'shortname', person: 'ann.lee', personBy: 'username', role: 'student' } });
    const b = await read('course,username,role\nC1,ann,student\n');
    expect(b.items[0].record).toMatchObject({ key: 'C1|ann', fields: { course: 'C1', person: 'ann', personBy: 'username' } });
    const c = await read('operation,idnumber_course,user_username\nadd,C1,Bob\n');
    expect(c.items[0].record).toMatchObject({ key: 'C1|bob', fields: { personBy: 'username' }, command: 'store' });
    await expect(openFeed(file('course,course_shortname,user\nC1,S1,P1\n'))).rejects.toThrow('both give');
  });

  it('an end before the start, a bad date and a missing key are row errors', async () => {
    const r = await read('EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|START_DATE|END_DATE\nC1|P1|S|2026-09-01|2026-08-01\nC1|P2|S|2026-02-30|\n|P3|S||\n');
    expect(r.items.map((i) => i.error?.code)).toEqual(['invalid-dates', 'invalid-value', 'missing-value']);
    expect(r.items[0].error?.message).toContain('is before the start date');
  });

  it('a course key without a person key is still not an enrolments feed', async () => {
    await expect(openFeed(file('EXTERNAL_PERSON_KEY|ROLE\nP1|S\n'), { type: 'enrolments' })).rejects.toThrow(FeedFileError);
  });

  it('dates: ISO date, ISO date-time with offset, Unix seconds', () => {
    expect(parseEnrolmentDate('2026-09-01')).toBe(Date.UTC(2026, 8, 1) / 1000);
    expect(parseEnrolmentDate('2026-09-01T08:00+02:00')).toBe(Date.UTC(2026, 8, 1, 6) / 1000);
    expect(parseEnrolmentDate('1788220800')).toBe(1788220800);
    expect(parseEnrolmentDate('01/09/2026')).toBeNaN();
  });
});
