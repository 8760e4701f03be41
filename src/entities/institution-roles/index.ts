/** Institution roles: a person's ROLE_ID, as membership of the cohort `role:ROLE_ID` or as a system role. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { institutionRolesApplier } from './apply.js';
import { INSTITUTION_ROLE_HEADERS, institutionRoleRowMapper } from './feed.js';
import { institutionRoleLookup } from './lookup.js';
import { InstitutionRolePlanner } from './rules.js';

/** The wsfunctions an institution-roles run calls (both modes: the mode is config, the service should allow a switch). */
const INSTITUTION_ROLE_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_user_get_users_by_field',
  'core_cohort_get_cohorts',
  'core_cohort_create_cohorts',
  'core_cohort_add_cohort_members',
  'core_cohort_delete_cohort_members',
  'core_cohort_get_cohort_members',
  'core_role_assign_roles',
  'core_role_unassign_roles',
];

export const institutionRoles: EntityDefinition<'institution-roles'> = {
  type: 'institution-roles',
  dependsOn: ['persons'],
  headers: INSTITUTION_ROLE_HEADERS,
  rowMapper: institutionRoleRowMapper,
  functions: INSTITUTION_ROLE_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(INSTITUTION_ROLE_RUN_FUNCTIONS),
  planner: (options, settings, sink) => new InstitutionRolePlanner(options, settings.institutionRoles, sink),
  lookup: (client, ledger, reads, settings) => institutionRoleLookup(client, ledger, { ...reads, mode: settings.institutionRoles?.mode }),
  applier: institutionRolesApplier,
};
