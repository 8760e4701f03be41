/**
 * Rules the suite keeps about itself: a clone runs its tests alone (no reads outside the repository, the recorded
 * Moodle cases are the repo's own copy), and no test asserts a speed (`npm run bench` measures it; a loaded machine
 * would fail such a test for nothing).
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
const sources = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'test'))];
const tests = sources.filter((f) => f.endsWith('.test.ts') && !f.endsWith('repo-hygiene.test.ts'));

describe('a clone runs its own tests', () => {
  test('no source or test names a relative path that leads outside the repository', () => {
    // Every quoted relative path (one that starts with ../) is resolved from its file's folder: a clone has nothing
    // beside it, so each must stay inside the repository.
    const relativePath = /['"`]((?:\.\.\/)+[^'"`\n]*)['"`]/g;
    const escapes = sources.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(relativePath)]
        .map((m) => m[1])
        .filter((p) => relative(ROOT, resolve(dirname(f), p)).startsWith('..'))
        .map((p) => `${relative(ROOT, f)}: ${p}`),
    );
    expect(escapes).toEqual([]);
  });

  test.each(['contract', 'contract/2026-12'])('every case %s/index.json lists is in the repository', (dir) => {
    const index = JSON.parse(readFileSync(join(ROOT, dir, 'index.json'), 'utf8')) as { cases: { file: string }[] };
    expect(index.cases.length).toBeGreaterThan(0);
    expect(index.cases.filter((c) => !existsSync(join(ROOT, dir, c.file))).map((c) => c.file)).toEqual([]);
  });
});

describe('the sandbox is loaded only when asked for', () => {
  test('no module outside src/sandbox and src/bench imports it statically (import type and import() are fine)', () => {
    const outside = sources.filter((f) => !f.endsWith('.test.ts') && !/\/src\/(sandbox|bench)\//.test(f) && !/\/test\//.test(f));
    const staticImport = /^import\s+(?!type\b)[^;]*from\s+'(?:\.\.?\/)+sandbox\//m;
    expect(outside.filter((f) => staticImport.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f))).toEqual([]);
  });
});

describe('speed is measured, never asserted', () => {
  test('no test bounds a measured duration from above or a rate from below', () => {
    const duration = /expect\(\s*(?:Date\.now\(\)\s*-\s*\w+|performance\.now\(\)\s*-\s*\w+|\w*(?:[mM]s|[eE]lapsed|[sS]econds|[dD]uration)\w*)\s*\)\.toBeLessThan/;
    const rate = /expect\(\s*\w*(?:[rR]ate|[pP]erSecond|[tT]hroughput)\w*\s*\)\.toBeGreaterThan/;
    const offenders = tests.filter((f) => {
      const s = readFileSync(f, 'utf8');
      return duration.test(s) || rate.test(s);
    });
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  test('no test times anything: speed belongs to npm run bench', () => {
    // An elapsed time read in a test (Date.now() - start) is a clock too, whichever bound it is held to.
    const clock = /performance\.now\(\)|process\.hrtime|rowsPerSec|Date\.now\(\)\s*-\s*[a-zA-Z_]\w*\b(?!\s*\*)/;
    const timing = tests.filter((f) => clock.test(readFileSync(f, 'utf8')));
    expect(timing.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
