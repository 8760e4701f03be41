/** The function lists of commands that do part of an entity's work (`mdlsync user …`, `purge`) are named from the definitions. */
import { describe, expect, test } from '@jest/globals';
import { functionsFrom, functionsOf } from './index.js';
import { LIFECYCLE_FUNCTIONS } from '../lifecycle.js';
import { PURGE_FUNCTIONS } from '../purge.js';

describe('functionsFrom', () => {
  test('answers the names when each is a function of one of the types', () => {
    expect(functionsFrom(['persons', 'enrolments'], ['core_user_update_users', 'enrol_manual_enrol_users'])).toEqual(['core_user_update_users', 'enrol_manual_enrol_users']);
  });

  test('throws on a name none of the types declares', () => {
    expect(() => functionsFrom(['persons'], ['core_user_update_users', 'enrol_manual_enrol_users'])).toThrow(/enrol_manual_enrol_users: not among the web-service functions of persons/);
  });

  test('user and purge commands check only functions of persons and enrolments', () => {
    const declared = new Set([...functionsOf('persons'), ...functionsOf('enrolments')]);
    const lists = [...Object.values(LIFECYCLE_FUNCTIONS), ...Object.values(PURGE_FUNCTIONS)];
    expect(lists.flat().filter((f) => !declared.has(f))).toEqual([]);
    expect(PURGE_FUNCTIONS.persons).toContain('core_user_delete_users');
    expect(LIFECYCLE_FUNCTIONS.password.every((f) => functionsOf('persons').includes(f))).toBe(true);
  });
});
