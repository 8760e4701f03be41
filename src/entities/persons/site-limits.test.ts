import { describe, expect, test } from '@jest/globals';
import { LocalRowError } from '../../apply/pack.js';
import { checkFieldLengths, checkNulCharacters, dropUninstalledLang, fitToSite, USER_FIELD_LIMITS } from './site-limits.js';

const base = { username: 'ana', firstname: 'Ana', lastname: 'Uno', email: 'ana@example.edu' };

describe('checkFieldLengths', () => {
  test('the sizes are mdl_user columns as recorded (cases 152-157, 166)', () => {
    expect(USER_FIELD_LIMITS).toMatchObject({ username: 100, firstname: 100, lastname: 100, email: 100, idnumber: 255, phone1: 20, city: 120 });
  });

  test('at the limit passes; one over fails naming the field, its length and the limit', () => {
    expect(() => checkFieldLengths({ ...base, firstname: 'F'.repeat(100), idnumber: 'I'.repeat(255) })).not.toThrow();
    expect(() => checkFieldLengths({ ...base, firstname: 'F'.repeat(101) })).toThrow(
      new LocalRowError('field-too-long', 'firstname is 101 characters; Moodle allows at most 100'),
    );
    expect(() => checkFieldLengths({ id: 7, idnumber: 'I'.repeat(256) })).toThrow('idnumber is 256 characters; Moodle allows at most 255');
  });

  test('every field over its size is named', () => {
    expect(() => checkFieldLengths({ ...base, city: 'C'.repeat(121), phone1: '1'.repeat(21) })).toThrow(
      'city is 121 characters; Moodle allows at most 120; phone1 is 21 characters; Moodle allows at most 20',
    );
  });

  test('characters, not UTF-16 units or bytes: 100 emoji fit a 100-character column', () => {
    expect(() => checkFieldLengths({ ...base, firstname: '😀'.repeat(100) })).not.toThrow();
    expect(() => checkFieldLengths({ ...base, firstname: '😀'.repeat(101) })).toThrow('firstname is 101 characters');
  });
});

describe('dropUninstalledLang', () => {
  test('an installed lang is sent; another is left out with a warning saying what applies', () => {
    const ok = { ...base, lang: 'en' };
    expect(dropUninstalledLang(ok, ['en'], 'create')).toBeUndefined();
    expect(ok.lang).toBe('en');
    const es: { lang?: string } & typeof base = { ...base, lang: 'es' };
    expect(dropUninstalledLang(es, ['en'], 'create')).toBe(
      'lang es is not installed on the site (moodle.languages: en): sent without lang, the site default applies',
    );
    expect('lang' in es).toBe(false);
    const upd: { id: number; lang?: string } = { id: 3, lang: 'es' };
    expect(dropUninstalledLang(upd, ['en', 'fr'], 'update')).toMatch(/moodle\.languages: en, fr.*keeps its language/);
    expect(upd).toEqual({ id: 3 });
  });

  test('a language the config lists is kept', () => {
    const es = { ...base, lang: 'es' };
    expect(fitToSite(es, ['en', 'es'], 'create')).toBeUndefined();
    expect(es.lang).toBe('es');
  });
});

describe('checkNulCharacters', () => {
  test('a NUL anywhere fails the row naming the field (Moodle refuses the whole batch: case 158)', () => {
    expect(() => checkNulCharacters({ ...base, firstname: 'Ana\0Maria' })).toThrow(
      new LocalRowError('invalid-character', 'firstname contains a NUL character (U+0000), which Moodle refuses'),
    );
    expect(() => checkNulCharacters({ id: 4, city: 'a\0', idnumber: '\0' })).toThrow('city, idnumber contain a NUL');
    expect(() => fitToSite({ ...base, firstname: 'Ana María 😀' }, ['en'], 'create')).not.toThrow();
  });
});
