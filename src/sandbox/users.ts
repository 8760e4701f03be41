/**
 * The core_user_* functions, with Moodle 4.5's parameter and return descriptions and the same checks, in the same
 * order, as user/externallib.php, user/lib.php and lib/moodlelib.php; and the user views (user_description(),
 * user_get_user_details()) and delete_user() that the other function modules and the site views reuse.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  dmlWriteException,
  invalidParameter,
  missingRecord,
  moodleException,
  codingException,
  MoodleException,
} from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import {
  CALENDAR_TYPES,
  cleanParam,
  INSTALLED_AUTHS,
  INSTALLED_LANGS,
  INSTALLED_THEMES,
  multiple,
  phpLooseEquals,
  phpTrim,
  single,
  value,
  VALUE_DEFAULT,
  VALUE_OPTIONAL,
  warningsDesc,
} from './params.js';
import { COUNTRIES, INTERNAL_AUTHS, passwordPolicyErrors, phpStringIncrement, validateEmail } from './moodlelib.js';
import { UniqueViolation, UserRow, UserStore, ValueTooLong } from './user-store.js';
import { userContextId } from './file-store.js';

/** The token's user: the site admin, as on the recorded site. */
export const TOKEN_USER_ID = 2;
const SITE_ADMINS = [2];
const GUEST_ID = 1;
/** AUTH_PASSWORD_NOT_CACHED: what Moodle stores as the password of external-auth users. */
const PASSWORD_NOT_CACHED = 'not cached';

/** PHP empty(): '', '0', 0, false, null and missing are all empty. */
function phpEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '0' || v === 0 || v === false;
}

function hashPassword(password: string): string {
  // Never the password itself: a salted digest is enough to tell "set" from "changed".
  const salt = randomBytes(8).toString('hex');
  return `sha256$${salt}$${createHash('sha256').update(salt + password).digest('hex')}`;
}

const customFieldsParam = multiple(
  single({ type: value('alphanumext'), value: value('raw') }),
  VALUE_OPTIONAL,
);
const preferencesParam = multiple(single({ type: value('raw'), value: value('raw') }), VALUE_OPTIONAL);

const createUserFields = single({
  createpassword: value('bool', VALUE_OPTIONAL),
  username: value('username'),
  auth: value('auth', VALUE_DEFAULT, 'manual'),
  password: value('raw', VALUE_OPTIONAL),
  firstname: value('notags'),
  lastname: value('notags'),
  email: value('raw_trimmed'),
  maildisplay: value('int', VALUE_OPTIONAL),
  city: value('text', VALUE_OPTIONAL),
  country: value('alpha', VALUE_OPTIONAL),
  timezone: value('timezone', VALUE_OPTIONAL),
  description: value('raw', VALUE_OPTIONAL),
  firstnamephonetic: value('notags', VALUE_OPTIONAL),
  lastnamephonetic: value('notags', VALUE_OPTIONAL),
  middlename: value('notags', VALUE_OPTIONAL),
  alternatename: value('notags', VALUE_OPTIONAL),
  interests: value('text', VALUE_OPTIONAL),
  idnumber: value('raw', VALUE_DEFAULT, ''),
  institution: value('text', VALUE_OPTIONAL),
  department: value('text', VALUE_OPTIONAL),
  phone1: value('notags', VALUE_OPTIONAL),
  phone2: value('notags', VALUE_OPTIONAL),
  address: value('text', VALUE_OPTIONAL),
  lang: value('lang', VALUE_DEFAULT, 'en'),
  calendartype: value('plugin', VALUE_DEFAULT, 'gregorian'),
  theme: value('theme', VALUE_OPTIONAL),
  mailformat: value('int', VALUE_OPTIONAL),
  customfields: customFieldsParam,
  preferences: preferencesParam,
});

