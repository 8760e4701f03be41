/** Groups of a course, and their members (two types that share the course's group look-ups). */
import type { EntityDefinition } from '../definition.js';
import { groupMembersApplier, groupsApplier } from './apply.js';
import { GROUP_HEADERS, GROUP_MEMBER_HEADERS, groupMemberRowMapper, groupRowMapper } from './feed.js';
import { groupLookup, groupMemberLookup } from './lookup.js';
import { GroupMemberPlanner, GroupPlanner } from './rules.js';

/** The wsfunctions a groups run calls; `run` checks the token's service offers them. */
const GROUP_RUN_FUNCTIONS: readonly string[] = ['core_webservice_get_site_info', 'core_group_create_groups', 'core_group_get_course_groups', 'core_course_get_courses_by_field'];

/** The wsfunctions a group-members run calls. */
const GROUP_MEMBER_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_group_add_group_members',
  'core_group_delete_group_members',
  'core_group_get_group_members',
  'core_group_get_course_groups',
  'core_course_get_courses_by_field',
  'core_user_get_users_by_field',
  'core_enrol_get_enrolled_users',
];

export const groups: EntityDefinition<'groups'> = {
  type: 'groups',
  dependsOn: ['courses'],
  headers: GROUP_HEADERS,
  rowMapper: groupRowMapper,
  functions: GROUP_RUN_FUNCTIONS,
  planner: (options, _settings, sink) => new GroupPlanner(options, sink),
  lookup: (client, ledger, reads) => groupLookup(client, ledger, reads),
  applier: groupsApplier,
};

export const groupMembers: EntityDefinition<'group-members'> = {
  type: 'group-members',
  dependsOn: ['groups', 'persons'],
  headers: GROUP_MEMBER_HEADERS,
  rowMapper: groupMemberRowMapper,
  functions: GROUP_MEMBER_RUN_FUNCTIONS,
  planner: (options, _settings, sink) => new GroupMemberPlanner(options, sink),
  lookup: (client, ledger, reads) => groupMemberLookup(client, ledger, reads),
  applier: groupMembersApplier,
};
