/** The groups and group-members feeds: keys, the mode column (members also take `shift`), base columns and row errors. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseHeader, isFeedOf, openFeed } from '../../feed/index.js';
import { groupRowMapper } from './feed.js';
import { type FeedItem } from '../../feed/types.js';
import type { GroupRecord } from './record.js';
import type { GroupMemberRecord } from '../group-members/record.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-groups-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string): string => {
  const path = join(dir, `f${++n}.txt`);
  writeFileSync(path, content);
  return path;
};

async function groups(path: string): Promise<FeedItem<GroupRecord>[]> {
  const feed = await openFeed(path);
  if (!isFeedOf(feed, 'groups')) throw new Error(`reads as ${feed.info.type}`);
  const out: FeedItem<GroupRecord>[] = [];
  for await (const i of feed.items()) out.push(i);
  return out;
}

async function members(path: string): Promise<FeedItem<GroupMemberRecord>[]> {
  const feed = await openFeed(path);
  if (!isFeedOf(feed, 'group-members')) throw new Error(`reads as ${feed.info.type}`);
  const out: FeedItem<GroupMemberRecord>[] = [];
  for await (const i of feed.items()) out.push(i);
  return out;
}

describe('groups feed', () => {
  test('MOODLE_ID (moodle_id, any case) is read, never an unknown column; a value that is no Moodle id fails its row', async () => {
    const sis = await groups(file('EXTERNAL_COURSE_KEY|EXTERNAL_GROUP_KEY|GROUP_NAME|DATA_SOURCE_KEY|MOODLE_ID\nC1|G1|Group one|SIS|12\nC1|G2|Group two|SIS|0\nC1|G3|Group three|SIS|\n'));
    expect(sis[0].record).toEqual({ key: 'C1|G1', fields: { course: 'C1', group: 'G1', name: 'Group one' }, dataSource: 'SIS', moodleId: 12 });
    expect(sis[1].error).toMatchObject({ key: 'C1|G2', code: 'invalid-moodle-id', message: 'column MOODLE_ID has "0", expected a positive whole number (a Moodle group id)' });
    expect(sis[2].record).not.toHaveProperty('moodleId');
    const moodle = await groups(file('course,idnumber,name,data_source_key,Moodle_Id\nC1,G1,Group one,SIS,12\n'));
    expect(moodle[0].record).toMatchObject({ key: 'C1|G1', moodleId: 12 });
    expect(analyseHeader(['course', 'idnumber', 'name', 'moodle_id'])).toMatchObject({ type: 'groups', dialect: 'moodle', fields: ['course', 'group', 'name', 'moodleId'] });
  });

  test('key COURSE|GROUP, name, description, ACTION, ROW_STATUS and DATA_SOURCE_KEY', async () => {
    const items = await groups(
      file('EXTERNAL_COURSE_KEY|EXTERNAL_GROUP_KEY|GROUP_NAME|DESCRIPTION|ACTION|ROW_STATUS|DATA_SOURCE_KEY\nC1|G1|Group one|First|del|disabled|sis\n'),
    );
    expect(items).toEqual([
      { line: 2, record: { key: 'C1|G1', fields: { course: 'C1', group: 'G1', name: 'Group one', description: 'First' }, command: 'delete', rowStatus: 'disabled', dataSource: 'sis' } },
    ]);
  });

  test('row errors: an empty key column, a pipe in the course key, a bad ACTION, a short row', async () => {
    const items = await groups(file('EXTERNAL_COURSE_KEY|EXTERNAL_GROUP_KEY|GROUP_NAME|ACTION\n|G1|x|add\n"C|1"|G2|x|add\nC1|G3|x|shift\nC1|G4\n'));
    expect(items.map((i) => [i.line, i.error?.code, i.error?.message])).toEqual([
      [2, 'missing-value', 'the key column EXTERNAL_COURSE_KEY is empty'],
      // A key cell holding the file's delimiter may be a whole quoted line: reported by its line only (no value quoted).
      [3, 'unreadable-key', 'the key column EXTERNAL_COURSE_KEY holds the delimiter "|": check the quotes on this line'],
      [4, 'invalid-value', 'column ACTION has "shift", expected add, store, del or delete'],
      [5, 'short-row', 'the row has 2 values, the header has 4'],
    ]);
    expect(items[3].error?.key).toBe('C1|G4');
  });
});

describe('group-members feed', () => {
  test('key COURSE|GROUP|PERSON; ACTION shift marks the row, add/del are commands', async () => {
    const items = await members(file('EXTERNAL_COURSE_KEY|EXTERNAL_GROUP_KEY|EXTERNAL_PERSON_KEY|ACTION|ROW_STATUS\nC1|G1|p1|shift|\nC1|G1|p2|del|enabled\n'));
    expect(items).toEqual([
      { line: 2, record: { key: 'C1|G1|p1', fields: { course: 'C1', group: 'G1', person: 'p1', shift: true } } },
      { line: 3, record: { key: 'C1|G1|p2', fields: { course: 'C1', group: 'G1', person: 'p2' }, command: 'delete', rowStatus: 'enabled' } },
    ]);
  });

  test('row errors: two empty key columns, a bad ACTION, a bad ROW_STATUS', async () => {
    const items = await members(file('EXTERNAL_COURSE_KEY|EXTERNAL_GROUP_KEY|EXTERNAL_PERSON_KEY|ACTION|ROW_STATUS\nC1|||add|\nC1|G1|p1|move|\nC1|G1|p1||gone\n'));
    expect(items.map((i) => [i.line, i.error?.code, i.error?.message])).toEqual([
      [2, 'missing-value', 'the key columns EXTERNAL_GROUP_KEY and EXTERNAL_PERSON_KEY are empty'],
      [3, 'invalid-value', 'column ACTION has "move", expected add, shift, del or delete'],
      [4, 'invalid-value', 'column ROW_STATUS has "gone", expected enabled, disabled or deleted'],
    ]);
  });

  test('course_shortname, group_name (or groupname) and username: the key keeps them as given, the username lower-cased', async () => {
    const items = await members(file('course_shortname,group_name,username,cmd\nBIO 101,Lab A,Ann.Lee,shift\n'));
    expect(items).toEqual([
      { line: 2, record: { key: 'BIO 101|Lab A|ann.lee', fields: { course: 'BIO 101', group: 'Lab A', person: 'ann.lee', courseBy: 'shortname', groupBy: 'name', personBy: 'username', shift: true } } },
    ]);
    const mixed = await members(file('course,groupname,user\nC1,Lab A,P1\n'));
    expect(mixed[0].record).toEqual({ key: 'C1|Lab A|P1', fields: { course: 'C1', group: 'Lab A', person: 'P1', groupBy: 'name' } });
    // A group name or a username column alone does not make a groups feed of a members file.
    await expect(groups(file('course,group_name,username\nC1,Lab A,ann\n'))).rejects.toThrow('reads as group-members');
    await expect(openFeed(file('course,course_shortname,group,user\nC1,S1,G1,P1\n'))).rejects.toThrow('both give');
  });
});


describe('groups known by their name', () => {
  test('course_shortname and name without idnumber: the key is the name within the course, found by shortname', async () => {
    const columns = ['course_shortname', 'name'];
    const mapper = groupRowMapper(analyseHeader(columns, 'groups'), columns);
    expect(mapper.map(['BIO-101', 'Lab A'], 1)).toEqual({ record: { key: 'BIO-101|Lab A', fields: { course: 'BIO-101', group: 'Lab A', name: 'Lab A', courseBy: 'shortname', groupBy: 'name' } } });
    // With an idnumber column the idnumber stays the key, as before.
    const keyed = ['course', 'idnumber', 'name'];
    expect(groupRowMapper(analyseHeader(keyed, 'groups'), keyed).map(['C1', 'G1', 'Lab A'], 1)).toEqual({ record: { key: 'C1|G1', fields: { course: 'C1', group: 'G1', name: 'Lab A' } } });
  });
});
