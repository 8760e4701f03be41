/** The column sizes of Moodle's user table, and which of a record's values exceed them. Pure. */

/**
 * mdl_user's varchar sizes (lib/db/install.xml) for the text fields stored as sent. Moodle counts characters, not
 * bytes, and never truncates: a longer value fails the write (contract cases 152–157, 159, 166). auth, lang, country
 * and timezone are absent: their values are checked against the site's lists first (PARAM_AUTH, PARAM_LANG, the
 * country list, PARAM_TIMEZONE).
 */
export const USER_FIELD_LIMITS = {
  username: 100,
  firstname: 100,
  lastname: 100,
  email: 100,
  idnumber: 255,
  city: 120,
  phone1: 20,
  phone2: 20,
  institution: 255,
  department: 255,
  address: 255,
  middlename: 255,
  alternatename: 255,
  firstnamephonetic: 255,
  lastnamephonetic: 255,
} as const;

/**
 * The limits as two lists made once, walked by index: Object.entries per row cost ~1 µs, and destructuring each
 * entry is slow in the planner's first (not yet optimised) rows, which are all of a nightly run's.
 */
const LIMITED = Object.keys(USER_FIELD_LIMITS) as Array<keyof typeof USER_FIELD_LIMITS>;
const MAXIMA = LIMITED.map((field) => USER_FIELD_LIMITS[field]);

/** "firstname is 101 characters; Moodle allows at most 100" for every value over its column size, or undefined. */
export function tooLongFields(values: object): string | undefined {
  let over: string[] | undefined;
  for (let i = 0; i < LIMITED.length; i++) {
    const field = LIMITED[i];
    const max = MAXIMA[i];
    const v = (values as Record<string, unknown>)[field];
    // UTF-16 units are never fewer than characters, so only a long value is counted (on the planner's hot path).
    if (typeof v !== 'string' || v.length <= max) continue;
    // Code points, as the database counts them: an emoji is one character (two UTF-16 units).
    const length = [...v].length;
    if (length > max) (over ??= []).push(`${field} is ${length} characters; Moodle allows at most ${max}`);
  }
  return over?.join('; ');
}
