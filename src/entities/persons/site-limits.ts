/**
 * What the real site would refuse in a user record, caught before it is sent: one bad value makes Moodle refuse a
 * whole create_users batch (a language it has not installed refuses a whole update_users call too), and Moodle never
 * truncates a value that is too long for its column.
 */
import type { CreateUserInput, UpdateUserInput } from '../../moodle/types.js';
import { tooLongFields } from './user-limits.js';
import { LocalRowError } from '../../apply/pack.js';

export { USER_FIELD_LIMITS } from './user-limits.js';

type UserInput = CreateUserInput | UpdateUserInput;

/** Throws LocalRowError('field-too-long') naming every field over its column size, with the size. */
export function checkFieldLengths(input: UserInput): void {
  const over = tooLongFields(input);
  if (over) throw new LocalRowError('field-too-long', over);
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
