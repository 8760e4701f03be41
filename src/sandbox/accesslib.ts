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
