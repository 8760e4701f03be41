/** The retries table: claims are exclusive, a dead claimer's claim is taken over, discarded retries stay gone. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { SqliteLedger } from './sqlite.js';

let ledger: SqliteLedger | undefined;
afterEach(() => {
  ledger?.close();
  ledger = undefined;
});

const retry = (name: string, nextAt: number) => ({
  source: 'watch:/drop', name, file: `/drop/.retry/${name}`, type: 'persons', op: 'store', dataSource: null, force: false, rows: 3, attempts: 1, nextAt, lastError: 'down',
});

describe('retries', () => {
  it('claims only due retries, one claimer at a time, oldest first', () => {
    ledger = SqliteLedger.open(':memory:');
    const a = ledger.retries.add(retry('a.csv', 1000));
    ledger.retries.add(retry('b.csv', 5000));
    const me = { id: 'me', pid: process.pid, host: 'h' };
    const other = { id: 'other', pid: process.pid, host: 'h' };
    expect(ledger.retries.claimDue('watch:/drop', 500, me)).toBeUndefined();
    expect(ledger.retries.claimDue('watch:/elsewhere', 9000, me)).toBeUndefined();
    expect(ledger.retries.claimDue('watch:/drop', 1000, me)?.name).toBe('a.csv');
    // Claimed by a live process: another claimer gets nothing that is due.
    expect(ledger.retries.claimDue('watch:/drop', 1000, other)).toBeUndefined();
    expect(ledger.retries.update(a.id, { file: '/drop/.retry/a2.csv', rows: 1, attempts: 2, nextAt: 2000, lastError: 'still down' })).toBe(true);
    expect(ledger.retries.claimDue('watch:/drop', 2000, other)).toMatchObject({ name: 'a.csv', file: '/drop/.retry/a2.csv', rows: 1, attempts: 2 });
    expect(ledger.retries.remove(a.id)?.name).toBe('a.csv');
    expect(ledger.retries.update(a.id, { file: 'x', rows: 1, attempts: 3, nextAt: 0, lastError: '' })).toBe(false);
    expect(ledger.retries.list().map((r) => r.name)).toEqual(['b.csv']);
  });

  it("takes over a claim whose process is gone", () => {
    ledger = SqliteLedger.open(':memory:');
    ledger.retries.add(retry('a.csv', 0));
    // A pid far above pid_max never runs.
    expect(ledger.retries.claimDue('watch:/drop', 1, { id: 'dead', pid: 2 ** 30, host: 'h' })).toBeDefined();
    expect(ledger.retries.claimDue('watch:/drop', 1, { id: 'me', pid: process.pid, host: 'h' })?.name).toBe('a.csv');
  });
});
