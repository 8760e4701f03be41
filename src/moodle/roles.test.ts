import { describe, expect, it } from '@jest/globals';
import { countedLeaves, expectReplay, nothing, recordedCasesOf, recordedLeaves, type ContractCaseOf } from '../../test/moodle-contract.js';
import { ROLE_FUNCTIONS, assignRoles, roleAssignmentLeaves, unassignRoles } from './roles.js';
import type { MoodleCaller } from './types.js';

const CASES: ContractCaseOf[] = [
  ['105_assign_parent_role_user_context', (c, o) => assignRoles(c, o.assignments as never), nothing],
  ['106_assign_student_role_user_context', (c, o) => assignRoles(c, o.assignments as never), nothing],
  ['107_assign_role_course_context', (c, o) => assignRoles(c, o.assignments as never), nothing],
  ['108_unassign_parent_role_user_context', (c, o) => unassignRoles(c, o.unassignments as never), nothing],
  ['109_unassign_role_not_assigned', (c, o) => unassignRoles(c, o.unassignments as never), nothing],
];

describe('role wrappers against the recorded contract', () => {
  it('cover every recorded case of ROLE_FUNCTIONS', () => {
    expect(CASES.map(([name]) => name).sort()).toEqual(recordedCasesOf(ROLE_FUNCTIONS).sort());
  });

  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);

  it('per-record leaf counter adds up to the recorded body (minus the 3 control pairs)', () => {
    const name = '105_assign_parent_role_user_context';
    expect(countedLeaves(name, 'assignments', roleAssignmentLeaves)).toBe(recordedLeaves(name));
  });
});

describe('role wrappers', () => {
  it('make no request for an empty list', async () => {
    const calls: string[] = [];
    const c: MoodleCaller = { call: <T>(fn: string) => (calls.push(fn), Promise.resolve(null as T)) };
    await assignRoles(c, []);
    await unassignRoles(c, []);
    expect(calls).toEqual([]);
    await assignRoles(c, [{ roleid: 9, userid: 2, contextlevel: 'user', instanceid: 3 }]);
    expect(calls).toEqual(['core_role_assign_roles']);
  });
});
