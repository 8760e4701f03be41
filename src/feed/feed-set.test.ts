import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeedSet } from './feed-set.js';
import type { FeedItem } from './types.js';
import type { EntityRecord } from '../entities/types.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-feedset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string): string => {
  const p = join(dir, `f${n++}.txt`);
  writeFileSync(p, text);
  return p;
};
async function all(items: AsyncIterable<FeedItem<EntityRecord>>): Promise<FeedItem<EntityRecord>[]> {
  const out: FeedItem<EntityRecord>[] = [];
  for await (const i of items) out.push(i);
  return out;
}

describe('openFeedSet', () => {
  test('a native file is one part in the mdlsync format', async () => {
    const set = await openFeedSet(file('EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME\nP1|u1|A|B\n'));
    expect(set.format).toMatchObject({ dialect: 'mdlsync', kind: 'persons', entities: ['persons'] });
    expect(set.parts).toHaveLength(1);
    expect(set.warnings).toEqual([]);
  });

  test('a headerless flat-file enrolment file is recognised from its first line; its lines keep their numbers', async () => {
    const set = await openFeedSet(file('add, student, 5, CF101\n\nadd, teacher, 6, CF101, 1788220800, 1790812800\n'));
    expect(set.format).toMatchObject({ dialect: 'enrol-flatfile', entities: ['enrolments'] });
    expect(set.source).toMatchObject({ headerLine: 0, headerText: '' });
    const items = await all(set.parts[0].items() as AsyncIterable<FeedItem<EntityRecord>>);
    expect(items.map((i) => [i.line, i.record?.key])).toEqual([
      [1, 'CF101|5'],
      [3, 'CF101|6'],
    ]);
    expect(items[1].record).toMatchObject({ fields: { role: 'teacher', start: 1788220800, end: 1790812800 } });
  });

  test('a line the translation refuses is a row error with its line; the other lines still read', async () => {
    const set = await openFeedSet(file('add,student,5,CF101,soon\nadd,student,6,CF101\n'));
    const items = await all(set.parts[0].items() as AsyncIterable<FeedItem<EntityRecord>>);
    expect(items[0]).toMatchObject({ line: 1, error: { code: 'invalid-value' } });
    expect(items[1]).toMatchObject({ line: 2, record: { key: 'CF101|6' } });
  });

  test('--dialect names an unknown format: the message lists the known ones', async () => {
    await expect(openFeedSet(file('a,b\n1,2\n'), { dialect: 'nope' })).rejects.toThrow(/no dialect "nope": mdlsync reads mdlsync, .*enrol-flatfile.*\(mdlsync dialects lists them\)/);
  });

  test('a header no format reads says what its columns ask for in mdlsync terms', async () => {
    await expect(openFeedSet(file('username,firstname,lastname,delete\nu1,A,B,1\n'))).rejects.toThrow(/"delete": to delete, run with --op delete/);
  });
});

describe('openFeedSet with a type given', () => {
  test('a file a dialect claims stays in it when the dialect makes that type of it; another type reads it natively', async () => {
    const upload = file('username,firstname,lastname,email,cohort1\nann,Ann,Lee,ann@example.org,Y1\n');
    expect((await openFeedSet(upload, { type: 'persons' })).format).toMatchObject({ dialect: 'moodle-uploaduser', entities: ['persons', 'cohorts', 'cohort-members'] });
    await expect(openFeedSet(upload, { type: 'courses' })).rejects.toThrow(/looks like a persons feed, not a courses feed.*closest to Moodle Upload users file/);
  });
});
