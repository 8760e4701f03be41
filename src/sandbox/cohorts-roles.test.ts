/** Cohort and role functions of the sandbox, driven through the typed wrappers (behaviour beyond the recordings). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MoodleClient } from '../moodle/client.js';
import {
  addCohortMembers,
  createCohorts,
  deleteCohortMembers,
  deleteCohorts,
  getCohortMembers,
  getCohorts,
  parseCohortMemberWarning,
  searchCohorts,
  updateCohorts,
} from '../moodle/cohorts.js';
import { assignRoles, unassignRoles } from '../moodle/roles.js';
import { enrolUsers, getEnrolledUsers } from '../moodle/enrol.js';
import { createUsers, deleteUsers } from '../moodle/users.js';
import { createCategories, createCourses } from '../moodle/courses.js';
import { SandboxHandle, startSandbox } from './server.js';

let sb: SandboxHandle;
let c: MoodleClient;
const sys = { type: 'system' as const, value: '' };
const person = (n: string) => ({ username: n, password: 'Passw0rd!', firstname: n, lastname: 'T', email: `${n}@example.com` });

beforeAll(async () => {
  sb = await startSandbox();
  c = new MoodleClient({ url: sb.url, token: sb.token });
});
afterAll(async () => {
  await c.close();
  await sb.close();
});

describe('cohorts', () => {
  test('create is all or nothing; idnumber unique site-wide, the empty one included', async () => {
    const [a] = await createCohorts(c, [{ categorytype: sys, name: 'A', idnumber: '' }]);
    expect(a).toMatchObject({ name: 'A', idnumber: '', description: '', descriptionformat: 1, visible: true, theme: '' });
    await expect(createCohorts(c, [{ categorytype: sys, name: 'B', idnumber: 'B1' }, { categorytype: sys, name: 'C', idnumber: '' }]))
      .rejects.toMatchObject({ errorcode: 'invalidparameter', debuginfo: 'record already exists: idnumber=' });
    expect(sb.cohorts.byIdnumber('B1')).toBeUndefined();
    await deleteCohorts(c, [a.id]);
    expect(sb.cohorts.list()).toEqual([]);
  });

  test('category by id or idnumber; update moves and renames; delete removes the members', async () => {
    const [cat] = await createCategories(c, [{ name: 'Fac', idnumber: 'FAC' } as never]);
    const [x] = await createCohorts(c, [{ categorytype: { type: 'id', value: String(cat.id) }, name: 'X', idnumber: 'X1', visible: 0 }]);
    expect(sb.cohorts.byIdnumber('X1')).toMatchObject({ categoryid: cat.id, visible: false });
    await expect(createCohorts(c, [{ categorytype: { type: 'idnumber', value: 'NOPE' }, name: 'Y', idnumber: 'Y' }]))
      .rejects.toMatchObject({ debuginfo: 'category not exists: category idnumber = NOPE' });
    await updateCohorts(c, [{ id: x.id, categorytype: sys, name: 'X renamed', idnumber: 'X1' }]);
    expect(sb.cohorts.byIdnumber('X1')).toMatchObject({ categoryid: 0, name: 'X renamed', visible: false });
    await expect(updateCohorts(c, [{ id: x.id, categorytype: { type: 'idnumber', value: 'NOPE' }, name: 'X', idnumber: 'X1' }]))
      .rejects.toMatchObject({ debuginfo: 'category not exists: category=NOPE' });
    await expect(updateCohorts(c, [{ id: x.id, categorytype: sys, name: ' ', idnumber: 'X1' }]))
      .rejects.toMatchObject({ debuginfo: 'Invalid cohort name' });
    const [u] = await createUsers(c, [person('coh1')]);
    await addCohortMembers(c, [{ cohortid: x.id, userid: u.id }]);
    await expect(deleteCohorts(c, [x.id, 999999])).rejects.toMatchObject({ errorcode: 'invalidrecord' });
    expect(sb.cohorts.cohortMembers('X1')).toEqual([u.id]);
    await deleteCohorts(c, [x.id]);
    expect(sb.cohorts.byIdnumber('X1')).toBeUndefined();
  });

  test('members: warnings map back by id, valid ones still added; delete of a non-member is silent', async () => {
    const [k] = await createCohorts(c, [{ categorytype: sys, name: 'K', idnumber: 'K1' }]);
    const [u1, u2] = await createUsers(c, [person('kmem1'), person('kmem2')]);
    const w = await addCohortMembers(c, [
      { cohortid: k.id, userid: u1.id }, { cohortid: k.id, userid: 999999 }, { cohortid: 999998, userid: u2.id },
      { cohortid: k.id, userid: u2.id },
    ]);
    expect(w.map(parseCohortMemberWarning)).toEqual([
      { kind: 'missing-user', userId: 999999 }, { kind: 'missing-cohort', cohortId: 999998 },
    ]);
    expect((await addCohortMembers(c, [{ cohortid: k.id, userid: u1.id }])).map(parseCohortMemberWarning))
      .toEqual([{ kind: 'already-member', cohortId: k.id, userId: u1.id }]);
    expect(await getCohortMembers(c, [k.id])).toEqual([{ cohortid: k.id, userids: [u1.id, u2.id] }]);
    await deleteCohortMembers(c, [{ cohortid: k.id, userid: u1.id }, { cohortid: k.id, userid: u1.id }]);
    await expect(deleteCohortMembers(c, [{ cohortid: k.id, userid: u2.id }, { cohortid: k.id, userid: 999999 }]))
      .rejects.toMatchObject({ errorcode: 'invaliduser' });
    expect(sb.cohorts.cohortMembers('K1')).toEqual([u2.id]);
    // delete_user() takes the memberships along.
    await deleteUsers(c, [u2.id]);
    expect(sb.cohorts.cohortMembers('K1')).toEqual([]);
    await expect(getCohortMembers(c, [999999])).rejects.toMatchObject({ errorcode: 'invalidrecord' });
  });

  test('search: substring on name/idnumber/description, name order, limitfrom is a page; get [] = all', async () => {
    await createCohorts(c, [
      { categorytype: sys, name: 'Zeta', idnumber: 'S-3', description: 'findme' },
      { categorytype: sys, name: 'Alpha', idnumber: 's-findme-1' },
      { categorytype: sys, name: 'FINDME beta', idnumber: 'S-2' },
    ]);
    const names = async (o: { limitfrom?: number; limitnum?: number; includes?: 'self' | 'all' | 'parents' } = {}) =>
      (await searchCohorts(c, 'findme', o)).map((x) => x.name);
    expect(await names()).toEqual(['Alpha', 'FINDME beta', 'Zeta']);
    expect(await names({ limitfrom: 1, limitnum: 2 })).toEqual(['Zeta']);
    expect(await names({ includes: 'self' })).toEqual(['Alpha', 'FINDME beta', 'Zeta']);
    const all = await getCohorts(c, []);
    expect(all.map((x) => x.id)).toEqual(sb.cohorts.list().map((x) => x.id));
    expect(all[0].customfields).toEqual([]);
    expect(await getCohorts(c, [all[0].id, 999999])).toHaveLength(1);
  });
});

describe('roles', () => {
  test('parent link in the user context: idempotent, refused for a role not allowed there, gone with the child', async () => {
    const [parent, child] = await createUsers(c, [person('par1'), person('kid1')]);
    const link = { roleid: 9, userid: parent.id, contextlevel: 'user' as const, instanceid: child.id };
    await assignRoles(c, [link, link]);
    expect(sb.roles.roleAssignments({ contextlevel: 30, instanceid: child.id })).toEqual([
      { roleid: 9, userid: parent.id, contextlevel: 30, instanceid: child.id, component: '' },
    ]);
    await expect(assignRoles(c, [{ ...link, roleid: 5 }])).rejects.toMatchObject({ debuginfo: 'Can not assign roleid=5 in contextid=' });
    await expect(assignRoles(c, [{ ...link, instanceid: 999999 }])).rejects.toMatchObject({ debuginfo: 'Context does not exist' });
    await expect(assignRoles(c, [{ ...link, userid: 999999 }])).rejects.toMatchObject({
      errorcode: 'codingerror', debuginfo: 'userid:999999',
      message: 'Coding error detected, it must be fixed by a programmer: User ID does not exist or is deleted! — userid:999999',
    });
    // All or nothing: the second record fails, the first is rolled back.
    const [other] = await createUsers(c, [person('kid2')]);
    await expect(assignRoles(c, [{ ...link, instanceid: other.id }, { ...link, roleid: 5 }])).rejects.toThrow();
    expect(sb.roles.roleAssignments({ instanceid: other.id, contextlevel: 30 })).toEqual([]);
    await unassignRoles(c, [link, link]);
    expect(sb.roles.roleAssignments({ contextlevel: 30, instanceid: child.id })).toEqual([]);
    await assignRoles(c, [link]);
    await deleteUsers(c, [child.id]);
    expect(sb.roles.roleAssignments({ userid: parent.id })).toEqual([]);
  });

  test('course context: unassigning the role the manual enrolment gave changes the enrolled roles', async () => {
    const [cat] = await createCategories(c, [{ name: 'RoleCat' } as never]);
    const [course] = await createCourses(c, [{ fullname: 'R', shortname: 'R-1', categoryid: cat.id } as never]);
    const [s] = await createUsers(c, [person('rstud')]);
    await enrolUsers(c, [{ roleid: 5, userid: s.id, courseid: course.id }]);
    await assignRoles(c, [{ roleid: 4, userid: s.id, contextlevel: 'course', instanceid: course.id }]);
    const roles = async () => (await getEnrolledUsers(c, course.id)).find((x) => x.id === s.id)?.roles?.map((r) => r.roleid);
    expect(await roles()).toEqual([4, 5]);
    await unassignRoles(c, [{ roleid: 5, userid: s.id, contextlevel: 'course', instanceid: course.id }]);
    expect(await roles()).toEqual([4]);
    expect(sb.enrolments.of(course.id).map((e) => e.roles)).toEqual([[4]]);
    await assignRoles(c, [{ roleid: 1, userid: s.id, contextlevel: 'coursecat', instanceid: cat.id }]);
    await assignRoles(c, [{ roleid: 1, userid: s.id, contextlevel: 'system', instanceid: 0 }]);
    expect(sb.roles.roleAssignments({ userid: s.id }).map((r) => [r.roleid, r.contextlevel])).toEqual([[4, 50], [1, 40], [1, 10]]);
    await expect(assignRoles(c, [{ roleid: 5, userid: s.id, contextlevel: 'module', instanceid: 1 }]))
      .rejects.toMatchObject({ debuginfo: 'Context does not exist' });
  });
});

test('a state file from before role assignments had a context level still opens, its roles read as course roles', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbold-'));
  try {
    const file = join(dir, 'state.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE role_assignments (id INTEGER PRIMARY KEY, roleid INTEGER NOT NULL, courseid INTEGER NOT NULL,
      userid INTEGER NOT NULL, component TEXT NOT NULL DEFAULT '', itemid INTEGER NOT NULL DEFAULT 0,
      timemodified INTEGER NOT NULL DEFAULT 0); INSERT INTO role_assignments (roleid, courseid, userid) VALUES (5, 1, 2);`);
    db.close();
    const old = await startSandbox({ stateFile: file });
    try {
      expect(old.roles.roleAssignments()).toEqual([{ roleid: 5, userid: 2, contextlevel: 50, instanceid: 1, component: '' }]);
    } finally {
      await old.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
