/**
 * Replays the recorded enrol_manual_enrol_users cases of contract/2026-12 (167-172, 205) against a production-mode
 * sandbox: dates stored as sent even when the end is before the start (167), wsnoinstance for a course whose manual
 * method was deleted (168) or disabled (169), and a re-enrolment of an enrolled user: the same role and no dates
 * change nothing (170), another role is added (171), suspend=1 suspends (172), and missing dates are taken as 0 and
 * overwrite the stored ones (205). The state each case ran on is built first (the recording's unrecorded calls and
 * an admin's clicks, through SiteView), then the reply is compared exactly (ids mapped) and the rows the recording
 * read afterwards through SiteView: values exactly, site times by what they did (unchanged, changed, or new).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MoodleClient, createCourses, createUsers, encodeForm, enrolUsers, getEnrolledUsers } from '../moodle/index.js';
import type { EnrolledUsersOption, ManualEnrolmentInput } from '../moodle/index.js';
import { REST_PATH, startSandbox, type SandboxHandle } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

type DbRow = Record<string, number | string>;
interface Read { sql: string; rows: DbRow[] }

interface EnrolCase {
  function: string;
  params: { object: { enrolments: ManualEnrolmentInput[] } };
  response: Record<string, string> | null;
  after: {
    user_enrolments: Read;
    role_assignments?: Read;
    enrol_instances?: Read;
    enrolled_users?: { params: { courseid: number; options: EnrolledUsersOption[] }; response: { id: number }[] };
    welcome_mails_written?: { count: number };
    /** 170-172: both reads; 205: the user_enrolments read alone. */
    state_before_call?: { user_enrolments: Read; role_assignments: Read } | Read;
  };
  note: string;
}

const load = (file: string) => JSON.parse(readFileSync(DIR + file, 'utf8')) as EnrolCase;

/** Columns that hold the site's clock: compared by what the call did to them, never by value. */
const TIMES = new Set(['timecreated', 'timemodified']);

let sb: SandboxHandle;
let client: MoodleClient;
/** Recorded id → sandbox id: the two users (by username) and the three courses, apart (their ids overlap). */
const userIds = new Map<number, number>();
const courseIds = new Map<number, number>();
const mapped = (m: Map<number, number>, recorded: number): number => {
  const v = m.get(recorded);
  if (v === undefined) throw new Error(`no sandbox id for recorded id ${recorded}`);
  return v;
};
const uid = (recorded: number) => mapped(userIds, recorded);
const cid = (recorded: number) => mapped(courseIds, recorded);

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  client = new MoodleClient({ url: sb.url, token: sb.token });
  // The recorded ids, from the cases' own follow-up reads (usernames r2enr1, r2enr2; fullname "R2enr1 Rtwo").
  const made = await createUsers(client, ['r2enr1', 'r2enr2'].map((u) => ({
    username: u, password: 'Passw0rd!', firstname: u[0].toUpperCase() + u.slice(1), lastname: 'Rtwo', email: `${u}@example.com`,
  })));
  const recordedUser: Record<string, number> = { r2enr1: 17471, r2enr2: 17473 };
  for (const m of made) userIds.set(recordedUser[m.username], m.id);
  const courses = await createCourses(client, [6, 7, 8].map((n) => ({ fullname: `R2 Enrol ${n}`, shortname: `R2-ENROL-${n}`, categoryid: 1 })));
  courses.forEach((c, i) => courseIds.set(6 + i, c.id));
  // Course 7's manual method was deleted and course 8's disabled in Course › Enrolment methods before the cases ran.
  sb.enrolments.deleteInstanceByHand(cid(7), 'manual');
  sb.enrolments.setInstanceStatusByHand(cid(8), 'manual', 1);
});

afterAll(async () => {
  await client.close();
  await sb.close();
});

/** Sends the recorded call (ids mapped) as the recording encoded it, and returns the raw JSON answer. */
async function replay(rec: EnrolCase): Promise<unknown> {
  const enrolments = rec.params.object.enrolments.map((e) => ({ ...e, userid: uid(e.userid), courseid: cid(e.courseid) }));
  const res = await fetch(sb.url + REST_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: encodeForm(sb.token, rec.function, { enrolments }),
  });
  expect(res.status).toBe(200);
  return JSON.parse(await res.text()) as unknown;
}

