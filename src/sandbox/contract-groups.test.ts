/**
 * Replays the recorded group update and delete cases of contract/2026-12/ (133–139) against the sandbox. They are a
 * sequence on one production-mode site (recorded with debugging off): course 5 with groups 10–14 ("R2 Group A" … "E",
 * idnumbers R2-GA … R2-GE), made by unrecorded calls. Each case is checked against the recorded answer (error
 * objects exactly) and against the course's groups the recording read back afterwards (ids mapped).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw, rewriteRecorded, type RecordedCall } from '../../test/moodle-contract.js';
import { MoodleClient, addGroupMembers, createCourses, createGroups, createUsers, enrolUsers, getCourseGroups } from '../moodle/index.js';
import { startSandbox, type SandboxHandle } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

interface RecordedGroup {
  id: number;
  courseid: number;
  [k: string]: unknown;
}
interface Case extends RecordedCall {
  after: { course_groups: { call: string; params: { courseid: number }; response: RecordedGroup[] } };
}

const CASES = [
  '133_update_groups_rename_ok', '134_update_groups_name_taken', '135_update_groups_idnumber_taken',
  '136_update_groups_batch_second_bad', '137_delete_groups_ok', '138_delete_groups_nonexistent',
  '139_delete_groups_batch_one_bad',
];
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Case;

let sb: SandboxHandle;
let client: MoodleClient;
/** Recorded group id → sandbox id (10–14); ids the recording never had (999999) stay as they are. */
const ids = new Map<number, number>();
const back = new Map<number, number>();
let courseId = 0;
const RECORDED_COURSE = 5;

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  client = new MoodleClient({ url: sb.url, token: sb.token });
  const [course] = await createCourses(client, [{ fullname: 'R2 Groups', shortname: 'R2-GROUPS', categoryid: 1 }]);
  courseId = course.id;
  const made = await createGroups(client, ['A', 'B', 'C', 'D', 'E'].map((l) => ({
    courseid: course.id, name: `R2 Group ${l}`, description: '', idnumber: `R2-G${l}`,
  })));
  made.forEach((g, i) => ids.set(10 + i, g.id));
  for (const [recorded, local] of ids) back.set(local, recorded);
});

afterAll(async () => {
  await client.close();
  await sb.close();
});

/** The recorded body with the sandbox's token and ids (group ids in `[id]` and `groupids[n]`). */
const rewrite = (encoded: string) =>
  rewriteRecorded(encoded, sb.token, (name, v) => (name.endsWith('[id]') || /^groupids\[\d+\]$/.test(name) ? ids.get(Number(v)) : undefined));

describe('recorded Moodle 4.5 group update and delete (contract/2026-12, a sequence)', () => {
  test.each(CASES)('%s', async (name) => {
    const rec = load(name);
    const r = await postRaw(sb, rewrite(rec.params.encoded));
    expect(r.status).toBe(rec.status);
    expect(r.contentType).toBe(rec.content_type);
    // null, or the error object exactly (production mode: no debuginfo).
    expect(JSON.parse(r.text)).toEqual(rec.response);
    // The course's groups afterwards, as the recording read them back.
    const after = rec.after.course_groups;
    expect(after.call).toBe('core_group_get_course_groups');
    expect(after.params.courseid).toBe(RECORDED_COURSE);
    const groups = await getCourseGroups(client, courseId);
    expect(groups.map((g) => ({ ...g, id: back.get(g.id), courseid: g.courseid === courseId ? RECORDED_COURSE : g.courseid }))).toEqual(after.response);
  });
});

describe('group update and delete beyond the recordings (group/externallib.php, group/lib.php)', () => {
  test('a deleted group takes its memberships along; update trims the name and keeps what it is not given', async () => {
    const courseid = courseId;
    const [u] = await createUsers(client, [{ username: 'r2member', password: 'Passw0rd!', firstname: 'M', lastname: 'R', email: 'm@example.com' }]);
    await enrolUsers(client, [{ roleid: 5, userid: u.id, courseid }]);
    const [g] = await createGroups(client, [{ courseid, name: 'Doomed', description: 'keep me', idnumber: 'DOOM' }]);
    await addGroupMembers(client, [{ groupid: g.id, userid: u.id }]);
    expect(sb.groups.membershipRows(g.id)).toEqual([u.id]);

    await client.call('core_group_update_groups', { groups: [{ id: g.id, name: '  Doomed too  ' }] });
    expect(sb.groups.of(courseid).find((x) => x.id === g.id)).toMatchObject({ name: 'Doomed too', description: 'keep me', idnumber: 'DOOM' });
    // A group with members keeps its visibility.
    await expect(client.call('core_group_update_groups', { groups: [{ id: g.id, name: 'Doomed too', visibility: 3 }] }))
      .rejects.toMatchObject({ errorcode: 'invalidparameter' });
    // A group that does not exist fails the call (unlike delete).
    await expect(client.call('core_group_update_groups', { groups: [{ id: 999999, name: 'X' }] }))
      .rejects.toMatchObject({ errorcode: 'invalidparameter' });

    await client.call('core_group_delete_groups', { groupids: [g.id] });
    expect(sb.groups.of(courseid).find((x) => x.id === g.id)).toBeUndefined();
    expect(sb.groups.membershipRows(g.id)).toEqual([]);
  });
});
