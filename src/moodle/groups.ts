/** Typed wrappers of the core_group_* web-service functions. */
import { countFormVars } from './encode.js';
import { expectOnePerRecord } from './replies.js';
import type { CreateGroupInput, GroupMemberInput, MoodleCaller, MoodleGroup, UpdateGroupInput } from './types.js';

/** The group wsfunctions this module wraps (its tests check each against the recorded cases). What a run needs is
 * declared per entity type in its definition (src/entities/<type>/index.ts): `run` and `doctor` check the token's service against that list. */
export const GROUP_FUNCTIONS: string[] = [
  'core_group_create_groups',
  'core_group_update_groups',
  'core_group_delete_groups',
  'core_group_get_course_groups',
  'core_group_add_group_members',
  'core_group_delete_group_members',
  'core_group_get_group_members',
];

/** Leaves one record adds to a `{groups: [...]}` call. */
export const groupLeaves = (input: CreateGroupInput): number => countFormVars({ g: input });

/** Leaves one record adds to a `{members: [...]}` call (always 2). */
export const groupMemberLeaves = (input: GroupMemberInput): number => countFormVars({ m: input });

/**
 * All or nothing (same name in the course, idnumbertaken …). Answers the groups as created, in input order; a
 * shorter reply is a ProtocolError. An empty list makes no call.
 */
export async function createGroups(c: MoodleCaller, groups: CreateGroupInput[]): Promise<MoodleGroup[]> {
  if (groups.length === 0) return [];
  const reply = await c.call<unknown>('core_group_create_groups', { groups });
  return expectOnePerRecord<MoodleGroup>('core_group_create_groups', 'groups', groups.length, reply);
}

/** Leaves one record adds to a `{groups: [...]}` update call. */
export const updateGroupLeaves = (input: UpdateGroupInput): number => countFormVars({ g: input });

/**
 * All or nothing; returns nothing. A name another group of the course has is refused (invalidparameter, the reason
 * shown only with debugging on), so is an idnumber another group has (idnumbertaken) and a group that does not
 * exist (invalidparameter). An empty list makes no call.
 */
export async function updateGroups(c: MoodleCaller, groups: UpdateGroupInput[]): Promise<void> {
  if (groups.length === 0) return;
  await c.call<null>('core_group_update_groups', { groups });
}

/**
 * Deletes the groups with their members (not reversible). An id that is no group is skipped silently, so a bad id
 * never fails the call; returns nothing. An empty list makes no call.
 */
export async function deleteGroups(c: MoodleCaller, groupids: number[]): Promise<void> {
  if (groupids.length === 0) return;
  await c.call<null>('core_group_delete_groups', { groupids });
}

export async function getCourseGroups(c: MoodleCaller, courseid: number): Promise<MoodleGroup[]> {
  const reply = await c.call<MoodleGroup[] | null>('core_group_get_course_groups', { courseid });
  return reply ?? [];
}

/**
 * All or nothing; returns nothing. Only enrolled users (suspended enrolments count) may be members: enrol first.
 * Already a member is no error. An empty list makes no call.
 */
export async function addGroupMembers(c: MoodleCaller, members: GroupMemberInput[]): Promise<void> {
  if (members.length === 0) return;
  await c.call<null>('core_group_add_group_members', { members });
}

/** All or nothing; returns nothing. Memberships owned by an enrolment plugin fail the call (errorremovenotpermitted). */
export async function deleteGroupMembers(c: MoodleCaller, members: GroupMemberInput[]): Promise<void> {
  if (members.length === 0) return;
  await c.call<null>('core_group_delete_group_members', { members });
}

/** One entry per group: [{groupid, userids}]. An empty list makes no call. */
export async function getGroupMembers(c: MoodleCaller, groupids: number[]): Promise<{ groupid: number; userids: number[] }[]> {
  if (groupids.length === 0) return [];
  const reply = await c.call<{ groupid: number; userids: number[] }[] | null>('core_group_get_group_members', { groupids });
  return reply ?? [];
}
