/**
 * The capabilities each web-service function mdlsync calls needs, from Moodle 4.5's db/services.php `capabilities`
 * entries and, where the function's code checks more than services.php says, what the code checks. Every function
 * a definition declares (entities, exports, pictures, mirror) has its line here: `capabilitiesFor` throws on one
 * that has not, so a new function cannot ship without its capabilities. `mdlsync setup` lists and exports them.
 */

/** What every token's user needs to call the REST protocol at all (webservice/rest/server.php). */
export const REST_CAPABILITY = 'webservice/rest:use';

/** Reading users: services.php's list, plus moodle/site:viewuseridentity for idnumber and email in the answer. */
const READ_USERS = ['moodle/user:viewdetails', 'moodle/user:viewhiddendetails', 'moodle/course:useremail', 'moodle/user:update', 'moodle/site:viewuseridentity'];
/**
 * Finding courses (core_course_get_courses_by_field lists none in services.php; its code checks these): hidden courses
 * need viewhiddencourses (mdlsync hides the courses it disables), a course the user is not enrolled in course:view
 * (validate_context), and idnumber and cacherev are only answered to course:update.
 */
const READ_COURSES = ['moodle/course:view', 'moodle/course:viewhiddencourses', 'moodle/course:update'];
const GROUPS = ['moodle/course:managegroups'];

export const FUNCTION_CAPABILITIES: Readonly<Record<string, readonly string[]>> = {
  core_webservice_get_site_info: [],

  core_course_create_categories: ['moodle/category:manage'],
  core_course_update_categories: ['moodle/category:manage'],
  core_course_get_categories: ['moodle/category:viewhiddencategories'],
  // Without course:setforcedlanguage Moodle silently drops a course's lang; without course:visibility, visible.
  core_course_create_courses: ['moodle/course:create', 'moodle/course:visibility', 'moodle/course:setforcedlanguage'],
  core_course_update_courses: [
    'moodle/course:setforcedlanguage',
    'moodle/course:update', 'moodle/course:changecategory', 'moodle/course:changefullname', 'moodle/course:changeshortname',
    'moodle/course:changeidnumber', 'moodle/course:changesummary', 'moodle/course:visibility',
  ],
  core_course_get_courses_by_field: READ_COURSES,
  core_course_delete_courses: ['moodle/course:delete'],
  // A template course is backed up and restored into the new one (no user data: no backup/restore:userinfo).
  core_course_duplicate_course: ['moodle/backup:backupcourse', 'moodle/restore:restorecourse', 'moodle/course:create'],
  core_course_get_contents: ['moodle/course:update', 'moodle/course:viewhiddencourses', 'moodle/course:viewhiddenactivities'],
  core_course_get_updates_since: [],

  core_user_create_users: ['moodle/user:create'],
  core_user_update_users: ['moodle/user:update'],
  core_user_delete_users: ['moodle/user:delete'],
  core_user_get_users_by_field: READ_USERS,
  core_user_get_users: READ_USERS,
  // Another user's picture: moodle/user:editprofile (editownprofile is only for the token user's own).
  core_user_update_picture: ['moodle/user:editprofile'],

  // The code also checks the role is assignable (get_assignable_roles), which needs moodle/role:assign.
  enrol_manual_enrol_users: ['enrol/manual:enrol', 'moodle/role:assign'],
  enrol_manual_unenrol_users: ['enrol/manual:unenrol'],
  // The code checks course:viewparticipants, and course:enrolreview for the onlyactive option mdlsync passes.
  core_enrol_get_enrolled_users: ['moodle/course:viewparticipants', 'moodle/course:enrolreview', 'moodle/site:accessallgroups', ...READ_USERS],
  core_role_assign_roles: ['moodle/role:assign'],
  core_role_unassign_roles: ['moodle/role:assign'],

  core_group_create_groups: GROUPS,
  core_group_update_groups: GROUPS,
  core_group_get_course_groups: GROUPS,
  core_group_add_group_members: GROUPS,
  core_group_delete_group_members: GROUPS,
  core_group_get_group_members: GROUPS,

  core_cohort_create_cohorts: ['moodle/cohort:manage'],
  core_cohort_update_cohorts: ['moodle/cohort:manage'],
  core_cohort_delete_cohorts: ['moodle/cohort:manage'],
  core_cohort_add_cohort_members: ['moodle/cohort:assign'],
  core_cohort_delete_cohort_members: ['moodle/cohort:assign'],
  core_cohort_get_cohorts: ['moodle/cohort:view'],
  core_cohort_get_cohort_members: ['moodle/cohort:view'],

  // Other users' grades need moodle/grade:viewall besides the report's own capability.
  gradereport_user_get_grade_items: ['gradereport/user:view', 'moodle/grade:viewall'],
  core_completion_get_course_completion_status: ['report/completion:view'],
  core_completion_get_activities_completion_status: ['report/progress:view'],
  mod_quiz_get_quizzes_by_courses: ['mod/quiz:view'],
  core_question_get_random_question_summaries: ['moodle/question:viewall'],
};

/** The capabilities `functions` need, sorted, each once. Throws on a function without a line above. */
export function capabilitiesFor(functions: readonly string[]): readonly string[] {
  const unknown = functions.filter((f) => !Object.hasOwn(FUNCTION_CAPABILITIES, f));
  if (unknown.length > 0) throw new Error(`${unknown.join(', ')}: no capabilities declared (src/moodle/capabilities.ts)`);
  return [...new Set(functions.flatMap((f) => FUNCTION_CAPABILITIES[f]))].sort();
}
