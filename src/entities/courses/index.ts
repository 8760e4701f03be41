/** Courses: keyed by EXTERNAL_COURSE_KEY (stored in idnumber), placed in a category (by key or path), maybe from a template. */
import { capabilitiesFor } from '../../moodle/capabilities.js';
import type { EntityDefinition } from '../definition.js';
import { coursesApplier } from './apply.js';
import { courseRowMapper } from './feed.js';
import { COURSE_HEADERS } from './headers.js';
import { courseLookup } from './lookup.js';
import { CoursePlanner } from './rules.js';
import { COURSE_UNDO } from './undo.js';

/** The wsfunctions a courses run calls; `run` checks the token's service offers them first. */
const COURSE_RUN_FUNCTIONS: readonly string[] = [
  'core_webservice_get_site_info',
  'core_course_get_categories',
  'core_course_create_categories',
  'core_course_create_courses',
  'core_course_update_courses',
  'core_course_get_courses_by_field',
  'core_course_delete_courses',
  'core_course_duplicate_course',
];

export const courses: EntityDefinition<'courses'> = {
  type: 'courses',
  dependsOn: ['categories'],
  // A course whose category path is missing creates the categories (apply.ts).
  alsoWrites: () => ['categories'],
  headers: COURSE_HEADERS,
  rowMapper: courseRowMapper,
  functions: COURSE_RUN_FUNCTIONS,
  capabilities: capabilitiesFor(COURSE_RUN_FUNCTIONS),
  // A course's explicit delete hides it unless courses.disable says delete.
  planner: (options, settings, sink) => new CoursePlanner({ ...options, disable: settings.courses?.disable === 'delete' ? 'delete' : 'suspend' }, sink),
  lookup: (client, ledger, reads) => courseLookup(client, ledger, reads),
  applier: coursesApplier,
  undo: COURSE_UNDO,
};
