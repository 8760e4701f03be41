import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/index.js';
import { PersonPlanner } from './rules.js';
import { personContentHash } from './hash.js';
import type { RowContext } from './rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { PersonRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';

function record(i: number): PersonRecord {
  const key = `P${i}`;
  return {
    key,
    fields: { username: `user${i}`, password: 'changeme', firstname: `First${i}`, lastname: `Last${i}`, email: `user${i}@example.edu`, idnumber: key },
  };
}

// Speed is measured by `npm run bench` (src/bench/plan-worker.ts), never asserted here: a loaded machine would fail
// such a test for nothing. This test keeps the decisions right at scale.
describe('planner at scale', () => {
  it('plans 200k rows (nightly refresh mix) with the right counts and guard', () => {
    const n = 200_000;
    const batch = 10_000;
    const planner = new PersonPlanner(defaultPlanOptions({ op: 'refresh', dataSource: 'SIS' }));
    const owned: LedgerLink[] = [];
    const items: FeedItem[] = new Array(batch);
    const ctxs: RowContext[] = new Array(batch);
    for (let start = 0; start < n; start += batch) {
      // 90% unchanged, 5% changed, 5% new.
      for (let j = 0; j < batch; j++) {
        const i = start + j;
        const r = record(i);
        items[j] = { line: i + 2, record: r };
        const kind = i % 20;
        if (kind === 0) {
          ctxs[j] = {};
        } else {
          const hash = kind === 1 ? 'stale' : personContentHash(r, 'create-only');
          const link: LedgerLink = { entity: 'persons', key: r.key, moodleId: i + 1, dataSource: 'SIS', hash, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null };
          ctxs[j] = { link };
          owned.push(link);
        }
      }
      for (let j = 0; j < batch; j++) planner.add(items[j], ctxs[j]);
    }
    // A few owned persons the file lacks.
    for (let i = 0; i < 100; i++) owned.push({ ...owned[i], key: `gone${i}` });
    const plan = planner.finish(owned);
    expect(plan.rows).toBe(n);
    expect(plan.counts.create).toBe(n / 20);
    expect(plan.counts.update).toBe(n / 20);
    expect(plan.counts.unchanged).toBe(n - n / 10);
    expect(plan.counts.disable).toBe(100);
    expect(plan.guard).toMatchObject({ toDisable: 100, refused: false });
  });
});
