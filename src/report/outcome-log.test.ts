import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Outcome } from '../apply/types.js';
import { asMoodleErrorcode } from '../errors.js';
import { OutcomeLog, writeRowsCsv } from './index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mdlsync-outcome-log-'));

/** 12,001 rows (over two of rows.csv's 5,000-row batches): unchanged, a formula key, failures with and without a hint. */
function outcomes(): Outcome[] {
  return Array.from({ length: 12001 }, (_, i): Outcome => {
    if (i % 1000 === 7) return { line: i + 2, type: 'enrolments', key: `=K${i}`, action: 'create', outcome: 'failed', errorcode: asMoodleErrorcode('invalidparameter'), message: 'Invalid parameter value detected' };
    if (i % 1000 === 8) return { line: null, key: `gone${i}`, action: 'disable', outcome: 'failed', errorcode: 'transient', message: 'timeout, "quoted"\nnext line' };
    if (i % 2 === 0) return { line: i + 2, type: 'enrolments', key: `K${i}`, action: 'unchanged', outcome: 'unchanged', moodleId: i };
    return { line: i + 2, type: 'enrolments', key: `K${i}`, action: 'create', outcome: 'ok', moodleId: 100000 + i };
  });
}

describe('OutcomeLog', () => {
  test('a kept log leaves the same rows.csv bytes as writing every outcome at once, and keeps the counts and only the failed rows', async () => {
    const all = outcomes();
    const whole = tmp();
    await writeRowsCsv(whole, all);
    const dir = tmp();
    const log = await OutcomeLog.of(dir, all);
    expect(await log.keep()).toBe(join(dir, 'rows.csv'));
    expect(readFileSync(join(dir, 'rows.csv'))).toEqual(readFileSync(join(whole, 'rows.csv')));
    expect(readdirSync(dir)).toEqual(['rows.csv']);
    expect(log.total).toBe(12001);
    expect(log.counts).toEqual({ ok: all.filter((o) => o.outcome === 'ok').length, unchanged: all.filter((o) => o.outcome === 'unchanged').length, failed: 24, relinked: 0 });
    expect(log.failed).toEqual(all.filter((o) => o.outcome === 'failed'));
    expect(log.failedRows.total).toBe(24);
    expect(log.failedRows.counts.list().map((c) => [c.code, c.count])).toEqual([
      ['invalidparameter', 12],
      ['transient', 12],
    ]);
  });

  test('a discarded log leaves no rows.csv and no partial file, also after keep', async () => {
    const dir = tmp();
    const log = await OutcomeLog.of(dir, outcomes().slice(0, 10));
    await log.discard();
    expect(readdirSync(dir)).toEqual([]);
    const kept = tmp();
    const again = await OutcomeLog.of(kept, outcomes().slice(0, 10));
    await again.keep();
    await again.discard();
    expect(existsSync(join(kept, 'rows.csv'))).toBe(true);
    expect(readdirSync(kept)).toEqual(['rows.csv']);
  });
});
