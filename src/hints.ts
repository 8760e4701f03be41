/**
 * The plain-language hint for any code a report row, a summary or the console shows: mdlsync's own codes (the table
 * of src/errors.ts) and Moodle's errorcodes. Production sites hide debuginfo, so the hint says what the admin can do
 * from the code (and, where Moodle gives one, the message) alone.
 */
import { CODES, isErrorCode } from './errors.js';

/** The hint for a code, or null when none is known (an errorcode no recorded case has shown). */
export function hintFor(code: string | null | undefined, _message?: string | null): string | null {
  if (!code) return null;
  if (isErrorCode(code)) return CODES[code].hint;
  return null;
}
