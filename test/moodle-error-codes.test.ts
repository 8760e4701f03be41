/**
 * README's "Moodle's error codes" section and the table of src/moodle/errorcodes.ts cannot drift: every code has its
 * row with the same kind and hint, the section lists no other, and it gives the password policy's and the fallback hint.
 */
import { describe, expect, test } from '@jest/globals';
import { README, readmeSection, rowsByCode } from './readme.js';
import { MOODLE_CODES, PASSWORD_POLICY_HINT, UNKNOWN_CODE_HINT } from '../src/moodle/errorcodes.js';

describe("README lists every Moodle code of src/moodle/errorcodes.ts", () => {
  const text = readmeSection("### Moodle's error codes");
  const rows = rowsByCode(text);

  test('every code of the table has its row in the section, and the section no other', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(MOODLE_CODES).sort());
  });

  test.each(Object.keys(MOODLE_CODES))('%s: kind and hint as in the table', (code) => {
    expect(rows.get(code)).toEqual([`\`${code}\``, MOODLE_CODES[code].kind, MOODLE_CODES[code].hint]);
  });

  test("the password policy's hint and the hint for unknown codes are in the section", () => {
    expect(text).toContain(PASSWORD_POLICY_HINT);
    expect(text).toContain(UNKNOWN_CODE_HINT);
  });

  test('the section follows the "Error codes" section', () => {
    expect(README.indexOf("\n### Moodle's error codes\n")).toBeGreaterThan(README.indexOf('\n### Error codes\n'));
  });
});
