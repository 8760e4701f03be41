/**
 * Cohort members naming their cohort by name (`cohort_name`) and their person by username: the resolve step places
 * them from the one listing of the site's cohorts and Moodle's users; exactly one cohort must have the name.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FeedItem } from '../../feed/types.js';
import { SqliteLedger } from '../../ledger/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { planChunks } from '../../plan/chunks.js';
import { defaultPlanOptions } from '../../plan/fold.js';
import { cohortMemberLookup } from './lookup.js';
import type { CohortMemberRecord } from './record.js';
import { CohortMemberPlanner, type CohortMemberAction } from './rules.js';

const COHORTS = [
  { id: 5, idnumber: 'Y1', name: 'Year 1' },
  { id: 6, idnumber: '', name: 'Twins' },
  { id: 7, idnumber: 'T2', name: 'Twins' },
  { id: 8, idnumber: 'role:staff', name: 'Staff' },
  { id: 9, idnumber: '', name: 'Year 2' },
];

/** core_cohort_get_cohorts (the whole site) and core_user_get_users_by_field (username ann, id 40). */
class FakeMoodle implements MoodleCaller {
  readonly calls: { fn: string; params: Record<string, unknown> }[] = [];
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    this.calls.push({ fn, params });
    if (fn === 'core_cohort_get_cohorts') return COHORTS.map((c) => ({ ...c, description: '', descriptionformat: 1, visible: true, theme: '' })) as T;
    if (fn === 'core_user_get_users_by_field') return (params.values as string[]).flatMap((v) => (v === 'ann' ? [{ id: 40, username: 'ann' }] : [])) as T;
    throw new Error(`unexpected ${fn}`);
  }
}

const rec = (cohort: string, dataSource?: string): CohortMemberRecord => ({ key: `${cohort}|ann`, fields: { cohort, cohortBy: 'name', person: 'ann', personBy: 'username' }, ...(dataSource ? { dataSource } : {}) });
const feed = (records: CohortMemberRecord[]) => ({
  async *items(): AsyncIterable<FeedItem<CohortMemberRecord>> {
    let line = 2;
    for (const record of records) yield { line: line++, record };
  },
});

describe('cohort members by cohort name', () => {
  let ledger: SqliteLedger;
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
    // Year 1 is owned by SIS.B (its link is keyed by idnumber, as every cohorts link).
    await ledger.writeLinks([{ entity: 'cohorts', key: 'Y1', moodleId: 5, dataSource: 'SIS.B', hash: null, status: 'active', runId: 'r0' }]);
  });
  afterEach(async () => await ledger.close());

  it('exactly one cohort with the name is placed; none, several or a reserved one fail the row saying so', async () => {
    const moodle = new FakeMoodle();
    const planner = new CohortMemberPlanner(defaultPlanOptions({ op: 'store', entity: 'cohort-members' }));
    const plan = await planChunks(feed([rec('Year 2'), rec('Twins'), rec('Nobody'), rec('Staff'), rec('Year 1', 'SIS.A')]), planner, ledger, cohortMemberLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    const byKey = new Map((plan.actions as CohortMemberAction[]).map((a) => [a.key, a]));
    expect(byKey.get('Year 2|ann')).toMatchObject({ kind: 'create', moodleId: 40, member: { call: 'add', cohortId: 9 }, state: 'cm1;cohort=9' });
    expect(byKey.get('Twins|ann')).toMatchObject({ kind: 'fail', error: { code: 'unknown-cohort', message: '2 Moodle cohorts are named Twins' } });
    expect(byKey.get('Nobody|ann')).toMatchObject({ kind: 'fail', error: { code: 'unknown-cohort', message: 'no Moodle cohort is named Nobody' } });
    expect(byKey.get('Staff|ann')?.error?.message).toMatch(/^the cohort named Staff is cohort role:staff is reserved/);
    // Found by name, the cohort is still SIS.B's: another data source's row is refused.
    expect(byKey.get('Year 1|ann')).toMatchObject({ kind: 'fail', error: { code: 'data-source-mismatch' } });
    // One listing for every name; the usernames in one call, never the ledger.
    expect(moodle.calls.filter((c) => c.fn === 'core_cohort_get_cohorts')).toHaveLength(1);
    expect(moodle.calls.filter((c) => c.fn === 'core_user_get_users_by_field').map((c) => c.params.field)).toEqual(['username']);
  });
});
