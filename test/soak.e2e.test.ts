/**
 * Soak: a resident `mdlsync watch` and `mdlsync schedule` (the real CLI, two processes on one ledger) take 200
 * drop-folder files and 50 scheduled files over about half a minute while the sandbox faults one call in ten (HTTP
 * 500s, dropped connections, answers lost after the commit, slow answers). Once the faults stop and the retries have
 * drained, Moodle must hold exactly what the feeds say (a model computed from the files), every file must have run
 * exactly once (none rejected, none applied twice), and the two processes' memory and open file handles must stay
 * bounded (sampled from /proc while they run). Sizes are CI-sized; MDLSYNC_SOAK_SEED replays another set of files
 * and faults.
 */
import { afterAll, expect, test } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createCourses, MoodleClient } from '../src/moodle/index.js';
import { sleep, startWatchCli, waitFor, type WatchProcess } from './automation-helpers.js';
import { seededRandom } from '../src/sandbox/faults.js';
import { CLI, workspace, type Workspace } from './helpers.js';

const SEED = Number(process.env.MDLSYNC_SOAK_SEED ?? 20261205);
const WATCH_BATCHES = 20;
const WATCH_FILES_PER_BATCH = 10; // 200 drop-folder files
const SCHEDULE_ROUNDS = 25; // a persons and an enrolments file each: 50 scheduled files
const MIN_TICKS = 50;
const FAULT_RATE = 0.1;
const COURSES = ['C1', 'C2', 'C3', 'C4'];
const ROLE_IDS: Record<string, number> = { student: 5, teacher: 4 };

const rand = seededRandom(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);

// ---- The model: what the feeds say Moodle must end up holding. ----

interface Person {
  firstname: string;
  lastname: string;
  email: string;
  suspended: boolean;
}
/** An enrolment the feeds leave in place (a disabled one is unenrolled: absent). */
interface Enrolment {
  role: string;
  suspended: boolean;
}

const PERSON_HEADER = 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL|AVAILABLE_IND|ROW_STATUS';
const ENROL_HEADER = 'EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|AVAILABLE_IND|ROW_STATUS';

class Model {
  readonly persons = new Map<string, Person>();
  readonly enrolments = new Map<string, Enrolment>();

  /** A persons row changing the key's names, email and availability, or (1 in 8) disabling it as it is. */
  personRow(key: string, version: string): string {
    const user = key.toLowerCase();
    const before = this.persons.get(key);
    if (before && rand() < 0.125) {
      this.persons.set(key, { ...before, suspended: true });
      return [key, user, 'Secret-1x', before.firstname, before.lastname, before.email, 'Y', 'disabled'].join('|');
    }
    const p: Person = { firstname: `F${version}`, lastname: `L${version}`, email: `${user}.${version}@example.edu`, suspended: rand() < 0.2 };
    this.persons.set(key, p);
    return [key, user, 'Secret-1x', p.firstname, p.lastname, p.email, p.suspended ? 'N' : 'Y', 'enabled'].join('|');
  }

  /** An enrolments row: a role and availability, or (1 in 6) a disable (unenrol). */
  enrolRow(key: string): string {
    const [course, person] = key.split('|');
    if (rand() < 1 / 6) {
      this.enrolments.delete(key);
      return [course, person, 'student', 'Y', 'disabled'].join('|');
    }
    const e: Enrolment = { role: pick(Object.keys(ROLE_IDS)), suspended: rand() < 0.2 };
    this.enrolments.set(key, e);
    return [course, person, e.role, e.suspended ? 'N' : 'Y', 'enabled'].join('|');
  }
}

/** Writes NAME as an upload does (NAME.part, then a rename), so no reader ever sees half of it. */
function drop(dir: string, name: string, header: string, rows: string[]): void {
  writeFileSync(join(dir, `${name}.part`), [header, ...rows].join('\n') + '\n');
  renameSync(join(dir, `${name}.part`), join(dir, name));
}