/** The user and course a recorded read is about (its SQL's `ue.userid = N` / `ra.userid = N` and course id). */
function subject(read: Read): { userid: number; courseid: number } {
  const user = /\.userid = (\d+)/.exec(read.sql);
  const course = /(?:e\.courseid|ctx\.instanceid) = (\d+)/.exec(read.sql);
  if (!user || !course) throw new Error(`cannot tell whose rows: ${read.sql}`);
  return { userid: Number(user[1]), courseid: Number(course[1]) };
}

/** The sandbox's rows for a recorded read, in the recording's column names (ids put back to the recorded ones). */
function sandboxRows(read: Read): DbRow[] {
  const { userid, courseid } = subject(read);
  if (read.sql.includes('mdl_user_enrolments')) {
    return sb.enrolments.rows(cid(courseid), uid(userid)).map((r) => ({
      userid, courseid, enrol: r.enrol, instance_status: r.instanceStatus, status: r.status, timestart: r.timestart,
      timeend: r.timeend, timecreated: r.timecreated, timemodified: r.timemodified,
    }));
  }
  return sb.enrolments.roleRows(cid(courseid), uid(userid)).map((r) => ({ userid, ...r }));
}

/** Only the columns the recording selected. */
const project = (rows: DbRow[], like: DbRow | undefined): DbRow[] =>
  rows.map((r) => Object.fromEntries(Object.keys(like ?? r).map((k) => [k, r[k]])));

/**
 * The sandbox's rows after the call against the recorded ones: every value exactly, except the site times, which
 * must have done what Moodle's did: kept their value (unchanged in the recording), changed (changed there), or, on a
 * row the call added, be a time equal to the row's other times where the recording's were.
 */
function expectRows(recAfter: Read, sbAfter: DbRow[], recBefore?: Read, sbBefore?: DbRow[]): void {
  const want = recAfter.rows;
  const got = project(sbAfter, want[0]);
  expect(got.map(withoutTimes)).toEqual(want.map(withoutTimes));
  got.forEach((row, i) => {
    for (const col of Object.keys(row).filter((k) => TIMES.has(k))) {
      expect(typeof row[col]).toBe('number');
      const before = recBefore?.rows[i];
      if (before && sbBefore?.[i]) {
        if (want[i][col] === before[col]) expect(row[col]).toBe(sbBefore[i][col]);
        else expect(row[col]).not.toBe(sbBefore[i][col]);
      } else {
        for (const other of Object.keys(row).filter((k) => TIMES.has(k) && k !== col)) {
          if (want[i][col] === want[i][other]) expect(row[col]).toBe(row[other]);
        }
      }
    }
  });
}

function withoutTimes(row: DbRow): DbRow {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !TIMES.has(k)));
}

/** The recorded follow-up core_enrol_get_enrolled_users, compared with the sandbox's ids put back. */
async function expectEnrolledUsers(rec: EnrolCase): Promise<void> {
  const want = rec.after.enrolled_users;
  if (!want) return;
  const got = await getEnrolledUsers(client, cid(want.params.courseid), want.params.options);
  const back = new Map([...userIds].map(([r, s]) => [s, r]));
  expect(got.map((u) => ({ ...u, id: back.get(u.id) }))).toEqual(want.response);
}

/** The recorded state before the call, as pairs of (recorded read, sandbox rows now); checked against the sandbox. */
function stateBefore(rec: EnrolCase): { read: Read; rows: DbRow[] }[] {
  const s = rec.after.state_before_call;
  if (!s) return [];
  const reads = 'sql' in s ? [s as Read] : [s.user_enrolments, s.role_assignments];
  return reads.map((read) => {
    const rows = sandboxRows(read);
    // The state the case ran on is the recording's (times aside: those are the sandbox's own).
    expect(project(rows, read.rows[0]).map(withoutTimes)).toEqual(read.rows.map(withoutTimes));
    return { read, rows };
  });
}

