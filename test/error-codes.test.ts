/**
 * README's "Error codes" section and the code table of src/errors.ts cannot drift: every code of the table has its
 * row in the section, with the same family, exit code and hint, and the section lists no code the table lacks.
 */
import { describe, expect, test } from '@jest/globals';
import { readmeSection, rowsByCode } from './readme.js';
import { CODES, EXIT, type ErrorCode } from '../src/errors.js';

describe('README lists every error code of src/errors.ts', () => {
  const rows = rowsByCode(readmeSection('### Error codes'));

  test('every code of the table has its row in the section, and the section no other', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(CODES).sort());
  });

  test.each(Object.keys(CODES) as ErrorCode[])('%s: family, exit code and hint as in the table', (code) => {
    const spec: { family: string; exit: number; hint: string; row?: true } = CODES[code];
    const family = spec.row ? `${spec.family}, row` : spec.family;
    expect(rows.get(code)).toEqual([`\`${code}\``, family, String(spec.exit), spec.hint]);
  });

  test('the exit code table of "Outputs and exit codes" names every exit code', () => {
    const listed = readmeSection('## Outputs and exit codes')
      .split('\n')
      .map((line) => /^\|\s*(\d+)\s*\|/.exec(line)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort();
    expect(listed).toEqual(Object.values(EXIT).sort());
  });
});
