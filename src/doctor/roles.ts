/**
 * `mdlsync doctor` checks of the roles the observers and institution-roles (system-role mode) feeds assign. Moodle's
 * web services cannot list roles, so each configured role is probed with core_role_unassign_roles: Moodle first checks
 * the role is assignable in that context by the token's user (get_assignable_roles) and answers "Can not unassign
 * roleid=…" otherwise (enrol/externallib.php, core_role_external::unassign_roles).
 *  - observers: the role, the token user, in the token user's own user context: unassigning a role the admin does not
 *    hold over themselves changes nothing.
 *  - system roles: user id 0, which role_unassign() refuses with a coding_exception only after the check passed, so
 *    nothing is ever removed (the service user may well hold one of these roles at system context).
 */
import type { Config } from '../config/index.js';
import { MoodleError, unassignRoles } from '../moodle/index.js';
import type { MoodleCaller, RoleAssignmentInput } from '../moodle/index.js';
import type { DoctorCheck } from './types.js';

const ROLE_PAGE = 'Site administration › Users › Permissions › Define roles';

function idOf(roleIds: Record<string, number>, shortname: string): number | undefined {
  const lower = shortname.toLowerCase();
  return Object.entries(roleIds).find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** 'ok', 'not-assignable', or the error in words. */
async function probe(client: MoodleCaller, input: RoleAssignmentInput, userZero: boolean): Promise<'ok' | 'not-assignable' | string> {
  try {
    await unassignRoles(client, [input]);
    return 'ok';
  } catch (err) {
    if (!(err instanceof MoodleError)) return (err as Error).message;
    if (err.errorcode === 'invalidparameter' || /Can not unassign/.test(err.message)) return 'not-assignable';
    // role_unassign() refuses user id 0 after the assignable check passed.
    if (userZero && err.errorcode === 'codingerror') return 'ok';
    if (err.errorcode === 'nopermissions') return "the token's user lacks moodle/role:assign";
    return `${err.errorcode}: ${err.message}`;
  }
}

export async function roleChecks(client: MoodleCaller, config: Config, types: readonly string[], tokenUserId: number, functions: ReadonlySet<string>): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  // Without the function the service check has already failed; a probe would only repeat it.
  if (!functions.has('core_role_unassign_roles')) return out;
  const roleIds = config.enrolments.roleIds;
  if (types.includes('observers')) {
    const role = config.observers.role;
    const id = idOf(roleIds, role);
    if (id === undefined) {
      out.push({ name: `role:${role}`, status: 'fail', message: `observer role "${role}" has no id in enrolments.roleIds`, hint: `set enrolments.roleIds["${role}"] to the role's id (${ROLE_PAGE}: the id is the roleid=N of its edit link)` });
    } else {
      const r = await probe(client, { roleid: id, userid: tokenUserId, contextlevel: 'user', instanceid: tokenUserId }, false);
      if (r === 'ok') out.push({ name: `role:${role}`, status: 'ok', message: `observer role "${role}" (id ${id}) can be assigned in user context` });
      else if (r === 'not-assignable') {
        out.push({ name: `role:${role}`, status: 'fail', message: `observer role "${role}" (id ${id}) is missing or not assignable in user context`, hint: `create it as the README says (${ROLE_PAGE} › Add a new role, context type User) and set its id in enrolments.roleIds["${role}"]` });
      } else out.push({ name: `role:${role}`, status: 'fail', message: `observer role "${role}" (id ${id}) could not be checked: ${r}` });
    }
  }
  if (types.includes('institution-roles') && config.institutionRoles.mode === 'system-role') {
    for (const shortname of [...new Set(Object.values(config.institutionRoles.roleMap))]) {
      const id = idOf(roleIds, shortname);
      if (id === undefined) {
        out.push({ name: `role:${shortname}`, status: 'fail', message: `institution role "${shortname}" has no id in enrolments.roleIds`, hint: `set enrolments.roleIds["${shortname}"] to the role's id (${ROLE_PAGE})` });
        continue;
      }
      const r = await probe(client, { roleid: id, userid: 0, contextlevel: 'system', instanceid: 0 }, true);
      if (r === 'ok') out.push({ name: `role:${shortname}`, status: 'ok', message: `institution role "${shortname}" (id ${id}) can be assigned at system context` });
      else if (r === 'not-assignable') {
        out.push({ name: `role:${shortname}`, status: 'fail', message: `institution role "${shortname}" (id ${id}) is missing or not assignable at system context`, hint: `allow context type System for it (${ROLE_PAGE}) or fix enrolments.roleIds["${shortname}"]` });
      } else out.push({ name: `role:${shortname}`, status: 'fail', message: `institution role "${shortname}" (id ${id}) could not be checked: ${r}` });
    }
  }
  return out;
}
