/**
 * A refresh's removal whose ledger link does not name its container (links written before the ledger kept state):
 * the resolve step reads the group's or cohort's own link, so the appliers look nothing up and only send.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_APPLY_OPTIONS, applyPlan } from '../../apply/index.js';
import type { EntityRecord, FeedItem } from '../../feed/types.js';
import { SqliteLedger } from '../../ledger/index.js';
import type { LinkWrite } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { planChunks } from '../../plan/chunks.js';
import { defaultPlanOptions } from '../../plan/fold.js';
import type { Action } from '../../plan/types.js';
import { cohortMemberLookup } from '../cohort-members/lookup.js';
import type { CohortMemberRecord } from '../cohort-members/record.js';
import { CohortMemberPlanner } from '../cohort-members/rules.js';
import { groupMemberLookup } from './lookup.js';
import type { GroupMemberRecord } from './record.js';
import { GroupMemberPlanner } from './rules.js';

/** Records every call; answers the removals and the cohort check, nothing else. */
class FakeMoodle implements MoodleCaller {
  readonly calls: { fn: string; params: Record<string, unknown> }[] = [];
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    this.calls.push({ fn, params });
    if (fn === 'core_group_delete_group_members' || fn === 'core_cohort_delete_cohort_members') return null as T;
    if (fn === 'core_cohort_get_cohorts') return [{ id: 5, idnumber: 'Y1', name: 'Y1', description: '', descriptionformat: 1, visible: true }] as T;
    throw new Error(`unexpected ${fn}`);
  }
}

const link = (entity: string, key: string, moodleId: number): LinkWrite => ({ entity, key, moodleId, dataSource: null, hash: null, state: null, status: 'active', runId: 'r0' });
const noRows = <R extends EntityRecord>() => ({
  async *items(): AsyncIterable<FeedItem<R>> {},
});

describe('the resolve step places the container of a removal whose link does not name it', () => {
  let ledger: SqliteLedger;
  beforeEach(() => {
    ledger = SqliteLedger.open(':memory:');
    // Member links without state (written before migration 7 kept it): the group of C1|A is known, that of C1|B is not.
    ledger.writeLinks([link('groups', 'C1|A', 31), link('group-members', 'C1|A|P1', 40), link('group-members', 'C1|B|P2', 41)]);
    ledger.writeLinks([link('cohorts', 'Y1', 5), link('cohort-members', 'Y1|P1', 40), link('cohort-members', 'Y2|P2', 41)]);
  });
  afterEach(() => ledger.close());

  const refresh = { op: 'refresh' as const, force: true };

  it('group members: the group link gives the id; without one the row fails as unknown-group; the applier only sends', async () => {
    const moodle = new FakeMoodle();
    const planner = new GroupMemberPlanner(defaultPlanOptions({ ...refresh, entity: 'group-members' }));
    const plan = await planChunks(noRows<GroupMemberRecord>(), planner, ledger, groupMemberLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    const byKey = new Map(plan.actions.map((a) => [a.key, a]));
    expect(byKey.get('C1|A|P1')?.member).toEqual({ call: 'remove', groupId: 31 });
    expect(byKey.get('C1|B|P2')?.member).toEqual({
      call: 'remove',
      unplaced: { code: 'unknown-group', message: 'group C1|B is not in the ledger: cannot tell which Moodle group to remove the member from' },
    });
    expect(moodle.calls).toEqual([]);

    const out = new Map((await applyPlan({ actions: plan.actions as Action[] }, { client: moodle, ledger, runId: 'r1', options: DEFAULT_APPLY_OPTIONS })).map((o) => [o.key, o]));
    expect(out.get('C1|A|P1')).toMatchObject({ outcome: 'ok', moodleId: 40 });
    expect(out.get('C1|B|P2')).toMatchObject({ outcome: 'failed', errorcode: 'unknown-group', moodleId: 41 });
    expect(moodle.calls.map((c) => c.fn)).toEqual(['core_group_delete_group_members']);
    expect(moodle.calls[0].params).toEqual({ members: [{ groupid: 31, userid: 40 }] });
  });

  it('cohort members: the cohort link gives the id; without one the row fails as unknown-cohort', async () => {
    const moodle = new FakeMoodle();
    const planner = new CohortMemberPlanner(defaultPlanOptions({ ...refresh, entity: 'cohort-members' }));
    const plan = await planChunks(noRows<CohortMemberRecord>(), planner, ledger, cohortMemberLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    const byKey = new Map(plan.actions.map((a) => [a.key, a]));
    expect(byKey.get('Y1|P1')?.member).toEqual({ call: 'remove', cohortId: 5 });
    expect(byKey.get('Y2|P2')?.member).toEqual({
      call: 'remove',
      unplaced: { code: 'unknown-cohort', message: 'cohort Y2 is not in the ledger: cannot tell which Moodle cohort to remove the member from' },
    });

    const out = new Map((await applyPlan({ actions: plan.actions as Action[] }, { client: moodle, ledger, runId: 'r1', options: DEFAULT_APPLY_OPTIONS })).map((o) => [o.key, o]));
    expect(out.get('Y1|P1')).toMatchObject({ outcome: 'ok', moodleId: 40 });
    expect(out.get('Y2|P2')).toMatchObject({ outcome: 'failed', errorcode: 'unknown-cohort', moodleId: 41 });
    expect(moodle.calls.map((c) => c.fn)).toEqual(['core_cohort_get_cohorts', 'core_cohort_delete_cohort_members']);
  });
});
