/** Cohorts (site or category), keyed by the cohort idnumber. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { cohortsApplier } from './apply.js';
import { COHORT_HEADERS, cohortRowMapper } from './feed.js';
import { cohortLookup } from './lookup.js';
import { CohortPlanner } from './rules.js';

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

export const cohorts: EntityDefinition<'cohorts'> = {
  type: 'cohorts',
  dependsOn: ['categories'],
  // A deleted or emptied cohort drops its members' links (apply.ts dropMemberLinks).
  alsoWrites: () => ['cohort-members'],
  headers: COHORT_HEADERS,
  rowMapper: cohortRowMapper,
  functions: COHORT_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(COHORT_RUN_FUNCTIONS),
  // An explicit disable deletes the cohort unless cohorts.disable says empty; the fold never hard-deletes in a refresh.
  planner: (options, settings, sink) => new CohortPlanner({ ...options, disable: (settings.cohorts?.disable ?? 'delete') === 'delete' ? 'delete' : 'suspend' }, sink),
  lookup: (client, ledger, reads) => cohortLookup(client, ledger, reads),
  applier: cohortsApplier,
};
