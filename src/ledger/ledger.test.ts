/** The ledger's operations, the same on both backends (test-backends.ts): links, seen marks, runs, the password key, locks. */
import { describe, expect, it } from '@jest/globals';
import { hostname } from 'node:os';
import { LEDGER_SCHEMA_VERSION } from './index.js';
import { planPart } from './rows.js';
import { eachBackend } from './test-backends.js';
import type { LedgerLink, LedgerStore, LinkWrite } from './types.js';

function w(key: string, over: Partial<LinkWrite> = {}): LinkWrite {
  return { entity: 'persons', key, moodleId: 100, dataSource: 'SIS', hash: 'h1', status: 'active', runId: 'r1', ...over };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const one = async (l: LedgerStore, key: string, entity = 'persons'): Promise<LedgerLink | undefined> => (await l.getLinks(entity, [key])).get(key);

eachBackend((b) => {
  describe('open', () => {
    it('migrates once to the latest version and keeps what was written', async () => {
      const l = await b.open();
      expect(await l.schemaVersion()).toBe(LEDGER_SCHEMA_VERSION);
      await l.writeLinks([w('k1')]);
      await l.close();
      const again = await b.open();
      expect((await one(again, 'k1'))?.moodleId).toBe(100);
      expect(await b.rows('ledger', 'SELECT version, name FROM schema_migrations ORDER BY version')).toEqual([
        { version: 1, name: 'links and runs' },
        { version: 2, name: 'writer lock' },
        { version: 3, name: 'link data' },
        { version: 4, name: 'seen marks' },
        { version: 5, name: 'ledger secrets' },
        { version: 6, name: 'retries' },
        { version: 7, name: 'link state' },
        { version: 8, name: 'export state' },
        { version: 9, name: 'user pictures' },
        { version: 10, name: 'before-images' },
      ]);
    });

    it('keeps a random per-ledger password key: the same on every open, another in another ledger', async () => {
      const first = await (await b.open('a')).passwordKey();
      expect(first).toHaveLength(32);
      expect((await (await b.open('a')).passwordKey()).equals(first)).toBe(true);
      expect((await (await b.open('b')).passwordKey()).equals(first)).toBe(false);
    });

    it('two connections making the password key at once agree on one', async () => {
      const [x, y] = [await b.open(), await b.open()];
      const [kx, ky] = await Promise.all([x.passwordKey(), y.passwordKey()]);
      expect(kx.equals(ky)).toBe(true);
    });
  });

  describe('links', () => {
    it('upsert keeps firstSeen and updates the rest', async () => {
      const l = await b.open();
      await l.writeLinks([w('k1')]);
      const first = (await one(l, 'k1'))!;
      expect(first).toMatchObject({ entity: 'persons', key: 'k1', moodleId: 100, dataSource: 'SIS', hash: 'h1', status: 'active', lastRun: 'r1', disabledAt: null });
      expect(first.firstSeen).toBe(first.lastSeen);
      await sleep(5);
      await l.writeLinks([w('k1', { moodleId: 101, hash: 'h2', runId: 'r2', dataSource: null })]);
      const second = (await one(l, 'k1'))!;
      expect(second.firstSeen).toBe(first.firstSeen);
      expect(second.lastSeen > first.lastSeen).toBe(true);
      expect(second).toMatchObject({ moodleId: 101, hash: 'h2', lastRun: 'r2', dataSource: null });
    });

    it('sets disabledAt on disable, keeps it on a repeated disable, clears it on enable', async () => {
      const l = await b.open();
      await l.writeLinks([w('k1')]);
      await l.writeLinks([w('k1', { status: 'disabled' })]);
      const disabled = (await one(l, 'k1'))!;
      expect(disabled.status).toBe('disabled');
      expect(disabled.disabledAt).toBe(disabled.lastSeen);
      await sleep(5);
      await l.writeLinks([w('k1', { status: 'disabled', runId: 'r3' })]);
      expect((await one(l, 'k1'))!.disabledAt).toBe(disabled.disabledAt);
      await l.writeLinks([w('k1', { status: 'active' })]);
      expect((await one(l, 'k1'))!.disabledAt).toBeNull();
      await l.writeLinks([w('k2', { status: 'disabled' })]);
      expect((await one(l, 'k2'))!.disabledAt).not.toBeNull();
    });

    it('two writes of one key in one call end as written one after the other (the last, with the data of an earlier)', async () => {
      const l = await b.open();
      await l.writeLinks([w('k1', { data: '{"a":1}', moodleId: 1 }), w('k2'), w('k1', { moodleId: 2, status: 'disabled' })]);
      expect(await one(l, 'k1')).toMatchObject({ moodleId: 2, status: 'disabled', data: '{"a":1}' });
      expect((await l.linkPage!('persons', 0, 10)).links.map((x) => x.key)).toEqual(['k1', 'k2']);
    });

    it('getLinks returns only known keys of the entity, across chunks', async () => {
      const l = await b.open();
      const writes = Array.from({ length: 1203 }, (_, i) => w(`k${i}`, { moodleId: i }));
      await l.writeLinks(writes);
      await l.writeLinks([{ ...w('k5'), entity: 'courses', moodleId: 9999 }]);
      const got = await l.getLinks('persons', [...writes.map((x) => x.key), 'nope', 'k5']);
      expect(got.size).toBe(1203);
      expect(got.get('k1202')?.moodleId).toBe(1202);
      expect(got.get('k5')?.moodleId).toBe(5);
      expect(got.has('nope')).toBe(false);
      expect((await l.getLinks('persons', [])).size).toBe(0);
      expect((await one(l, 'k5', 'courses'))?.moodleId).toBe(9999);
    });

    it('scopes activeLinks and countLinks by data source (null = all) and status', async () => {
      const l = await b.open();
      await l.writeLinks([
        w('a', { dataSource: 'SIS' }),
        w('b', { dataSource: 'SIS' }),
        w('c', { dataSource: 'HR' }),
        w('d', { dataSource: null }),
        w('e', { dataSource: 'SIS', status: 'disabled' }),
        { ...w('f'), entity: 'courses' },
      ]);
      const keys = async (it: AsyncIterable<{ key: string }>) => (await collect(it)).map((x) => x.key).sort();
      expect(await keys(l.activeLinks('persons', 'SIS'))).toEqual(['a', 'b']);
      expect(await keys(l.activeLinks('persons', 'HR'))).toEqual(['c']);
      expect(await keys(l.activeLinks('persons', null))).toEqual(['a', 'b', 'c', 'd']);
      expect(await l.countLinks('persons', 'SIS')).toBe(2);
      expect(await l.countLinks('persons', null)).toBe(4);
      expect(await l.countLinks('persons', 'SIS', 'disabled')).toBe(1);
      expect(await l.countLinks('persons', null, 'disabled')).toBe(1);
      expect(await l.countLinks('courses', null)).toBe(1);
    });

    it('activeLinks streams: other reads work while it is open', async () => {
      const l = await b.open();
      await l.writeLinks(Array.from({ length: 4500 }, (_, i) => w(`k${i}`)));
      const it = l.activeLinks('persons', null)[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      expect(await l.countLinks('persons', null)).toBe(4500);
      let rest = 0;
      while (!(await it.next()).done) rest++;
      expect(rest).toBe(4499);
    });

    it('markSeen touches lastSeen/lastRun only', async () => {
      const l = await b.open();
      await l.writeLinks([w('a'), w('b')]);
      const before = await l.getLinks('persons', ['a', 'b']);
      await sleep(5);
      await l.markSeen('persons', ['a', 'missing'], 'r9');
      await l.markSeen('persons', [], 'r10');
      const after = await l.getLinks('persons', ['a', 'b']);
      expect(after.get('a')).toMatchObject({ lastRun: 'r9', hash: 'h1', status: 'active', firstSeen: before.get('a')!.firstSeen });
      expect(after.get('a')!.lastSeen > before.get('a')!.lastSeen).toBe(true);
      expect(after.get('b')).toEqual(before.get('b'));
    });

    it('a seen mark shows in every read until a later write of the link wins; a dropped link loses its mark', async () => {
      const l = await b.open();
      await l.writeLinks([w('a', { moodleId: 7 }), w('b', { moodleId: 7 }), w('c')]);
      await sleep(5);
      await l.markSeen('persons', ['b'], 'r9');
      const seen = (await one(l, 'b'))!;
      expect(seen.lastRun).toBe('r9');
      expect((await l.listLinks({ entity: 'persons', limit: 10, offset: 0 })).find((x) => x.key === 'b')).toEqual(seen);
      // The planner's page scan reads the part of a link a plan is decided on, the seen mark not among it.
      expect((await l.linkPage!('persons', 0, 10)).links.find((x) => x.key === 'b')).toEqual(planPart(seen));
      expect((await collect(l.activeLinks('persons', null))).find((x) => x.key === 'b')).toEqual(seen);
      expect(await l.linksWithKeySuffix('persons', 'b')).toEqual([seen]);
      // Of two active links to one Moodle id, the one seen last wins.
      expect((await l.findByMoodleId('persons', 7))?.key).toBe('b');
      await sleep(5);
      await l.writeLinks([w('b', { moodleId: 7, runId: 'r10' })]);
      const written = (await one(l, 'b'))!;
      expect(written).toMatchObject({ lastRun: 'r10' });
      expect(written.lastSeen > seen.lastSeen).toBe(true);
      await sleep(5);
      await l.markSeen('persons', ['c'], 'r9');
      const marks = async () => Number((await b.rows('ledger', 'SELECT count(*) AS n FROM link_seen'))[0].n);
      expect(await marks()).toBe(2);
      await l.dropLink('persons', 'c');
      expect(await marks()).toBe(1);
      await l.writeLinks([w('c', { runId: 'r11' })]);
      expect(await one(l, 'c')).toMatchObject({ lastRun: 'r11' });
    });

    it('an unchanged re-run marks seen without rewriting a links row', async () => {
      const l = await b.open();
      await l.writeLinks(Array.from({ length: 50 }, (_, i) => w(`k${i}`)));
      const before = await b.rows('ledger', 'SELECT key, last_seen, last_run FROM links ORDER BY key');
      await sleep(5);
      await l.markSeen('persons', Array.from({ length: 50 }, (_, i) => `k${i}`), 'r2');
      expect(await b.rows('ledger', 'SELECT key, last_seen, last_run FROM links ORDER BY key')).toEqual(before);
      expect((await one(l, 'k7'))?.lastRun).toBe('r2');
    });

    it('hasLinks tells an entity with links of any status from one without', async () => {
      const l = await b.open();
      expect(await l.hasLinks('persons')).toBe(false);
      await l.writeLinks([w('a', { status: 'disabled' })]);
      expect(await l.hasLinks('persons')).toBe(true);
      expect(await l.hasLinks('courses')).toBe(false);
    });

    it('markSeen marks every key it is given, in the ledger order or not, and no other', async () => {
      const l = await b.open();
      const keys = Array.from({ length: 1500 }, (_, i) => `k${String(i).padStart(4, '0')}`);
      await l.writeLinks(keys.map((k) => w(k)));
      await l.markSeen('persons', keys.filter((_, i) => i % 5 !== 0), 'r-in');
      const other = keys.filter((_, i) => i % 5 === 0).reverse();
      await l.markSeen('persons', [...other.slice(0, 100), 'nope', other[3], ...other.slice(100)], 'r-other');
      const links = await l.getLinks('persons', keys);
      for (const [i, k] of keys.entries()) expect([k, links.get(k)!.lastRun]).toEqual([k, i % 5 === 0 ? 'r-other' : 'r-in']);
      expect((await l.getLinks('persons', ['nope'])).size).toBe(0);
    });

    it('dropLink and findByMoodleId (active link preferred)', async () => {
      const l = await b.open();
      await l.writeLinks([w('old', { moodleId: 7, status: 'disabled' }), w('new', { moodleId: 7 }), w('x', { moodleId: 8 })]);
      expect((await l.findByMoodleId('persons', 7))?.key).toBe('new');
      expect(await l.findByMoodleId('persons', 9)).toBeUndefined();
      expect(await l.findByMoodleId('courses', 7)).toBeUndefined();
      await l.dropLink('persons', 'new');
      expect((await l.findByMoodleId('persons', 7))?.key).toBe('old');
      expect((await l.getLinks('persons', ['new'])).size).toBe(0);
    });

    it('listLinks filters and pages in key order (byte order on both backends)', async () => {
      const l = await b.open();
      await l.writeLinks([
        w('a', { dataSource: 'SIS' }),
        w('b', { dataSource: 'HR' }),
        w('c', { dataSource: 'SIS', status: 'disabled' }),
        w('d', { dataSource: 'SIS' }),
        w('B', { dataSource: 'HR' }),
        w('é', { dataSource: 'HR' }),
        { ...w('e'), entity: 'courses' },
      ]);
      const keys = (xs: { key: string }[]) => xs.map((x) => x.key);
      expect(keys(await l.listLinks({ limit: 10, offset: 0 }))).toEqual(['e', 'B', 'a', 'b', 'c', 'd', 'é']);
      expect(keys(await l.listLinks({ entity: 'persons', limit: 2, offset: 1 }))).toEqual(['a', 'b']);
      expect(keys(await l.listLinks({ entity: 'persons', limit: 2, offset: 3 }))).toEqual(['c', 'd']);
      expect(keys(await l.listLinks({ entity: 'persons', limit: 2, offset: 6 }))).toEqual([]);
      expect(keys(await l.listLinks({ entity: 'persons', dataSource: 'SIS', limit: 10, offset: 0 }))).toEqual(['a', 'c', 'd']);
      expect(await l.listLinks({ entity: 'persons', dataSource: null, limit: 10, offset: 0 })).toHaveLength(6);
      expect(keys(await l.listLinks({ dataSource: 'SIS', status: 'active', limit: 10, offset: 0 }))).toEqual(['e', 'a', 'd']);
    });

    it('data: written when given, kept when a later write has none, replaced by setLinkData; links by key suffix', async () => {
      const l = await b.open();
      const e = (key: string, over: Partial<LinkWrite> = {}): LinkWrite => w(key, { entity: 'enrolments', ...over });
      await l.writeLinks([e('C1|P1', { data: '{"roleId":5}' }), e('C2|P1'), e('C1|P12'), e('C1|XP1')]);
      expect((await one(l, 'C1|P1', 'enrolments'))?.data).toBe('{"roleId":5}');
      expect((await one(l, 'C2|P1', 'enrolments'))?.data).toBeNull();
      await l.writeLinks([e('C1|P1', { status: 'disabled' })]);
      expect(await one(l, 'C1|P1', 'enrolments')).toMatchObject({ status: 'disabled', data: '{"roleId":5}' });
      expect(await l.setLinkData('enrolments', 'C1|P1', '{"roleId":3}')).toBe(true);
      expect(await l.setLinkData('enrolments', 'nope', '{}')).toBe(false);
      expect((await one(l, 'C1|P1', 'enrolments'))?.data).toBe('{"roleId":3}');
      expect((await l.linksWithKeySuffix('enrolments', '|P1')).map((x) => x.key)).toEqual(['C1|P1', 'C2|P1']);
      expect(await l.linksWithKeySuffix('persons', '|P1')).toEqual([]);
      expect(await l.linksWithKeySuffix('enrolments', '')).toEqual([]);
    });

    it('state is written as given, like the hash', async () => {
      const l = await b.open();
      await l.writeLinks([w('g', { entity: 'groups', hash: null, state: 'g1;name=A' })]);
      expect(await one(l, 'g', 'groups')).toMatchObject({ hash: null, state: 'g1;name=A' });
      await l.writeLinks([w('g', { entity: 'groups', hash: null })]);
      expect(await one(l, 'g', 'groups')).toMatchObject({ state: null });
    });
  });

  describe('before-images', () => {
    it("keep, per run, each link as it was before the run's first write and as its last write left it", async () => {
      const l = await b.open();
      const runA = '20261201T100000000Z-aaaa';
      const runB = '20261202T100000000Z-bbbb';
      await l.writeLinks([w('P1', { runId: runA, fields: '{"email":"a@x"}', action: 'create' })]);
      // Two writes of one key in one call and another in a later call: the first before stays, the last after wins.
      await l.writeLinks([w('P1', { runId: runB, hash: 'h2', fields: '{"email":"b@x"}', action: 'update' }), w('P2', { runId: runB, action: 'create' }), w('P2', { runId: runB, status: 'disabled', hash: 'h3' })]);
      await l.writeLinks([w('P1', { runId: runB, status: 'disabled', hash: 'h2', action: 'disable' })]);
      expect(await l.images.forRun(runA)).toEqual([
        { runId: runA, entity: 'persons', key: 'P1', before: null, after: { moodleId: 100, dataSource: 'SIS', status: 'active', hash: 'h1', state: null, action: 'create' } },
      ]);
      expect(await l.images.forRun(runB)).toEqual([
        {
          runId: runB,
          entity: 'persons',
          key: 'P1',
          before: { moodleId: 100, dataSource: 'SIS', status: 'active', hash: 'h1', state: null, fields: '{"email":"a@x"}' },
          after: { moodleId: 100, dataSource: 'SIS', status: 'disabled', hash: 'h2', state: null, action: 'disable' },
        },
        { runId: runB, entity: 'persons', key: 'P2', before: null, after: { moodleId: 100, dataSource: 'SIS', status: 'disabled', hash: 'h3', state: null } },
      ]);
      // A write without fields keeps the link's.
      expect(await l.images.fields('persons', ['P1', 'P2', 'P9'])).toEqual(new Map([['P1', '{"email":"b@x"}'], ['P2', null]]));
      // Retention: runs started before the instant are forgotten.
      expect(await l.images.purge(new Date('2026-12-02T00:00:00.000Z'))).toBe(1);
      expect(await l.images.forRun(runA)).toEqual([]);
      expect(await l.images.forRun(runB)).toHaveLength(2);
    });
  });

  describe('runs', () => {
    const run = (id: string, startedAt: string) => ({ id, file: 'persons.txt', sha256: 'abc', type: 'persons', op: 'store', dataSource: 'SIS', startedAt });

    it('starts, finishes, gets and lists runs', async () => {
      const l = await b.open();
      await l.startRun(run('r1', '2026-01-01T00:00:00.000Z'));
      expect(await l.getRun('r1')).toEqual({ ...run('r1', '2026-01-01T00:00:00.000Z'), finishedAt: null, status: 'running', summary: null });
      await l.finishRun('r1', 'ok', { counts: { create: 3 } });
      const done = (await l.getRun('r1'))!;
      expect(done.status).toBe('ok');
      expect(done.finishedAt).not.toBeNull();
      expect(JSON.parse(done.summary!)).toEqual({ counts: { create: 3 } });
      await l.startRun(run('r2', '2026-01-02T00:00:00.000Z'));
      await l.finishRun('r2', 'refused', 'guard refused');
      expect((await l.getRun('r2'))!.summary).toBe('guard refused');
      await l.startRun(run('r3', '2026-01-03T00:00:00.000Z'));
      await l.finishRun('r3', 'aborted', null);
      expect((await l.getRun('r3'))!.summary).toBeNull();
      expect((await l.listRuns(2)).map((r) => r.id)).toEqual(['r3', 'r2']);
      expect(await l.listRuns(10)).toHaveLength(3);
      expect(await l.getRun('nope')).toBeUndefined();
      await expect(l.finishRun('nope', 'ok', null)).rejects.toMatchObject({ code: 'ledger-no-run', message: expect.stringMatching(/never started/) });
      // A run id is started once (the native SQLite error may come from another realm than jest's Error: match its text).
      await expect(l.startRun(run('r1', '2026-01-04T00:00:00.000Z'))).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE constraint failed: runs\.id|duplicate key value violates unique constraint "runs_pkey"/) });
    });

    it('a run left running by a process that is gone reads as interrupted once the ledger is opened again', async () => {
      const dead = 2 ** 22 + 12345;
      const l = await b.open();
      await l.startRun(run('orphan', '2026-01-02T00:00:00.000Z')); // no lock names it
      await l.startRun(run('done', '2026-01-05T00:00:00.000Z'));
      await l.finishRun('done', 'ok', null);
      // A holder on this host whose process is gone, then a live one (each takes the lock, then starts its run).
      const killed = await b.open();
      expect(await killed.acquireLock({ id: 'x:dead', pid: dead, host: hostname(), runId: 'killed' }, 60_000, ['persons'])).toBeNull();
      await killed.startRun(run('killed', '2026-01-01T00:00:00.000Z'));
      const live = await b.open();
      expect(await live.acquireLock({ id: 'me', pid: process.pid, host: hostname(), runId: 'live' }, 60_000, ['courses'])).toBeNull();
      await live.startRun(run('live', '2026-01-04T00:00:00.000Z'));
      const again = await b.open();
      const status = Object.fromEntries((await again.listRuns(10)).map((r) => [r.id, r.status]));
      expect(status).toEqual({ killed: 'interrupted', orphan: 'interrupted', live: 'running', done: 'ok' });
    });
  });

  describe('at scale', () => {
    it('20k links: writeLinks, getLinks, markSeen, activeLinks handle every link (their speed is measured by npm run bench)', async () => {
      const l = await b.open();
      const n = 20_000;
      const writes: LinkWrite[] = Array.from({ length: n }, (_, i) => w(`person-${i}`, { moodleId: i + 1, hash: `hash-${i}` }));
      const keys = writes.map((x) => x.key);
      await l.writeLinks(writes);
      await l.writeLinks(writes.map((x) => ({ ...x, runId: 'r2' })));
      const got = (await l.getLinks('persons', keys)).size;
      await l.markSeen('persons', keys, 'r3');
      let streamed = 0;
      for await (const link of l.activeLinks('persons', 'SIS')) if (link.lastRun === 'r3') streamed++;
      expect(got).toBe(n);
      expect(streamed).toBe(n);
      expect(await l.countLinks('persons', 'SIS')).toBe(n);
    });
  });

  describe('writer lock', () => {
    const a = { id: 'host-a:1:run1', pid: 1, host: 'host-a', runId: 'run1' };
    const c = { id: 'host-b:2:run2', pid: 2, host: 'host-b', runId: 'run2' };

    it('one holder at a time across connections; the holder is named; release frees it', async () => {
      const one = await b.open();
      const two = await b.open();
      expect(await one.acquireLock(a, 60_000)).toBeNull();
      expect(await one.acquireLock(a, 60_000)).toBeNull(); // re-entrant for its owner
      expect(await two.acquireLock(c, 60_000)).toMatchObject({ pid: 1, host: 'host-a', runId: 'run1' });
      expect(await one.heartbeatLock(a)).toBe(true);
      await one.releaseLock(a);
      expect(await two.acquireLock(c, 60_000)).toBeNull();
      expect(await one.heartbeatLock(a)).toBe(false);
      expect(await two.heartbeatLock(c)).toBe(true);
      // The holder writes as before.
      await two.writeLinks([w('k1')]);
      expect(await one.hasLinks('persons')).toBe(true);
    });
  });
});
