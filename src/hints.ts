/**
 * The plain-language hint for any code a report row, a summary or the console shows: mdlsync's own codes (the table
 * of src/errors.ts, transport failures included) and Moodle's errorcodes and warningcodes (src/moodle/errorcodes.ts).
 * Production sites hide debuginfo, so the hint says what the admin can do from the code alone; where the message
 * says more (debugging on, or the transport's own words), the hint is sharper.
 *
 * Every non-empty code gets a hint: one nobody has described yet gets UNKNOWN_CODE_HINT (how to find out what it
 * means). hasSpecificHint() tells the two apart.
 */
import { CODES, isErrorCode } from './errors.js';
import { MOODLE_CODES, PASSWORD_POLICY_HINT, REFINEMENTS, UNKNOWN_CODE_HINT, isPasswordPolicyCode, type Refinement } from './moodle/errorcodes.js';

export { UNKNOWN_CODE_HINT } from './moodle/errorcodes.js';

/** mdlsync's own messages that say more than their code: the transport's kind of failure (src/moodle/client.ts), a UTF-16 file. */
const OWN_REFINEMENTS: readonly Refinement[] = [
  { codes: ['invalid-encoding'], match: /UTF-16 byte-order mark/, hint: 'the file is UTF-16, which mdlsync does not read: save it as UTF-8 (Excel: "CSV UTF-8"; Notepad: Save as, Encoding UTF-8)' },
  { codes: ['transient'], match: /no answer within moodle\.timeoutMs/, hint: 'Moodle did not answer in time (a busy site, or a large call): run the tryback file again when the site is calmer, or raise moodle.timeoutMs' },
  { codes: ['transient'], match: /HTTP 5\d\d/, hint: "the site's web server answered with an error (HTTP 5xx: PHP crashed or ran out of memory, a proxy timed out): look at the web server's error log, then run the tryback file again" },
  { codes: ['transient'], match: /the reply is not JSON/, hint: "the site answered with a page, not Moodle's answer (a proxy or maintenance page, or PHP notices printed before it): check moodle.url and turn off Display debug messages; then run the tryback file again" },
  { codes: ['transient'], match: /connection failed|request failed/, hint: 'the connection to the site failed (network, DNS, TLS or the site is down): check that the site is up from this machine, then run the tryback file again' },
  { codes: ['protocol'], match: /HTTP 404/, hint: "the URL is not a Moodle site's root (HTTP 404): set moodle.url to the address of Moodle's front page" },
];

const REFINED: ReadonlyMap<string, readonly Refinement[]> = group([...OWN_REFINEMENTS, ...REFINEMENTS]);

function group(refinements: readonly Refinement[]): Map<string, Refinement[]> {
  const byCode = new Map<string, Refinement[]>();
  for (const r of refinements) for (const code of r.codes) byCode.set(code, [...(byCode.get(code) ?? []), r]);
  return byCode;
}

/** The hint of the code alone, or null when neither table knows it. */
function codeHint(code: string): string | null {
  if (isErrorCode(code)) return CODES[code].hint;
  if (Object.hasOwn(MOODLE_CODES, code)) return MOODLE_CODES[code].hint;
  if (isPasswordPolicyCode(code)) return PASSWORD_POLICY_HINT;
  return null;
}

/**
 * The hint for a code, sharpened by the message when it says more; UNKNOWN_CODE_HINT for a code no table knows;
 * null only when there is no code (a row that did not fail).
 */
export function hintFor(code: string | null | undefined, message?: string | null): string | null {
  if (!code) return null;
  if (message) {
    for (const r of REFINED.get(code) ?? []) if (r.match.test(message)) return r.hint;
  }
  return codeHint(code) ?? UNKNOWN_CODE_HINT;
}

/** True when the code has a hint of its own (not the fallback for unknown codes). */
export function hasSpecificHint(code: string): boolean {
  return codeHint(code) !== null;
}
