/**
 * `npm run bench`: the numbers the README's performance section records.
 *  1. read + validate + plan of 10k / 100k / 1M persons, empty and full ledger: rows/s and peak RSS;
 *  2. a 100k-person store into an empty sandbox: Moodle calls against the minimum the batch size allows, then the
 *     unchanged re-run (write calls, seconds); with BENCH_PG_URL=postgres://… the same again with the ledger in
 *     PostgreSQL (a throwaway schema there);
 *  3. concurrency on a sandbox that costs what a real 2-core Moodle costs (15 ms per user, 30 ms per call).
 *  4. classroom feeds: 10k courses in 1k category paths and 500k enrolments (over 50k persons), read + plan rows/s
 *     (classroom-worker.ts); the CLI's unchanged re-run of the 500k enrolments (on the ledger the plan measurement
 *     filled, a sandbox process for the site check); then a store of persons, courses and enrolments into a sandbox
 *     process with the calls made against the minimum the batch limits allow, and the unchanged re-run of those.
 * Sizes can be reduced for a quick look: BENCH_SIZES=10000,100000 BENCH_STORE=20000 npm run bench
 * (BENCH_STORE=0, BENCH_CONCURRENCY=0 and BENCH_CLASSROOM=0 skip those parts; BENCH_CLASSROOM_STORE sets the
 * enrolments the classroom store sends, default 100,000, and BENCH_CLASSROOM_STORE_COURSES its courses, default
 * 10,000: a store of all 500k enrolments takes minutes more on this machine, sandbox-bound).
 *  5. cohort members: read + plan of BENCH_COHORT_MEMBERS memberships (default 200,000) over 20,000 persons and 200
 *     cohorts (cohort-worker.ts), then a store of BENCH_COHORT_STORE memberships (default 10,000) into a sandbox process
 *     with the calls against the minimum, and the unchanged re-run. BENCH_COHORTS=0 skips this part.
 *  6. grade and completion export (grades-bench.ts): BENCH_GRADES_COURSES courses (default 100) × BENCH_GRADES_STUDENTS
 *     students (default 200) seeded in a sandbox process; calls against the minimum the functions allow, and time.
 *     BENCH_GRADES=0 skips this part, BENCH_GRADES_COMPLETIONS=0 its completion export (one call per student and course).
 *  7. the mirror (mirror.ts): 1,000 courses, 20,000 modules, 50,000 users; BENCH_MIRROR=0 skips it.
 *  8. first store and Moodle's email check (email-scan.ts): 1k and 20k persons on the real site's cost model with the
 *     growing duplicate-email scan, with and without the lower(email) index, at fixed concurrency 1–4 and adaptive;
 *     BENCH_EMAIL_SCAN=0 skips it, BENCH_EMAIL_SCAN_SIZES sets the sizes (default 1000,20000), BENCH_EMAIL_SCAN_SETTINGS
 *     the concurrency settings (default 1,2,3,4,adaptive), BENCH_EMAIL_SCAN_INDEX the sites (default no,yes); alone:
 *     node dist/bench/email-scan-main.js.
 *  9. start-up (startup.ts): `mdlsync --version` and the unchanged run of 20,000 persons, end to end; BENCH_STARTUP=0
 *     skips it.
 * 10. memory of a large run: peak RSS and seconds of a whole `mdlsync run` of BENCH_MEMORY_ENROLMENTS enrolments
 *     (default 500,000, over 50,000 persons and 1,000 courses stored first) into a sandbox process, then of its
 *     unchanged re-run; each CLI process reports its own peak (peak-rss.ts). BENCH_MEMORY=0 skips it.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CLASSROOM_PATHS, classroomPath, generateCourses, generateEnrolments, generatePersons } from './generate.js';
import { enrolmentLeaves, courseLeaves, categoryLeaves } from '../moodle/index.js';
import { userLeaves } from '../entities/persons/user-inputs.js';
import { cohortLeaves, cohortMemberLeaves } from '../moodle/index.js';
import { generateCohortMembers, generateCohorts } from './cohort-generate.js';
import { gradeExportBench } from './grades-bench.js';
import { mirrorBench } from './mirror.js';
import { emailScanBench } from './email-scan.js';
import { startupBench } from './startup.js';

const DIST = resolve(import.meta.dirname, '..');
const CLI = resolve(DIST, '..', 'bin', 'mdlsync.js');
const sizes = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const storeSize = Number(process.env.BENCH_STORE ?? 100000);
const work = mkdtempSync(join(tmpdir(), 'mdlsync-bench-'));

function node(args: string[], env: Record<string, string> = {}, cwd = work): Promise<string> {
  return new Promise((done, fail) =>
    execFile(process.execPath, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 256 << 20 }, (err, stdout, stderr) =>
      err && err.code !== 2 ? fail(new Error(`${args.join(' ')}: ${stderr || err.message}`)) : done(stdout),
    ),
  );
}

async function startSandboxProcess(opts: object): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(DIST, 'bench', 'sandbox-proc.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((done) => createInterface({ input: child.stdout }).once('line', done));
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

function lastSummary(dir: string): { moodleCalls: { total: number; byFunction: Record<string, number> }; outcomes: Record<string, number> } {
  const reports = join(dir, 'reports');
  const runs = readdirSync(reports).filter((n) => /^\d{8}T/.test(n)).sort();
  return JSON.parse(readFileSync(join(reports, runs[runs.length - 1], 'summary.json'), 'utf8'));
}

const WRITE_FUNCTIONS = [
  'core_user_create_users',
  'core_user_update_users',
  'core_user_delete_users',
  'core_course_create_categories',
  'core_course_update_categories',
  'core_course_create_courses',
  'core_course_update_courses',
  'core_course_delete_courses',
  'enrol_manual_enrol_users',
  'enrol_manual_unenrol_users',
  'core_cohort_create_cohorts',
  'core_cohort_update_cohorts',
  'core_cohort_delete_cohorts',
  'core_cohort_add_cohort_members',
  'core_cohort_delete_cohort_members',
];
const writes = (by: Record<string, number>) => WRITE_FUNCTIONS.reduce((n, f) => n + (by[f] ?? 0), 0);

async function timedRun(file: string, cwd: string, env: Record<string, string>, extra: string[] = []) {
  const t = Date.now();
  await node([CLI, 'run', file, '--quiet', ...extra], env, cwd);
  return { seconds: (Date.now() - t) / 1000, summary: lastSummary(cwd) };
}

/** timedRun, with the CLI process's own peak RSS (MB) reported by the preloaded peak-rss.js. */
async function measuredRun(file: string, cwd: string, env: Record<string, string>) {
  const rssFile = join(cwd, `peak-rss-${Date.now()}.txt`);
  const t = Date.now();
  await node(['--import', join(DIST, 'bench', 'peak-rss.js'), CLI, 'run', file, '--quiet'], { ...env, BENCH_PEAK_RSS_FILE: rssFile }, cwd);
  const seconds = (Date.now() - t) / 1000;
  return { seconds, peakRssMb: Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024), summary: lastSummary(cwd) };
}

