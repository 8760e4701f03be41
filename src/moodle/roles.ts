/** Typed wrappers of core_role_assign_roles / core_role_unassign_roles (see moodle-api-notes §1.6). */
import { countFormVars } from './encode.js';
import type { MoodleCaller } from './types.js';

/** The role wsfunctions this module wraps (its tests check each against the recorded cases). What a run needs is
 * declared per entity type in its definition (src/entities/<type>/index.ts): `run` and `doctor` check the token's service against that list. */
export const ROLE_FUNCTIONS: string[] = ['core_role_assign_roles', 'core_role_unassign_roles'];

export type RoleContextLevel = 'system' | 'user' | 'coursecat' | 'course' | 'module' | 'block';

/**
 * One (un)assignment, addressed by context level + instance id (the child's user id for a parent link,
 * the course id for a course role, 0 for system). The role must allow that context level.
 */
export interface RoleAssignmentInput {
  roleid: number;
  userid: number;
  contextlevel: RoleContextLevel;
  instanceid: number;
}

/** The wire record, key order as recorded. */
const assignmentRecord = (a: RoleAssignmentInput): Record<string, unknown> => ({
  roleid: a.roleid,
  userid: a.userid,
  contextlevel: a.contextlevel,
  instanceid: a.instanceid,
});

/** Leaves one record adds to an `{assignments: [...]}` or `{unassignments: [...]}` call (always 4). */
export const roleAssignmentLeaves = (input: RoleAssignmentInput): number => countFormVars({ a: assignmentRecord(input) });

/**
 * All or nothing (role not assignable in that context, unknown context, unknown user …); null reply.
 * Assigning an existing assignment does nothing. An empty list makes no call.
 */
export async function assignRoles(c: MoodleCaller, a: RoleAssignmentInput[]): Promise<void> {
  if (a.length === 0) return;
  await c.call<null>('core_role_assign_roles', { assignments: a.map(assignmentRecord) });
}

/** All or nothing; null reply. Unassigning a missing assignment does nothing. An empty list makes no call. */
export async function unassignRoles(c: MoodleCaller, a: RoleAssignmentInput[]): Promise<void> {
  if (a.length === 0) return;
  await c.call<null>('core_role_unassign_roles', { unassignments: a.map(assignmentRecord) });
}
