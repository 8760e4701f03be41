/**
 * README's "Error codes" section and the code table of src/errors.ts cannot drift: every code of the table has its
 * row in the section, with the same family, exit code and hint, and the section lists no code the table lacks.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CODES, EXIT, type ErrorCode } from '../src/errors.js';

const README = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,3} /);
  return end === -1 ? rest : rest.slice(0, end);
}

/** The cells of a markdown table row, `\|` read as a pipe inside a cell. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replaceAll('\\|', '|'));
}

describe('README lists every error code of src/errors.ts', () => {
  const rows = new Map<string, string[]>();
  for (const line of section('### Error codes').split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m) rows.set(m[1], cells(line));
  }

  test('every code of the table has its row in the section, and the section no other', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(CODES).sort());
  });

  test.each(Object.keys(CODES) as ErrorCode[])('%s: family, exit code and hint as in the table', (code) => {
    const spec: { family: string; exit: number; hint: string; row?: true } = CODES[code];
    const family = spec.row ? `${spec.family}, row` : spec.family;
    expect(rows.get(code)).toEqual([`\`${code}\``, family, String(spec.exit), spec.hint]);
  });

  test('the exit code table of "Outputs and exit codes" names every exit code', () => {
    const listed = section('## Outputs and exit codes')
      .split('\n')
      .map((line) => /^\|\s*(\d+)\s*\|/.exec(line)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort();
    expect(listed).toEqual(Object.values(EXIT).sort());
  });
});
