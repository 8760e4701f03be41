/** The persons ACTION column's lifecycle values (block, unblock, password) and USERNAME_FROM_EMAIL. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFeedOf, openFeed } from '../../feed/index.js';
import { type FeedItem } from '../../feed/types.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-feed-persons-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function readAll(content: string): Promise<FeedItem[]> {
  const path = join(dir, `f${++n}.txt`);
  writeFileSync(path, content);
  const feed = await openFeed(path);
  if (!isFeedOf(feed, 'persons')) throw new Error(`reads as a ${feed.info.type} feed`);
  const out: FeedItem[] = [];
  for await (const item of feed.items()) out.push(item);
  return out;
}

describe('persons ACTION: lifecycle steps', () => {
  test('block, unblock and password (any case) are lifecycle rows of op store; add and delete stay as they were', async () => {
    const items = await readAll('EXTERNAL_PERSON_KEY|PASSWD|ACTION\nP1||Block\nP2||unblock\nP3|S3cret!x|PASSWORD\nP4||add\nP5||del\nP6||\n');
    expect(items.map((i) => [i.record?.command, i.record?.lifecycle])).toEqual([
      ['store', 'block'],
      ['store', 'unblock'],
      ['store', 'password'],
      ['store', undefined],
      ['delete', undefined],
      [undefined, undefined],
    ]);
    expect(items[2].record?.fields.password).toBe('S3cret!x');
  });

  test('an unknown ACTION names every accepted value; USERNAME_FROM_EMAIL reads Y/N (empty: not said)', async () => {
    const items = await readAll('EXTERNAL_PERSON_KEY|ACTION|USERNAME_FROM_EMAIL|EMAIL\nP1|lock||\nP2|password|Y|a@x.org\nP3|password|n|\nP4|password||\nP5|password|maybe|\n');
    expect(items[0].error).toMatchObject({ line: 2, key: 'P1', code: 'invalid-value', message: 'column ACTION has "lock", expected add, store, del, delete, block, unblock or password' });
    expect(items.slice(1, 4).map((i) => i.record?.usernameFromEmail)).toEqual([true, false, undefined]);
    expect(items[4].error).toMatchObject({ code: 'invalid-value', message: 'column USERNAME_FROM_EMAIL has "maybe", expected Y or N' });
  });

  test('the Moodle dialect takes them too (action / username_from_email)', async () => {
    const [item] = await readAll('username,password,action,username_from_email\nann,N3w-pass!,password,yes\n');
    expect(item.record).toMatchObject({ key: 'ann', lifecycle: 'password', usernameFromEmail: true, fields: { username: 'ann', password: 'N3w-pass!' } });
  });
});

describe('persons: theme, mailformat, maildisplay and upload_type', () => {
  test('are read; mailformat and maildisplay must be Moodle\'s integers; upload_type addupdate is the default (not kept)', async () => {
    const items = await readAll('username,theme,mailformat,maildisplay,upload_type\nann,boost,0,1,addnew\nbob,,1,,UPDATE\ncy,,,,addupdate\ndee,,html,,\neve,,,3,\nfay,,,,later\n');
    expect(items[0].record).toMatchObject({ uploadType: 'addnew', fields: { theme: 'boost', mailformat: '0', maildisplay: '1' } });
    expect(items[1].record).toMatchObject({ uploadType: 'update', fields: { mailformat: '1' } });
    expect(items[2].record).not.toHaveProperty('uploadType');
    expect(items[3].error).toMatchObject({ code: 'invalid-value', message: 'column mailformat has "html", expected 0 (plain text) or 1 (HTML)' });
    expect(items[4].error).toMatchObject({ message: 'column maildisplay has "3", expected 0 (hidden), 1 (everyone) or 2 (course members)' });
    expect(items[5].error).toMatchObject({ message: 'column upload_type has "later", expected addnew, addupdate or update' });
  });
});
