import { describe, expect, it } from '@jest/globals';
import { cannedCaller, contract, countedLeaves, expectReplay, nothing, recordedCasesOf, recordedLeaves, same, type ContractCaseOf } from '../../test/moodle-contract.js';
import {
  COHORT_FUNCTIONS,
  addCohortMembers,
  cohortLeaves,
  cohortMemberLeaves,
  createCohorts,
  deleteCohortMembers,
  deleteCohorts,
  getCohortMembers,
  getCohorts,
  parseCohortMemberWarning,
  searchCohorts,
  updateCohorts,
} from './cohorts.js';
import type { CohortMemberWarning } from './cohorts.js';
import { ProtocolError } from './errors.js';

/* ---- recorded contract cases, replayed through the real encoder ---- */

const members = (o: Record<string, unknown>): { cohortid: number; userid: number }[] =>
  (o.members as { cohorttype: { value: string }; usertype: { value: string } }[]).map((m) => ({
    cohortid: Number(m.cohorttype.value),
    userid: Number(m.usertype.value),
  }));

const CASES: ContractCaseOf[] = [
  ['78_create_cohort_system', (c, o) => createCohorts(c, o.cohorts as never), same],
  ['79_create_cohort_category_by_idnumber', (c, o) => createCohorts(c, o.cohorts as never), same],
  ['80_create_cohort_duplicate_idnumber', (c, o) => createCohorts(c, o.cohorts as never), same],
  ['81_create_cohorts_batch_second_invalid', (c, o) => createCohorts(c, o.cohorts as never), same],
  ['82_create_cohort_bad_categorytype', (c, o) => createCohorts(c, o.cohorts as never), same],
  ['85_add_cohort_member_already_member', (c, o) => addCohortMembers(c, members(o)), (r) => (r as { warnings: unknown }).warnings],
  ['86_get_cohort_members', (c, o) => getCohortMembers(c, o.cohortids as number[]), same],
  ['87_delete_cohort_members', (c, o) => deleteCohortMembers(c, o.members as never), nothing],
  ['88_delete_cohort_member_not_member', (c, o) => deleteCohortMembers(c, o.members as never), nothing],
  ['89_delete_cohort_members_batch_second_invalid', (c, o) => deleteCohortMembers(c, o.members as never), nothing],
  ['90_delete_cohort_member_nonexistent_cohort', (c, o) => deleteCohortMembers(c, o.members as never), nothing],
  ['91_search_cohorts', (c, o) => searchCohorts(c, o.query as string), (r) => (r as { cohorts: unknown }).cohorts],
  ['92_get_cohorts_by_id', (c, o) => getCohorts(c, o.cohortids as number[]), same],
  ['93_get_cohorts_all', (c) => getCohorts(c, []), same],
  ['94_update_cohort', (c, o) => updateCohorts(c, o.cohorts as never), nothing],
  ['95_delete_cohort_nonexistent', (c, o) => deleteCohorts(c, o.cohortids as number[]), nothing],
];
/** Recorded with idnumber/username lookups, which the wrapper never sends (it always addresses by id). */
const LOOKUP_CASES = ['83_add_cohort_members_id_username_idnumber', '84_add_cohort_members_bad_user_and_cohort'];

describe('cohort wrappers against the recorded contract', () => {
  it('cover every recorded case of COHORT_FUNCTIONS', () => {
    expect([...CASES.map(([name]) => name), ...LOOKUP_CASES].sort()).toEqual(recordedCasesOf(COHORT_FUNCTIONS).sort());
  });

  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);

  it('parses every recorded add_cohort_members warning', () => {
    const warnings = (name: string): CohortMemberWarning[] => (contract(name).response as { warnings: CohortMemberWarning[] }).warnings;
    expect(warnings('83_add_cohort_members_id_username_idnumber').map(parseCohortMemberWarning)).toEqual([{ kind: 'invalid' }]);
    expect(warnings('84_add_cohort_members_bad_user_and_cohort').map(parseCohortMemberWarning)).toEqual([
      { kind: 'missing-user', userId: undefined },
      { kind: 'missing-cohort', cohortId: undefined },
    ]);
    expect(warnings('85_add_cohort_member_already_member').map(parseCohortMemberWarning)).toEqual([
      { kind: 'already-member', cohortId: 4, userId: 26 },
    ]);
  });

  it('per-record leaf counters add up to the recorded bodies (minus the 3 control pairs)', () => {
    for (const name of ['78_create_cohort_system', '81_create_cohorts_batch_second_invalid', '94_update_cohort']) {
      expect(countedLeaves(name, 'cohorts', cohortLeaves)).toBe(recordedLeaves(name));
    }
    for (const name of LOOKUP_CASES) {
      expect(members(contract(name).params.object).reduce((n, m) => n + cohortMemberLeaves(m), 0)).toBe(recordedLeaves(name));
    }
  });
});

