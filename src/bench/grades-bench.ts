/**
 * The grade and completion export bench: a seeded gradebook in a sandbox process (grades-proc.ts), the ledger
 * linking its persons, courses and enrolments as the feeds would have, then `mdlsync export grades` (plain,
 * --items, and a --changes re-run) and `mdlsync export completions`, each with its calls against the minimum the
 * functions allow: gradereport_user_get_grade_items answers a whole course per call (so one per course);
 * core_completion_get_course_completion_status one student of one course per call.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteLedger } from '../ledger/index.js';
import type { SeededGradebook } from '../sandbox/seed-gradebook.js';

const DIST = resolve(import.meta.dirname, '..');
const CLI = resolve(DIST, '..', 'bin', 'mdlsync.js');

interface Summary {
  moodleCalls: { total: number; byFunction: Record<string, number> };
  rows: { read: number; written: number };
}

function cli(args: string[], cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) =>
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 256 << 20 }, (err, _out, stderr) =>
      err ? fail(new Error(`${args.join(' ')}: ${stderr || err.message}`)) : done(),
    ),
  );
}

function lastSummary(dir: string): Summary {
  const reports = join(dir, 'reports');
  const runs = readdirSync(reports).filter((n) => /^\d{8}T/.test(n)).sort();
  return JSON.parse(readFileSync(join(reports, runs[runs.length - 1], 'summary.json'), 'utf8')) as Summary;
}

async function startSite(opts: object): Promise<{ url: string; token: string; seedSeconds: number; seeded: SeededGradebook; stop: () => void }> {
  const child = spawn(process.execPath, [join(DIST, 'bench', 'grades-proc.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((done) => createInterface({ input: child.stdout }).once('line', done));
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

/** The links persons, courses and enrolments feeds would have left for the seeded site. */
async function fillLedger(path: string, seeded: SeededGradebook): Promise<void> {
  const ledger = SqliteLedger.open(path);
  const base = { dataSource: 'SIS', hash: null, status: 'active' as const, runId: 'bench' };
  await ledger.writeLinks(seeded.courses.map((c) => ({ ...base, entity: 'courses', key: c.idnumber, moodleId: c.id })));
  await ledger.writeLinks(seeded.courses.flatMap((c) => c.students.map((s) => ({ ...base, entity: 'persons', key: s.idnumber, moodleId: s.id }))));
  await ledger.writeLinks(seeded.courses.flatMap((c) => c.students.map((s) => ({
    ...base, entity: 'enrolments', key: `${c.idnumber}|${s.idnumber}`, moodleId: s.id, state: 'e1;role=student;start=0;end=0;suspend=0',
  }))));
  await ledger.close();
}

export async function gradeExportBench(say: (s: string) => void, work: string): Promise<void> {
  const courses = Number(process.env.BENCH_GRADES_COURSES ?? 100);
  const students = Number(process.env.BENCH_GRADES_STUDENTS ?? 200);
  const items = 3;
  const dir = mkdtempSync(join(work, 'grades-'));
  say('');
  say(`## grade and completion export: ${courses} courses × ${students} students, ${items} graded items each (sandbox process)`);
  const site = await startSite({ stateFile: join(dir, 'site.db'), courses, studentsPerCourse: students, itemsPerCourse: items });
  say(`- seeding the site: ${site.seedSeconds.toFixed(1)} s`);
  await fillLedger(join(dir, '.mdlsync', 'ledger.db'), site.seeded);
  const env = { MDLSYNC_URL: site.url, MDLSYNC_TOKEN: site.token };
  const timed = async (args: string[]) => {
    const t = Date.now();
    await cli([...args, '--quiet'], dir, env);
    return { seconds: (Date.now() - t) / 1000, s: lastSummary(dir) };
  };
  try {
    const minimum = courses;
    say('| export | calls | minimum | ratio | rows written | seconds |');
    say('|---|---:|---:|---:|---:|---:|');
    for (const [label, args] of [
      ['grades', ['export', 'grades', '-o', 'grades.csv']],
      ['grades --items', ['export', 'grades', '--items', '-o', 'items.csv']],
      ['grades --changes (nothing changed)', ['export', 'grades', '--changes', '-o', 'changes.csv']],
    ] as const) {
      const r = await timed([...args]);
      say(`| ${label} | ${r.s.moodleCalls.total} | ${minimum} | ${(r.s.moodleCalls.total / minimum).toFixed(3)} | ${r.s.rows.written.toLocaleString('en')} | ${r.seconds.toFixed(1)} |`);
    }
    if (process.env.BENCH_GRADES_COMPLETIONS !== '0') {
      const r = await timed(['export', 'completions', '-o', 'completions.csv']);
      const min = courses * students;
      say(`| completions | ${r.s.moodleCalls.total} | ${min} | ${(r.s.moodleCalls.total / min).toFixed(3)} | ${r.s.rows.written.toLocaleString('en')} | ${r.seconds.toFixed(1)} |`);
    }
  } finally {
    site.stop();
  }
}