const updateUserFields = single({
  id: value('int'),
  username: value('username', VALUE_OPTIONAL),
  auth: value('auth', VALUE_OPTIONAL),
  suspended: value('bool', VALUE_OPTIONAL),
  password: value('raw', VALUE_OPTIONAL),
  firstname: value('notags', VALUE_OPTIONAL),
  lastname: value('notags', VALUE_OPTIONAL),
  email: value('raw_trimmed', VALUE_OPTIONAL),
  maildisplay: value('int', VALUE_OPTIONAL),
  city: value('text', VALUE_OPTIONAL),
  country: value('alpha', VALUE_OPTIONAL),
  timezone: value('timezone', VALUE_OPTIONAL),
  description: value('raw', VALUE_OPTIONAL),
  userpicture: value('int', VALUE_OPTIONAL),
  firstnamephonetic: value('notags', VALUE_OPTIONAL),
  lastnamephonetic: value('notags', VALUE_OPTIONAL),
  middlename: value('notags', VALUE_OPTIONAL),
  alternatename: value('notags', VALUE_OPTIONAL),
  interests: value('text', VALUE_OPTIONAL),
  idnumber: value('raw', VALUE_OPTIONAL),
  institution: value('text', VALUE_OPTIONAL),
  department: value('text', VALUE_OPTIONAL),
  phone1: value('notags', VALUE_OPTIONAL),
  phone2: value('notags', VALUE_OPTIONAL),
  address: value('text', VALUE_OPTIONAL),
  lang: value('lang', VALUE_OPTIONAL),
  calendartype: value('plugin', VALUE_OPTIONAL),
  theme: value('theme', VALUE_OPTIONAL),
  mailformat: value('int', VALUE_OPTIONAL),
  customfields: customFieldsParam,
  preferences: preferencesParam,
});

/** core_user_external::user_description() as of 4.5 (key order is the JSON and XML order). */
export const userDescription = single({
  id: value('int'),
  username: value('username', VALUE_OPTIONAL),
  firstname: value('notags', VALUE_OPTIONAL),
  lastname: value('notags', VALUE_OPTIONAL),
  fullname: value('notags'),
  email: value('raw_trimmed', VALUE_OPTIONAL),
  address: value('text', VALUE_OPTIONAL),
  phone1: value('notags', VALUE_OPTIONAL),
  phone2: value('notags', VALUE_OPTIONAL),
  department: value('text', VALUE_OPTIONAL),
  institution: value('text', VALUE_OPTIONAL),
  idnumber: value('raw', VALUE_OPTIONAL),
  interests: value('text', VALUE_OPTIONAL),
  firstaccess: value('int', VALUE_OPTIONAL),
  lastaccess: value('int', VALUE_OPTIONAL),
  auth: value('auth', VALUE_OPTIONAL),
  suspended: value('bool', VALUE_OPTIONAL),
  confirmed: value('bool', VALUE_OPTIONAL),
  lang: value('lang', VALUE_OPTIONAL),
  calendartype: value('plugin', VALUE_OPTIONAL),
  theme: value('theme', VALUE_OPTIONAL),
  timezone: value('timezone', VALUE_OPTIONAL),
  mailformat: value('int', VALUE_OPTIONAL),
  trackforums: value('int', VALUE_OPTIONAL),
  description: value('raw', VALUE_OPTIONAL),
  descriptionformat: value('int', VALUE_OPTIONAL),
  city: value('text', VALUE_OPTIONAL),
  country: value('alpha', VALUE_OPTIONAL),
  profileimageurlsmall: value('url'),
  profileimageurl: value('url'),
  customfields: multiple(
    single({
      type: value('alphanumext'),
      value: value('raw'),
      displayvalue: value('raw', VALUE_OPTIONAL),
      name: value('raw'),
      shortname: value('raw'),
    }),
    VALUE_OPTIONAL,
  ),
  preferences: multiple(single({ name: value('raw'), value: value('raw') }), VALUE_OPTIONAL),
});

/**
 * user_picture::get_url(): the user's own icon (pluginfile.php/<user context>/user/icon/<theme>/f1?rev=<picture>)
 * once they have a picture (contract/2026-12/200), else the theme's default image.
 */
