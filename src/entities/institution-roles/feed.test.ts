/** The institution-roles and observers feeds: the SIS guide's examples, keys, base columns and row errors. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFeedOf, openFeed } from '../../feed/index.js';
import { FeedFileError, type FeedItem } from '../../feed/types.js';
import type { InstitutionRoleRecord } from './record.js';
import type { ObserverRecord } from '../observers/record.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-roles-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string): string => {
  const path = join(dir, `f${++n}.txt`);
  writeFileSync(path, content);
  return path;
};
const fixture = (name: string) => fileURLToPath(new URL(`../../feed/fixtures/${name}`, import.meta.url));

async function roles(path: string): Promise<FeedItem<InstitutionRoleRecord>[]> {
  const feed = await openFeed(path);
  if (!isFeedOf(feed, 'institution-roles')) throw new Error(`reads as ${feed.info.type}`);
  const out: FeedItem<InstitutionRoleRecord>[] = [];
  for await (const i of feed.items()) out.push(i);
  return out;
}

async function observers(path: string): Promise<FeedItem<ObserverRecord>[]> {
  const feed = await openFeed(path);
  if (!isFeedOf(feed, 'observers')) throw new Error(`reads as ${feed.info.type}`);
  const out: FeedItem<ObserverRecord>[] = [];
  for await (const i of feed.items()) out.push(i);
  return out;
}

describe('institution-roles feed', () => {
  test("the guide's example: EXTERNAL_PERSON_KEY|ROLE_ID, key PERSON|ROLE_ID", async () => {
    const items = await roles(fixture('sis-institution-roles.txt'));
    expect(items.map((i) => i.record?.key)).toEqual(['testPerson1|engineering_student', 'testPerson2|engineering_faculty', 'testPerson3|engineering_faculty', 'testPerson4|engineering_student']);
    expect(items[0]).toMatchObject({ line: 2, record: { fields: { person: 'testPerson1', role: 'engineering_student' } } });
  });

  test('ROLE_ID is case-insensitive; ROW_STATUS, DATA_SOURCE_KEY and ACTION are read', async () => {
    const items = await roles(file('EXTERNAL_PERSON_KEY|ROLE_ID|ROW_STATUS|DATA_SOURCE_KEY|ACTION\ntestPerson1|ENGINEERING_STUDENT|enabled|SIS|\ntestPerson3|engineering_student|disabled||del\n'));
    expect(items[0].record).toEqual({ key: 'testPerson1|engineering_student', fields: { person: 'testPerson1', role: 'engineering_student' }, rowStatus: 'enabled', dataSource: 'SIS' });
    expect(items[1].record).toMatchObject({ rowStatus: 'disabled', command: 'delete' });
  });

  test('an empty key cell, a bad ROW_STATUS and a short row are row errors; the rest still reads', async () => {
    const items = await roles(file('EXTERNAL_PERSON_KEY|ROLE_ID|ROW_STATUS\n|x|enabled\np1|x|maybe\np2|y\np3|z|\n'));
    expect(items.map((i) => i.error?.code ?? 'ok')).toEqual(['missing-value', 'invalid-value', 'short-row', 'ok']);
    expect(items[0].error?.message).toBe('the key column EXTERNAL_PERSON_KEY is empty');
    expect(items[1].error).toMatchObject({ line: 3, key: 'p1|x', message: 'column ROW_STATUS has "maybe", expected enabled, disabled or deleted' });
  });

  test('a header without ROLE_ID, with the person key only, is not an institution-roles feed; a missing person key is named', async () => {
    expect((await openFeed(file('EXTERNAL_PERSON_KEY|USER_ID\np1|u1\n'))).info.type).toBe('persons');
    const err = await openFeed(file('ROLE_ID|ROW_STATUS\nx|enabled\n')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedFileError);
    expect((err as FeedFileError).message).toMatch(/missing column "EXTERNAL_PERSON_KEY"/);
  });
});

describe('observers feed', () => {
  test("the guide's example #1: EXTERNAL_OBSERVER_KEY|EXTERNAL_USER_KEY, key OBSERVER|USER", async () => {
    const items = await observers(fixture('sis-observers.txt'));
    expect(items.map((i) => i.record?.key)).toEqual(['test_student_100_observer|test_student_100', 'test_student_200_observer|test_student_100']);
    expect(items[1].record?.fields).toEqual({ observer: 'test_student_200_observer', user: 'test_student_100' });
  });

  test('keys keep their case; a pipe in the observer key is refused', async () => {
    const items = await observers(file('EXTERNAL_OBSERVER_KEY,EXTERNAL_USER_KEY,ROW_STATUS\nMum,Kid,disabled\n"a|b",Kid,\n'));
    expect(items[0].record).toMatchObject({ key: 'Mum|Kid', rowStatus: 'disabled' });
    expect(items[1].error).toMatchObject({ code: 'invalid-value', message: 'column EXTERNAL_OBSERVER_KEY has "a|b", expected a key without "|"' });
  });

  test('an observers header without the observed person key is refused as a whole', async () => {
    const err = await openFeed(file('EXTERNAL_OBSERVER_KEY|ROW_STATUS\nm|enabled\n')).catch((e: unknown) => e);
    expect((err as FeedFileError).message).toMatch(/missing column "EXTERNAL_USER_KEY"/);
  });
});

describe('the shipped fixtures', () => {
  const shipped = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));
  test('fixtures/institution-roles.txt and fixtures/observers.txt read without row errors', async () => {
    const r = await roles(shipped('institution-roles.txt'));
    expect(r.map((i) => i.record?.key)).toEqual(['testPerson1|engineering_student', 'testPerson2|engineering_faculty', 'testPerson3|engineering_student', 'testPerson4|engineering_student']);
    expect(r[2].record?.rowStatus).toBe('disabled');
    const o = await observers(shipped('observers.txt'));
    expect(o.map((i) => i.error ?? i.record?.dataSource)).toEqual(['SIS.2026', 'SIS.2026', 'SIS.2026']);
  });
});
