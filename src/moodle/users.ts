/** Typed wrappers of the core_user_* and site-info web-service functions. */
import { expectOnePerRecord } from './replies.js';
import type { CreateUserInput, MoodleCaller, MoodleUser, MoodleWarning, SiteInfo, UpdateUserInput, UserLookupField } from './types.js';

/** The user wsfunctions this module wraps (its tests check each against the recorded cases). It is also the persons
 * run's list in src/entities/persons/index.ts, against which `run` and `doctor` check the token's service. */
export const PERSON_FUNCTIONS: string[] = [
  'core_webservice_get_site_info',
  'core_user_create_users',
  'core_user_update_users',
  'core_user_delete_users',
  'core_user_get_users_by_field',
];

export function getSiteInfo(c: MoodleCaller): Promise<SiteInfo> {
  return c.call<SiteInfo>('core_webservice_get_site_info', {});
}

/** Creates in one all-or-nothing call; a reply shorter than the request means PHP dropped input (max_input_vars). */
export async function createUsers(c: MoodleCaller, users: CreateUserInput[]): Promise<{ id: number; username: string }[]> {
  const reply = await c.call<unknown>('core_user_create_users', { users });
  return expectOnePerRecord<{ id: number; username: string }>('core_user_create_users', 'users', users.length, reply);
}

/** Per-record since Moodle 4.0: failures come back as warnings (itemid = user id). Before 4.0 the reply is null. */
export async function updateUsers(c: MoodleCaller, users: UpdateUserInput[]): Promise<MoodleWarning[]> {
  const reply = await c.call<{ warnings?: MoodleWarning[] } | null>('core_user_update_users', { users });
  return reply?.warnings ?? [];
}

export async function deleteUsers(c: MoodleCaller, ids: number[]): Promise<void> {
  await c.call<null>('core_user_delete_users', { userids: ids });
}

/** Unknown values are simply missing from the answer, and its order is not the request's. */
export async function getUsersByField(c: MoodleCaller, field: UserLookupField, values: string[]): Promise<MoodleUser[]> {
  if (values.length === 0) return [];
  const reply = await c.call<MoodleUser[] | null>('core_user_get_users_by_field', { field, values });
  return reply ?? [];
}

export async function getUsers(
  c: MoodleCaller,
  criteria: { key: string; value: string }[],
): Promise<{ users: MoodleUser[]; warnings: MoodleWarning[] }> {
  const reply = await c.call<{ users?: MoodleUser[]; warnings?: MoodleWarning[] } | null>('core_user_get_users', { criteria });
  return { users: reply?.users ?? [], warnings: reply?.warnings ?? [] };
}
