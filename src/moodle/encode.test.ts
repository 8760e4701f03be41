import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { countFormVars, encodeForm } from './encode.js';

interface ContractCase {
  function: string;
  params: { encoded: string; object: Record<string, unknown> };
}
const contract = (name: string): ContractCase =>
  JSON.parse(readFileSync(new URL(`../../contract/${name}.json`, import.meta.url), 'utf8')) as ContractCase;

describe('encodeForm', () => {
  it.each(['02_create_users_ok', '121_invalid_param_type'])('reproduces the recorded body of %s', (name) => {
    const c = contract(name);
    expect(encodeForm('TOKEN', c.function, c.params.object)).toBe(c.params.encoded);
  });

  it('puts the control parameters first, sends booleans as 1/0 and leaves undefined and null out', () => {
    const body = encodeForm('t0k', 'core_user_update_users', { users: [{ id: 5, suspended: true, city: undefined, lang: null }, { id: 6, suspended: false }] });
    expect(body).toBe(
      'wstoken=t0k&wsfunction=core_user_update_users&moodlewsrestformat=json&users%5B0%5D%5Bid%5D=5&users%5B0%5D%5Bsuspended%5D=1&users%5B1%5D%5Bid%5D=6&users%5B1%5D%5Bsuspended%5D=0',
    );
  });

  it('decodes back to the same structure with PHP bracket names (customfields nested)', () => {
    const body = encodeForm('x', 'f', { users: [{ username: 'a b&c', customfields: [{ type: 'grade', value: '7 / 8' }] }] });
    const pairs = new URLSearchParams(body);
    expect(pairs.get('users[0][username]')).toBe('a b&c');
    expect(pairs.get('users[0][customfields][0][type]')).toBe('grade');
    expect(pairs.get('users[0][customfields][0][value]')).toBe('7 / 8');
  });
});

describe('countFormVars', () => {
  it('counts the leaves of the recorded create request (the body minus the 3 control pairs)', () => {
    const c = contract('02_create_users_ok');
    expect(countFormVars(c.params.object)).toBe(c.params.encoded.split('&').length - 3);
    expect(countFormVars(c.params.object)).toBe(19);
  });

  it('counts nested leaves, skips undefined and empty lists', () => {
    expect(countFormVars({})).toBe(0);
    expect(countFormVars({ field: 'username', values: ['a', 'b', 'c'] })).toBe(4);
    expect(countFormVars({ users: [{ id: 1, suspended: true, city: undefined, customfields: [] }] })).toBe(2);
    expect(countFormVars({ users: [{ id: 1, customfields: [{ type: 't', value: 'v' }, { type: 'u', value: 'w' }] }] })).toBe(5);
  });
});
