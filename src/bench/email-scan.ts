/**
 * BENCH_EMAIL_SCAN (issue 15, finding 1): a first store of persons into a sandbox process with the real site's cost
 * model (15 ms per user, 30 ms per call, 2 workers) and Moodle's duplicate-email scan calibrated to the measured
 * 43k-user PostgreSQL site (33.6 ms per user there, 10.3 with the index: the scan is 23.3 ms at 43k rows, 0.54 ms per
 * 1,000), with and without the lower(email) index. Each size runs on a site of the issue's size before the store:
 * 1,000 persons on a ~2k-user site, larger stores on a 23k-user site (20,000 persons grow it to 43k).
 * Each case is stored once per concurrency setting: fixed 1, 2, 3 and 4 calls in flight (moodle.concurrency N with a
 * rate limit the calls never reach, which starts the limiter at N and keeps it there) and the adaptive limiter (the
 * default settings), so the adaptive one can be held against the best fixed setting. Reports persons/s, the share of
 * the best fixed setting, the machine's load average, and whether the run's summary carried the email-scan note (only
 * an adaptive run can: under a rate limit calls are not timed).
 * BENCH_EMAIL_SCAN_SIZES sets the sizes (default 1000,20000), BENCH_EMAIL_SCAN_SETTINGS the settings (default
 * 1,2,3,4,adaptive), BENCH_EMAIL_SCAN_INDEX which sites (default no,yes).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generatePersons } from './generate.js';

const DIST = resolve(import.meta.dirname, '..');
const CLI = resolve(DIST, '..', 'bin', 'mdlsync.js');
/** The scan's cost per created user and 1,000 rows: (33.6 − 10.3) ms at 43,000 rows. */
const SCAN_MS_PER_1000 = (33.6 - 10.3) / 43;
const REAL_SITE = { perRecordCostMs: 15, perCallCostMs: 30, workers: 2, emailScanMsPer1000Users: SCAN_MS_PER_1000 };
/** Above any rate these calls reach (≥ 0.8 s each on 2 workers): it only pins the limiter at the cap. */
const UNREACHED_RATE = 1000;

type Setting = number | 'adaptive';

async function sandboxProcess(opts: object): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(DIST, 'bench', 'sandbox-proc.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((done) => createInterface({ input: child.stdout }).once('line', done));
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

function cli(args: string[], cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) =>
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, _out, stderr) =>
      err && err.code !== 2 ? fail(new Error(`${args.join(' ')}: ${stderr || err.message}`)) : done(),
    ),
  );
}

interface Summary {
  outcomes: Record<string, number>;
  moodleCalls: { total: number; byFunction: Record<string, number> };
  siteHints?: Array<{ code: string; message: string }>;
}

function lastSummary(dir: string): Summary {
  const reports = join(dir, 'reports');
  const runs = readdirSync(reports).filter((n) => /^\d{8}T/.test(n)).sort();
  return JSON.parse(readFileSync(join(reports, runs[runs.length - 1], 'summary.json'), 'utf8'));
}

function settingsFromEnv(): Setting[] {
  return (process.env.BENCH_EMAIL_SCAN_SETTINGS ?? '1,2,3,4,adaptive').split(',').map((s) => (s === 'adaptive' ? s : Number(s)));
}

/** One first store of n persons on a new sandbox site; seconds, and the note's first sentence if the run gave one. */
async function store(work: string, n: number, siteUsers: number, index: boolean, setting: Setting): Promise<{ seconds: number; load: number; calls: number; note?: string }> {
  const sb = await sandboxProcess({ ...REAL_SITE, emailIndex: index, siteUsers });
  const dir = mkdtempSync(join(work, `email-scan-${n}-${index ? 'index' : 'scan'}-${setting}-`));
  try {
    const moodle = setting === 'adaptive' ? {} : { concurrency: setting, maxRequestsPerSecond: UNREACHED_RATE };
    writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle }));
    const file = join(dir, 'persons.txt');
    await generatePersons(file, n, { prefix: 'e' });
    const load = loadavg()[0];
    const t = Date.now();
    await cli(['run', file, '--quiet'], dir, { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token });
    const seconds = (Date.now() - t) / 1000;
    const s = lastSummary(dir);
    if (s.outcomes.ok !== n) throw new Error(`email-scan bench: ${n} persons, ${setting}, outcomes ${JSON.stringify(s.outcomes)}`);
    const note = s.siteHints?.find((h) => h.code === 'email-scan');
    // More calls than the same store usually makes (1,000 persons: 23; 20,000: 422) were retried after a transient
    // failure, which also halves the calls in flight, and a fixed setting never grows back: not the setting's speed.
    return { seconds, load: Math.max(load, loadavg()[0]), calls: s.moodleCalls.total, note: note?.message.split(':')[0] };
  } finally {
    sb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function emailScanBench(say: (s: string) => void, work: string): Promise<void> {
  const sizes = (process.env.BENCH_EMAIL_SCAN_SIZES ?? '1000,20000').split(',').map(Number);
  const settings = settingsFromEnv();
  const indexes = (process.env.BENCH_EMAIL_SCAN_INDEX ?? 'no,yes').split(',').map((s) => s === 'yes');
  say('');
  say(`## first store and Moodle's email check: 15 ms per user, 30 ms per call, 2 workers, the duplicate-email scan ${SCAN_MS_PER_1000.toFixed(3)} ms per user and 1,000 rows`);
  say('| persons | site before | lower(email) index | concurrency | seconds | persons/s | of the best fixed | load average | Moodle calls | email-scan note |');
  say('|---:|---:|---|---|---:|---:|---:|---:|---:|---|');
  for (const n of sizes) {
    const siteUsers = n <= 1000 ? 2000 : 23000;
    for (const index of indexes) {
      const rows: { setting: Setting; rate: number; seconds: number; load: number; calls: number; note?: string }[] = [];
      for (const setting of settings) {
        const r = await store(work, n, siteUsers, index, setting);
        rows.push({ setting, rate: n / r.seconds, ...r });
      }
      const bestFixed = Math.max(0, ...rows.filter((r) => r.setting !== 'adaptive').map((r) => r.rate));
      for (const r of rows) {
        const share = bestFixed > 0 ? `${Math.round((100 * r.rate) / bestFixed)} %` : '';
        const note = r.setting === 'adaptive' ? (r.note ? `yes: "${r.note}"` : 'no') : '—';
        say(`| ${n.toLocaleString('en')} | ${siteUsers.toLocaleString('en')} users | ${index ? 'yes' : 'no'} | ${r.setting === 'adaptive' ? 'adaptive (cap 4)' : `fixed ${r.setting}`} | ${r.seconds.toFixed(1)} | ${r.rate.toFixed(1)} | ${share} | ${r.load.toFixed(1)} | ${r.calls} | ${note} |`);
      }
    }
  }
}
