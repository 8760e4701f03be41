/**
 * The README's web-service functions per feed type are the definitions' (`functions` of each type in
 * src/entities/index.ts, what `run` and `doctor` check): the table under "Web-service functions per feed type" has
 * one row per type, in run order, and every "A … run needs …" sentence of a feed's section names its type's functions.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENTITY_TYPES, functionsOf, isEntityType } from '../src/entities/index.js';
import { ROOT } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Backquoted web-service function names (`core_user_create_users`), not capabilities (`moodle/user:create`). */
const functionNames = (text: string): string[] => [...text.matchAll(/`([a-z]+_[a-z0-9_]+)`/g)].map((m) => m[1]);
const sorted = (names: readonly string[]): string[] => [...new Set(names)].sort();

function table(): Map<string, string[]> {
  const start = README.indexOf('**Web-service functions per feed type**');
  expect(start).toBeGreaterThan(-1);
  const lines = README.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows = lines.slice(first + 2, lines.findIndex((l, i) => i > first && !l.startsWith('|')));
  return new Map(
    rows.map((row) => {
      const [, type, fns] = row.split('|').map((c) => c.trim());
      return [type.replace(/`/g, ''), functionNames(fns)];
    }),
  );
}

describe('README: web-service functions per feed type', () => {
  test('the table has one row per entity type, in run order', () => {
    expect([...table().keys()]).toEqual([...ENTITY_TYPES]);
  });

  test.each(ENTITY_TYPES.map((t) => [t]))('the table lists exactly the functions of %s', (type) => {
    const listed = table().get(type) ?? [];
    expect(sorted(listed)).toEqual(sorted(functionsOf(type)));
    expect(listed.length).toBe(new Set(listed).size);
  });

  test('each "A TYPE run needs …" sentence lists exactly that type\'s functions', () => {
    const sentences = [...README.matchAll(/\bAn? ([a-z-]+) run needs ([\s\S]*?)\.(?=\s|$)/g)];
    expect(sentences.length).toBeGreaterThan(0);
    for (const [, type, text] of sentences) {
      expect(isEntityType(type) ? type : `no entity type "${type}"`).toBe(type);
      expect({ type, functions: sorted(functionNames(text)) }).toEqual({ type, functions: sorted(functionsOf(type as never)) });
    }
  });
});