export function pictureUrl(ctx: FunctionContext, size: 'f1' | 'f2', user?: Pick<UserRow, 'id' | 'picture' | 'theme'>): string {
  if (user && user.picture > 0) {
    return `${ctx.siteUrl}/pluginfile.php/${userContextId(user.id)}/user/icon/${user.theme || 'boost'}/${size}?rev=${user.picture}`;
  }
  return `${ctx.siteUrl}/theme/image.php/boost/core/1/u/${size}`;
}

/** user_get_user_details() as the site admin sees a user: empty optional fields are left out. */
export function userDetails(ctx: FunctionContext, u: UserRow): Record<string, unknown> {
  const d: Record<string, unknown> = { id: u.id, username: u.username, firstname: u.firstname, lastname: u.lastname };
  d.fullname = `${u.firstname} ${u.lastname}`;
  const custom = Object.entries(JSON.parse(u.customfields) as Record<string, string>).filter(([, v]) => v !== '');
  if (custom.length > 0) {
    // Every shortname is treated as a text profile field (the sandbox defines them on demand).
    d.customfields = custom.map(([k, v]) => ({ type: 'text', value: v, displayvalue: v, name: k, shortname: k }));
  }
  d.profileimageurl = pictureUrl(ctx, 'f1', u);
  d.profileimageurlsmall = pictureUrl(ctx, 'f2', u);
  if (u.address) d.address = u.address;
  if (u.phone1) d.phone1 = u.phone1;
  if (u.phone2) d.phone2 = u.phone2;
  if (u.description !== null) {
    d.description = u.description;
    d.descriptionformat = u.descriptionformat;
  }
  if (u.country) d.country = u.country;
  if (u.city) d.city = u.city;
  d.suspended = u.suspended === 1;
  d.firstaccess = u.firstaccess;
  d.lastaccess = u.lastaccess;
  d.email = u.email;
  const interests = JSON.parse(u.interests) as string[];
  if (interests.length > 0) d.interests = interests.join(', ');
  if (u.idnumber) d.idnumber = u.idnumber;
  if (u.institution) d.institution = u.institution;
  d.department = u.department;
  if (u.id === TOKEN_USER_ID) {
    d.preferences = Object.entries(JSON.parse(u.preferences) as Record<string, string>).map(([name, v]) => ({
      name,
      value: v,
    }));
  }
  d.auth = u.auth;
  d.confirmed = u.confirmed;
  d.lang = cleanParam(u.lang, 'lang');
  d.theme = cleanParam(u.theme, 'theme');
  d.timezone = u.timezone;
  d.mailformat = u.mailformat;
  d.trackforums = u.trackforums;
  return d;
}

/** core_user::validate() + clean_field(): values outside a field's choices silently become its default. */
function cleanChoices(row: Partial<UserRow>): void {
  if (row.country !== undefined && row.country !== '' && !COUNTRIES.has(row.country)) row.country = '';
  if (row.lang !== undefined && row.lang !== '' && !INSTALLED_LANGS.includes(row.lang)) row.lang = 'en';
  if (row.calendartype !== undefined && row.calendartype !== '' && !CALENDAR_TYPES.includes(row.calendartype)) {
    row.calendartype = 'gregorian';
  }
  if (row.theme !== undefined && row.theme !== '' && !INSTALLED_THEMES.includes(row.theme)) row.theme = 'boost';
}

/** useredit_update_interests(): comma list, trimmed, empties dropped, one tag per name. */
function interestsList(s: string): string[] {
  const out: string[] = [];
  for (const t of s.split(',').map(phpTrim)) {
    if (!phpEmpty(t) && !out.some((o) => o.toLowerCase() === t.toLowerCase())) out.push(t);
  }
  return out;
}

const PROFILE_COPY = [
  'maildisplay', 'city', 'country', 'timezone', 'description', 'firstnamephonetic', 'lastnamephonetic', 'middlename',
  'alternatename', 'idnumber', 'institution', 'department', 'phone1', 'phone2', 'address', 'lang', 'calendartype',
  'theme', 'mailformat', 'firstname', 'lastname', 'email', 'username', 'auth',
] as const;

function copyFields(src: Record<string, unknown>, row: Record<string, unknown>): void {
  for (const k of PROFILE_COPY) if (src[k] !== undefined) row[k] = src[k];
}