/* ---- behaviour beyond the recordings ---- */

describe('cohort wrappers', () => {
  it('createCohorts throws ProtocolError when Moodle answers with fewer cohorts than were sent', async () => {
    const cohorts = [
      { categorytype: { type: 'system' as const, value: '' }, name: 'A', idnumber: 'A' },
      { categorytype: { type: 'system' as const, value: '' }, name: 'B', idnumber: 'B' },
    ];
    await expect(createCohorts(cannedCaller([{ id: 1 }]), cohorts)).rejects.toThrow(ProtocolError);
  });

  it('addCohortMembers addresses both sides by id, so the ids of every warning map back', async () => {
    const c = cannedCaller({ warnings: [{ warningcode: '2', message: 'user id=77 not exists' }, { warningcode: '2', message: 'cohort id=9 not exists' }] });
    const w = await addCohortMembers(c, [{ cohortid: 3, userid: 77 }, { cohortid: 9, userid: 5 }]);
    expect(c.calls[0][1]).toEqual({
      members: [
        { cohorttype: { type: 'id', value: '3' }, usertype: { type: 'id', value: '77' } },
        { cohorttype: { type: 'id', value: '9' }, usertype: { type: 'id', value: '5' } },
      ],
    });
    expect(w.map(parseCohortMemberWarning)).toEqual([
      { kind: 'missing-user', userId: 77 },
      { kind: 'missing-cohort', cohortId: 9 },
    ]);
  });

  it('parseCohortMemberWarning: the other messages Moodle builds', () => {
    expect(parseCohortMemberWarning({ warningcode: '1', message: 'invalid parameter: cohortype=name' })).toEqual({ kind: 'invalid' });
    expect(parseCohortMemberWarning({ warningcode: '1', message: 'Invalid context: 50' })).toEqual({ kind: 'invalid' });
    expect(parseCohortMemberWarning({ warningcode: '3', message: 'record already exists: cohort(idnumber=X Y username=bob)' })).toEqual({
      kind: 'already-member',
      cohortId: undefined,
      userId: undefined,
    });
    expect(parseCohortMemberWarning({ warningcode: '2', message: 'something else' })).toEqual({ kind: 'unknown' });
    expect(parseCohortMemberWarning({ warningcode: '9', message: 'user id=1 not exists' })).toEqual({ kind: 'unknown' });
  });

  it('searchCohorts sends the paging options; list calls make no request for an empty list', async () => {
    const c = cannedCaller({ cohorts: [] }, null);
    await expect(searchCohorts(c, 'x', { contextid: 3, includes: 'self', limitfrom: 2, limitnum: 10 })).resolves.toEqual([]);
    expect(c.calls[0]).toEqual(['core_cohort_search_cohorts', { query: 'x', context: { contextid: 3 }, includes: 'self', limitfrom: 2, limitnum: 10 }]);
    await expect(createCohorts(c, [])).resolves.toEqual([]);
    await updateCohorts(c, []);
    await deleteCohorts(c, []);
    await deleteCohortMembers(c, []);
    await expect(addCohortMembers(c, [])).resolves.toEqual([]);
    await expect(getCohortMembers(c, [])).resolves.toEqual([]);
    expect(c.calls).toHaveLength(1);
    await expect(getCohorts(c, [])).resolves.toEqual([]);
    expect(c.calls[1]).toEqual(['core_cohort_get_cohorts', { cohortids: [] }]);
  });
});
