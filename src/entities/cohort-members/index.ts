/** Cohort members: a person in a cohort. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { cohortMembersApplier } from './apply.js';
import { COHORT_MEMBER_HEADERS, cohortMemberRowMapper } from './feed.js';
import { cohortMemberLookup } from './lookup.js';
import { CohortMemberPlanner } from './rules.js';
import { COHORT_MEMBER_UNDO } from './undo.js';

/** The wsfunctions a cohort-members run calls. */
const COHORT_MEMBER_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_cohort_add_cohort_members',
  'core_cohort_delete_cohort_members',
  'core_cohort_get_cohort_members',
  'core_cohort_get_cohorts',
  'core_user_get_users_by_field',
];

export const cohortMembers: EntityDefinition<'cohort-members'> = {
  type: 'cohort-members',
  dependsOn: ['cohorts', 'persons'],
  headers: COHORT_MEMBER_HEADERS,
  rowMapper: cohortMemberRowMapper,
  functions: COHORT_MEMBER_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(COHORT_MEMBER_RUN_FUNCTIONS),
  planner: (options, _settings, sink) => new CohortMemberPlanner(options, sink),
  lookup: (client, ledger, reads) => cohortMemberLookup(client, ledger, reads),
  applier: cohortMembersApplier,
  undo: COHORT_MEMBER_UNDO,
};