function mergeJson(current: string, pairs: { type: string; value: string }[] | undefined): string {
  const obj = JSON.parse(current) as Record<string, string>;
  for (const p of pairs ?? []) obj[p.type] = p.value;
  return JSON.stringify(obj);
}

function createUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const users = params.users as Record<string, unknown>[];
  const availableAuths = INSTALLED_AUTHS.filter((a) => a !== 'mnet' && a !== 'webservice');
  const now = Math.floor(Date.now() / 1000);
  return ctx.store.transaction(() => {
    const result: { id: number; username: string }[] = [];
    for (const user of users) {
      for (const f of ['username', 'firstname', 'lastname']) {
        if (phpTrim(String(user[f])) === '') throw invalidParameter(`The field ${f} cannot be blank`);
      }
      const username = user.username as string;
      if (ctx.store.usernameExists(username)) throw invalidParameter(`Username already exists: ${username}`);
      const auth = user.auth as string;
      if (!availableAuths.includes(auth)) throw invalidParameter(`Invalid authentication type: ${auth}`);
      const lang = user.lang as string;
      if (!INSTALLED_LANGS.includes(lang)) throw invalidParameter(`Invalid language code: ${lang}`);
      if (!phpEmpty(user.theme) && !INSTALLED_THEMES.includes(user.theme as string)) {
        throw invalidParameter(`Invalid theme: ${String(user.theme)}`);
      }
      const internal = INTERNAL_AUTHS.includes(auth);
      if (internal && phpEmpty(user.password) && phpEmpty(user.createpassword)) {
        throw invalidParameter('Invalid password: you must provide a password, or set createpassword.');
      }
      const email = user.email as string;
      if (!validateEmail(email)) throw invalidParameter(`Email address is invalid: ${email}`);
      if (!ctx.allowAccountsSameEmail && ctx.store.emailExistsCi(email)) {
        throw invalidParameter(`Email address already exists: ${email}`);
      }

      // user_create_user()
      const createpassword = user.createpassword === true;
      let password = '';
      if (!internal) {
        password = PASSWORD_NOT_CACHED;
      } else if (createpassword) {
        // setnew_password_and_mail(): a generated password (mailing is not simulated).
        password = hashPassword(randomBytes(12).toString('base64'));
      } else {
        const plain = String(user.password ?? '');
        const errmsg = passwordPolicyErrors(plain, ctx.passwordPolicy);
        if (errmsg) throw moodleException(errmsg);
        password = hashPassword(plain);
      }
      const row: Record<string, unknown> = {
        confirmed: 1,
        timecreated: now,
        timemodified: now,
        password,
        trackforums: 0,
        mailformat: 1,
        maildisplay: 2,
      };
      copyFields(user, row);
      cleanChoices(row as Partial<UserRow>);
      if (user.interests !== undefined) row.interests = JSON.stringify(interestsList(user.interests as string));
      row.customfields = mergeJson('{}', user.customfields as { type: string; value: string }[] | undefined);
      const prefs = JSON.parse(mergeJson('{}', user.preferences as { type: string; value: string }[] | undefined));
      if (createpassword) prefs.auth_forcepasswordchange = '1';
      row.preferences = JSON.stringify(prefs);
      const id = ctx.store.allocateId();
      row.id = id;
      try {
        ctx.store.insert(row as Partial<UserRow> & { id: number });
      } catch (e) {
        if (e instanceof UniqueViolation || e instanceof ValueTooLong) throw dmlWriteException(String(e.message));
        throw e;
      }
      result.push({ id, username });
    }
    return result;
  });
}

type Warning = { item: string; itemid: number; warningcode: string; message: string };

