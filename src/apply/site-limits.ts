/**
 * What the real site would refuse in a user record, caught before it is sent: one bad value makes Moodle refuse a
 * whole create_users batch (a language it has not installed refuses a whole update_users call too), and Moodle never
 * truncates a value that is too long for its column.
 */
import type { CreateUserInput, UpdateUserInput } from '../moodle/index.js';
import { LocalRowError } from './records.js';

/**
 * mdl_user's varchar sizes (lib/db/install.xml) for the text fields stored as sent. Moodle counts characters, not
 * bytes (contract cases 152–157, 159, 166). auth, lang, country and timezone are absent: their values are checked
 * against the site's lists first (PARAM_AUTH, PARAM_LANG, the country list, PARAM_TIMEZONE).
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

type UserInput = CreateUserInput | UpdateUserInput;

/** Throws LocalRowError('field-too-long') naming every field over its column size, with the size. */
export function checkFieldLengths(input: UserInput): void {
  const over: string[] = [];
  for (const [field, max] of Object.entries(USER_FIELD_LIMITS)) {
    const v = input[field as keyof typeof USER_FIELD_LIMITS];
    // Code points, as the database counts them: an emoji is one character (two UTF-16 units).
    const length = typeof v === 'string' ? [...v].length : 0;
    if (length > max) over.push(`${field} is ${length} characters; Moodle allows at most ${max}`);
  }
  if (over.length) throw new LocalRowError('field-too-long', over.join('; '));
}

/**
 * A NUL character is refused wherever it is: PARAM_NOTAGS fields fail parameter cleaning (invalidparameter, the whole
 * create batch: contract case 158) and the database refuses it in the others. Throws LocalRowError naming the fields.
 */
export function checkNulCharacters(input: UserInput): void {
  const fields = Object.entries(input).filter(([, v]) => typeof v === 'string' && v.includes('\0')).map(([f]) => f);
  if (fields.length) throw new LocalRowError('invalid-character', `${fields.join(', ')} ${fields.length > 1 ? 'contain' : 'contains'} a NUL character (U+0000), which Moodle refuses`);
}

/**
 * A lang the site has not installed is left out, as Moodle's *Upload users* does, so the row still lands: on create
 * the site default applies, on update the account keeps its language. Returns the warning for the row, if any.
 */
export function dropUninstalledLang(input: UserInput, languages: readonly string[] | undefined, on: 'create' | 'update'): string | undefined {
  const lang = input.lang;
  if (lang === undefined || languages === undefined || languages.includes(lang)) return undefined;
  delete input.lang;
  const effect = on === 'create' ? 'the site default applies' : 'the account keeps its language';
  return `lang ${lang} is not installed on the site (moodle.languages: ${languages.join(', ')}): sent without lang, ${effect}`;
}

/** The checks on a record about to be sent: throws for a too-long value or a NUL, returns the lang warning. */
export function fitToSite(input: UserInput, languages: readonly string[] | undefined, on: 'create' | 'update'): string | undefined {
  checkFieldLengths(input);
  checkNulCharacters(input);
  return dropUninstalledLang(input, languages, on);
}
