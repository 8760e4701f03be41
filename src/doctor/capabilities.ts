/**
 * `mdlsync doctor`'s capability checks. The web services cannot list a user's capabilities, so doctor says what it
 * can know honestly: webservice/rest:use is proven by the REST call that answered; a site administrator
 * (site info `userissiteadmin`) holds every capability; for any other user the capabilities are not testable
 * through web services, and the fix is the role file of `mdlsync setup --write` (the observer and system-role probes
 * in roles.ts still test moodle/role:assign where those feeds are named). No probe here writes anything.
 */
import type { EntityType } from '../entities/index.js';
import type { ExportKind } from '../export/rows.js';
import { REST_CAPABILITY, capabilitiesFor } from '../moodle/index.js';
import { neededCapabilities } from '../setup/index.js';
import type { DoctorCheck } from './types.js';

const ROLE_FIX = 'mdlsync setup --write DIR with the same --types writes mdlsync-role.xml: import it (Site administration › Users › Permissions › Define roles › Add a new role › Use role preset) and give the mdlsync user that role at system context (Assign system roles)';

export function capabilityChecks(siteAdmin: boolean, types: readonly EntityType[], exports: readonly ExportKind[], opts: { pictures?: boolean; functions?: readonly string[] }): DoctorCheck[] {
  const needed = neededCapabilities(types, exports, opts.pictures === true, capabilitiesFor(opts.functions ?? []));
  const checks: DoctorCheck[] = [{ name: `capability:${REST_CAPABILITY}`, status: 'ok', message: `capability ${REST_CAPABILITY} (the REST call answered)` }];
  const rest = needed.filter((c) => c !== REST_CAPABILITY);
  if (rest.length === 0) return checks;
  if (siteAdmin) {
    checks.push({ name: 'capabilities', status: 'ok', message: `the token's user is a site administrator: it holds all ${rest.length} other capabilities (a dedicated user with the mdlsync role is safer)` });
  } else {
    checks.push({
      name: 'capabilities',
      status: 'info',
      message: `not testable through web services (the token's user is no site administrator), so make sure its role allows: ${rest.join(', ')}`,
      hint: ROLE_FIX,
    });
  }
  return checks;
}

/**
 * Enrolment feeds enrol through the manual enrolment method, which the web services do not show without touching a
 * course: core_enrol_get_course_enrolment_methods does not list manual instances (case 59), and enrol_manual_enrol_users
 * only says wsnoinstance for a course without an enabled one (cases 168, 169). So: an info line with the fix.
 */
export function enrolmentMethodCheck(): DoctorCheck {
  return {
    name: 'enrolment-method',
    status: 'info',
    message: 'manual enrolments: not testable through web services without enrolling someone; each course needs an enabled "Manual enrolments" method',
    hint: 'Site administration › Plugins › Enrolments › Manage enrol plugins: enable Manual enrolments (and keep "Add instance to new courses"); a course without it fails its rows with wsnoinstance',
  };
}