function updateOneUser(ctx: FunctionContext, user: Record<string, unknown>): void {
  const id = user.id as number;
  const existing = ctx.store.get(id);
  if (!existing) throw moodleException('invaliduserid', 'Invalid user ID');
  if (existing.deleted) throw moodleException('usernotupdateddeleted');
  if (existing.id === GUEST_ID) throw moodleException('usernotupdatedguest');
  if (user.email !== undefined && user.email !== existing.email) {
    const email = user.email as string;
    if (!validateEmail(email)) throw moodleException('useremailinvalid');
    if (!ctx.allowAccountsSameEmail && ctx.store.emailExistsCi(email, id)) {
      throw moodleException('useremailduplicate', 'Duplicate address');
    }
  }
  // user_update_user($user, true, false)
  const changes: Record<string, unknown> = { timemodified: Math.floor(Date.now() / 1000) };
  if (user.password !== undefined) {
    const errmsg = passwordPolicyErrors(user.password as string, ctx.passwordPolicy);
    if (errmsg) throw moodleException(errmsg);
  }
  copyFields(user, changes);
  if (phpEmpty(changes.calendartype)) delete changes.calendartype;
  if (user.suspended !== undefined) changes.suspended = user.suspended ? 1 : 0;
  cleanChoices(changes as Partial<UserRow>);
  const auth = (changes.auth as string | undefined) ?? existing.auth;
  if (user.password !== undefined && INTERNAL_AUTHS.includes(auth)) {
    // can_change_password() is true for the internal plugins: the new password is hashed and stored.
    changes.password = hashPassword(user.password as string);
  }
  if (user.userpicture !== undefined && user.userpicture === 0) changes.picture = 0;
  if (!phpEmpty(user.interests)) changes.interests = JSON.stringify(interestsList(user.interests as string));
  if (user.customfields !== undefined) {
    changes.customfields = mergeJson(existing.customfields, user.customfields as { type: string; value: string }[]);
  }
  if (user.preferences !== undefined) {
    changes.preferences = mergeJson(existing.preferences, user.preferences as { type: string; value: string }[]);
  }
  try {
    ctx.store.update(id, changes as Partial<UserRow>);
  } catch (e) {
    if (e instanceof UniqueViolation || e instanceof ValueTooLong) throw dmlWriteException(e.message);
    throw e;
  }
}

function updateUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const warnings: Warning[] = [];
  for (const user of params.users as Record<string, unknown>[]) {
    // 4.0+: one transaction per user; a failure becomes a warning and the next user goes on.
    try {
      ctx.store.transaction(() => updateOneUser(ctx, user));
    } catch (e) {
      if (!(e instanceof MoodleException)) throw e;
      warnings.push({ item: 'user', itemid: user.id as number, warningcode: e.errorcode, message: e.message });
    }
  }
  return { warnings };
}

/** delete_user(): the record stays, marked deleted, with username, email and idnumber rewritten. */
export function deleteUserRecord(store: UserStore, user: UserRow): boolean {
  if (user.id === GUEST_ID || user.deleted) return false; // Moodle only emits a debugging message.
  const deltime = Math.floor(Date.now() / 1000);
  const delemail = user.email !== '' ? user.email : `${user.username}.${user.id}@unknownemail.invalid`;
  const prefix = [...(cleanParam(delemail, 'username') as string)].slice(0, 100 - (String(deltime).length + 1)).join('');
  let delname = `${prefix}.${deltime}`;
  while (store.usernameExists(delname)) delname = phpStringIncrement(delname);
  store.update(user.id, {
    deleted: 1,
    username: delname,
    email: createHash('md5').update(user.username).digest('hex'),
    idnumber: '',
    picture: 0,
    timemodified: deltime,
    customfields: '{}',
    preferences: '{}',
    interests: '[]',
  });
  store.courses.purgeUser(user.id);
  return true;
}

function deleteUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const userid of params.userids as number[]) {
      const user = ctx.store.get(userid);
      if (!user || user.deleted) {
        throw missingRecord('user', 'SELECT * FROM {user} WHERE id = ? AND deleted = ?', [userid, 0]);
      }
      if (SITE_ADMINS.includes(user.id)) throw moodleException('useradminodelete', 'Administrator accounts cannot be deleted.');
      if (user.id === TOKEN_USER_ID) throw moodleException('usernotdeletederror');
      deleteUserRecord(ctx.store, user);
    }
  });
  return null;
}

const FIELD_TYPES = { id: 'int', idnumber: 'raw', username: 'username', email: 'raw_trimmed' } as const;

