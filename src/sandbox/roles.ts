/**
 * core_role_assign_roles / core_role_unassign_roles as core_role_external (enrol/externallib.php) runs them:
 * get_context_from_params(), validate_context(), get_assignable_roles() for the site admin, then role_assign() /
 * role_unassign() (lib/accesslib.php). Both are one delegated transaction.
 */
import { codingException, invalidParameter } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { multiple, single, value, VALUE_OPTIONAL } from './params.js';
import {
  CONTEXT_BLOCK,
  CONTEXT_COURSE,
  CONTEXT_COURSECAT,
  CONTEXT_MODULE,
  CONTEXT_SYSTEM,
  CONTEXT_USER,
  isAssignable,
} from './accesslib.js';

const now = () => Math.floor(Date.now() / 1000);
const SYSTEM_CONTEXT_ID = 1;
/** context_helper::parse_external_level(): short names, and (since 4.2) the numbers, though PARAM_ALPHA strips those. */
const LEVELS: Record<string, number> = {
  system: CONTEXT_SYSTEM, user: CONTEXT_USER, coursecat: CONTEXT_COURSECAT, course: CONTEXT_COURSE,
  module: CONTEXT_MODULE, block: CONTEXT_BLOCK,
};

interface Assignment {
  roleid: number;
  userid: number;
  contextid?: number;
  contextlevel?: string;
  instanceid?: number;
}
interface Context {
  level: number;
  instanceid: number;
}

/** get_context_from_params() then validate_context(): a missing context is 'Context does not exist'. */
function contextOf(ctx: FunctionContext, a: Assignment): Context {
  let found: Context | undefined;
  if (a.contextid) {
    // Only the system context has a known id in the sandbox; any other id reads as a missing context.
    if (a.contextid === SYSTEM_CONTEXT_ID) found = { level: CONTEXT_SYSTEM, instanceid: 0 };
  } else if (a.contextlevel && a.instanceid !== undefined) {
    const level = Object.hasOwn(LEVELS, a.contextlevel) ? LEVELS[a.contextlevel] : undefined;
    if (level === undefined) throw invalidParameter(`Invalid context level = ${a.contextlevel}`);
    const id = a.instanceid;
    const exists =
      level === CONTEXT_SYSTEM ||
      (level === CONTEXT_USER && ctx.store.get(id)?.deleted === 0) ||
      (level === CONTEXT_COURSECAT && ctx.store.courses.category(id) !== undefined) ||
      (level === CONTEXT_COURSE && ctx.store.courses.course(id) !== undefined);
    // The sandbox has no modules or blocks: their contexts never exist.
    if (exists) found = { level, instanceid: level === CONTEXT_SYSTEM ? 0 : id };
  } else {
    throw invalidParameter('Missing parameters, please provide either context level with instance id or contextid');
  }
  if (!found) throw invalidParameter('Context does not exist');
  return found;
}

function assignRoles(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const a of params.assignments as Assignment[]) {
      const c = contextOf(ctx, a);
      if (!isAssignable(a.roleid, c.level)) {
        throw invalidParameter(`Can not assign roleid=${a.roleid} in contextid=${a.contextid ?? ''}`);
      }
      // role_assign()
      if (!a.userid) throw codingException('Invalid call to role_assign(), userid can not be empty');
      if (ctx.store.get(a.userid)?.deleted !== 0) {
        throw codingException('User ID does not exist or is deleted!', `userid:${a.userid}`);
      }
      const existing = ctx.store.db
        .prepare(`SELECT 1 FROM role_assignments WHERE roleid = ? AND contextlevel = ? AND instanceid = ? AND userid = ?
          AND component = '' AND itemid = 0`)
        .get(a.roleid, c.level, c.instanceid, a.userid);
      if (existing) continue;
      ctx.store.courses.insert('role_assignments', {
        roleid: a.roleid, contextlevel: c.level, instanceid: c.instanceid, userid: a.userid, component: '', itemid: 0,
        timemodified: now(),
      });
    }
  });
  return null;
}

function unassignRoles(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const a of params.unassignments as Assignment[]) {
      const c = contextOf(ctx, a);
      if (!isAssignable(a.roleid, c.level)) {
        throw invalidParameter(`Can not unassign roleid=${a.roleid} in contextid=${a.contextid ?? ''}`);
      }
      // role_unassign(): only manual assignments (component '', itemid 0), which include enrol_manual's.
      if (!a.userid) {
        throw codingException('Invalid call to role_unassign(), please use role_unassign_all() when removing multiple role assignments');
      }
      ctx.store.db
        .prepare(`DELETE FROM role_assignments WHERE roleid = ? AND contextlevel = ? AND instanceid = ? AND userid = ?
          AND component = '' AND itemid = 0`)
        .run(a.roleid, c.level, c.instanceid, a.userid);
    }
  });
  return null;
}

const assignmentDesc = single({
  roleid: value('int'),
  userid: value('int'),
  contextid: value('int', VALUE_OPTIONAL),
  contextlevel: value('alpha', VALUE_OPTIONAL),
  instanceid: value('int', VALUE_OPTIONAL),
});

export const ROLE_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_role_assign_roles',
    params: single({ assignments: multiple(assignmentDesc) }),
    returns: null,
    write: true,
    run: assignRoles,
  },
  {
    name: 'core_role_unassign_roles',
    params: single({ unassignments: multiple(assignmentDesc) }),
    returns: null,
    write: true,
    run: unassignRoles,
  },
];
