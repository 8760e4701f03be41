import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions, unchangedByLink, updateReason } from './fold.js';
import type { CategoryRecord } from '../entities/categories/record.js';
import type { LedgerLink } from '../ledger/types.js';
import { PersonPlanner } from '../entities/persons/rules.js';
import type { PersonRecord } from '../entities/persons/record.js';

const TS = '2026-01-01T00:00:00.000Z';
const r: CategoryRecord = { key: 'K', fields: { name: 'n' } };

function link(over: Partial<LedgerLink> = {}): LedgerLink {
  return { entity: 'categories', key: 'K', moodleId: 7, dataSource: 'SIS', hash: 'h', status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

const p = { options: defaultPlanOptions({ op: 'store', entity: 'categories', dataSource: 'SIS' }) };

describe('unchangedByLink (the shared re-run hot path)', () => {
  it('an active link with the same hash, data source and Moodle id is unchanged', () => {
    expect(unchangedByLink(r, 3, link(), 'h', 'SIS', p)).toEqual({ kind: 'unchanged', entity: 'categories', key: 'K', line: 3, dataSource: 'SIS', moodleId: 7, reason: 'same content' });
    expect(unchangedByLink(r, 3, link(), 'h', 'SIS', p, 7)?.kind).toBe('unchanged');
  });

  it('anything else goes on to the rules', () => {
    expect(unchangedByLink(r, 3, undefined, 'h', 'SIS', p)).toBeUndefined();
    expect(unchangedByLink(r, 3, link({ status: 'disabled' }), 'h', 'SIS', p)).toBeUndefined();
    expect(unchangedByLink(r, 3, link(), 'other', 'SIS', p)).toBeUndefined();
    expect(unchangedByLink(r, 3, link(), undefined, 'SIS', p)).toBeUndefined();
    expect(unchangedByLink(r, 3, link(), 'h', 'HR', p)).toBeUndefined();
    expect(unchangedByLink(r, 3, link(), 'h', 'SIS', p, 8)).toBeUndefined();
    expect(unchangedByLink(r, 3, link(), 'h', 'SIS', { options: { ...p.options, full: true } })).toBeUndefined();
  });
});

describe('updateReason', () => {
  it('names content first, then the data source, else --full', () => {
    expect(updateReason(link({ hash: null }), 'h', 'SIS')).toBe('no content hash in the ledger');
    expect(updateReason(link(), 'x', 'HR')).toBe('content changed');
    expect(updateReason(link(), 'h', 'HR')).toBe('data source changed (SIS → HR)');
    expect(updateReason(link({ dataSource: null }), 'h', null)).toBe('full re-send');
  });
});

describe('a Moodle id given to two keys of one file', () => {
  it('fails the later row (moodle-id-conflict): two keys never share one Moodle record, in a file as in the ledger', () => {
    const planner = new PersonPlanner(defaultPlanOptions({ op: 'store', dataSource: 'SIS' }));
    const person = (key: string): PersonRecord => ({ key, moodleId: 5, fields: { username: key.toLowerCase(), firstname: 'A', lastname: 'B', idnumber: key }, available: true });
    const match = { match: { id: 5, suspended: false, via: 'moodle-id' as const } };
    expect(planner.add({ line: 2, record: person('P1') }, match).kind).toBe('adopt');
    const second = planner.add({ line: 3, record: person('P2') }, match);
    expect({ kind: second.kind, code: second.error?.code, reason: second.reason }).toEqual({
      kind: 'fail',
      code: 'moodle-id-conflict',
      reason: "the file's Moodle id 5 is also given to the key P1 on line 2: nothing was changed; correct the SIS's Moodle id, or leave the cell empty",
    });
  });
});
