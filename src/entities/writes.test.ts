/** The writer lock's scope of a run: its file's type, and what that type's rows may also write, read from the header. */
import { describe, expect, test } from '@jest/globals';
import type { FeedInfo } from '../feed/types.js';
import { writesOf } from './index.js';
import type { EntityType } from './types.js';

const feed = (type: EntityType, fields: string[]): FeedInfo =>
  ({ path: 'f.csv', type, dialect: 'sis', delimiter: '|', encoding: 'utf8', columns: fields, fields, headerLine: 1, headerText: fields.join('|') }) as FeedInfo;

describe('writesOf', () => {
  test('a type writes its own links; persons without an ACTION column nothing else', () => {
    expect(writesOf([feed('persons', ['key', 'username', 'firstname'])])).toEqual(['persons']);
    expect(writesOf([feed('enrolments', ['course', 'person', 'role'])])).toEqual(['enrolments']);
    expect(writesOf([feed('groups', ['course', 'group'])])).toEqual(['groups']);
  });

  test('block and unblock rows touch enrolments; courses create categories; cohorts drop member links', () => {
    expect(writesOf([feed('persons', ['key', 'username', 'command'])])).toEqual(['persons', 'enrolments']);
    expect(writesOf([feed('courses', ['key', 'fullname'])])).toEqual(['categories', 'courses']);
    expect(writesOf([feed('cohorts', ['key', 'name'])])).toEqual(['cohorts', 'cohort-members']);
  });

  test('a file of several parts locks what each part writes, once, in run order', () => {
    expect(writesOf([feed('persons', ['username']), feed('enrolments', ['course']), feed('persons', ['username'])])).toEqual(['persons', 'enrolments']);
  });
});
