/**
 * The README names web-service functions per feed type only in each feed's section ("A … run needs …"); the full lists
 * are `mdlsync setup`'s, read from the definitions (`functions` of each type in src/entities/index.ts, what `run` and
 * `doctor` check). Each such sentence must name exactly its type's functions, and "Setting up Moodle" must point to
 * `mdlsync setup` instead of keeping a copy of the lists.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionsOf, isEntityType } from '../src/entities/index.js';
import { ROOT } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/**
 * Backquoted web-service function names (`core_user_create_users`: a component prefix), not capabilities
 * (`moodle/user:create`) nor PHP settings (`max_input_vars`).
 */
const functionNames = (text: string): string[] => [...text.matchAll(/`((?:core|enrol|mod|gradereport|report|tool|local)_[a-z0-9_]+)`/g)].map((m) => m[1]);
const sorted = (names: readonly string[]): string[] => [...new Set(names)].sort();

/** The text of the section under a "## " heading. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end);
}

describe('README: web-service functions per feed type', () => {
  test('each "A TYPE run needs …" sentence lists exactly that type\'s functions', () => {
    const sentences = [...README.matchAll(/\bAn? ([a-z-]+) run needs ([\s\S]*?)\.(?=\s|$)/g)];
    expect(sentences.length).toBeGreaterThan(0);
    for (const [, type, text] of sentences) {
      expect(isEntityType(type) ? type : `no entity type "${type}"`).toBe(type);
      expect({ type, functions: sorted(functionNames(text)) }).toEqual({ type, functions: sorted(functionsOf(type as never)) });
    }
  });

  test('"Setting up Moodle" points to mdlsync setup and lists no functions of its own', () => {
    const text = section('Setting up Moodle');
    expect(text).toContain('mdlsync setup --types');
    expect(functionNames(text)).toEqual([]);
  });
});