async function main(): Promise<void> {
  const out: string[] = [];
  const say = (s: string) => {
    out.push(s);
    process.stdout.write(s + '\n');
  };

  say('## read + validate + plan (no Moodle), one process per measurement');
  say('| rows | ledger | rows/s | peak RSS |');
  say('|---:|---|---:|---:|');
  for (const n of sizes) {
    const file = join(work, `persons-${n}.txt`);
    await generatePersons(file, n);
    const ledger = join(work, `ledger-${n}.db`);
    const empty = JSON.parse(await node([join(DIST, 'bench', 'plan-worker.js'), file, ledger]));
    await node([join(DIST, 'bench', 'plan-worker.js'), file, ledger, '--fill']);
    say(`| ${n.toLocaleString('en')} | empty | ${empty.rowsPerSec.toLocaleString('en')} | ${empty.maxRssMb} MB |`);
    const full = JSON.parse(await node([join(DIST, 'bench', 'plan-worker.js'), file, ledger]));
    say(`| ${n.toLocaleString('en')} | full (all unchanged) | ${full.rowsPerSec.toLocaleString('en')} | ${full.maxRssMb} MB |`);
    rmSync(ledger, { force: true });
  }

  if (storeSize > 0) {
    say('');
    say(`## ${storeSize.toLocaleString('en')}-person store into an empty sandbox (separate process), default settings`);
    await storeBench(say, 'SQLite ledger', {});
    // BENCH_PG_URL: the same store and unchanged re-run with the ledger in PostgreSQL (a throwaway schema there).
    const pg = process.env.BENCH_PG_URL;
    if (pg) await storeBench(say, 'PostgreSQL ledger', { ledger: { url: pg, schema: `mdlsync_bench_${process.pid}` } }, pg);
  }

  if (process.env.BENCH_CONCURRENCY !== '0') {
    say('');
    say('## concurrency against a sandbox with a real server cost (15 ms per user, 30 ms per call, 2 workers), 2,000 persons');
    say('| max concurrency | seconds | persons/s |');
    say('|---:|---:|---:|');
    for (const concurrency of [1, 2, 4, 8]) {
      const sb = await startSandboxProcess({ perRecordCostMs: 15, perCallCostMs: 30, workers: 2 });
      const dir = mkdtempSync(join(work, `conc-${concurrency}-`));
      writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { concurrency } }));
      const file = join(dir, 'persons.txt');
      await generatePersons(file, 2000, { prefix: 'c' });
      const r = await timedRun(file, dir, { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token });
      say(`| ${concurrency} | ${r.seconds.toFixed(1)} | ${Math.round(2000 / r.seconds)} |`);
      sb.stop();
    }
  }
  if (process.env.BENCH_CLASSROOM !== '0') await classroom(say);
  if (process.env.BENCH_COHORTS !== '0') await cohortMembers(say);
  if (process.env.BENCH_GRADES !== '0') await gradeExportBench(say, work);
  if (process.env.BENCH_MIRROR !== '0') await mirrorBench(say);
  if (process.env.BENCH_EMAIL_SCAN !== '0') await emailScanBench(say, work);
  if (process.env.BENCH_STARTUP !== '0') await startupBench(say, work, CLI, startSandboxProcess);
  if (process.env.BENCH_MEMORY !== '0') await memoryBench(say);
  writeFileSync(join(process.cwd(), 'bench-results.md'), out.join('\n') + '\n');
  rmSync(work, { recursive: true, force: true });
}

