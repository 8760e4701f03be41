import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CourseRecord } from './record.js';
import { SqliteLedger } from '../../ledger/index.js';
import type { MoodleCaller } from '../../moodle/index.js';
import { courseLookup } from './lookup.js';

type Params = Record<string, unknown>;

/** core_course_get_courses_by_field over a fixed list of courses: '' lists all, idnumber or id one value, ids a comma list. */
class FakeMoodle implements MoodleCaller {
  readonly calls: { fn: string; params: Params }[] = [];
  constructor(private readonly courses: { id: number; idnumber: string; shortname: string }[]) {}

  async call<T>(fn: string, params: Params = {}): Promise<T> {
    this.calls.push({ fn, params });
    if (fn !== 'core_course_get_courses_by_field') throw new Error(`unexpected ${fn}`);
    const v = String(params.value ?? '');
    // Moodle 4.5 fails a whole `ids` call holding one unknown id (contract 2026-12/150); `id` answers it with none.
    if (params.field === 'ids' && !v.split(',').every((id) => this.courses.some((c) => c.id === Number(id)))) {
      return { exception: 'Error', message: 'Attempt to assign property "contextvalidated" on null' } as T;
    }
    if (params.field === 'id') return { courses: this.courses.filter((c) => c.id === Number(v)), warnings: [] } as T;
    const found =
      params.field === ''
        ? this.courses
        : params.field === 'ids'
          ? this.courses.filter((c) => v.split(',').map(Number).includes(c.id))
          : this.courses.filter((c) => (c as Record<string, unknown>)[params.field as string] === v);
    return { courses: found, warnings: [] } as T;
  }

  listings(): number {
    return this.calls.filter((c) => c.params.field === '').length;
  }
}

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function ledger(): SqliteLedger {
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-courselookup-'));
  return SqliteLedger.open(join(dir, 'ledger.db'));
}

const rec = (key: string): CourseRecord => ({ key, fields: { shortname: key, fullname: key } });
const keys = (from: number, n: number): CourseRecord[] => Array.from({ length: n }, (_, i) => rec(`K${from + i}`));

describe('courseLookup adoption', () => {
  it('lists the courses once per file, not once per chunk, and adopts by idnumber from that listing', async () => {
    const m = new FakeMoodle([
      { id: 10, idnumber: 'K3', shortname: 'a' },
      { id: 11, idnumber: 'K40', shortname: 'b' },
      { id: 12, idnumber: 'K41', shortname: 'c' },
      { id: 13, idnumber: 'K41', shortname: 'd' },
      { id: 14, idnumber: '', shortname: 'e' },
    ]);
    const l = ledger();
    const lookup = courseLookup(m, l, { retries: 1, backoffMs: 0 });
    const first = keys(0, 30);
    const a = await lookup(first, first);
    expect(a.get('K3')?.match).toEqual({ id: 10, via: 'idnumber' });
    expect(a.get('K4')?.match).toBeUndefined();
    // A later chunk of a few keys: answered from the listing, no call at all.
    const second = keys(40, 3);
    const calls = m.calls.length;
    const b = await lookup(second, second);
    expect(m.calls.length).toBe(calls);
    expect(m.listings()).toBe(1);
    expect(b.get('K40')?.match).toEqual({ id: 11, via: 'idnumber' });
    expect(b.get('K41')?.ambiguous).toBe('2 Moodle courses have idnumber K41');
    expect(b.get('K42')).toEqual({});
    await l.close();
  });

  it('asks a few keys one by one, without listing the site', async () => {
    const m = new FakeMoodle([{ id: 10, idnumber: 'K1', shortname: 'a' }]);
    const l = ledger();
    const lookup = courseLookup(m, l, { retries: 1, backoffMs: 0 });
    const few = keys(0, 3);
    const a = await lookup(few, few);
    expect(m.listings()).toBe(0);
    expect(m.calls.map((c) => c.params)).toEqual([
      { field: 'idnumber', value: 'K0' },
      { field: 'idnumber', value: 'K1' },
      { field: 'idnumber', value: 'K2' },
    ]);
    expect(a.get('K1')?.match).toEqual({ id: 10, via: 'idnumber' });
    await l.close();
  });

  it('checks MOODLE_ID rows with one ids call; one Moodle lacks (which fails the call) is split off and asked alone', async () => {
    const m = new FakeMoodle([{ id: 10, idnumber: '', shortname: 'a' }]);
    const l = ledger();
    const lookup = courseLookup(m, l, { retries: 1, backoffMs: 0 });
    const rows = [{ ...rec('K1'), moodleId: 10 }, { ...rec('K2'), moodleId: 99 }];
    const a = await lookup(rows, rows);
    expect(m.calls.map((c) => c.params)).toEqual([
      { field: 'ids', value: '10,99' },
      { field: 'ids', value: '10' },
      { field: 'ids', value: '99' },
      { field: 'id', value: 99 },
    ]);
    expect(a.get('K1')?.match).toEqual({ id: 10, via: 'moodle-id' });
    expect(a.get('K2')?.moodleIdMissing).toBe(true);
    await l.close();
  });
});

describe('courseLookup: rows keyed by their short name', () => {
  it('finds the course of that short name: plainly when it has no idnumber, noting another idnumber when it has one', async () => {
    const m = new FakeMoodle([
      { id: 10, idnumber: '', shortname: 'BIO-101' },
      { id: 11, idnumber: 'CHE101', shortname: 'CHE-101' },
    ]);
    const l = ledger();
    const lookup = courseLookup(m, l, { retries: 1, backoffMs: 0 });
    const rows = ['BIO-101', 'CHE-101', 'NEW-1'].map((k) => ({ ...rec(k), keyedByShortname: true }));
    const a = await lookup(rows, rows);
    expect(a.get('BIO-101')?.match).toEqual({ id: 10, via: 'shortname' });
    expect(a.get('CHE-101')?.match).toEqual({ id: 11, via: 'shortname', otherIdnumber: 'CHE101' });
    expect(a.get('NEW-1')?.match).toBeUndefined();
    await l.close();
  });
});
