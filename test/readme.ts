/** README.md read by the tests that keep it equal to the code: a section's text and a table row's cells. */
import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

/** The text under a heading (given with its #s), up to the next heading of level 1 to 3. */
export function readmeSection(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,3} /);
  return end === -1 ? rest : rest.slice(0, end);
}

/** The cells of a markdown table row, `\|` read as a pipe inside a cell. */
export function tableCells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replaceAll('\\|', '|'));
}

/** The rows of a section's tables whose first cell is a `code`, by that code. */
export function rowsByCode(section: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m) rows.set(m[1], tableCells(line));
  }
  return rows;
}
