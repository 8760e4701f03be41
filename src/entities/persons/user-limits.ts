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

/** Each limited field's size and its place in USER_FIELD_LIMITS (the order the message names fields in). */
const LIMITS = new Map<string, { max: number; rank: number }>(Object.entries(USER_FIELD_LIMITS).map(([field, max], rank) => [field, { max, rank }]));
/** The smallest size: a value no longer than this fits any column. */
const SHORTEST = Math.min(...Object.values(USER_FIELD_LIMITS));

/** "firstname is 101 characters; Moodle allows at most 100" for every value over its column size, or undefined. */
export function tooLongFields(values: object): string | undefined {
  let over: Array<{ rank: number; text: string }> | undefined;
  // The row's own fields (a handful), not every limit: a row of short values costs a few look-ups, made once per row.
  for (const field in values) {
    const v = (values as Record<string, unknown>)[field];
    // UTF-16 units are never fewer than characters, so only a long value is looked at (the planner's hot path).
    if (typeof v !== 'string' || v.length <= SHORTEST) continue;
    const limit = LIMITS.get(field);
    if (limit === undefined || v.length <= limit.max) continue;
    // Code points, as the database counts them: an emoji is one character (two UTF-16 units).
    const length = [...v].length;
    if (length > limit.max) (over ??= []).push({ rank: limit.rank, text: `${field} is ${length} characters; Moodle allows at most ${limit.max}` });
  }
  return over
    ?.sort((a, b) => a.rank - b.rank)
    .map((o) => o.text)
    .join('; ');
}
