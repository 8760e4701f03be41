/** Turning persons plan actions into core_user_* records (create and update inputs), and their form-variable count. */
import type { PersonRecord } from './record.js';
import { USER_TEXT_FIELDS } from './record.js';
import type { CreateUserInput, UpdateUserInput } from '../../moodle/types.js';
import { countFormVars } from '../../moodle/index.js';
import type { ActionOf } from '../../plan/types.js';
import { LocalRowError } from '../../apply/pack.js';
import type { ApplyOptions } from '../../apply/types.js';

/** Auth plugins Moodle treats as internal: create_users insists on a password or createpassword for them. */
const INTERNAL_AUTHS = new Set(['manual', 'nologin', 'email', 'none', 'oauth2', 'lti']);

/** Fields create_users takes apart from the ones handled explicitly. */
const OTHER_FIELDS = USER_TEXT_FIELDS.filter((f) => !['username', 'password', 'firstname', 'lastname', 'email'].includes(f));

function customfields(record: PersonRecord): { type: string; value: string }[] | undefined {
  const entries = Object.entries(record.customfields ?? {});
  return entries.length ? entries.map(([type, value]) => ({ type, value })) : undefined;
}

/** A create_users record; throws LocalRowError for what Moodle would refuse anyway (saves a bisection). */
export function buildCreate(action: ActionOf<'persons'>, options: ApplyOptions): CreateUserInput {
  const record = action.record;
  if (!record) throw new LocalRowError('missing-record', 'A create needs the file row');
  const f = record.fields;
  for (const name of ['username', 'firstname', 'lastname'] as const) {
    if (!f[name]) throw new LocalRowError('missing-value', `${name} is required to create a Moodle account`);
  }
  let email = f.email;
  if (!email && options.emailWhenMissing) {
    email = options.emailWhenMissing.replaceAll('{username}', f.username!).replaceAll('{key}', record.key);
  }
  if (!email) throw new LocalRowError('missing-value', 'email is required to create a Moodle account (no emailWhenMissing template is set)');
  const input: CreateUserInput = { username: f.username!, firstname: f.firstname!, lastname: f.lastname!, email };
  if (action.sendPassword && f.password) input.password = f.password;
  else if (!f.auth || INTERNAL_AUTHS.has(f.auth)) {
    if (!options.createPasswordWhenMissing) {
      throw new LocalRowError('missing-password', `auth ${f.auth ?? 'manual'} needs a password: the row has none and createPasswordWhenMissing is off`);
    }
    input.createpassword = 1;
  }
  for (const name of OTHER_FIELDS) if (f[name] !== undefined) input[name] = f[name];
  const cf = customfields(record);
  if (cf) input.customfields = cf;
  return input;
}

/** An update_users record: id, the row's fields (password only when asked), and the wanted suspended state. */
export function buildUpdate(action: ActionOf<'persons'>, id: number): UpdateUserInput {
  const input: UpdateUserInput = { id };
  const record = action.record;
  if (record) {
    for (const name of USER_TEXT_FIELDS) {
      if (name === 'password' && !action.sendPassword) continue;
      if (record.fields[name] !== undefined) input[name] = record.fields[name];
    }
    const cf = customfields(record);
    if (cf) input.customfields = cf;
  }
  const suspended = action.suspended ?? (action.kind === 'disable' ? true : action.kind === 'enable' ? false : undefined);
  if (suspended !== undefined) input.suspended = suspended ? 1 : 0;
  return input;
}

/** Leaves one record adds to a `{users: [...]}` call. */
export const userLeaves = (input: CreateUserInput | UpdateUserInput): number => countFormVars({ u: input });
