import { describe, expect, it } from '@jest/globals';
import { LinkReader } from './reader.js';
import { planPart } from './rows.js';
import { eachBackend } from './test-backends.js';
import type { LedgerLink, LedgerStore, LinkWrite, PlanLink } from './types.js';

const N = 12_000;
const key = (i: number) => `C${i % 97}|P${String(i).padStart(6, '0')}`;

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

eachBackend((b) => {
  /** A ledger with n enrolment links written in order i = 0…n-1, persons links interleaved, every 7th disabled. */
  async function ledger(n = N): Promise<LedgerStore> {
    const l = await b.open();
    const links: LinkWrite[] = [];
    for (let i = 0; i < n; i++) {
      links.push({ entity: 'enrolments', key: key(i), moodleId: i + 1, dataSource: 'SIS', hash: `h${i}`, status: i % 7 === 0 ? 'disabled' : 'active', runId: 'r1' });
      if (i % 500 === 0) links.push({ entity: 'persons', key: key(i), moodleId: 9, dataSource: null, hash: null, status: 'active', runId: 'r1' });
    }
    await l.writeLinks(links);
    return l;
  }

  /** What getLinks gives for these keys, each link's plan part (PlanLink): what the reader answers. */
  async function planLinks(l: LedgerStore, keys: readonly string[]): Promise<Map<string, PlanLink>> {
    return new Map([...(await l.getLinks('enrolments', keys))].map(([k, link]) => [k, planPart(link)]));
  }

  /** Reads `keys` in chunks through a LinkReader; checks each chunk against getLinks; counts keys getLinks was asked. */
  async function readAll(l: LedgerStore, keys: string[], chunk = 2000): Promise<number> {
    let asked = 0;
    const counting: LedgerStore = Object.create(l) as LedgerStore;
    counting.getLinks = (entity: string, ks: readonly string[]): Promise<Map<string, LedgerLink>> => {
      asked += ks.length;
      return l.getLinks(entity, ks);
    };
    const reader = new LinkReader(counting, 'enrolments');
    for (let i = 0; i < keys.length; i += chunk) {
      const part = keys.slice(i, i + chunk);
      expect(await reader.get(part)).toEqual(await planLinks(l, part));
    }
    return asked;
  }

  describe('LinkReader', () => {
    it("reads a file in the ledger's order from the scan, without IN queries", async () => {
      const l = await ledger();
      expect(await readAll(l, Array.from({ length: N }, (_, i) => key(i)))).toBe(0);
    });

    it('gives what getLinks gives for a local shuffle, new keys, duplicates and a start in the middle', async () => {
      const l = await ledger();
      const keys: string[] = [];
      for (let s = 5000; s < N; s += 200) {
        const group = [0, 1, 2, 3].map((g) => Array.from({ length: 50 }, (_, j) => s + g * 50 + j).filter((i) => i < N));
        for (const g of [group[2], group[0], group[3], group[1]]) for (const i of g) keys.push(key(i));
        keys.push(`NEW|${s}`);
        if (s % 1000 === 0) keys.push(key(s));
      }
      for (let i = 0; i < 5000; i++) keys.push(key(i));
      keys.push('C1|P000001 ', 'c1|P000001');
      expect(await readAll(l, keys)).toBeLessThan(keys.length / 2);
    });

    it('gives up the scan for a large file in another order and still answers every key', async () => {
      const n = 40_000;
      const l = await ledger(n);
      const keys = shuffled(Array.from({ length: n + 500 }, (_, i) => (i < n ? key(i) : `NEW|${i}`)));
      expect(await readAll(l, keys)).toBeGreaterThan(n * 0.9);
    });

    it('reads a reversed file with getLinks (the scan starts at its first key and finds nothing after it)', async () => {
      const l = await ledger();
      expect(await readAll(l, Array.from({ length: N }, (_, i) => key(N - 1 - i)))).toBe(N - 1);
    });

    it('answers from getLinks alone when the store cannot page', async () => {
      const l = await ledger();
      const plain = { getLinks: (e: string, ks: readonly string[]) => l.getLinks(e, ks) } as unknown as LedgerStore;
      const reader = new LinkReader(plain, 'enrolments');
      expect(await reader.get([key(3), 'nope'])).toEqual(await planLinks(l, [key(3)]));
      expect(await reader.get([])).toEqual(new Map());
    });

    it('pages in the order learnt and knows positions', async () => {
      const l = await ledger();
      const first = await l.linkPage!('enrolments', 0, 3);
      expect(first.links.map((x) => x.key)).toEqual([key(0), key(1), key(2)]);
      const next = await l.linkPage!('enrolments', first.last, 2);
      expect(next.links.map((x) => x.key)).toEqual([key(3), key(4)]);
      expect(await l.linkPosition!('enrolments', key(4))).toBe(next.last);
      expect(await l.linkPosition!('enrolments', key(3))).toBeGreaterThan(first.last);
      expect(await l.linkPosition!('enrolments', key(3))).toBeLessThan(next.last);
      expect(await l.linkPosition!('enrolments', 'nope')).toBe(0);
      expect(await l.linkPage!('enrolments', 1e9, 5)).toEqual({ links: [], last: 1e9 });
    });
  });
});
