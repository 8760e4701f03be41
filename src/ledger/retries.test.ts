/** The retries table, on both backends: claims are exclusive, a dead claimer's claim is taken over, discarded retries stay gone. */
import { describe, expect, it } from '@jest/globals';
import { eachBackend } from './test-backends.js';

const retry = (name: string, nextAt: number) => ({
  source: 'watch:/drop', name, file: `/drop/.retry/${name}`, type: 'persons', op: 'store', dataSource: null, force: false, rows: 3, attempts: 1, nextAt, lastError: 'down',
});

eachBackend((b) => {
  describe('retries', () => {
    it('claims only due retries, one claimer at a time, oldest first', async () => {
      const { retries } = await b.open();
      const a = await retries.add(retry('a.csv', 1000));
      await retries.add(retry('b.csv', 5000));
      expect(a).toMatchObject({ name: 'a.csv', force: false, rows: 3, attempts: 1, nextAt: 1000, lastError: 'down' });
      expect(await retries.get(a.id)).toEqual(a);
      const me = { id: 'me', pid: process.pid, host: 'h' };
      const other = { id: 'other', pid: process.pid, host: 'h' };
      expect(await retries.claimDue('watch:/drop', 500, me)).toBeUndefined();
      expect(await retries.claimDue('watch:/elsewhere', 9000, me)).toBeUndefined();
      expect((await retries.claimDue('watch:/drop', 1000, me))?.name).toBe('a.csv');
      // Claimed by a live process: another claimer gets nothing that is due.
      expect(await retries.claimDue('watch:/drop', 1000, other)).toBeUndefined();
      expect(await retries.update(a.id, { file: '/drop/.retry/a2.csv', rows: 1, attempts: 2, nextAt: 2000, lastError: 'still down' })).toBe(true);
      expect(await retries.claimDue('watch:/drop', 2000, other)).toMatchObject({ name: 'a.csv', file: '/drop/.retry/a2.csv', rows: 1, attempts: 2 });
      expect((await retries.remove(a.id))?.name).toBe('a.csv');
      expect(await retries.update(a.id, { file: 'x', rows: 1, attempts: 3, nextAt: 0, lastError: '' })).toBe(false);
      expect((await retries.list()).map((r) => r.name)).toEqual(['b.csv']);
      expect(await retries.list('watch:/elsewhere')).toEqual([]);
    });

    it('takes over a claim whose process is gone', async () => {
      const { retries } = await b.open();
      await retries.add({ ...retry('a.csv', 0), force: true });
      // A pid far above pid_max never runs.
      expect(await retries.claimDue('watch:/drop', 1, { id: 'dead', pid: 2 ** 30, host: 'h' })).toBeDefined();
      expect(await retries.claimDue('watch:/drop', 1, { id: 'me', pid: process.pid, host: 'h' })).toMatchObject({ name: 'a.csv', force: true });
    });
  });

  describe('exports and pictures', () => {
    it('an export replaces the rows of the courses it names; others keep theirs', async () => {
      const { exports } = await b.open();
      await exports.replace('grades|all', ['C1', 'C2'], [{ course: 'C1', person: 'P1', item: '', hash: 'a' }, { course: 'C2', person: 'P1', item: 'X', hash: 'b' }], 'r1', 't1');
      await exports.replace('grades|all', ['C1'], [{ course: 'C1', person: 'P2', item: '', hash: 'c' }, { course: 'C1', person: 'P2', item: '', hash: 'd' }], 'r2', 't2');
      expect(await exports.load('grades|all')).toEqual(new Map([['C1\tP2\t', 'd'], ['C2\tP1\tX', 'b']]));
      expect(await exports.load('other')).toEqual(new Map());
    });

    it('pictures by name, replaced, and the last one of a Moodle user', async () => {
      const { pictures } = await b.open();
      const p = { match: 'key' as const, name: 'P1', moodleId: 7, sha256: 'a'.repeat(64), bytes: 10, revision: 3, lastRun: 'r1' };
      await pictures.put(p);
      await pictures.put({ ...p, sha256: 'b'.repeat(64), revision: null });
      const got = await pictures.get('key', ['P1', 'P2']);
      expect([...got.keys()]).toEqual(['P1']);
      expect(got.get('P1')).toMatchObject({ ...p, sha256: 'b'.repeat(64), revision: null });
      expect(await pictures.get('username', ['P1'])).toEqual(new Map());
      expect((await pictures.lastFor(7))?.sha256).toBe('b'.repeat(64));
      expect(await pictures.lastFor(8)).toBeUndefined();
    });
  });
});
