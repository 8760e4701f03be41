/**
 * Pieces of lib/accesslib.php the sandbox relies on: the context levels, the standard roles with the levels each
 * can be assigned at (role_context_levels), and get_assignable_roles() as the site admin sees it.
 */

export const CONTEXT_SYSTEM = 10;
export const CONTEXT_USER = 30;
export const CONTEXT_COURSECAT = 40;
export const CONTEXT_COURSE = 50;
export const CONTEXT_MODULE = 70;
export const CONTEXT_BLOCK = 80;

export interface Role {
  id: number;
  shortname: string;
  /** role_context_levels: where the role can be assigned. */
  contextlevels: number[];
}

/** A standard Moodle 4.5 install, plus the 'parent' role (id 9, user context) the recorded site had. */
export const ROLES: Role[] = [
  { id: 1, shortname: 'manager', contextlevels: [CONTEXT_SYSTEM, CONTEXT_COURSECAT, CONTEXT_COURSE] },
  { id: 2, shortname: 'coursecreator', contextlevels: [CONTEXT_SYSTEM, CONTEXT_COURSECAT] },
  { id: 3, shortname: 'editingteacher', contextlevels: [CONTEXT_COURSECAT, CONTEXT_COURSE] },
  { id: 4, shortname: 'teacher', contextlevels: [CONTEXT_COURSECAT, CONTEXT_COURSE] },
  { id: 5, shortname: 'student', contextlevels: [CONTEXT_COURSE] },
  { id: 6, shortname: 'guest', contextlevels: [] },
  { id: 7, shortname: 'user', contextlevels: [] },
  { id: 8, shortname: 'frontpage', contextlevels: [] },
  { id: 9, shortname: 'parent', contextlevels: [CONTEXT_USER] },
];

/** get_assignable_roles() for the site admin: every role whose role_context_levels include the context's level. */
export function isAssignable(roleid: number, contextlevel: number): boolean {
  return ROLES.some((r) => r.id === roleid && r.contextlevels.includes(contextlevel));
}

/**
 * Context ids. The sandbox keeps no context table: ids are derived, in ranges that cannot meet (the system context
 * is 1, a course's is its id + 40 as the course image URLs have always said, a module's 10,000,000 + its cmid).
 */
export const SYSTEM_CONTEXT_ID = 1;
const MODULE_CONTEXT_BASE = 10_000_000;
export const courseContextId = (courseid: number): number => courseid + 40;
export const moduleContextId = (cmid: number): number => MODULE_CONTEXT_BASE + cmid;

/** context::instance_by_id() without the database: the level and instance an id stands for. */
export function contextById(id: number): { level: number; instanceid: number } {
  if (id === SYSTEM_CONTEXT_ID) return { level: CONTEXT_SYSTEM, instanceid: 0 };
  if (id >= MODULE_CONTEXT_BASE) return { level: CONTEXT_MODULE, instanceid: id - MODULE_CONTEXT_BASE };
  return { level: CONTEXT_COURSE, instanceid: id - 40 };
}

/**
 * The capabilities the sandbox checks for people other than the admin, per role (a standard install's archetype
 * definitions): moodle/course:update is the editing teacher's and the manager's, not the teacher's or student's.
 */
const ROLE_CAPABILITIES: Record<string, string[]> = {
  'moodle/course:update': ['manager', 'editingteacher'],
  'moodle/course:manageactivities': ['manager', 'editingteacher'],
  'mod/quiz:viewreports': ['manager', 'editingteacher', 'teacher'],
  'mod/assign:grade': ['manager', 'editingteacher', 'teacher'],
  'moodle/course:viewhiddenactivities': ['manager', 'editingteacher', 'teacher'],
  'moodle/grade:viewall': ['manager', 'editingteacher', 'teacher'],
  'moodle/course:view': ['manager'],
  'moodle/question:viewall': ['manager', 'editingteacher'],
  'mod/quiz:attempt': ['student'],
  'moodle/course:isincompletionreports': ['student'],
};

/** Whether a role's archetype allows the capability (unknown capabilities: nobody but the admin). */
export function roleHasCapability(roleid: number, capability: string): boolean {
  const shortname = ROLES.find((r) => r.id === roleid)?.shortname;
  return shortname !== undefined && (ROLE_CAPABILITIES[capability] ?? []).includes(shortname);
}
