/**
 * The mirror's benchmark (issue 12): a sandbox site of 1,000 courses, 20,000 modules and 50,000 users (written
 * straight into its database by the sandbox's seeder), mirrored by the real CLI into SQLite (and PostgreSQL when
 * BENCH_PG_URL or MDLSYNC_TEST_PG_URL is set): the first pass's calls and time, an unchanged pass (at most 5% of
 * the first pass's calls), a pass after 10 courses changed (only their content re-read); and what each way of
 * finding changed courses costs in calls for the 1,000 courses. BENCH_MIRROR=0 skips it in `npm run bench`;
 * `node dist/bench/mirror-main.js` runs it alone.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { MoodleClient } from '../moodle/client.js';
import { checkUpdates, getContents, getUpdatesSince } from '../moodle/content.js';
import { getCoursesByField } from '../moodle/courses.js';
import { mapLimit, readUsers, readUsersById } from '../mirror/read.js';
import { BENCH_SCHOOL } from '../sandbox/seed.js';
import { UserStore } from '../sandbox/user-store.js';

const DIST = resolve(import.meta.dirname, '..');
const CLI = resolve(DIST, '..', 'bin', 'mdlsync.js');

interface PassSummary {
  moodleCalls: { total: number; byFunction: Record<string, number> };
  contentRead: number;
  membersRead: number;
  changes: Record<string, { created: number; updated: number; deleted: number }>;
}

function mirror(cwd: string, env: Record<string, string>, args: string[]): Promise<{ seconds: number; summary: PassSummary }> {
  const t = Date.now();
  return new Promise((done, fail) =>
    execFile(process.execPath, [CLI, 'mirror', '--quiet', ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, _out, stderr) => {
      if (err) return fail(new Error(`mdlsync mirror: ${stderr || err.message}`));
      const runs = readdirSync(join(cwd, 'reports')).filter((n) => /^\d{8}T/.test(n)).sort();
      done({ seconds: (Date.now() - t) / 1000, summary: JSON.parse(readFileSync(join(cwd, 'reports', runs[runs.length - 1], 'summary.json'), 'utf8')) });
    }),
  );
}

async function sandboxProcess(opts: object): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(DIST, 'bench', 'sandbox-proc.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((done) => createInterface({ input: child.stdout }).once('line', done));
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

const total = (s: PassSummary) => Object.values(s.changes).reduce((n, c) => n + c.created + c.updated + c.deleted, 0);

export async function mirrorBench(say: (s: string) => void): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'mdlsync-bench-mirror-'));
  const state = join(work, 'site.db');
  const seeded = Date.now();
  const sb = await sandboxProcess({ stateFile: state, seed: BENCH_SCHOOL, workers: 2 });
  const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
  try {
    const site = new UserStore(state);
    const courses = site.courses.courses().filter((c) => c.id !== 1).map((c) => c.id);
    const modules = (site.db.prepare('SELECT COUNT(*) AS n FROM course_modules').get() as { n: number }).n;
    const users = (site.db.prepare('SELECT COUNT(*) AS n FROM user WHERE deleted = 0').get() as { n: number }).n;
    say('');
    say(`## mirror of ${courses.length.toLocaleString('en')} courses, ${modules.toLocaleString('en')} modules, ${users.toLocaleString('en')} users (sandbox process, seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s)`);

    const c = new MoodleClient({ url: sb.url, token: sb.token });
    say('');
    say('Finding the courses whose content changed, for all of them:');
    say('| way | calls | time |');
    say('|---|---:|---:|');
    let t = Date.now();
    await getCoursesByField(c, '');
    say(`| course cacherev (core_course_get_courses_by_field, every course at once) | 1 | ${((Date.now() - t) / 1000).toFixed(2)} s |`);
    t = Date.now();
    await mapLimit(courses, 4, (id) => getUpdatesSince(c, id, 0));
    say(`| core_course_get_updates_since, one call per course | ${courses.length} | ${((Date.now() - t) / 1000).toFixed(2)} s |`);
    const firstModules = await mapLimit(courses.slice(0, 50), 4, async (id) => (await getContents(c, id)).flatMap((s) => s.modules.map((m) => m.id)));
    t = Date.now();
    await mapLimit(courses.slice(0, 50), 4, async (id) => checkUpdates(c, id, firstModules[courses.indexOf(id)].map((m) => ({ contextlevel: 'module' as const, id: m, since: 0 }))));
    const perCourse = (Date.now() - t) / 1000 / 50;
    say(`| core_course_check_updates, one call per course (and its module list from a content read) | ${courses.length} (+ ${courses.length} content reads) | ${(perCourse * courses.length).toFixed(2)} s (50 courses measured) |`);
    say('');
    say(`Reading the ${users.toLocaleString('en')} users:`);
    say('| way | calls | time |');
    say('|---|---:|---:|');
    t = Date.now();
    const all = await readUsers(c);
    say(`| \`core_user_get_users\`, email LIKE '%' (mirror.users "one-call", the default) | 1 | ${((Date.now() - t) / 1000).toFixed(2)} s |`);
    const before = c.stats.calls;
    t = Date.now();
    await readUsersById(c, all.map((u) => u.id as number), 990, 3, 4);
    say(`| \`core_user_get_users_by_field\`, 990 ids a call, 4 at once (mirror.users "by-id") | ${c.stats.calls - before} | ${((Date.now() - t) / 1000).toFixed(2)} s |`);
    await c.close();

    const dir = mkdtempSync(join(work, 'sqlite-'));
    const first = await mirror(dir, env, []);
    const again = await mirror(dir, env, []);
    const changed = courses.filter((_, i) => i % 100 === 7).slice(0, 10);
    for (const id of changed) site.content.updateModule(site.content.modules(id)[0].id, { name: `Renamed in course ${id}` });
    const after = await mirror(dir, env, []);
    site.close();
    say('');
    say('SQLite mirror, `mdlsync mirror` (the CLI, default settings):');
    say('| pass | calls | content reads (get_contents) | courses whose memberships were read | changes | time |');
    say('|---|---:|---:|---:|---:|---:|');
    const row = (name: string, p: { seconds: number; summary: PassSummary }) =>
      say(`| ${name} | ${p.summary.moodleCalls.total.toLocaleString('en')} | ${p.summary.moodleCalls.byFunction.core_course_get_contents ?? 0} | ${p.summary.membersRead} | ${total(p.summary).toLocaleString('en')} | ${p.seconds.toFixed(1)} s |`);
    row('first (empty mirror)', first);
    row('nothing changed', again);
    row('10 courses changed (a module renamed in each)', after);
    say(`- unchanged pass: ${again.summary.moodleCalls.total} calls = ${((100 * again.summary.moodleCalls.total) / first.summary.moodleCalls.total).toFixed(2)}% of the first pass's ${first.summary.moodleCalls.total} (target ≤ 5%)`);
    say(`- after 10 changed courses: content read for ${after.summary.contentRead} courses, ${after.summary.changes.module?.updated ?? 0} modules updated`);
    say(`- first pass calls by function: ${JSON.stringify(first.summary.moodleCalls.byFunction)}`);

    const pgUrl = process.env.BENCH_PG_URL ?? process.env.MDLSYNC_TEST_PG_URL;
    if (!pgUrl) {
      say('- PostgreSQL: skipped (set BENCH_PG_URL or MDLSYNC_TEST_PG_URL)');
      return;
    }
    const name = `mdlsync_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(pgUrl);
      url.pathname = `/${name}`;
      const pdir = mkdtempSync(join(work, 'pg-'));
      const p1 = await mirror(pdir, env, ['--database', url.toString()]);
      const p2 = await mirror(pdir, env, ['--database', url.toString()]);
      say('');
      say('PostgreSQL mirror (local server):');
      say('| pass | calls | changes | time |');
      say('|---|---:|---:|---:|');
      say(`| first (empty mirror) | ${p1.summary.moodleCalls.total.toLocaleString('en')} | ${total(p1.summary).toLocaleString('en')} | ${p1.seconds.toFixed(1)} s |`);
      say(`| nothing changed | ${p2.summary.moodleCalls.total} | ${total(p2.summary)} | ${p2.seconds.toFixed(1)} s |`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } finally {
    sb.stop();
  }
}
