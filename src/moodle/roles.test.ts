import { describe, expect, it } from '@jest/globals';
import { contract, recordedCasesOf, replay } from '../../test/moodle-contract.js';
import { MoodleError, isMoodleErrorBody } from './errors.js';
import { ROLE_FUNCTIONS, assignRoles, roleAssignmentLeaves, unassignRoles } from './roles.js';
import type { MoodleCaller } from './types.js';

type O = Record<string, unknown>;
type Case = [name: string, invoke: (c: MoodleCaller, o: O) => Promise<unknown>];

const CASES: Case[] = [
  ['105_assign_parent_role_user_context', (c, o) => assignRoles(c, o.assignments as never)],
  ['106_assign_student_role_user_context', (c, o) => assignRoles(c, o.assignments as never)],
  ['107_assign_role_course_context', (c, o) => assignRoles(c, o.assignments as never)],
  ['108_unassign_parent_role_user_context', (c, o) => unassignRoles(c, o.unassignments as never)],
  ['109_unassign_role_not_assigned', (c, o) => unassignRoles(c, o.unassignments as never)],
];

describe('role wrappers against the recorded contract', () => {
  it('cover every recorded case of ROLE_FUNCTIONS', () => {
    expect(CASES.map(([name]) => name).sort()).toEqual(recordedCasesOf(ROLE_FUNCTIONS).sort());
  });

  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', async (name, invoke) => {
    const rec = contract(name);
    const c = replay(rec);
    const run = invoke(c, structuredClone(rec.params.object));
    if (isMoodleErrorBody(rec.response)) {
      await expect(run).rejects.toBeInstanceOf(MoodleError);
      await expect(run).rejects.toMatchObject({ wsfunction: rec.function, errorcode: rec.response.errorcode });
    } else {
      await expect(run).resolves.toBeUndefined();
    }
    expect(c.bodies).toEqual([rec.params.encoded]);
  });

  it('per-record leaf counter adds up to the recorded body (minus the 3 control pairs)', () => {
    const rec = contract('105_assign_parent_role_user_context');
    const leaves = (rec.params.object.assignments as never[]).reduce((n, r) => n + roleAssignmentLeaves(r), 0);
    expect(leaves).toBe(rec.params.encoded.split('&').length - 3);
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
