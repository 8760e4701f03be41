/**
 * The registry of the web-service functions the sandbox implements, assembled from the modules that define them,
 * one per Moodle component (site.ts, users.ts, categories.ts, courses.ts and course-lists.ts, course-content.ts,
 * enrol.ts, groups.ts, cohorts.ts, roles.ts, quiz.ts), and the Moodle 4.5 functions it knows but does not implement.
 * The order is the one site info lists.
 */
import type { WsFunction } from './context.js';
import { SITE_FUNCTIONS } from './site.js';
import { USER_FUNCTIONS } from './users.js';
import { CATEGORY_FUNCTIONS } from './categories.js';
import { COURSE_FUNCTIONS } from './courses.js';
import { COURSE_LIST_FUNCTIONS } from './course-lists.js';
import { CONTENT_FUNCTIONS } from './course-content.js';
import { ENROL_FUNCTIONS } from './enrol.js';
import { GROUP_FUNCTIONS } from './groups.js';
import { COHORT_FUNCTIONS } from './cohorts.js';
import { ROLE_FUNCTIONS } from './roles.js';
import { QUIZ_FUNCTIONS } from './quiz.js';
import { GRADE_FUNCTIONS } from './grades.js';
import { COMPLETION_FUNCTIONS } from './completion.js';
import { FILE_FUNCTIONS } from './files.js';
import { USER_PICTURE_FUNCTIONS } from './user-picture.js';

export const FUNCTIONS: WsFunction[] = [
  ...SITE_FUNCTIONS,
  ...USER_FUNCTIONS,
  ...CATEGORY_FUNCTIONS,
  ...COURSE_FUNCTIONS,
  ...COURSE_LIST_FUNCTIONS,
  ...CONTENT_FUNCTIONS,
  ...ENROL_FUNCTIONS,
  ...GROUP_FUNCTIONS,
  ...COHORT_FUNCTIONS,
  ...ROLE_FUNCTIONS,
  ...QUIZ_FUNCTIONS,
  ...GRADE_FUNCTIONS,
  ...COMPLETION_FUNCTIONS,
  ...FILE_FUNCTIONS,
  ...USER_PICTURE_FUNCTIONS,
];

/**
 * Functions that exist in Moodle 4.5 but that the sandbox does not implement: calling one is an access exception
 * (not in the token's service), as on a real site whose service lacks it; any other name is an unknown function.
 */
export const OTHER_MOODLE_FUNCTIONS = [
  'core_course_import_course', 'core_group_get_groups',
  'core_user_get_course_user_profiles',
  'core_user_update_user_preferences', 'core_user_get_user_preferences', 'core_user_add_user_device',
  'core_user_view_user_list', 'core_user_view_user_profile', 'core_user_search_identity',
  // What the recorded case 195 tried for quiz questions, and the usual per-module reads.
  'mod_quiz_get_quiz_required_qtypes', 'mod_quiz_get_edit_grading_page_data', 'core_course_get_course_module',
  'core_course_get_course_module_by_instance', 'mod_assign_get_assignments', 'mod_forum_get_forums_by_courses',
  'mod_page_get_pages_by_courses',
];
