/**
 * Replays the recorded user cases of contract/2026-12/ about languages, field lengths, auth and bad characters
 * (151–166, 204) against the sandbox. They are not a sequence: each runs on a fresh production-mode site (recorded
 * with debugging off) holding what the recording had set up, and is checked against the recorded answer and the
 * recorded mdl_user rows afterwards.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw, rewriteRecorded, type RecordedCall } from '../../test/moodle-contract.js';
import { SandboxHandle, startSandbox } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

interface UserRowAfter {
  id: number;
  username: string;
  auth?: string;
  firstname?: string;
  firstname_chars?: number;
  email?: string;
  idnumber?: string;
  phone1?: string;
  city?: string;
  lang?: string;
  deleted?: number;
}
interface Case extends RecordedCall<{ object: { users: Record<string, unknown>[] } }> {
  after: { user_rows: { rows: UserRowAfter[] } };
}

const CASES = [
  '151_create_user_lang_es', '152_create_user_firstname_101', '153_create_user_firstname_300',
  '154_create_user_email_101', '155_create_user_idnumber_256', '156_create_user_phone1_21', '157_create_user_city_121',
  '158_create_user_firstname_nul', '159_create_user_firstname_emoji', '160_create_user_auth_nologin',
  '161_create_user_auth_nonexistent', '162_create_users_batch3_second_firstname_300', '163_update_user_firstname_300',
  '164_update_user_lang_es', '165_update_users_batch3_second_firstname_300', '166_create_user_username_101',
  '204_create_user_email_101_long_localpart',
];
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Case;

/** The accounts the update cases act on, made by unrecorded calls: recorded id → username (firstname Bee). */
const UPDATE_TARGETS: [number, string][] = [[20823, 'r2upd1'], [20825, 'r2upd2'], [20827, 'r2upd3']];

const post = postRaw;

/** Creates the update targets as the recording had them; returns recorded id → sandbox id. */
async function prepareUpdateTargets(sb: SandboxHandle): Promise<Map<number, number>> {
  const body = UPDATE_TARGETS.map(([, u], i) =>
    `users[${i}][username]=${u}&users[${i}][password]=Passw0rd!x&users[${i}][firstname]=Bee&users[${i}][lastname]=Rtwo` +
    `&users[${i}][email]=${u}%40example.com`).join('&');
  const r = await post(sb, `wstoken=${sb.token}&wsfunction=core_user_create_users&moodlewsrestformat=json&${body}`);
  const made = JSON.parse(r.text) as { id: number }[];
  return new Map(UPDATE_TARGETS.map(([recorded], i) => [recorded, made[i].id]));
}

/** The recorded body with the sandbox's token and user ids (`[id]`). */
const rewrite = (encoded: string, token: string, ids: Map<number, number>) =>
  rewriteRecorded(encoded, token, (name, v) => (name.endsWith('[id]') ? ids.get(Number(v)) : undefined));

let sb: SandboxHandle | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

describe('recorded Moodle 4.5 user limits (contract/2026-12)', () => {
  test.each(CASES)('%s', async (name) => {
    const rec = load(name);
    sb = await startSandbox({ debug: false });
    const ids = rec.function === 'core_user_update_users' ? await prepareUpdateTargets(sb) : new Map<number, number>();
    const r = await post(sb, rewrite(rec.params.encoded, sb.token, ids));
    expect(r.status).toBe(rec.status);
    expect(r.contentType).toBe(rec.content_type);
    const actual = JSON.parse(r.text) as unknown;
    if (Array.isArray(rec.response)) {
      // Created: one {id, username} per record; ids are the sandbox's own.
      const got = actual as { id: number; username: string }[];
      expect(got.map((u) => u.username)).toEqual((rec.response as { username: string }[]).map((u) => u.username));
      for (const u of got) expect(typeof u.id).toBe('number');
    } else if (rec.function === 'core_user_update_users' && !('exception' in (rec.response as object))) {
      const want = rec.response as { warnings: { itemid: number }[] };
      expect(actual).toEqual({ warnings: want.warnings.map((w) => ({ ...w, itemid: ids.get(w.itemid) })) });
    } else {
      // Error objects exactly (production mode: no debuginfo).
      expect(actual).toEqual(rec.response);
    }
    // What mdl_user holds afterwards: the users the case names, as the recording read them back.
    const usernames = rec.function === 'core_user_update_users'
      ? UPDATE_TARGETS.map(([, u]) => u).filter((u) => rec.after.user_rows.rows.some((row) => row.username === u))
      : rec.params.object.users.map((u) => String(u.username));
    const rows = usernames.map((u) => sb!.users.byUsername(u)).filter((u) => u !== undefined);
    expect(rows.map((u) => ({
      username: u.username, auth: u.auth, firstname: u.firstname, firstname_chars: [...u.firstname].length, email: u.email,
      idnumber: u.idnumber, phone1: u.phone1, city: u.city, lang: u.lang, deleted: u.deleted ? 1 : 0,
    }))).toEqual(rec.after.user_rows.rows.map(({ id: _id, firstname_bytes: _b, ...rest }: UserRowAfter & { firstname_bytes?: number }) => rest));
  });
});
