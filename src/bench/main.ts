/**
 * `npm run bench`: the numbers the README's performance section records.
 *  1. read + validate + plan of 10k / 100k / 1M persons, empty and full ledger: rows/s and peak RSS;
 *  2. a 100k-person store into an empty sandbox: Moodle calls against the minimum the batch size allows, then the
 *     unchanged re-run (write calls, seconds);
 *  3. concurrency on a sandbox that costs what a real 2-core Moodle costs (15 ms per user, 30 ms per call).
 * Sizes can be reduced for a quick look: BENCH_SIZES=10000,100000 BENCH_STORE=20000 npm run bench
 * (BENCH_STORE=0 and BENCH_CONCURRENCY=0 skip those parts).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generatePersons } from './generate.js';

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

const WRITE_FUNCTIONS = ['core_user_create_users', 'core_user_update_users', 'core_user_delete_users'];
const writes = (by: Record<string, number>) => WRITE_FUNCTIONS.reduce((n, f) => n + (by[f] ?? 0), 0);

async function timedRun(file: string, cwd: string, env: Record<string, string>, extra: string[] = []) {
  const t = Date.now();
  await node([CLI, 'run', file, '--quiet', ...extra], env, cwd);
  return { seconds: (Date.now() - t) / 1000, summary: lastSummary(cwd) };
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
    {
      const sb = await startSandboxProcess({ passwordPolicy: true });
      const dir = mkdtempSync(join(work, 'store-'));
      const file = join(dir, 'persons.txt');
      await generatePersons(file, storeSize, { prefix: 's' });
      const env = { MDLSYNC_URL: sb.url, MDLSYNC_TOKEN: sb.token };
      const first = await timedRun(file, dir, env);
      const perCall = Math.min(50, Math.floor((1000 - 3) / 7));
      const minimum = Math.ceil(storeSize / perCall);
      const by = first.summary.moodleCalls.byFunction;
      say(`- calls: ${first.summary.moodleCalls.total} in all (${JSON.stringify(by)}); minimum the batch size allows: ${minimum} create calls of ${perCall}; ratio ${(first.summary.moodleCalls.total / minimum).toFixed(3)}`);
      say(`- time: ${first.seconds.toFixed(1)} s (${Math.round(storeSize / first.seconds).toLocaleString('en')} rows/s), outcomes ${JSON.stringify(first.summary.outcomes)}`);
      const again = await timedRun(file, dir, env);
      say(`- unchanged re-run: ${writes(again.summary.moodleCalls.byFunction)} write calls, ${again.summary.moodleCalls.total} calls in all, ${again.seconds.toFixed(2)} s`);
      sb.stop();
    }
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
  writeFileSync(join(process.cwd(), 'bench-results.md'), out.join('\n') + '\n');
  rmSync(work, { recursive: true, force: true });
}

await main();
