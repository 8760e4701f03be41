/** README's "Files you already have" holds every dialect's page as docs/dialects/ has it, and cites its source. */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECTS } from '../src/dialects/index.js';
import { ROOT } from './helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README: files you already have', () => {
  test.each(DIALECTS.map((d) => [d.name, d.source]))('%s has its page, in README as written (node scripts/readme-dialects.mjs), citing its source', (name, source) => {
    const page = join(ROOT, 'docs/dialects', `${name}.md`);
    expect(existsSync(page)).toBe(true);
    const text = readFileSync(page, 'utf8').trim();
    expect(text.split('\n')[0]).toMatch(new RegExp(`^# .*\\(\`${name}\`\\)$`));
    // In README the page's headings sit two levels down (scripts/readme-dialects.mjs).
    expect(readme).toContain(text.replace(/^(#{1,4}) /gm, '##$1 '));
    expect(text).toContain(source);
  });
});
