/** The categories feed: type inference from the headers, both dialects, and the errors a persons file never meets. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFeedOf, openFeed } from '../../feed/index.js';
import { FeedFileError, type FeedItem, type FeedOptions } from '../../feed/types.js';
import type { CategoryRecord } from './record.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-catfeed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string): string => {
  const path = join(dir, `cats${++n}.txt`);
  writeFileSync(path, content);
  return path;
};

async function readCategories(path: string, opts?: FeedOptions): Promise<FeedItem<CategoryRecord>[]> {
  const feed = await openFeed(path, opts);
  if (!isFeedOf(feed, 'categories')) throw new Error(`read as ${feed.info.type}`);
  const out: FeedItem<CategoryRecord>[] = [];
  for await (const item of feed.items()) out.push(item);
  return out;
}

async function fileError(path: string, opts?: FeedOptions): Promise<FeedFileError> {
  const err = await openFeed(path, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeedFileError);
  return err as FeedFileError;
}

describe('categories feed', () => {
  test('SIS dialect: the header decides the type; an empty PARENT_KEY is the top level', async () => {
    const path = file('EXTERNAL_CATEGORY_KEY|NAME|PARENT_KEY|DESCRIPTION|DATA_SOURCE_KEY|ROW_STATUS|MOODLE_ID\nY2026|2026|||SIS|enabled|\nSEP|September|Y2026|Intake|SIS|disabled|12\n');
    const feed = await openFeed(path);
    expect(feed.info).toMatchObject({ type: 'categories', dialect: 'sis', fields: ['key', 'name', 'parent', 'description', 'dataSource', 'rowStatus', 'moodleId'] });
    expect((await readCategories(path)).map((i) => i.record)).toEqual([
      { key: 'Y2026', fields: { name: '2026' }, dataSource: 'SIS', rowStatus: 'enabled' },
      { key: 'SEP', fields: { name: 'September', parent: 'Y2026', description: 'Intake' }, dataSource: 'SIS', rowStatus: 'disabled', moodleId: 12 },
    ]);
  });

  test('Moodle dialect: idnumber, name, parent (the parent idnumber), description', async () => {
    const path = file('idnumber,name,parent,description\nFAC,Faculty,,\nDEP,Department,FAC,Maths\n');
    expect((await openFeed(path)).info).toMatchObject({ type: 'categories', dialect: 'moodle', delimiter: ',' });
    expect((await readCategories(path)).map((i) => i.record?.fields)).toEqual([{ name: 'Faculty' }, { name: 'Department', parent: 'FAC', description: 'Maths' }]);
  });

  test('--type categories reads a keys-only file; row errors keep their lines', async () => {
    const items = await readCategories(file('EXTERNAL_CATEGORY_KEY|ROW_STATUS\nA|enabled\n|enabled\nB|gone\n'), { type: 'categories' });
    expect(items.map((i) => [i.line, i.record?.key ?? i.error?.code])).toEqual([
      [2, 'A'],
      [3, 'missing-value'],
      [4, 'invalid-value'],
    ]);
    expect(items[2].error?.message).toBe('column ROW_STATUS has "gone", expected enabled, disabled or deleted');
  });

  test('a forced type that does not fit the header, unknown columns and a missing key', async () => {
    expect((await fileError(file('EXTERNAL_CATEGORY_KEY|NAME\nA|a\n'), { type: 'persons' })).message).toBe('the header looks like a categories feed, not a persons feed');
    expect((await fileError(file('EXTERNAL_PERSON_KEY|USER_ID\nk|u\n'), { type: 'categories' })).message).toBe('the header looks like a persons feed, not a categories feed');
    expect((await fileError(file('EXTERNAL_CATEGORY_KEY|NAME|PARENT_KY\nA|a|b\n'))).message).toBe('unknown column "PARENT_KY" (did you mean "PARENT_KEY"?)');
    expect(await fileError(file('NAME|PARENT_KEY\na|b\n'))).toMatchObject({ code: 'missing-column', message: expect.stringContaining('EXTERNAL_CATEGORY_KEY') });
    // Cohorts are read now: a cohorts header forced to categories is refused as what it is.
    expect((await fileError(file('EXTERNAL_COHORT_KEY|NAME\ng|g\n'), { type: 'categories' })).message).toBe('the header looks like a cohorts feed, not a categories feed');
    // Groups are read now: a groups header without its course key names the missing column.
    expect((await fileError(file('EXTERNAL_GROUP_KEY|NAME\ng|g\n'))).message).toMatch(/^missing column "EXTERNAL_COURSE_KEY": a groups feed needs/);
  });

  test('a persons file with a stray "name" column still reads as persons and names the column', async () => {
    expect((await fileError(file('EXTERNAL_PERSON_KEY|USER_ID|NAME\nk|u|n\n'))).message).toMatch(/^unknown column "NAME"/);
  });
});
