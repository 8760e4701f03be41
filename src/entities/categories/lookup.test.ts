import { describe, expect, it } from '@jest/globals';
import type { CategoryRecord } from './record.js';
import type { LedgerLink, LedgerStore } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/index.js';
import { categoryLookup } from './lookup.js';

interface Cat {
  id: number;
  name: string;
  idnumber: string;
  parent: number;
}

/** core_course_get_categories over a list: every criterion must match (an empty list lists every category). */
class FakeMoodle implements MoodleCaller {
  readonly calls: { key: string; value: string | number }[][] = [];
  constructor(readonly cats: Cat[]) {}
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    if (fn !== 'core_course_get_categories') throw new Error(`unexpected ${fn}`);
    const criteria = params.criteria as { key: keyof Cat; value: string | number }[];
    this.calls.push(criteria);
    return this.cats.filter((c) => criteria.every(({ key, value }) => String(c[key]) === String(value))) as T;
  }
}

/** The ledger holds no category links here: only the look-up's reads are asked of it. */
const emptyLedger = { getLinks: () => new Map<string, LedgerLink>() } as unknown as LedgerStore;

const row = (key: string, name: string, parent?: string): CategoryRecord => ({ key, fields: { name, ...(parent !== undefined ? { parent } : {}) } });
const reads = { retries: 1, backoffMs: 1 };

describe('categoryLookup: the same name under the same parent', () => {
  const site = (): Cat[] => [
    { id: 1, name: 'Category 1', idnumber: '', parent: 0 },
    { id: 5, name: 'Science', idnumber: 'path:Science', parent: 0 },
    { id: 6, name: '2026', idnumber: 'path:2026', parent: 0 },
    { id: 7, name: 'Science', idnumber: 'path:2026/Science', parent: 6 },
    { id: 8, name: 'Art', idnumber: 'ART', parent: 0 },
  ];

  it('adopts a path-made or hand-made category, level by level within the chunk, each by one row only; never one another key owns', async () => {
    const moodle = new FakeMoodle(site());
    const rows = [row('SCI26', 'Science', 'Y2026'), row('Y2026', '2026'), row('SCI', 'Science'), row('SCI-B', 'Science'), row('ART2', 'Art'), row('MISC', 'Category 1')];
    const out = await categoryLookup(moodle, emptyLedger, reads)(rows, rows);
    expect(out.get('SCI26')?.match).toEqual({ id: 7, via: 'name' });
    expect(out.get('Y2026')?.match).toEqual({ id: 6, via: 'name' });
    expect(out.get('SCI')?.match).toEqual({ id: 5, via: 'name' });
    expect(out.get('SCI-B')?.match).toBeUndefined();
    expect(out.get('ART2')?.match).toBeUndefined();
    expect(out.get('MISC')?.match).toEqual({ id: 1, via: 'name' });
  });

  it('a parent adopted by name in an earlier chunk places the rows of later chunks', async () => {
    const moodle = new FakeMoodle(site());
    const lookup = categoryLookup(moodle, emptyLedger, reads);
    const first = [row('Y2026', '2026')];
    expect((await lookup(first, first)).get('Y2026')?.match).toEqual({ id: 6, via: 'name' });
    const second = [row('SCI26', 'Science', 'Y2026')];
    expect((await lookup(second, second)).get('SCI26')?.match).toEqual({ id: 7, via: 'name' });
  });

  it('many rows: one listing of every category instead of a call per row', async () => {
    const cats = Array.from({ length: 30 }, (_, i) => ({ id: 100 + i, name: `Dept ${i}`, idnumber: i % 2 === 0 ? `path:Dept ${i}` : '', parent: 0 }));
    const moodle = new FakeMoodle(cats);
    const rows = cats.map((c, i) => row(`D${i}`, c.name));
    const out = await categoryLookup(moodle, emptyLedger, reads)(rows, rows);
    rows.forEach((r, i) => expect(out.get(r.key)?.match).toEqual({ id: 100 + i, via: 'name' }));
    expect(moodle.calls.filter((c) => c.some((k) => k.key === 'name'))).toHaveLength(0);
  });
});
