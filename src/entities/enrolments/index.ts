/** Enrolments: a person's manual enrolment in a course with a role, keyed by course key and person key. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { enrolmentsApplier } from './apply.js';
import { ENROLMENT_HEADERS, enrolmentRowMapper } from './feed.js';
import { enrolmentLookup } from './lookup.js';
import { EnrolmentPlanner } from './rules.js';
import { ENROLMENT_UNDO } from './undo.js';

/** The wsfunctions an enrolments run calls; `run` checks the token's service offers them. */
const ENROLMENT_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'enrol_manual_enrol_users',
  'enrol_manual_unenrol_users',
  'core_enrol_get_enrolled_users',
  'core_role_unassign_roles',
  'core_user_get_users_by_field',
  'core_course_get_courses_by_field',
];

export const enrolments: EntityDefinition<'enrolments'> = {
  type: 'enrolments',
  dependsOn: ['courses', 'persons'],
  headers: ENROLMENT_HEADERS,
  rowMapper: enrolmentRowMapper,
  functions: ENROLMENT_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(ENROLMENT_RUN_FUNCTIONS),
  planner: (options, settings, sink) => new EnrolmentPlanner(options, settings.enrolments, sink),
  lookup: (client, ledger, reads) => enrolmentLookup(client, ledger, reads),
  applier: enrolmentsApplier,
  undo: ENROLMENT_UNDO,
};
