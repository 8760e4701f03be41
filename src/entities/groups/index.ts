/** Groups of a course, keyed by course key and group key (the group key stored in the group's idnumber). */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { groupsApplier } from './apply.js';
import { GROUP_HEADERS, groupRowMapper } from './feed.js';
import { groupLookup } from './lookup.js';
import { GroupPlanner } from './rules.js';

/** The wsfunctions a groups run calls; `run` checks the token's service offers them. */
const GROUP_RUN_FUNCTIONS: readonly string[] = ['core_webservice_get_site_info', 'core_group_create_groups', 'core_group_update_groups', 'core_group_get_course_groups', 'core_course_get_courses_by_field'];

export const groups: EntityDefinition<'groups'> = {
  type: 'groups',
  dependsOn: ['courses'],
  headers: GROUP_HEADERS,
  rowMapper: groupRowMapper,
  functions: GROUP_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(GROUP_RUN_FUNCTIONS),
  planner: (options, _settings, sink) => new GroupPlanner(options, sink),
  lookup: (client, ledger, reads) => groupLookup(client, ledger, reads),
  applier: groupsApplier,
};