/** Replays a case that Moodle answered null, and checks every row it read afterwards. */
async function replayAccepted(rec: EnrolCase): Promise<void> {
  const before = stateBefore(rec);
  const sent = sb.mail.sent;
  expect(await replay(rec)).toEqual(rec.response);
  for (const key of ['user_enrolments', 'role_assignments'] as const) {
    const recAfter = rec.after[key];
    if (!recAfter) continue;
    const prior = before.find((b) => b.read.sql === recAfter.sql);
    expectRows(recAfter, sandboxRows(recAfter), prior?.read, prior?.rows);
  }
  await expectEnrolledUsers(rec);
  if (rec.after.welcome_mails_written) expect(sb.mail.sent - sent).toBe(rec.after.welcome_mails_written.count);
}

/** An hour: the state a case ran on was made that long before its call. */
const EARLIER = 3600;

describe('enrol_manual_enrol_users: recorded cases 167-172 and 205', () => {
  test('167_enrol_timeend_before_timestart.json: accepted, dates stored as sent', async () => {
    const rec = load('167_enrol_timeend_before_timestart.json');
    await replayAccepted(rec);
  });

  for (const file of ['168_enrol_course_manual_instance_removed.json', '169_enrol_course_manual_instance_disabled.json']) {
    test(`${file}: wsnoinstance naming the course id, nothing saved`, async () => {
      const rec = load(file);
      const courseid = rec.params.object.enrolments[0].courseid;
      const instances = rec.after.enrol_instances!;
      // The course's enrolment methods are the recording's (ids aside).
      expect(sb.enrolments.instances(cid(courseid)).map(({ enrol, status }) => ({ enrol, status })))
        .toEqual(instances.rows.map(({ enrol, status }) => ({ enrol, status })));
      const want = { ...rec.response!, message: rec.response!.message.replace(`(id = ${courseid})`, `(id = ${cid(courseid)})`) };
      expect(want.message).not.toBe(rec.response!.message);
      expect(await replay(rec)).toEqual(want);
      expect(sandboxRows(rec.after.user_enrolments)).toEqual(rec.after.user_enrolments.rows);
      expect(sandboxRows(rec.after.role_assignments!)).toEqual(rec.after.role_assignments!.rows);
    });
  }

  test('170_enrol_again_same_role.json: the same role and no dates change nothing', async () => {
    // The recording enrolled r2enr2 as a student, with no dates, before the case.
    await enrolUsers(client, [{ roleid: 5, userid: uid(17473), courseid: cid(6) }]);
    sb.enrolments.backdate(cid(6), uid(17473), EARLIER);
    await replayAccepted(load('170_enrol_again_same_role.json'));
  });

  test('171_enrol_again_other_role.json: the other role is added, the enrolment row unchanged', async () => {
    sb.enrolments.backdate(cid(6), uid(17473), EARLIER);
    await replayAccepted(load('171_enrol_again_other_role.json'));
  });

  test('172_enrol_again_suspend.json: suspend=1 suspends, timemodified updated, roles unchanged', async () => {
    sb.enrolments.backdate(cid(6), uid(17473), EARLIER);
    await replayAccepted(load('172_enrol_again_suspend.json'));
  });

  test('205_enrol_again_without_dates_clears_dates.json: missing dates are taken as 0 and overwrite the stored ones', async () => {
    // r2enr1 still holds case 167's dates.
    sb.enrolments.backdate(cid(6), uid(17471), EARLIER);
    await replayAccepted(load('205_enrol_again_without_dates_clears_dates.json'));
  });

  test('a re-enrolment without suspend makes a suspended enrolment active again (205\'s note)', async () => {
    // 172 left r2enr2 suspended; the same call as 170 (no suspend) reactivates it.
    expect(sb.enrolments.of(cid(6)).find((e) => e.userid === uid(17473))?.status).toBe(1);
    await enrolUsers(client, [{ roleid: 5, userid: uid(17473), courseid: cid(6) }]);
    expect(sb.enrolments.of(cid(6)).find((e) => e.userid === uid(17473))).toMatchObject({ status: 0, timestart: 0, timeend: 0, roles: [4, 5] });
  });
});
