/** Group members: a person in a course's group. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { groupMembersApplier } from './apply.js';
import { GROUP_MEMBER_HEADERS, groupMemberRowMapper } from './feed.js';
import { groupMemberLookup } from './lookup.js';
import { GroupMemberPlanner } from './rules.js';
import { GROUP_MEMBER_UNDO } from './undo.js';

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

export const groupMembers: EntityDefinition<'group-members'> = {
  type: 'group-members',
  dependsOn: ['groups', 'persons'],
  headers: GROUP_MEMBER_HEADERS,
  rowMapper: groupMemberRowMapper,
  functions: GROUP_MEMBER_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(GROUP_MEMBER_RUN_FUNCTIONS),
  planner: (options, _settings, sink) => new GroupMemberPlanner(options, sink),
  lookup: (client, ledger, reads) => groupMemberLookup(client, ledger, reads),
  applier: groupMembersApplier,
  undo: GROUP_MEMBER_UNDO,
};
