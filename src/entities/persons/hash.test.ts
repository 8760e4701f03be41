import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { personContentHash } from './hash.js';
import type { PersonRecord } from './record.js';

const base: PersonRecord = {
  key: 'testPerson1',
  fields: { username: 'aanderson_test', password: 'changeme', firstname: 'Alpha', lastname: 'Anderson', idnumber: 'testPerson1' },
  customfields: { program: 'ENG', year: '2' },
};

const key = randomBytes(32);

describe('personContentHash', () => {
  it('is stable and ignores key order of fields and custom fields', () => {
    const reordered: PersonRecord = {
      customfields: { year: '2', program: 'ENG' },
      fields: { idnumber: 'testPerson1', lastname: 'Anderson', firstname: 'Alpha', password: 'changeme', username: 'aanderson_test' },
      key: 'testPerson1',
    };
    expect(personContentHash(base, 'create-only')).toBe(personContentHash(reordered, 'create-only'));
    expect(personContentHash(base, 'always', key)).toBe(personContentHash(reordered, 'always', key));
    expect(personContentHash(base, 'create-only')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('changes with fields, custom fields and availability', () => {
    const h = personContentHash(base, 'create-only');
    expect(personContentHash({ ...base, fields: { ...base.fields, email: 'a@test.com' } }, 'create-only')).not.toBe(h);
    expect(personContentHash({ ...base, customfields: { program: 'ENG', year: '3' } }, 'create-only')).not.toBe(h);
    expect(personContentHash({ ...base, customfields: undefined }, 'create-only')).not.toBe(h);
    expect(personContentHash({ ...base, available: false }, 'create-only')).not.toBe(h);
    // Unsaid availability is not "available": saying it later (suspended=0 after no column) must be sent.
    expect(personContentHash({ ...base, available: true }, 'create-only')).not.toBe(h);
    expect(personContentHash({ ...base, available: true }, 'create-only')).toBe(personContentHash({ ...base, available: true }, 'create-only'));
  });

  it('covers the password only with passwords: always', () => {
    const other = { ...base, fields: { ...base.fields, password: 'secret2' } };
    expect(personContentHash(other, 'create-only')).toBe(personContentHash(base, 'create-only'));
    expect(personContentHash(other, 'always', key)).not.toBe(personContentHash(base, 'always', key));
  });

  it('ignores command, row status, data source and Moodle id', () => {
    const h = personContentHash(base, 'always', key);
    const routed: PersonRecord = { ...base, command: 'store', rowStatus: 'enabled', dataSource: 'SIS', moodleId: 42 };
    expect(personContentHash(routed, 'always', key)).toBe(h);
  });

  it('gives the hashes ledgers already hold: what is hashed and how never changes (else every link reads as changed)', () => {
    // Values computed by the first implementation; a field order, a separator or an encoding changed breaks them.
    const secret = Buffer.alloc(32, 7);
    const sis: PersonRecord = {
      key: 'B0000001',
      available: true,
      fields: { idnumber: 'B0000001', username: 'b0000001', password: 'Secret-0000001x', firstname: 'First0000001', lastname: 'Last0000001', email: 'b0000001@example.edu' },
    };
    // Every field, given in reverse order, with non-ASCII values and an empty custom field.
    const every: PersonRecord = {
      key: 'zoë',
      available: false,
      fields: {
        maildisplay: '2', mailformat: '0', theme: 'boost', interests: 'a;b', lastnamephonetic: 'x', firstnamephonetic: 'y', alternatename: 'Al', middlename: 'M',
        description: 'Zoë € 😀', address: '1 Rue', phone2: '2', phone1: '1', department: 'D', institution: 'I', timezone: 'Europe/Paris', country: 'FR', city: 'Lyon',
        lang: 'fr', auth: 'manual', idnumber: 'zoë', email: 'z@x.fr', lastname: 'Ø', firstname: 'Zoë', password: 'pw', username: 'zoe',
      },
      customfields: { b: '1', a: '' },
    };
    const sparse: PersonRecord = { key: 'k', fields: { username: 'u', email: undefined, firstname: 'F' } };
    expect(personContentHash(base, 'create-only')).toBe('FMdADhWM1U0cCnDWz5Kj6cNefZyqik1eWsuo5zYr6-8');
    expect(personContentHash(sis, 'create-only')).toBe('BdkHdzJlTvCurYEB3ErCkftNjHo12bCtRl50-yO2i5c');
    expect(personContentHash(sis, 'always', secret)).toBe('T12SMubsfmOdBGQ69lf8qM7dX7AF0Uxj4RMir9IYx34');
    expect(personContentHash(every, 'create-only')).toBe('oh9icYiEyiiJiyxgUDwAFWpBOMCruMQcelSUQ6ypr2Y');
    expect(personContentHash(every, 'always', secret)).toBe('f9d-sorFRdT5l4PE4ZXoaH6UMFD1VotDHyOtdrWbglg');
    expect(personContentHash(sparse, 'create-only')).toBe('h3LZLs0L4L8_2Re-GBWwy9McxNt4Sr-6L7GdKrTPH8w');
  });

  it('cannot be fooled by values that contain separators', () => {
    const a: PersonRecord = { key: 'k', fields: { firstname: 'a","lastname', lastname: 'b' } };
    const b: PersonRecord = { key: 'k', fields: { firstname: 'a', lastname: 'lastname","b' } };
    expect(personContentHash(a, 'create-only')).not.toBe(personContentHash(b, 'create-only'));
  });

  it('takes the password only through an HMAC keyed by the ledger secret: a guess cannot be confirmed from the hash', () => {
    const withKey = personContentHash(base, 'always', key);
    // The unsalted form earlier versions stored: SHA-256 over known fields plus the plaintext password.
    const f = base.fields;
    const part = (n: string, v: string) => `${n}=${v.length}:${v};`;
    const plain = 'p1|-|' + part('firstname', f.firstname!) + part('idnumber', f.idnumber!) + part('lastname', f.lastname!) + part('password', f.password!) + part('username', f.username!) + '|' + part('program', 'ENG') + part('year', '2');
    expect(withKey).not.toBe(createHash('sha256').update(plain).digest('base64url'));
    // Another ledger (another secret) gives another hash for the same row; the same secret, the same hash.
    expect(personContentHash(base, 'always', randomBytes(32))).not.toBe(withKey);
    expect(personContentHash(base, 'always', Buffer.from(key))).toBe(withKey);
    // create-only never needs the secret, and does not change with it.
    expect(personContentHash(base, 'create-only', randomBytes(32))).toBe(personContentHash(base, 'create-only'));
    expect(() => personContentHash(base, 'always')).toThrow(/ledger secret/);
  });
});