/** A first store of storeSize persons into a new sandbox, then the unchanged re-run, with a config (its ledger). */
async function storeBench(say: (s: string) => void, label: string, config: object, pgUrl?: string): Promise<void> {
  const sb = await startSandboxProcess({ passwordPolicy: true });
  const dir = mkdtempSync(join(work, 'store-'));
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify(config));
  try {
    const file = join(dir, 'persons.txt');
    await generatePersons(file, storeSize, { prefix: 's' });
    const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
    const first = await timedRun(file, dir, env);
    const perCall = Math.min(50, Math.floor((1000 - 3) / 7));
    const minimum = Math.ceil(storeSize / perCall);
    const by = first.summary.moodleCalls.byFunction;
    say(`### ${label}`);
    say(`- calls: ${first.summary.moodleCalls.total} in all (${JSON.stringify(by)}); minimum the batch size allows: ${minimum} create calls of ${perCall}; ratio ${(first.summary.moodleCalls.total / minimum).toFixed(3)}`);
    say(`- time: ${first.seconds.toFixed(1)} s (${Math.round(storeSize / first.seconds).toLocaleString('en')} rows/s), outcomes ${JSON.stringify(first.summary.outcomes)}`);
    const again = await timedRun(file, dir, env);
    say(`- unchanged re-run: ${writes(again.summary.moodleCalls.byFunction)} write calls, ${again.summary.moodleCalls.total} calls in all, ${again.seconds.toFixed(2)} s`);
  } finally {
    sb.stop();
    if (pgUrl) await dropSchema(pgUrl, (config as { ledger: { schema: string } }).ledger.schema);
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Records per call the batch limits allow (batchSize 50, maxInputVars 1000 less 3 control vars). */
const perCall = (leaves: number) => Math.min(50, Math.floor((1000 - 3) / leaves));

/** The CLI's unchanged re-run of a whole file, on a ledger that links every row as the applier would have. */
async function rerunWhole(file: string, ledger: string, n: number): Promise<string> {
  const sb = await startSandboxProcess({});
  const dir = mkdtempSync(join(work, 'classroom-rerun-'));
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ ledger }));
  const again = await timedRun(file, dir, { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token });
  sb.stop();
  const by = again.summary.moodleCalls.byFunction;
  return `- unchanged re-run of the ${n.toLocaleString('en')} enrolments (\`mdlsync run\` on the ledger the plan measurement filled): ${writes(by)} write calls, ${again.summary.moodleCalls.total} calls in all, ${again.seconds.toFixed(2)} s, outcomes ${JSON.stringify(again.summary.outcomes)}`;
}

