import { describe, expect, it } from '@jest/globals';
import { LinkReader } from './reader.js';
import { SqliteLedger } from './sqlite.js';
import type { LedgerLink, LinkWrite } from './types.js';

const N = 12_000;
const key = (i: number) => `C${i % 97}|P${String(i).padStart(6, '0')}`;

/** A ledger with N enrolment links written in order i = 0…N-1, persons links interleaved, every 7th disabled. */
function ledger(n = N): SqliteLedger {
  const l = SqliteLedger.open(':memory:');
  const links: LinkWrite[] = [];
  for (let i = 0; i < n; i++) {
    links.push({ entity: 'enrolments', key: key(i), moodleId: i + 1, dataSource: 'SIS', hash: `h${i}`, status: i % 7 === 0 ? 'disabled' : 'active', runId: 'r1' });
    if (i % 500 === 0) links.push({ entity: 'persons', key: key(i), moodleId: 9, dataSource: null, hash: null, status: 'active', runId: 'r1' });
  }
  l.writeLinks(links);
  return l;
}

/** Reads `keys` in chunks through a LinkReader; checks each chunk against getLinks; counts keys getLinks was asked. */
function readAll(l: SqliteLedger, keys: string[], chunk = 2000): number {
  let asked = 0;
  const counting = Object.create(l) as SqliteLedger;
  counting.getLinks = (entity: string, ks: readonly string[]): Map<string, LedgerLink> => {
    asked += ks.length;
    return l.getLinks(entity, ks);
  };
  const reader = new LinkReader(counting, 'enrolments');
  for (let i = 0; i < keys.length; i += chunk) {
    const part = keys.slice(i, i + chunk);
    expect(reader.get(part)).toEqual(l.getLinks('enrolments', part));
  }
  return asked;
}

function shuffled<T>(xs: T[], seed = 7): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('LinkReader', () => {
  it("reads a file in the ledger's order from the scan, without IN queries", () => {
    const l = ledger();
    expect(readAll(l, Array.from({ length: N }, (_, i) => key(i)))).toBe(0);
  });

  it('gives what getLinks gives for a local shuffle, new keys, duplicates and a start in the middle', () => {
    const l = ledger();
    const keys: string[] = [];
    // Starts at row 5,000; batches of 50 arrive out of order within groups of 4 (a store's concurrent calls).
    for (let b = 5000; b < N; b += 200) {
      const group = [0, 1, 2, 3].map((g) => Array.from({ length: 50 }, (_, j) => b + g * 50 + j).filter((i) => i < N));
      for (const g of [group[2], group[0], group[3], group[1]]) for (const i of g) keys.push(key(i));
      keys.push(`NEW|${b}`);
      if (b % 1000 === 0) keys.push(key(b));
    }
    // Then the rows before the start, and keys that only differ from linked ones.
    for (let i = 0; i < 5000; i++) keys.push(key(i));
    keys.push('C1|P000001 ', 'c1|P000001');
    const asked = readAll(l, keys);
    expect(asked).toBeLessThan(keys.length / 2);
  });

  it('gives up the scan for a large file in another order and still answers every key', () => {
    const n = 40_000;
    const l = ledger(n);
    const keys = shuffled(Array.from({ length: n + 500 }, (_, i) => (i < n ? key(i) : `NEW|${i}`)));
    expect(readAll(l, keys)).toBeGreaterThan(n * 0.9);
  });

  it('reads a reversed file with getLinks (the scan starts at its first key and finds nothing after it)', () => {
    const l = ledger();
    const keys = Array.from({ length: N }, (_, i) => key(N - 1 - i));
    expect(readAll(l, keys)).toBe(N - 1);
  });

  it('answers from getLinks alone when the store cannot page', () => {
    const l = ledger();
    const plain = { getLinks: (e: string, ks: readonly string[]) => l.getLinks(e, ks) } as unknown as SqliteLedger;
    const reader = new LinkReader(plain, 'enrolments');
    expect(reader.get([key(3), 'nope'])).toEqual(l.getLinks('enrolments', [key(3)]));
    expect(reader.get([])).toEqual(new Map());
  });

  it('pages by rowid and knows positions', () => {
    const l = ledger();
    const first = l.linkPage('enrolments', 0, 3);
    expect(first.links.map((x) => x.key)).toEqual([key(0), key(1), key(2)]);
    const next = l.linkPage('enrolments', first.last, 2);
    expect(next.links.map((x) => x.key)).toEqual([key(3), key(4)]);
    expect(l.linkPosition('enrolments', key(3))).toBe(next.last - 1);
    expect(l.linkPosition('enrolments', 'nope')).toBe(0);
    expect(l.linkPage('enrolments', 1e9, 5)).toEqual({ links: [], last: 1e9 });
  });
});
