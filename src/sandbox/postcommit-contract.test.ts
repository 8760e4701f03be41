/**
 * Replays the recorded post-commit error of enrol_manual_enrol_users (contract/2026-12 cases 173-176) against the
 * sandbox with its mail transport failing: the reply is Moodle's error object exactly, yet the enrolments and roles
 * are saved (the whole batch), a re-enrolment answers the same error, and with mail restored the same call answers
 * null and sends one message. Each case runs on the state the recording had prepared (by unrecorded calls).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MoodleClient, MoodleError, createCourses, createUsers, encodeForm, enrolUsers, getEnrolledUsers } from '../moodle/index.js';
import type { EnrolledUsersOption, ManualEnrolmentInput } from '../moodle/index.js';
import { REST_PATH, startSandbox, type SandboxHandle } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

interface EnrolCase {
  function: string;
  params: { object: { enrolments: ManualEnrolmentInput[] } };
  response: Record<string, string> | null;
  after: Record<string, unknown> & {
    enrolled_users: { params: { courseid: number; options: EnrolledUsersOption[] }; response: { id: number; username: string; fullname: string; roles: unknown[] }[] };
    mail_files_written_by_fake_sendmail: number;
  };
  note: string;
}

const load = (file: string) => JSON.parse(readFileSync(DIR + file, 'utf8')) as EnrolCase;

let sb: SandboxHandle;
let client: MoodleClient;
/** Recorded id → sandbox id (users by username, the course R2 Mail). */
const ids = new Map<number, number>();
const usernames = ['r2teach1', 'r2mail1', 'r2mail2', 'r2mail3', 'r2mail4'];

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  client = new MoodleClient({ url: sb.url, token: sb.token });
  const made = await createUsers(client, usernames.map((u) => ({
    username: u, password: 'Passw0rd!', firstname: u[0].toUpperCase() + u.slice(1), lastname: 'Rtwo', email: `${u}@example.com`,
  })));
  // The recorded ids, from the cases' own follow-up reads.
  const recorded: Record<string, number> = { r2teach1: 17469, r2mail1: 17476, r2mail2: 17478, r2mail3: 27602, r2mail4: 27609 };
  made.forEach((m) => ids.set(recorded[m.username], m.id));
  const [course] = await createCourses(client, [{ fullname: 'R2 Mail', shortname: 'R2-MAIL', categoryid: 1 }]);
  ids.set(13, course.id);
  // Before case 173 the recording had enrolled the teacher (the course contact) and r2mail2, with mail working.
  await enrolUsers(client, [
    { roleid: 3, userid: ids.get(17469)!, courseid: course.id },
    { roleid: 5, userid: ids.get(17478)!, courseid: course.id },
  ]);
});

afterAll(async () => {
  await client.close();
  await sb.close();
});

/** Sends the recorded call (ids mapped) and returns the raw JSON answer. */
async function replay(rec: EnrolCase): Promise<unknown> {
  const enrolments = rec.params.object.enrolments.map((e) => ({ ...e, userid: ids.get(e.userid)!, courseid: ids.get(e.courseid)! }));
  const res = await fetch(sb.url + REST_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: encodeForm(sb.token, rec.function, { enrolments }),
  });
  expect(res.status).toBe(200);
  return JSON.parse(await res.text()) as unknown;
}

/** The recorded follow-up read (core_enrol_get_enrolled_users), compared with the sandbox's ids put back. */
async function checkEnrolledUsers(rec: EnrolCase): Promise<void> {
  const want = rec.after.enrolled_users;
  const got = await getEnrolledUsers(client, ids.get(want.params.courseid)!, want.params.options);
  const back = new Map([...ids].map(([r, s]) => [s, r]));
  expect(got.map((u) => ({ ...u, id: back.get(u.id) }))).toEqual(want.response);
}

/** Every user_enrolments and role_assignments row the recording read after the case. */
function checkSavedRows(rec: EnrolCase): void {
  for (const [key, v] of Object.entries(rec.after)) {
    if (!key.startsWith('user_')) continue;
    const rows = v as { user_enrolments: { rows: { userid: number; status: number; timestart: number; timeend: number }[] }; role_assignments: { rows: { roleid: number }[] } };
    const userid = ids.get(Number(key.slice(5)))!;
    const got = sb.enrolments.of(ids.get(13)!).find((e) => e.userid === userid);
    const ue = rows.user_enrolments.rows[0];
    expect(got).toMatchObject({ status: ue.status, timestart: ue.timestart, timeend: ue.timeend });
    expect(got?.roles).toEqual(rows.role_assignments.rows.map((r) => r.roleid));
  }
}

describe('enrol_manual_enrol_users with a failing mail transport (recorded cases 173-176)', () => {
  const cases = ['173_enrol_new_user_sendmail_fails.json', '174_enrol_again_sendmail_fails.json', '175_enrol_batch2_new_users_sendmail_fails.json'];
  for (const file of cases) {
    test(`${file}: Moodle's error object, and the call saved`, async () => {
      const rec = load(file);
      sb.mail.failing = true;
      const sent = sb.mail.sent;
      expect(await replay(rec)).toEqual(rec.response);
      checkSavedRows(rec);
      await checkEnrolledUsers(rec);
      expect(sb.mail.sent - sent).toBe(rec.after.mail_files_written_by_fake_sendmail);
    });
  }

  test('176_enrol_again_sendmail_restored.json: null, and one message sent', async () => {
    const rec = load('176_enrol_again_sendmail_restored.json');
    sb.mail.failing = false;
    const sent = sb.mail.sent;
    expect(await replay(rec)).toBeNull();
    checkSavedRows(rec);
    await checkEnrolledUsers(rec);
    expect(sb.mail.sent - sent).toBe(rec.after.mail_files_written_by_fake_sendmail);
  });

  test('the client sees a MoodleError whose errorcode is the literal message', async () => {
    sb.mail.failing = true;
    const err = await enrolUsers(client, [{ roleid: 5, userid: ids.get(17476)!, courseid: ids.get(13)! }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect((err as MoodleError).errorcode).toBe('Message was not sent.');
    sb.mail.failing = false;
  });

  test('a course without a contact sends no message, so a failing transport answers null', async () => {
    sb.mail.failing = true;
    const [course] = await createCourses(client, [{ fullname: 'No contact', shortname: 'R2-NOCONTACT', categoryid: 1 }]);
    await expect(enrolUsers(client, [{ roleid: 5, userid: ids.get(17476)!, courseid: course.id }])).resolves.toBeUndefined();
    sb.mail.failing = false;
  });
});
