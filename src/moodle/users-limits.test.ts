/**
 * The recorded user cases about languages, field lengths, auth and bad characters (contract/2026-12/ 151–166, 204)
 * replayed through the wrappers: the request body byte for byte (NUL, emoji, long values included), the reply
 * understood (all-or-nothing create errors thrown with their errorcode, update warnings returned per record).
 */
import { describe, it } from '@jest/globals';
import { createUsers, updateUsers } from './users.js';
import { expectReplay, same, warningsOf, type ContractCaseOf } from '../../test/moodle-contract.js';
import type { CreateUserInput, UpdateUserInput } from './types.js';

const create = (c: Parameters<typeof createUsers>[0], o: Record<string, unknown>) => createUsers(c, o.users as CreateUserInput[]);
const update = (c: Parameters<typeof updateUsers>[0], o: Record<string, unknown>) => updateUsers(c, o.users as UpdateUserInput[]);

const CASES: ContractCaseOf[] = [
  ['2026-12/151_create_user_lang_es', create],
  ['2026-12/152_create_user_firstname_101', create],
  ['2026-12/153_create_user_firstname_300', create],
  ['2026-12/154_create_user_email_101', create],
  ['2026-12/155_create_user_idnumber_256', create],
  ['2026-12/156_create_user_phone1_21', create],
  ['2026-12/157_create_user_city_121', create],
  ['2026-12/158_create_user_firstname_nul', create],
  ['2026-12/159_create_user_firstname_emoji', create, same],
  ['2026-12/160_create_user_auth_nologin', create, same],
  ['2026-12/161_create_user_auth_nonexistent', create],
  ['2026-12/162_create_users_batch3_second_firstname_300', create],
  ['2026-12/163_update_user_firstname_300', update, warningsOf],
  ['2026-12/164_update_user_lang_es', update],
  ['2026-12/165_update_users_batch3_second_firstname_300', update, warningsOf],
  ['2026-12/166_create_user_username_101', create],
  ['2026-12/204_create_user_email_101_long_localpart', create],
];

describe('user wrappers against the recorded 2026-12 limits cases', () => {
  it.each(CASES)('%s: same request body byte for byte, recorded reply understood', expectReplay);
});
