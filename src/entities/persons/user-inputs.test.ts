import { describe, expect, it } from '@jest/globals';
import type { ActionOf } from '../../plan/types.js';
import { DEFAULT_APPLY_OPTIONS } from '../../apply/options.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { buildCreate, buildUpdate, userLeaves } from './user-inputs.js';

const act = (kind: ActionOf<'persons'>['kind'], fields: Record<string, string>, more: Partial<ActionOf<'persons'>> = {}): ActionOf<'persons'> => ({
  kind,
  entity: 'persons',
  key: 'K1',
  line: 2,
  record: { key: 'K1', fields, customfields: { grade: '7' } },
  dataSource: null,
  reason: 'test',
  ...more,
});

describe('buildCreate', () => {
  const base = { username: 'jdoe', firstname: 'J', lastname: 'Doe', idnumber: 'K1', city: 'Leeds' };

  it('keeps Moodle field names, adds createpassword for internal auths and custom fields as {type, value}', () => {
    expect(buildCreate(act('create', base), DEFAULT_APPLY_OPTIONS)).toEqual({
      username: 'jdoe',
      firstname: 'J',
      lastname: 'Doe',
      email: 'jdoe@example.invalid',
      createpassword: 1,
      idnumber: 'K1',
      city: 'Leeds',
      customfields: [{ type: 'grade', value: '7' }],
    });
  });

  it('fills the email template with {username} and {key}', () => {
    const input = buildCreate(act('create', base), { ...DEFAULT_APPLY_OPTIONS, emailWhenMissing: '{key}.{username}@school.test' });
    expect(input.email).toBe('K1.jdoe@school.test');
  });

  it('sends no createpassword for external auths and refuses what Moodle would refuse', () => {
    expect(buildCreate(act('create', { ...base, auth: 'ldap' }), DEFAULT_APPLY_OPTIONS).createpassword).toBeUndefined();
    expect(() => buildCreate(act('create', base), { ...DEFAULT_APPLY_OPTIONS, emailWhenMissing: null })).toThrow(LocalRowError);
    expect(() => buildCreate(act('create', { username: 'x', firstname: 'y' }), DEFAULT_APPLY_OPTIONS)).toThrow(/lastname is required/);
    expect(() => buildCreate(act('create', base, { record: undefined }), DEFAULT_APPLY_OPTIONS)).toThrow(LocalRowError);
  });
});

describe('buildUpdate', () => {
  it('sends id, the row fields without the password unless asked, and suspended from the action', () => {
    const fields = { username: 'jdoe', password: 'Secret1!', email: 'j@x.org' };
    expect(buildUpdate(act('update', fields, { suspended: false }), 7)).toEqual({
      id: 7,
      username: 'jdoe',
      email: 'j@x.org',
      customfields: [{ type: 'grade', value: '7' }],
      suspended: 0,
    });
    expect(buildUpdate(act('update', fields, { sendPassword: true }), 7).password).toBe('Secret1!');
    expect(buildUpdate(act('update', fields), 7).suspended).toBeUndefined();
  });

  it('a disable suspends and an enable unsuspends when the plan does not say', () => {
    expect(buildUpdate(act('disable', {}, { record: undefined }), 3)).toEqual({ id: 3, suspended: 1 });
    expect(buildUpdate(act('enable', {}, { record: undefined }), 3)).toEqual({ id: 3, suspended: 0 });
  });
});

describe('pack', () => {
  it('packs in order by record count and leaf budget, and sets apart what cannot fit alone', () => {
    const sizes = [5, 5, 5, 30, 2, 2, 200];
    const { batches, tooBig } = pack(sizes, (n) => n, { batchSize: 3, maxInputVars: 50 });
    expect(batches).toEqual([[5, 5, 5], [30, 2, 2]]);
    expect(tooBig).toEqual([{ item: 200, vars: 200, budget: 47 }]);
    expect(pack([10, 10, 10], (n) => n, { batchSize: 50, maxInputVars: 23 }).batches).toEqual([[10, 10], [10]]);
  });

  it('userLeaves counts one record\'s form variables', () => {
    expect(userLeaves({ id: 1, suspended: 1 })).toBe(2);
    expect(userLeaves({ id: 1, customfields: [{ type: 'a', value: 'b' }] })).toBe(3);
  });
});
