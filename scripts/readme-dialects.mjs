#!/usr/bin/env node
// Puts each dialect's page (docs/dialects/*.md) into README's "Files you already have" section, between the markers,
// so the README holds the whole of it and the pages stay one file per dialect. Run after editing a page.
// Outside fenced code, a page's `#` headings become `###` (code blocks in the pages hold no line starting with `# `).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const START = '<!-- dialects: each format\'s page from docs/dialects/ -->';
const END = '<!-- end of dialects -->';
const ORDER = ['moodle-uploaduser', 'moodle-uploadcourse', 'moodle-uploadcohort', 'enrol-flatfile', 'tool-sync', 'blackboard', 'canvas'];
const pages = readdirSync(join(root, 'docs/dialects'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.replace(/\.md$/, ''))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
// A page's headings sit two levels down in README (its title under "## Files you already have" is a ###).
export const demote = (text) => text.replace(/^(#{1,4}) /gm, '##$1 ');
const body = pages.map((p) => demote(readFileSync(join(root, 'docs/dialects', `${p}.md`), 'utf8').trim())).join('\n\n');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const from = readme.indexOf(START);
if (from === -1) throw new Error('README has no dialects marker');
const to = readme.indexOf(END, from);
const after = to === -1 ? readme.slice(from + START.length) : readme.slice(to + END.length);
writeFileSync(join(root, 'README.md'), `${readme.slice(0, from)}${START}\n\n${body}\n\n${END}${after}`);
console.log(`README: ${pages.length} dialect page(s): ${pages.join(', ')}`);
