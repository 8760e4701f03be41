/**
 * Mirror passes against the sandbox over HTTP, on SQLite and (when MDLSYNC_TEST_PG_URL is set) PostgreSQL: the
 * mirror's contents against the known site, an unchanged pass without content calls, a renamed module, deleted
 * records.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MoodleClient } from '../moodle/client.js';
import { MoodleError } from '../moodle/errors.js';
import type { MoodleCaller } from '../moodle/types.js';
import { deleteCourses } from '../moodle/courses.js';
import { enrolUsers } from '../moodle/enrol.js';
import { createUsers } from '../moodle/users.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { seedMirrorSite, type MirrorSite } from '../../test/mirror-site.js';
import { DEFAULT_PASS_OPTIONS, runPass, type MirrorPassOptions, type PassResult } from './pass.js';
import { MirrorStore } from './store.js';
import type { RowChange } from './sync-table.js';

const PG_URL = process.env.MDLSYNC_TEST_PG_URL;
if (!PG_URL) console.log('mirror.test.ts: PostgreSQL tests skipped: MDLSYNC_TEST_PG_URL is not set');

function suite(name: string, target: () => Promise<{ url: string; drop: () => Promise<void> }>): void {
  describe(`mirror pass on ${name}`, () => {
    let sb: SandboxHandle;
    let c: MoodleClient;
    let store: MirrorStore;
    let site: MirrorSite;
    let drop: () => Promise<void>;
    const changes: RowChange[] = [];
    const options: MirrorPassOptions = { ...DEFAULT_PASS_OPTIONS, membershipCoursesPerPass: 0 };
    const pass = async (o: Partial<MirrorPassOptions> = {}, caller: MoodleCaller = c): Promise<{ result: PassResult; changes: RowChange[]; calls: Record<string, number> }> => {
      changes.length = 0;
      const before = { ...c.stats.byFunction };
      const result = await runPass({ caller, store, options: { ...options, questionCategories: [site.questionCategory], ...o }, onChanges: async (ch) => void changes.push(...ch) });
      const calls = Object.fromEntries(Object.entries(c.stats.byFunction).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
      return { result, changes: [...changes], calls };
    };
    const rows = (sql: string) => store.db.query(sql);

    beforeAll(async () => {
      sb = await startSandbox();
      c = new MoodleClient({ url: sb.url, token: sb.token });
      site = await seedMirrorSite(sb, c);
      const t = await target();
      drop = t.drop;
      store = await MirrorStore.open(t.url);
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
      await c?.close();
      await sb?.close();
    });

    test('the first pass copies the site: categories, courses, sections, modules, quizzes, questions, users, enrolments, roles, editors, groups, cohorts', async () => {
      const { result } = await pass();
      expect(result).toMatchObject({ detection: 'cacherev', courses: 2, contentRead: 2, membersRead: 2 });
      expect(await rows('SELECT id, name, idnumber, parent FROM categories ORDER BY id')).toEqual(
        expect.arrayContaining([{ id: site.category, name: 'Sciences', idnumber: 'SCI', parent: 0 }]),
      );
      expect(await rows('SELECT id, shortname, fullname, idnumber, category_id FROM courses ORDER BY id')).toEqual([
        { id: site.courses.BIO, shortname: 'BIO', fullname: 'Biology', idnumber: 'BIO-1', category_id: site.category },
        { id: site.courses.CHE, shortname: 'CHE', fullname: 'Chemistry', idnumber: 'CHE-1', category_id: site.category },
      ]);
      const bioModules = await rows(`SELECT id, modname, name, visible, section_id FROM modules WHERE course_id = ${site.courses.BIO} ORDER BY id`);
      expect(bioModules.map((m) => [m.id, m.modname, m.name, m.visible])).toEqual([
        [site.page, 'page', 'Cell notes', 1],
        [site.forum, 'forum', 'Discussion', 1],
        [site.quiz, 'quiz', 'Cells quiz', 1],
      ]);
      expect(await rows('SELECT course_id, module_id, name, grade, sumgrades, hasquestions FROM quizzes')).toEqual([
        { course_id: site.courses.BIO, module_id: site.quiz, name: 'Cells quiz', grade: 10, sumgrades: 2, hasquestions: 1 },
      ]);
      expect(await rows('SELECT id, category_id, name, qtype FROM questions ORDER BY id')).toEqual([
        { id: site.questions.q1, category_id: site.questionCategory.categoryid, name: 'Q1 cell parts', qtype: 'shortanswer' },
        { id: site.questions.q2, category_id: site.questionCategory.categoryid, name: 'Q2 true or false', qtype: 'truefalse' },
        { id: site.questions.q3, category_id: site.questionCategory.categoryid, name: 'Q3 bank only', qtype: 'truefalse' },
      ]);
      const timed = await rows(`SELECT timemodified FROM modules WHERE id = ${site.page}`);
      expect(typeof timed[0].timemodified).toBe('number');
      const sections = await rows(`SELECT id, section FROM sections WHERE course_id = ${site.courses.BIO} ORDER BY section`);
      expect(sections.map((s) => s.section)).toEqual(expect.arrayContaining([0, 1, 2]));
      expect(bioModules[0].section_id).toBe(sections.find((s) => s.section === 1)!.id);
      const users = await rows("SELECT id, username, idnumber, email, suspended FROM users WHERE username <> 'admin' AND username <> 'guest' ORDER BY id");
      expect(users).toEqual(['ann', 'bob', 'cat', 'dan'].map((u) => ({ id: site.users[u], username: u, idnumber: u.toUpperCase(), email: `${u}@example.com`, suspended: 0 })));
      expect(await rows('SELECT course_id, user_id FROM enrolments ORDER BY course_id, user_id')).toEqual([
        { course_id: site.courses.BIO, user_id: site.users.ann },
        { course_id: site.courses.BIO, user_id: site.users.bob },
        { course_id: site.courses.BIO, user_id: site.users.cat },
        { course_id: site.courses.CHE, user_id: site.users.dan },
      ]);
      expect(await rows(`SELECT user_id, role FROM course_roles WHERE course_id = ${site.courses.BIO} ORDER BY user_id`)).toEqual([
        { user_id: site.users.ann, role: 'student' },
        { user_id: site.users.bob, role: 'student' },
        { user_id: site.users.cat, role: 'editingteacher' },
      ]);
      expect(await rows('SELECT course_id, user_id, roles FROM course_editors')).toEqual([{ course_id: site.courses.BIO, user_id: site.users.cat, roles: 'editingteacher' }]);
      expect(await rows('SELECT id, course_id, name FROM course_groups')).toEqual([{ id: site.group, course_id: site.courses.BIO, name: 'Lab A' }]);
      expect(await rows('SELECT group_id, user_id FROM group_members')).toEqual([{ group_id: site.group, user_id: site.users.ann }]);
      expect(await rows('SELECT id, name, idnumber FROM cohorts')).toEqual([{ id: site.cohort, name: 'Year 1', idnumber: 'Y1' }]);
      expect(await rows('SELECT cohort_id, user_id FROM cohort_members')).toEqual([{ cohort_id: site.cohort, user_id: site.users.bob }]);
    });

    test('a pass with nothing changed makes no content call and logs no change', async () => {
      const { result, changes: ch, calls } = await pass();
      expect(ch).toEqual([]);
      expect(result).toMatchObject({ contentRead: 0, membersRead: 0 });
      expect(calls.core_course_get_contents).toBeUndefined();
      expect(calls.core_course_get_updates_since).toBeUndefined();
      expect(calls.core_enrol_get_enrolled_users).toBeUndefined();
    });

    test('a renamed module is the one change of the next pass, and only its course is read', async () => {
      sb.content.updateModule(site.page, { name: 'Cell biology notes' });
      const { result, changes: ch, calls } = await pass();
      expect(result.contentRead).toBe(1);
      expect(calls.core_course_get_contents).toBe(1);
      expect(ch).toEqual([
        expect.objectContaining({ object: 'module', action: 'updated', key: { id: site.page }, before: expect.objectContaining({ name: 'Cell notes' }) }),
      ]);
      expect(ch[0].record).toMatchObject({ name: 'Cell biology notes', course_id: site.courses.BIO });
    });

    test('a course Moodle refuses to read is skipped, the others are read, and it is read on the next pass', async () => {
      const atoms = sb.content.modules(site.courses.CHE)[0].id;
      sb.content.updateModule(atoms, { name: 'Atoms and molecules' });
      sb.content.updateModule(site.page, { name: 'Cell notes, week 1' });
      const refusing: MoodleCaller = {
        call: (fn, params) =>
          fn === 'core_course_get_contents' && params.courseid === site.courses.CHE
            ? Promise.reject(new MoodleError(fn, { exception: 'moodle_exception', errorcode: 'invalidrecord', message: 'gone' }))
            : c.call(fn, params),
      };
      let r = await pass({}, refusing);
      expect(r.result.skipped).toEqual([{ course: site.courses.CHE, errorcode: 'invalidrecord' }]);
      expect(r.result.contentRead).toBe(1);
      expect(r.changes.map((x) => `${x.object} ${x.action} ${x.key.id}`)).toEqual([`module updated ${site.page}`]);
      r = await pass();
      expect(r.result).toMatchObject({ contentRead: 1, skipped: [] });
      expect(r.changes.map((x) => `${x.object} ${x.action} ${x.key.id}`)).toEqual([`module updated ${atoms}`]);
    });

    test('records deleted in Moodle are deleted in the mirror: a module, a course with its content, a user', async () => {
      sb.content.deleteModule(site.forum);
      let r = await pass();
      expect(r.changes).toEqual([expect.objectContaining({ object: 'module', action: 'deleted', key: { id: site.forum } })]);
      await deleteCourses(c, [site.courses.CHE]);
      sb.users.deleteByHand(site.users.ann);
      r = await pass();
      const deleted = r.changes.filter((x) => x.action === 'deleted').map((x) => `${x.object} ${JSON.stringify(x.key)}`);
      expect(deleted).toEqual(expect.arrayContaining([
        `course {"id":${site.courses.CHE}}`,
        `enrolment {"course_id":${site.courses.CHE},"user_id":${site.users.dan}}`,
        `user {"id":${site.users.ann}}`,
      ]));
      expect(deleted.filter((d) => d.startsWith('module ')).length).toBe(1);
      expect(await rows(`SELECT id FROM courses WHERE id = ${site.courses.CHE}`)).toEqual([]);
      expect(await rows(`SELECT id FROM modules WHERE course_id = ${site.courses.CHE}`)).toEqual([]);
      expect(await rows(`SELECT id FROM users WHERE id = ${site.users.ann}`)).toEqual([]);
    });

    test('users read by id in small calls: the known ones, new ones above the highest id, deleted ones gone', async () => {
      const known = (await rows('SELECT id FROM users')).length;
      let r = await pass({ users: 'by-id', userChunk: 3 });
      expect(r.changes.filter((x) => x.object === 'user' && x.action !== 'created')).toEqual([]);
      expect(r.calls.core_user_get_users).toBeUndefined();
      expect(r.calls.core_user_get_users_by_field).toBe(Math.ceil(known / 3) + 3);
      const made = await createUsers(c, [1, 2, 3, 4, 5].map((n) => ({ username: `new${n}`, firstname: 'N', lastname: `${n}`, email: `new${n}@example.com`, password: 'Passw0rd!' })));
      sb.users.deleteByHand(site.users.bob);
      r = await pass({ users: 'by-id', userChunk: 3 });
      const users = r.changes.filter((x) => x.object === 'user').map((x) => `${x.action} ${x.key.id}`).sort();
      expect(users).toEqual([...made.map((u) => `created ${u.id}`), `deleted ${site.users.bob}`].sort());
    });

    test('memberships are re-read in turn: a rotating share of courses per pass, every course with --full', async () => {
      await enrolUsers(c, [{ roleid: 5, userid: site.users.dan, courseid: site.courses.BIO }]);
      let r = await pass();
      expect(r.changes.filter((x) => x.object === 'enrolment')).toEqual([]);
      r = await pass({ membershipCoursesPerPass: 1 });
      expect(r.result.membersRead).toBe(1);
      expect(r.changes).toEqual(expect.arrayContaining([expect.objectContaining({ object: 'enrolment', action: 'created', key: { course_id: site.courses.BIO, user_id: site.users.dan } })]));
      r = await pass({ full: true });
      expect(r.changes).toEqual([]);
      expect(r.result).toMatchObject({ contentRead: 1, membersRead: 1 });
    });
  });
}

suite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-mirror-'));
  return { url: join(dir, 'mirror.sqlite'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
});

if (PG_URL) {
  suite('PostgreSQL', async () => {
    const name = `mdlsync_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: async () => {
        const a = new pg.Client({ connectionString: PG_URL });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  });
}