function getUsersByField(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const field = params.field as string;
  const type = FIELD_TYPES[field as keyof typeof FIELD_TYPES];
  if (!type || !Object.hasOwn(FIELD_TYPES, field)) {
    throw codingException(
      'invalid field parameter',
      `The search field '${field}' is not supported, look at the web service documentation`,
    );
  }
  const cleaned: (string | number)[] = [];
  for (const v of params.values as string[]) {
    const c = cleanParam(v, type);
    if (!phpLooseEquals(v, c)) {
      throw invalidParameter(`The field '${field}' value is invalid: ${v}(cleaned value: ${c})`);
    }
    cleaned.push(c);
  }
  const users = ctx.store.listWhereIn(field as keyof typeof FIELD_TYPES, cleaned);
  return users.map((u) => userDetails(ctx, u)).filter((d) => !phpEmpty(d[field]));
}

const CRITERIA_TYPES: Record<string, 'int' | 'raw' | 'username' | 'raw_trimmed' | 'auth' | 'notags'> = {
  id: 'int',
  idnumber: 'raw',
  username: 'username',
  email: 'raw_trimmed',
  auth: 'auth',
  lastname: 'notags',
  firstname: 'notags',
};

/** $DB->sql_like($field, $value, false): case-insensitive, % and _ wildcards, backslash escapes. */
function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'iu');
}

function getUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const warnings: { item: string; warningcode: string; message: string }[] = [];
  const used = new Set<string>();
  // Exact-match criteria go to SQL (indexed); LIKE ones are applied to the rows that come back.
  const exact: [keyof UserRow, string | number][] = [['deleted', 0]];
  const filters: ((u: UserRow) => boolean)[] = [];
  const validKeys: string[] = [];
  for (const c of params.criteria as { key: string; value: string }[]) {
    if (used.has(c.key)) {
      throw moodleException('keyalreadyset', undefined, `The key ${c.key} can only be sent once`);
    }
    used.add(c.key);
    const type = Object.hasOwn(CRITERIA_TYPES, c.key) ? CRITERIA_TYPES[c.key] : undefined;
    if (!type) {
      warnings.push({
        item: c.key,
        warningcode: 'invalidfieldparameter',
        message: `The search key '${c.key}' is not supported, look at the web service documentation`,
      });
      continue;
    }
    validKeys.push(c.key);
    const v = cleanParam(c.value, type);
    const key = c.key as keyof UserRow;
    if (c.key === 'email' || c.key === 'firstname' || c.key === 'lastname') {
      const re = likeToRegExp(String(v));
      filters.push((u) => re.test(String(u[key])));
    } else {
      exact.push([key, v]);
    }
  }
  const users = ctx.store
    .whereEquals(exact)
    .filter((u) => filters.every((f) => f(u)))
    .map((u) => userDetails(ctx, u))
    .filter((d) => validKeys.every((k) => !phpEmpty(d[k])));
  return { users, warnings };
}

export const USER_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_user_create_users',
    params: single({ users: multiple(createUserFields) }),
    returns: multiple(single({ id: value('int'), username: value('username') })),
    write: true,
    records: (p) => (p.users as unknown[]).length,
    emailChecks: (p) => (p.users as unknown[]).length,
    run: createUsers,
  },
  {
    name: 'core_user_update_users',
    params: single({ users: multiple(updateUserFields) }),
    returns: single({ warnings: warningsDesc }),
    write: true,
    records: (p) => (p.users as unknown[]).length,
    run: updateUsers,
  },
  {
    name: 'core_user_delete_users',
    params: single({ userids: multiple(value('int')) }),
    returns: null,
    write: true,
    run: deleteUsers,
  },
  {
    name: 'core_user_get_users_by_field',
    params: single({ field: value('alpha'), values: multiple(value('raw')) }),
    returns: multiple(userDescription),
    write: false,
    run: getUsersByField,
  },
  {
    name: 'core_user_get_users',
    params: single({ criteria: multiple(single({ key: value('alpha'), value: value('raw') })) }),
    returns: single({ users: multiple(userDescription), warnings: warningsDesc }),
    write: false,
    run: getUsers,
  },
];
