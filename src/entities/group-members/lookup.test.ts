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
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
    // Member links without state (written before migration 7 kept it): the group of C1|A is known, that of C1|B is not.
    await ledger.writeLinks([link('groups', 'C1|A', 31), link('group-members', 'C1|A|P1', 40), link('group-members', 'C1|B|P2', 41)]);
    await ledger.writeLinks([link('cohorts', 'Y1', 5), link('cohort-members', 'Y1|P1', 40), link('cohort-members', 'Y2|P2', 41)]);
  });
  afterEach(async () => await ledger.close());

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

/** A course BIO (shortname, id 8) with groups Lab A (31), two named Twin (32, 33) and G4 (34, idnumber); user ann (40), enrolled. */
class NamedMoodle implements MoodleCaller {
  readonly calls: { fn: string; params: Record<string, unknown> }[] = [];
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    this.calls.push({ fn, params });
    switch (fn) {
      case 'core_course_get_courses_by_field':
        return { courses: params.field === 'shortname' && params.value === 'BIO' ? [{ id: 8, shortname: 'BIO', idnumber: '' }] : [], warnings: [] } as T;
      case 'core_group_get_course_groups':
        return [
          { id: 31, courseid: 8, name: 'Lab A', idnumber: '' },
          { id: 32, courseid: 8, name: 'Twin', idnumber: '' },
          { id: 33, courseid: 8, name: 'Twin', idnumber: '' },
          { id: 34, courseid: 8, name: 'Four', idnumber: 'G4' },
        ].map((g) => ({ ...g, description: '', descriptionformat: 1, enrolmentkey: '' })) as T;
      case 'core_user_get_users_by_field':
        return (params.values as string[]).flatMap((v) => (params.field === 'username' && v === 'ann' ? [{ id: 40, username: 'ann' }] : [])) as T;
      case 'core_enrol_get_enrolled_users':
        return [{ id: 40 }] as T;
      default:
        throw new Error(`unexpected ${fn}`);
    }
  }
}

const named = (course: string, group: string, groupBy = true): GroupMemberRecord => ({
  key: `${course}|${group}|ann`,
  fields: { course, group, person: 'ann', courseBy: 'shortname', ...(groupBy ? { groupBy: 'name' as const } : {}), personBy: 'username' },
});
const rows = (records: GroupMemberRecord[]) => ({
  async *items(): AsyncIterable<FeedItem<GroupMemberRecord>> {
    let line = 2;
    for (const record of records) yield { line: line++, record };
  },
});

describe('group members by course shortname, group name and username', () => {
  let ledger: SqliteLedger;
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
    // Lab A is a group mdlsync made for data source SIS.B (its link keyed by idnumbers, as every groups link).
    await ledger.writeLinks([{ ...link('groups', 'BIO-2026|LABA', 31), dataSource: 'SIS.B' }]);
  });
  afterEach(async () => await ledger.close());

  it('places the course by shortname, the group by its name among the course groups (exactly one), the person by username', async () => {
    const moodle = new NamedMoodle();
    const planner = new GroupMemberPlanner(defaultPlanOptions({ op: 'store', entity: 'group-members', dataSource: 'SIS.B' }));
    const records = [named('BIO', 'Lab A'), named('BIO', 'Twin'), named('BIO', 'None'), named('BIO', 'G4', false), named('GONE', 'Lab A')];
    const plan = await planChunks(rows(records), planner, ledger, groupMemberLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    const byKey = new Map(plan.actions.map((a) => [a.key, a]));
    expect(byKey.get('BIO|Lab A|ann')).toMatchObject({ kind: 'create', moodleId: 40, state: 'm1;group=31', member: { call: 'add', groupId: 31 } });
    expect(byKey.get('BIO|Twin|ann')).toMatchObject({ kind: 'fail', error: { code: 'unknown-group', message: '2 groups of course BIO are named Twin' } });
    expect(byKey.get('BIO|None|ann')).toMatchObject({ kind: 'fail', error: { code: 'unknown-group', message: 'course BIO has no group named None' } });
    expect(byKey.get('BIO|G4|ann')).toMatchObject({ kind: 'create', member: { call: 'add', groupId: 34 } });
    expect(byKey.get('GONE|Lab A|ann')).toMatchObject({ kind: 'fail', error: { code: 'unknown-group', message: 'no Moodle course has shortname GONE' } });
    // One course read per shortname, one group listing for the course, the usernames in one call.
    expect(moodle.calls.filter((c) => c.fn === 'core_group_get_course_groups')).toHaveLength(1);
    expect(moodle.calls.filter((c) => c.fn === 'core_user_get_users_by_field').map((c) => c.params.field)).toEqual(['username']);
  });

  it('a group mdlsync owns keeps its data source, however the row names it', async () => {
    const planner = new GroupMemberPlanner(defaultPlanOptions({ op: 'store', entity: 'group-members', dataSource: 'SIS.A' }));
    const plan = await planChunks(rows([named('BIO', 'Lab A')]), planner, ledger, groupMemberLookup(new NamedMoodle(), ledger, { retries: 1, backoffMs: 1 }));
    expect(plan.actions[0]).toMatchObject({ kind: 'fail', error: { code: 'data-source-mismatch' } });
  });
});