// ---- Resource samples of a child process, from /proc. ----

interface Sample {
  rssKb: number;
  fds: number;
}

function sampleOf(pid: number): Sample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    return { rssKb, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return null; // the process is gone
  }
}

/** The largest value of a quarter (0 = first, 3 = last) of the samples. */
function quarterMax(samples: Sample[], q: number, of: (s: Sample) => number): number {
  const n = Math.floor(samples.length / 4);
  return Math.max(...samples.slice(q * n, q === 3 ? samples.length : (q + 1) * n).map(of));
}

// ---- The processes. ----

let ws: Workspace | null = null;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await ws?.close();
});

function startScheduleCli(w: Workspace): { child: ChildProcess; stderr(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'schedule'], {
    cwd: w.dir,
    env: { PATH: process.env.PATH ?? '', HOME: w.dir, MDLSYNC_URL: w.sandbox.url, MDLSYNC_TOKEN: w.sandbox.token },
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d) => (err += String(d)));
  child.stdout?.resume();
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, stderr: () => err, exited };
}

const filesIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);

test('soak: 200 dropped files and 50 scheduled ones under 10 % faults end in the state the feeds describe, with memory and file handles bounded', async () => {
  const w = await workspace();
  ws = w;
  const model = new Model();
  const watchKeys = keys('P', 40);
  const jobKeys = keys('Q', 30);

  // The people and courses the feeds then change, made before the faults start.
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  await createCourses(client, COURSES.map((c) => ({ fullname: `Course ${c}`, shortname: c, categoryid: 1, idnumber: c })));
  await client.close();
  const firstRows = [...watchKeys, ...jobKeys].map((k) => model.personRow(k, '0'));
  w.write('people.txt', [PERSON_HEADER, ...firstRows].join('\n') + '\n');
  expect((await w.cli(['run', 'people.txt'])).code).toBe(0);

  const dropDir = join(w.dir, 'drop');
  const inbox = join(w.dir, 'inbox');
  mkdirSync(dropDir);
  mkdirSync(inbox);
  writeFileSync(
    join(w.dir, 'mdlsync.config.json'),
    JSON.stringify({
      moodle: { backoffMs: 20, retries: 3, timeoutMs: 10_000 },
      retry: { firstDelayMs: 200, maxDelayMs: 1000 },
      jobs: [
        { name: 'persons', cron: '*/1 * * * * *', glob: 'inbox/persons.*.csv', datasource: 'JOB' },
        { name: 'enrolments', cron: '*/1 * * * * *', glob: 'inbox/enrolments.*.csv', datasource: 'JOB' },
      ],
    }),
  );

  w.sandbox.faults.randomly({
    rate: FAULT_RATE,
    seed: SEED,
    faults: [{ kind: 'http500' }, { kind: 'drop' }, { kind: 'commit-then-drop' }, { kind: 'latency', ms: 150 }],
  });
  const watcher: WatchProcess = await startWatchCli(w, [dropDir, '--stability-ms', '200']);
  children.push(watcher.child);
  const schedule = startScheduleCli(w);
  // Sampled once both have started: loading the modules opens a burst of files that says nothing about a leak.
  await waitFor('the scheduler to start', () => (schedule.stderr().match(/schedule: job \w+ on/g) ?? []).length === 2);

  const samples = new Map<string, Sample[]>([['watch', []], ['schedule', []]]);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const [name, child] of [['watch', watcher.child], ['schedule', schedule.child]] as const) {
        const s = child.pid === undefined ? null : sampleOf(child.pid);
        if (s) samples.get(name)?.push(s);
      }
      await sleep(250);
    }
  })();

  // The SIS at work: a batch of drop-folder files every second, a persons and an enrolments file for the jobs too.
  // A key is in at most one file of a batch (files of one batch may be seen in any order), and batches take turns
  // with the two halves of the people, so two files naming one key are always two seconds apart.
  const dropped: string[] = [];
  const scheduled: string[] = [];
  /** Round b's files for the jobs' inbox: a persons and an enrolments file. */
  const dropScheduled = (b: number): void => {
    const id = String(b + 1).padStart(4, '0');
    const p = `persons.${id}.csv`;
    drop(inbox, p, PERSON_HEADER, shuffled(jobKeys).slice(0, 3).map((k) => model.personRow(k, `J${id}`)));
    const e = `enrolments.${id}.csv`;
    drop(inbox, e, ENROL_HEADER, shuffled(COURSES.flatMap((c) => jobKeys.map((k) => `${c}|${k}`))).slice(0, 4).map((k) => model.enrolRow(k)));
    scheduled.push(p, e);
  };
  let n = 0;
  for (let b = 0; b < WATCH_BATCHES; b++) {
    const half = watchKeys.slice((b % 2) * 20, (b % 2) * 20 + 20);
    const people = shuffled(half);
    const seats = shuffled(COURSES.flatMap((c) => half.map((k) => `${c}|${k}`)));
    for (let f = 0; f < WATCH_FILES_PER_BATCH; f++) {
      const id = String(++n).padStart(4, '0');
      if (f % 5 < 3) {
        const rows = people.splice(0, 3).map((k) => model.personRow(k, id));
        // Now and then a person no feed named before: a create under faults.
        if (rand() < 0.3) rows.push(model.personRow(`N${id}`, id));
        const name = `persons.store.SIS.${id}.csv`;
        drop(dropDir, name, PERSON_HEADER, rows);
        dropped.push(name);
      } else {
        const name = `enrolments.store.SIS.${id}.csv`;
        drop(dropDir, name, ENROL_HEADER, seats.splice(0, 4).map((k) => model.enrolRow(k)));
        dropped.push(name);
      }
    }
    if (b < SCHEDULE_ROUNDS) dropScheduled(b);
    await sleep(1000);
  }
  for (let b = WATCH_BATCHES; b < SCHEDULE_ROUNDS; b++) {
    dropScheduled(b);
    await sleep(1000);
  }

  // The faults stop; what was kept for retry drains.
  const tickLine = /job (persons|enrolments): (nothing to do|\d+ file\(s\), exit|waiting for retry #)/g;
  const ticks = () => (schedule.stderr().match(tickLine) ?? []).length;
  w.sandbox.faults.clear();
  const watchRetry = join(dropDir, '.retry');
  const jobRetry = join(w.dir, '.mdlsync', 'retry');
  await waitFor(
    'every file run and every retry landed',
    () =>
      ticks() >= MIN_TICKS &&
      filesIn(dropDir).length === 0 &&
      filesIn(join(dropDir, '.processing')).length === 0 &&
      filesIn(inbox).length === 0 &&
      filesIn(watchRetry).length === 0 &&
      filesIn(jobRetry).length === 0,
    150_000,
  );
  // A run that took the last file may still be writing its report: the next tick of each job comes after it.
  const settled = ticks() + 2;
  await waitFor('two more ticks', () => ticks() >= settled, 30_000);
  sampling = false;
  await sampler;
  watcher.child.kill('SIGTERM');
  schedule.child.kill('SIGTERM');
  expect(await watcher.exited).toBe(0);
  expect(await schedule.exited).toBe(0);
  const watchLog = watcher.stderr();
  const jobLog = schedule.stderr();
  // Kept with the workspace, for a failing soak to be read.
  writeFileSync(join(w.dir, 'watch.log'), watchLog);
  writeFileSync(join(w.dir, 'schedule.log'), jobLog);

  // The faults struck, as asked.
  expect(w.sandbox.faults.randomHits).toBeGreaterThan(20);

  // Nothing waits for retry, nothing was rejected, nothing is left behind.
  const shown = await w.cli(['ledger', 'show', '--runs']);
  expect(shown.stdout).not.toMatch(/retry #\d+ +waiting/);
  expect(filesIn(join(dropDir, 'rejected'))).toEqual([]);
  expect(watchLog).not.toMatch(/rejected to/);

  // Every file was applied exactly once. A run Moodle's outage stopped before it began (status aborted) wrote
  // nothing: the watcher keeps such a file for retry whole, a job leaves it for its next tick. The watcher takes each
  // dropped file once and never resumes one.
  const runs = readdirSync(join(w.dir, 'reports'))
    .filter((r) => /^\d{8}T/.test(r))
    .map((r) => JSON.parse(readFileSync(join(w.dir, 'reports', r, 'summary.json'), 'utf8')) as { file: string; status: string })
    .map((r) => ({ name: basename(r.file), status: r.status }));
  const applied = (name: string) => runs.filter((r) => r.name === name && r.status !== 'aborted').length;
  const keptWhole = (name: string) => watchLog.includes(`${name}: the whole file kept for retry #`);
  for (const name of dropped) {
    expect([name, watchLog.split('\n').filter((l) => l.includes(`watch: taking ${name}:`)).length]).toEqual([name, 1]);
    expect([name, applied(name) + (keptWhole(name) ? 1 : 0)]).toEqual([name, 1]);
  }
  expect(watchLog).not.toMatch(/watch: resuming/);
  for (const name of scheduled) expect([name, applied(name)]).toEqual([name, 1]);

  // Moodle holds what the feeds say: every person's fields and state, every enrolment's role and state.
  const users = new Map(w.sandbox.users.list().filter((u) => /^[PQN]\d{4}$/.test(u.idnumber)).map((u) => [u.idnumber, u]));
  const actualPersons = Object.fromEntries([...users].map(([k, u]) => [k, { firstname: u.firstname, lastname: u.lastname, email: u.email, suspended: u.suspended }]));
  expect(actualPersons).toEqual(Object.fromEntries(model.persons));
  const keyOf = new Map([...users].map(([k, u]) => [u.id, k]));
  const actualEnrolments: Record<string, Enrolment> = {};
  for (const course of COURSES) {
    const id = w.sandbox.courses.byIdnumber(course)?.id as number;
    for (const e of w.sandbox.enrolments.of(id)) {
      const role = Object.keys(ROLE_IDS).find((r) => e.roles.length === 1 && ROLE_IDS[r] === e.roles[0]) ?? `roles ${e.roles.join(',')}`;
      actualEnrolments[`${course}|${keyOf.get(e.userid)}`] = { role, suspended: e.status === 1 };
    }
  }
  expect(actualEnrolments).toEqual(Object.fromEntries(model.enrolments));

  // Memory and open files stay bounded and do not grow with the files taken: the last quarter of the samples
  // stays within a margin of the first quarter's.
  for (const [name, s] of samples) {
    expect([name, s.length > 40]).toEqual([name, true]);
    const rssMb = (x: Sample) => x.rssKb / 1024;
    const fds = (x: Sample) => x.fds;
    expect([name, Math.max(...s.map(rssMb)) < 400]).toEqual([name, true]);
    expect([name, Math.max(...s.map(fds)) < 200]).toEqual([name, true]);
    expect([name, quarterMax(s, 3, rssMb) <= quarterMax(s, 0, rssMb) + 150]).toEqual([name, true]);
    expect([name, quarterMax(s, 3, fds) <= quarterMax(s, 0, fds) + 25]).toEqual([name, true]);
    process.stdout.write(`soak ${name}: ${s.length} samples; RSS MB first quarter max ${quarterMax(s, 0, rssMb).toFixed(0)}, last ${quarterMax(s, 3, rssMb).toFixed(0)}; fds first ${quarterMax(s, 0, fds)}, last ${quarterMax(s, 3, fds)}\n`);
  }
}, 300_000);
