/** Pieces of lib/moodlelib.php the user functions rely on: validate_email(), check_password_policy(), site lists. */

/**
 * PHP's FILTER_VALIDATE_EMAIL pattern (Michael Rushton's), which PHPMailer::validateAddress() uses by default and
 * Moodle's validate_email() calls. Domains need a dot, so "root@localhost" fails as it does in PHP.
 */
const PHP_EMAIL = new RegExp(
  '^(?!(?:(?:\\x22?\\x5C[\\x00-\\x7E]\\x22?)|(?:\\x22?[^\\x5C\\x22]\\x22?)){255,})' +
    '(?!(?:(?:\\x22?\\x5C[\\x00-\\x7E]\\x22?)|(?:\\x22?[^\\x5C\\x22]\\x22?)){65,}@)' +
    '(?:(?:[\\x21\\x23-\\x27\\x2A\\x2B\\x2D\\x2F-\\x39\\x3D\\x3F\\x5E-\\x7E]+)|' +
    '(?:\\x22(?:[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F\\x21\\x23-\\x5B\\x5D-\\x7F]|(?:\\x5C[\\x00-\\x7F]))*\\x22))' +
    '(?:\\.(?:(?:[\\x21\\x23-\\x27\\x2A\\x2B\\x2D\\x2F-\\x39\\x3D\\x3F\\x5E-\\x7E]+)|' +
    '(?:\\x22(?:[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F\\x21\\x23-\\x5B\\x5D-\\x7F]|(?:\\x5C[\\x00-\\x7F]))*\\x22)))*@' +
    '(?:(?:(?!.*[^.]{64,})(?:(?:(?:xn--)?[a-z0-9]+(?:-+[a-z0-9]+)*\\.){1,126}){1,}' +
    '(?:(?:[a-z][a-z0-9]*)|(?:(?:xn--)[a-z0-9]+))(?:-+[a-z0-9]+)*)|' +
    '(?:\\[(?:(?:IPv6:(?:(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){7})|' +
    '(?:(?!(?:.*[a-f0-9][:\\]]){7,})(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,5})?::(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,5})?)))|' +
    '(?:(?:IPv6:(?:(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){5}:)|' +
    '(?:(?!(?:.*[a-f0-9]:){5,})(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,3})?::(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,3}:)?)))?' +
    '(?:(?:25[0-5])|(?:2[0-4][0-9])|(?:1[0-9]{2})|(?:[1-9]?[0-9]))' +
    '(?:\\.(?:(?:25[0-5])|(?:2[0-4][0-9])|(?:1[0-9]{2})|(?:[1-9]?[0-9]))){3}))\\]))$',
  'i',
);

export function validateEmail(address: string): boolean {
  if (address === '') return false;
  if (address.includes('\n') || address.includes('\r')) return false;
  if (Buffer.byteLength(address) > 320) return false;
  return PHP_EMAIL.test(address) && !/[<>]/.test(address);
}

/** Moodle's default policy (passwordpolicy on): 8 chars, 1 digit, 1 lower, 1 upper, 1 non-alphanumeric. */
export const DEFAULT_POLICY = { minlength: 8, digits: 1, lower: 1, upper: 1, nonalphanum: 1 };

/**
 * check_password_policy(): '' when the password passes, otherwise the concatenated <div> messages that Moodle
 * then throws as the errorcode of a moodle_exception.
 */
export function passwordPolicyErrors(password: string, enabled: boolean): string {
  if (!enabled) return '';
  const p = DEFAULT_POLICY;
  const count = (re: RegExp) => (password.match(re) ?? []).length;
  let err = '';
  if ([...password].length < p.minlength) err += `<div>Passwords must be at least ${p.minlength} characters long.</div>`;
  if (count(/\p{Nd}/gu) < p.digits) err += `<div>Passwords must have at least ${p.digits} digit(s).</div>`;
  if (count(/\p{Ll}/gu) < p.lower) err += `<div>Passwords must have at least ${p.lower} lower case letter(s).</div>`;
  if (count(/\p{Lu}/gu) < p.upper) err += `<div>Passwords must have at least ${p.upper} upper case letter(s).</div>`;
  if (count(/[^\p{Lu}\p{Ll}\p{Nd}]/gu) < p.nonalphanum) {
    err += `<div>The password must have at least ${p.nonalphanum} special character(s) such as *, -, or #.</div>`;
  }
  return err;
}

/** Auth plugins whose is_internal() is true (auth_db counts as external with its default passtype). */
export const INTERNAL_AUTHS = ['manual', 'nologin', 'email', 'none', 'oauth2', 'lti', 'webservice', 'mnet'];

/** ISO 3166-1 codes: get_string_manager()->get_list_of_countries(). */
export const COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY ' +
    'BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK ' +
    'FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR ' +
    'IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ' +
    'ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
    'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF ' +
    'TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** PHP's string increment ($s++) as delete_user() uses it to make deleted usernames unique. */
export function phpStringIncrement(s: string): string {
  const chars = s.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const c = chars[i];
    if (c >= '0' && c <= '8') { chars[i] = String.fromCharCode(c.charCodeAt(0) + 1); return chars.join(''); }
    if (c === '9') { chars[i] = '0'; continue; }
    if ((c >= 'a' && c < 'z') || (c >= 'A' && c < 'Z')) {
      chars[i] = String.fromCharCode(c.charCodeAt(0) + 1);
      return chars.join('');
    }
    if (c === 'z') { chars[i] = 'a'; continue; }
    if (c === 'Z') { chars[i] = 'A'; continue; }
    return chars.join('');
  }
  const first = s[0];
  const lead = first >= '0' && first <= '9' ? '1' : first >= 'a' && first <= 'z' ? 'a' : 'A';
  return lead + chars.join('');
}
