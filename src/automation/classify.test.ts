import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byDependencyThenAge, classify, isIgnoredName } from './classify.js';
import { expandGlob } from './schedule.js';

describe('classify', () => {
  test('the name convention gives type, op and (with two middle parts) the data source', () => {
    expect(classify('persons.store.SIS.2026-11-23.csv', [])).toEqual({ ok: true, value: { type: 'persons', op: 'store', dataSource: 'SIS', force: false, by: 'name convention' } });
    expect(classify('persons.delete.2026-11-23.txt', [])).toMatchObject({ ok: true, value: { op: 'delete', dataSource: undefined } });
    expect(classify('Persons.Store.csv', [])).toMatchObject({ ok: true, value: { type: 'persons', op: 'store' } });
  });

  test('unknown names and name-convention refreshes are refused with a reason', () => {
    expect(classify('notes.csv', [])).toMatchObject({ ok: false, reason: expect.stringMatching(/convention/) });
    expect(classify('persons.store.pdf', [])).toMatchObject({ ok: false });
    expect(classify('persons.refresh-ds.SIS.x.csv', [])).toMatchObject({ ok: false, reason: expect.stringMatching(/watch\.rules/) });
  });

  test('the first matching rule wins, and a rule may allow a refresh', () => {
    const rules = [
      { match: 'full-*.csv', op: 'refresh' as const, force: false },
      { match: '*.csv', type: 'persons' as const, op: 'store' as const, datasource: 'HR', force: false },
    ];
    expect(classify('full-1.csv', rules)).toMatchObject({ ok: true, value: { op: 'refresh', by: 'watch rule 1 (full-*.csv)' } });
    expect(classify('notes.csv', rules)).toMatchObject({ ok: true, value: { type: 'persons', dataSource: 'HR' } });
  });

  test('partial uploads, temporary files and dotfiles are ignored', () => {
    expect(['a.csv.part', 'a.TMP', '.hidden.csv'].every(isIgnoredName)).toBe(true);
    expect(isIgnoredName('persons.store.csv')).toBe(false);
  });

  test('dependency order first, then oldest first', () => {
    const files = [
      { name: 'e', type: 'enrolments' as const, mtimeMs: 1 },
      { name: 'p2', type: 'persons' as const, mtimeMs: 5 },
      { name: 'x', mtimeMs: 0 },
      { name: 'c', type: 'courses' as const, mtimeMs: 9 },
      { name: 'p1', type: 'persons' as const, mtimeMs: 2 },
    ];
    expect(files.sort(byDependencyThenAge).map((f) => f.name)).toEqual(['c', 'p1', 'p2', 'e', 'x']);
  });
});

describe('expandGlob', () => {
  test('matches files under the glob base, leaving out partial and hidden files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-glob-'));
    mkdirSync(join(dir, 'sub'));
    for (const f of ['a.csv', 'b.txt', 'c.csv.part', '.d.csv', 'sub/e.csv']) writeFileSync(join(dir, f), 'x');
    expect((await expandGlob(join(dir, '*.csv'))).map((f) => f.slice(dir.length + 1))).toEqual(['a.csv']);
    expect((await expandGlob(join(dir, '**/*.csv'))).map((f) => f.slice(dir.length + 1)).sort()).toEqual(['a.csv', 'sub/e.csv']);
    expect(await expandGlob(join(dir, 'none', '*.csv'))).toEqual([]);
  });
});
