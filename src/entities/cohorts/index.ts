/** Cohorts (site or category), and their members (two types that share the cohort directory). */
import type { EntityDefinition } from '../definition.js';
import { cohortMembersApplier, cohortsApplier } from './apply.js';
import { COHORT_HEADERS, COHORT_MEMBER_HEADERS, cohortMemberRowMapper, cohortRowMapper } from './feed.js';
import { cohortLookup, cohortMemberLookup } from './lookup.js';
import { CohortMemberPlanner, CohortPlanner } from './rules.js';

/** The wsfunctions a cohorts run calls; `run` checks the token's service offers them. */
const COHORT_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_cohort_create_cohorts',
  'core_cohort_update_cohorts',
  'core_cohort_delete_cohorts',
  'core_cohort_get_cohorts',
  'core_cohort_get_cohort_members',
  'core_cohort_delete_cohort_members',
];

/** The wsfunctions a cohort-members run calls. */
const COHORT_MEMBER_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_cohort_add_cohort_members',
  'core_cohort_delete_cohort_members',
  'core_cohort_get_cohort_members',
  'core_cohort_get_cohorts',
  'core_user_get_users_by_field',
];

export const cohorts: EntityDefinition<'cohorts'> = {
  type: 'cohorts',
  dependsOn: ['categories'],
  headers: COHORT_HEADERS,
  rowMapper: cohortRowMapper,
  functions: COHORT_RUN_FUNCTIONS,
  // An explicit disable deletes the cohort unless cohorts.disable says empty; the fold never hard-deletes in a refresh.
  planner: (options, settings, sink) => new CohortPlanner({ ...options, disable: (settings.cohorts?.disable ?? 'delete') === 'delete' ? 'delete' : 'suspend' }, sink),
  lookup: (client, ledger, reads) => cohortLookup(client, ledger, reads),
  applier: cohortsApplier,
};

export const cohortMembers: EntityDefinition<'cohort-members'> = {
  type: 'cohort-members',
  dependsOn: ['cohorts', 'persons'],
  headers: COHORT_MEMBER_HEADERS,
  rowMapper: cohortMemberRowMapper,
  functions: COHORT_MEMBER_RUN_FUNCTIONS,
  planner: (options, _settings, sink) => new CohortMemberPlanner(options, sink),
  lookup: (client, ledger, reads) => cohortMemberLookup(client, ledger, reads),
  applier: cohortMembersApplier,
};