async function classroom(say: (s: string) => void): Promise<void> {
  const nCourses = 10000;
  const nPersons = 50000;
  const nEnrolments = 500000;
  const storeEnrolments = Number(process.env.BENCH_CLASSROOM_STORE ?? 100000);
  const storeCourses = Number(process.env.BENCH_CLASSROOM_STORE_COURSES ?? 10000);
  const worker = join(DIST, 'bench', 'classroom-worker.js');
  let rerun = '';
  const courses = join(work, 'courses.txt');
  const enrolments = join(work, 'enrolments.txt');
  await generateCourses(courses, nCourses);
  await generateEnrolments(enrolments, nEnrolments, nCourses, nPersons);
  say('');
  say(`## classroom feeds: read + validate + plan (no Moodle), one process per measurement`);
  say(`${nCourses.toLocaleString('en')} courses in ${CLASSROOM_PATHS.toLocaleString('en')} category paths; ${nEnrolments.toLocaleString('en')} enrolments over those courses and ${nPersons.toLocaleString('en')} persons. The ledger holds the persons, courses (enrolments only) and category-path links; the run's own look-ups ask a stub Moodle (an empty site, from memory) for the rest.`);
  say('| feed | rows | ledger | rows/s | peak RSS | stub Moodle calls |');
  say('|---|---:|---|---:|---:|---|');
  for (const [file, n, seed] of [
    [courses, nCourses, `--seed=0,0`],
    [enrolments, nEnrolments, `--seed=${nPersons},${nCourses}`],
  ] as const) {
    const ledger = join(work, `classroom-${n}.db`);
    await node([worker, '-', ledger, seed]);
    const empty = JSON.parse(await node([worker, file, ledger]));
    await node([worker, file, ledger, '--fill']);
    const full = JSON.parse(await node([worker, file, ledger]));
    for (const [label, r] of [['empty', empty], ['full (all unchanged)', full]] as const) {
      say(`| ${r.type} | ${n.toLocaleString('en')} | ${label} | ${r.rowsPerSec.toLocaleString('en')} | ${r.maxRssMb} MB | ${JSON.stringify(r.stubCalls)} |`);
    }
    if (file === enrolments) rerun = await rerunWhole(file, ledger, n);
    rmSync(ledger, { force: true });
  }
  if (rerun) say(`\n${rerun}`);

  say('');
  say(`## classroom store into an empty sandbox (separate process), default settings: ${nPersons.toLocaleString('en')} persons, ${storeCourses.toLocaleString('en')} courses, ${storeEnrolments.toLocaleString('en')} enrolments`);
  const sb = await startSandboxProcess({ passwordPolicy: true });
  const dir = mkdtempSync(join(work, 'classroom-store-'));
  const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
  const files = { persons: join(dir, 'persons.txt'), courses: join(dir, 'courses.txt'), enrolments: join(dir, 'enrolments.txt') };
  await generatePersons(files.persons, nPersons, { prefix: 'p' });
  await generateCourses(files.courses, storeCourses);
  await generateEnrolments(files.enrolments, storeEnrolments, storeCourses, nPersons);
  // The minimum: each entity's records at the most per call its leaves allow (the wrappers' leaf counters).
  const userPer = perCall(userLeaves({ username: 'p0000001', password: 'Secret-0000001x', firstname: 'First0000001', lastname: 'Last0000001', email: 'p0000001@example.edu', idnumber: 'P0000001', auth: 'manual' }));
  const coursePer = perCall(courseLeaves({ fullname: 'Course 00001', shortname: 'C00001', categoryid: 1, idnumber: 'C00001-2026', summary: 'Generated course 00001', startdate: 1, enddate: 2, visible: 1 }));
  const categoryPer = perCall(categoryLeaves({ name: 'Shift-1', parent: 1, idnumber: 'path:2026/Intake-001/Shift-1' }));
  const enrolPer = perCall(enrolmentLeaves({ roleid: 5, userid: 1, courseid: 1, suspend: 0, timestart: 1, timeend: 2 }));
  // Categories go parent first, one level after the other: 1 + 250 + 1,000.
  const paths = Math.min(CLASSROOM_PATHS, storeCourses);
  const levelCounts = [1, 2, 3].map((d) => new Set(Array.from({ length: paths }, (_, i) => classroomPath(i).slice(0, d).join('/'))).size);
  const minimum = {
    persons: Math.ceil(nPersons / userPer),
    courses: levelCounts.reduce((n, c) => n + Math.ceil(c / categoryPer), 0) + Math.ceil(storeCourses / coursePer),
    enrolments: Math.ceil(storeEnrolments / enrolPer),
  };
  say(`Records per call the limits allow (batchSize 50, maxInputVars 1000): users ${userPer}, categories ${categoryPer}, courses ${coursePer}, enrolments ${enrolPer}; categories ${levelCounts.join(' + ')} by level, parent first.`);
  say('| feed | rows | calls in all | write calls | minimum | ratio | seconds | rows/s | outcomes |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const rows = { persons: nPersons, courses: storeCourses, enrolments: storeEnrolments };
  for (const type of ['persons', 'courses', 'enrolments'] as const) {
    const r = await timedRun(files[type], dir, env);
    const by = r.summary.moodleCalls.byFunction;
    say(`| ${type} | ${rows[type].toLocaleString('en')} | ${r.summary.moodleCalls.total} | ${writes(by)} | ${minimum[type]} | ${(r.summary.moodleCalls.total / minimum[type]).toFixed(3)} | ${r.seconds.toFixed(1)} | ${Math.round(rows[type] / r.seconds).toLocaleString('en')} | ${JSON.stringify(r.summary.outcomes)} |`);
    say(`|  | by function: ${JSON.stringify(by)} | | | | | | | |`);
  }
  const again = await timedRun(files.enrolments, dir, env);
  say('');
  say(`- unchanged re-run of the ${storeEnrolments.toLocaleString('en')} enrolments: ${writes(again.summary.moodleCalls.byFunction)} write calls, ${again.summary.moodleCalls.total} calls in all (${JSON.stringify(again.summary.moodleCalls.byFunction)}), ${again.seconds.toFixed(2)} s, outcomes ${JSON.stringify(again.summary.outcomes)}`);
  sb.stop();
}

/** Peak RSS of a whole run of a large enrolment file: its first store into a sandbox process, then the unchanged re-run. */
async function memoryBench(say: (s: string) => void): Promise<void> {
  const n = Number(process.env.BENCH_MEMORY_ENROLMENTS ?? 500000);
  const nPersons = 50000;
  const nCourses = 1000;
  const sb = await startSandboxProcess({ passwordPolicy: true });
  const dir = mkdtempSync(join(work, 'memory-'));
  const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
  try {
    const files = { persons: join(dir, 'persons.txt'), courses: join(dir, 'courses.txt'), enrolments: join(dir, 'enrolments.txt') };
    await generatePersons(files.persons, nPersons, { prefix: 'p' });
    await generateCourses(files.courses, nCourses);
    await generateEnrolments(files.enrolments, n, nCourses, nPersons);
    await timedRun(files.persons, dir, env);
    await timedRun(files.courses, dir, env);
    say('');
    say(`## memory of a large run: \`mdlsync run\` of ${n.toLocaleString('en')} enrolments (over ${nPersons.toLocaleString('en')} persons and ${nCourses.toLocaleString('en')} courses stored before), sandbox in its own process`);
    say('| run | peak RSS | seconds | outcomes |');
    say('|---|---:|---:|---|');
    for (const label of ['first store', 'unchanged re-run']) {
      const r = await measuredRun(files.enrolments, dir, env);
      say(`| ${label} | ${r.peakRssMb} MB | ${r.seconds.toFixed(2)} | ${JSON.stringify(r.summary.outcomes)} |`);
    }
  } finally {
    sb.stop();
  }
}

async function cohortMembers(say: (s: string) => void): Promise<void> {
  const n = Number(process.env.BENCH_COHORT_MEMBERS ?? 200000);
  const worker = join(DIST, 'bench', 'cohort-worker.js');
  const feed = join(work, 'cohort-members.txt');
  await generateCohortMembers(feed, n, 20000, 200);
  say('');
  say(`## cohort members: read + validate + plan (no Moodle), one process per measurement`);
  say(`${n.toLocaleString('en')} memberships over 20,000 persons and 200 cohorts; the ledger links the persons and cohorts, the run's own look-up (cohortMemberLookup) asks a stub Moodle for the rest.`);
  say('| rows | ledger | rows/s | peak RSS | stub Moodle calls |');
  say('|---:|---|---:|---:|---|');
  const ledger = join(work, 'cohorts.db');
  await node([worker, '-', ledger, '--seed=20000,200']);
  const empty = JSON.parse(await node([worker, feed, ledger]));
  await node([worker, feed, ledger, '--fill']);
  const full = JSON.parse(await node([worker, feed, ledger]));
  for (const [label, r] of [['empty', empty], ['full (all unchanged)', full]] as const) {
    say(`| ${n.toLocaleString('en')} | ${label} | ${r.rowsPerSec.toLocaleString('en')} | ${r.maxRssMb} MB | ${JSON.stringify(r.stubCalls)} |`);
  }
  rmSync(ledger, { force: true });

  const m = Number(process.env.BENCH_COHORT_STORE ?? 10000);
  if (m <= 0) return;
  const nPersons = Math.min(1000, m);
  const nCohorts = Math.ceil(m / nPersons);
  say('');
  say(`## cohort store into an empty sandbox (separate process), default settings: ${nPersons.toLocaleString('en')} persons, ${nCohorts} cohorts, ${m.toLocaleString('en')} memberships`);
  const sb = await startSandboxProcess({ passwordPolicy: true });
  const dir = mkdtempSync(join(work, 'cohort-store-'));
  const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
  const files = { persons: join(dir, 'persons.txt'), cohorts: join(dir, 'cohorts.txt'), 'cohort-members': join(dir, 'cohort-members.txt') };
  await generatePersons(files.persons, nPersons, { prefix: 'p' });
  await generateCohorts(files.cohorts, nCohorts);
  await generateCohortMembers(files['cohort-members'], m, nPersons, nCohorts);
  const cohortPer = perCall(cohortLeaves({ categorytype: { type: 'system', value: '' }, name: 'Cohort 1', idnumber: 'COH0001', description: 'Generated cohort 1', visible: 1 }));
  const memberPer = perCall(cohortMemberLeaves({ cohortid: 1, userid: 1 }));
  const minimum = { cohorts: Math.ceil(nCohorts / cohortPer), 'cohort-members': Math.ceil(m / memberPer) };
  say(`Records per call the limits allow (batchSize 50, maxInputVars 1000): cohorts ${cohortPer}, memberships ${memberPer}.`);
  say('| feed | rows | calls in all | write calls | minimum | ratio | seconds | rows/s | outcomes |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  await timedRun(files.persons, dir, env);
  const rows = { cohorts: nCohorts, 'cohort-members': m };
  for (const type of ['cohorts', 'cohort-members'] as const) {
    const r = await timedRun(files[type], dir, env);
    const by = r.summary.moodleCalls.byFunction;
    say(`| ${type} | ${rows[type].toLocaleString('en')} | ${r.summary.moodleCalls.total} | ${writes(by)} | ${minimum[type]} | ${(r.summary.moodleCalls.total / minimum[type]).toFixed(3)} | ${r.seconds.toFixed(1)} | ${Math.round(rows[type] / r.seconds).toLocaleString('en')} | ${JSON.stringify(r.summary.outcomes)} |`);
    say(`|  | by function: ${JSON.stringify(by)} | | | | | | | |`);
  }
  const again = await timedRun(files['cohort-members'], dir, env);
  say('');
  say(`- unchanged re-run of the ${m.toLocaleString('en')} memberships: ${writes(again.summary.moodleCalls.byFunction)} write calls, ${again.summary.moodleCalls.total} calls in all (${JSON.stringify(again.summary.moodleCalls.byFunction)}), ${again.seconds.toFixed(2)} s, outcomes ${JSON.stringify(again.summary.outcomes)}`);
  sb.stop();
}

await main();
