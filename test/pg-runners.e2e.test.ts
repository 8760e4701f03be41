/**
 * Several runners on one PostgreSQL ledger, through the real CLI against the sandbox: a run whose lock connection is
 * killed stops sending and keeps the rest in its tryback; two `watch` processes share one drop folder and apply each
 * file once; runs of different types go side by side while a second run of the same type is refused or waits.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MoodleClient, createCourses } from '../src/moodle/index.js';
import { PG_URL, pgAdmin } from '../src/ledger/test-backends.js';
import { sleep, waitFor } from './automation-helpers.js';
import { CLI, SIS_HEADER, persons, runCli, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

if (!PG_URL) console.log('pg-runners.e2e.test.ts: several runners on one PostgreSQL ledger skipped: MDLSYNC_TEST_PG_URL is not set');
const suite = PG_URL ? describe : describe.skip;

let ws: Workspace | null = null;
const schemas: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await ws?.close();
  ws = null;
  const drop = schemas.splice(0);
  if (drop.length > 0) await pgAdmin((c) => c.query(drop.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE`).join('; ')));
});

let n = 0;
function newSchema(): string {
  const s = `tpgrun_${process.pid}_${++n}_${Math.floor(Math.random() * 1e6)}`;
  schemas.push(s);
  return s;
}

/** A config in `dir` whose ledger is the test server's schema (the URL as given, the schema beside it). */
function pgConfig(dir: string, schema: string): void {
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, ledger: { url: PG_URL, schema } }));
}

const q = <T = Record<string, unknown>>(sql: string): Promise<T[]> => pgAdmin(async (c) => (await c.query(sql)).rows as T[]);

/** `mdlsync ARGS` as a child process of its own, in `dir`, against the workspace's sandbox. */
function startCli(w: Workspace, dir: string, args: string[]): { child: ChildProcess; done: Promise<CliResult>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, MDLSYNC_URL: w.sandbox.url, MDLSYNC_TOKEN: w.sandbox.token },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (err += String(d)));
  const done = new Promise<CliResult>((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, stdout: out, stderr: err })));
  return { child, done, stderr: () => err };
}

const summaryOf = (dir: string, runId: string) => JSON.parse(readFileSync(join(dir, 'reports', runId, 'summary.json'), 'utf8'));
const runIdIn = (text: string): string => /run (\d{8}T\d{9}Z-[0-9a-f]+)/.exec(text)![1];

/** Every file under a folder, recursively (the archive's day folders). */
function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  for (const e of entries) {
    const p = join(dir, e);
    out = statSync(p).isDirectory() ? [...out, ...filesUnder(p)] : [...out, p];
  }
  return out;
}

suite('several runners on one PostgreSQL ledger', () => {
  test('a run whose lock connection is killed stops sending, exits 3 ledger-lock-lost, and its tryback completes the work', async () => {
    const w = await workspace({ perCallCostMs: 100 });
    ws = w;
    const schema = newSchema();
    pgConfig(w.dir, schema);
    const rows = persons(3000);
    const run = startCli(w, w.dir, ['run', w.write('persons.txt', sisFile(SIS_HEADER, rows)), '--op', 'store']);
    await waitFor('the run to create its first users', () => w.sandbox.users.list().filter((u) => u.username.startsWith('puser')).length >= 300, 60_000);
    // The lock's connection, as the locks table names it (the same backend holds every key of the run's scope).
    const killed = await q<{ gone: boolean }>(`SELECT pg_terminate_backend(backend_pid) AS gone FROM (SELECT DISTINCT backend_pid FROM "${schema}".locks) l`);
    expect(killed).toEqual([{ gone: true }]);
    const first = await run.done;

    expect(first.code).toBe(3);
    const s = summaryOf(w.dir, runIdIn(first.stderr));
    expect(s.error.code).toBe('ledger-lock-lost');
    expect(s.error.message).toMatch(new RegExp(`^The writer lock on the ledger postgres://.*#${schema} was lost \\(terminating connection`));
    expect(s.message).toMatch(/The run stopped sending: The writer lock on the ledger .* was lost .*kept for the next try/);
    expect(s.tryback).toEqual(expect.any(String));
    // Nothing lost: what the ledger recorded and what the tryback holds are the file, each row once.
    const linked = (await q<{ key: string }>(`SELECT key FROM "${schema}".links WHERE entity = 'persons'`)).map((r) => r.key);
    const kept = readFileSync(s.tryback, 'utf8').trim().split('\n').slice(1).filter((l) => !l.startsWith('#')).map((l) => l.split('|')[0]);
    expect(linked.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect([...linked, ...kept].sort()).toEqual(rows.map((r) => r[0]).sort());
    expect(s.outcomes.failed).toBe(kept.length);
    // The run stopped: far from every row reached Moodle.
    expect(w.sandbox.users.list().filter((u) => u.username.startsWith('puser')).length).toBeLessThan(3000);

    const second = await w.cli(['run', s.tryback, '--op', 'store']);
    expect(second.code).toBe(0);
    for (const [key, username, , first, last, email] of rows) {
      const found = w.sandbox.users.byIdnumber(key);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ username, firstname: first, lastname: last, email });
    }
    expect(await q(`SELECT count(*)::int AS n FROM "${schema}".links WHERE entity = 'persons' AND status = 'active'`)).toEqual([{ n: 3000 }]);
    // The first run's record, left open when it lost the lock, was closed as interrupted by the next open.
    expect(await q(`SELECT status FROM "${schema}".runs ORDER BY started_at`)).toEqual([{ status: 'interrupted' }, { status: 'ok' }]);
  }, 120_000);

  test('two watchers on one drop folder (two hosts, one ledger): each of 30 files applied once', async () => {
    const w = await workspace({ perCallCostMs: 20 });
    ws = w;
    const schema = newSchema();
    const hosts = [join(w.dir, 'host-a'), join(w.dir, 'host-b')];
    const drop = join(w.dir, 'share', 'drop');
    mkdirSync(drop, { recursive: true });
    for (const h of hosts) {
      mkdirSync(h);
      pgConfig(h, schema);
    }
    const watchers = hosts.map((h) => startCli(w, h, ['watch', drop]));
    for (const x of watchers) await waitFor('the watcher to start', () => x.stderr().includes('watch: watching'));

    const staging = mkdtempSync(join(tmpdir(), 'mdlsync-drop-'));
    const files = Array.from({ length: 30 }, (_, i) => `persons.store.f${String(i).padStart(2, '0')}.txt`);
    const expected = files.flatMap((name, i) => persons(10, { prefix: `f${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}` }));
    for (const [i, name] of files.entries()) {
      writeFileSync(join(staging, name), sisFile(SIS_HEADER, expected.slice(i * 10, i * 10 + 10)));
      // Whole files appear at once, as a copy finished elsewhere and moved in.
      renameSync(join(staging, name), join(drop, name));
      if (i % 5 === 4) await sleep(100);
    }
    const archived = () => hosts.flatMap((h) => filesUnder(join(h, 'archive')));
    await waitFor('every file archived', () => archived().length >= 30, 90_000);
    await waitFor('the drop folder empty', () => readdirSync(drop).filter((f) => !f.startsWith('.') && f !== 'rejected').length === 0 && readdirSync(join(drop, '.processing')).length === 0).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify([readdirSync(drop), readdirSync(join(drop, '.processing'))])}`);
    });
    for (const x of watchers) x.child.kill('SIGTERM');
    await Promise.all(watchers.map((x) => x.done));

    // Each file once: archived once, one run in the ledger, every person once with the file's data.
    const names = archived().map((p) => p.replace(/^.*__/, ''));
    expect(names.sort()).toEqual([...files].sort());
    const runs = await q<{ file: string; status: string }>(`SELECT file, status FROM "${schema}".runs`);
    expect(runs.map((r) => r.file.replace(/^.*\//, '')).sort()).toEqual([...files].sort());
    expect(runs.every((r) => r.status === 'ok')).toBe(true);
    for (const [key, username, , first, last, email] of expected) {
      const found = w.sandbox.users.byIdnumber(key);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ username, firstname: first, lastname: last, email });
    }
    expect(await q(`SELECT count(*)::int AS n FROM "${schema}".links WHERE entity = 'persons'`)).toEqual([{ n: 300 }]);
    expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
  }, 150_000);

  test('a watch whose PostgreSQL stops answering leaves the dropped file where it is, and applies it once the ledger is back', async () => {
    const w = await workspace();
    ws = w;
    // A database of its own: refusing its connections (the server restarting, say) touches no other test.
    const db = `tpgwatch_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
    await pgAdmin((c) => c.query(`CREATE DATABASE "${db}"`));
    const url = new URL(PG_URL!);
    url.pathname = `/${db}`;
    const refuse = (allow: boolean) =>
      pgAdmin(async (c) => {
        await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS ${allow}`);
        if (!allow) await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}'`);
      });
    try {
      const host = join(w.dir, 'host');
      const drop = join(w.dir, 'drop');
      mkdirSync(host);
      mkdirSync(drop);
      writeFileSync(join(host, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, ledger: url.toString(), retry: { firstDelayMs: 300 } }));
      const watcher = startCli(w, host, ['watch', drop]);
      await waitFor('the watcher to start', () => watcher.stderr().includes('watch: watching'));

      await refuse(false);
      writeFileSync(join(drop, 'persons.store.txt'), sisFile(SIS_HEADER, persons(5, { prefix: 'pb' })));
      await waitFor('the watcher to meet the ledger down', () => /cannot be opened|trying again in/.test(watcher.stderr()), 30_000);
      await sleep(1000);
      // Not rejected, not lost: back in the drop folder (or not yet taken), nothing sent.
      const dropped = () => readdirSync(drop).filter((f) => !f.startsWith('.') && f !== 'rejected');
      expect(dropped()).toEqual(['persons.store.txt']);
      expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
      expect(w.sandbox.users.byIdnumber('PB0001')).toHaveLength(0);

      await refuse(true);
      await waitFor('the file applied', () => filesUnder(join(host, 'archive')).length === 1, 30_000);
      watcher.child.kill('SIGTERM');
      await watcher.done;
      expect(dropped()).toEqual([]);
      expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
      for (const [key] of persons(5, { prefix: 'pb' })) expect(w.sandbox.users.byIdnumber(key)).toHaveLength(1);
      expect(watcher.stderr()).not.toContain(url.password || '\u0000');
    } finally {
      await refuse(true).catch(() => undefined);
      for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
      await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
    }
  }, 90_000);

  test('a persons run and an enrolments run go side by side; a second persons run is refused naming the holder, or waits', async () => {
    const w = await workspace({ perCallCostMs: 100 });
    ws = w;
    const schema = newSchema();
    pgConfig(w.dir, schema);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    const [course] = await createCourses(client, [{ fullname: 'Course C1', shortname: 'C1', categoryid: 1, idnumber: 'C1' }]);
    await client.close();
    expect((await w.cli(['run', w.write('enrolled.txt', sisFile(SIS_HEADER, persons(5, { prefix: 'e' })))])).code).toBe(0);

    const big = startCli(w, w.dir, ['run', w.write('persons.txt', sisFile(SIS_HEADER, persons(4000)))]);
    await waitFor('the persons run to be sending', () => w.sandbox.users.list().some((u) => u.username.startsWith('puser')), 60_000);

    // Another type: its own lock, no wait needed (without --wait a busy lock is refused at once).
    const enrol = sisFile(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE'], persons(5, { prefix: 'e' }).map((r) => ['C1', r[0], 'Student']));
    const enrolled = await runCli(['run', w.write('enrolments.txt', enrol)], { cwd: w.dir, env: { MDLSYNC_URL: w.sandbox.url, MDLSYNC_TOKEN: w.sandbox.token } });
    expect(enrolled.code).toBe(0);
    expect(big.child.exitCode).toBeNull();
    expect(w.sandbox.enrolments.of(course.id)).toHaveLength(5);

    // The same type: refused at once, naming the run that holds it.
    const refused = await w.cli(['run', w.write('more.txt', sisFile(SIS_HEADER, persons(5, { prefix: 'm' })))]);
    expect(refused.code).toBe(3);
    expect(big.child.exitCode).toBeNull();
    const bigRun = runIdIn(big.stderr());
    const r = summaryOf(w.dir, runIdIn(refused.stderr));
    expect(r.error.code).toBe('locked');
    expect(r.error.message).toMatch(new RegExp(`#${schema} \\(for persons\\) is in use by another mdlsync run \\(pid ${big.child.pid} on .*, run ${bigRun}, since `));
    expect(w.sandbox.users.byIdnumber('M0001')).toHaveLength(0);

    // With --wait it runs once the first is done.
    const waited = await w.cli(['run', join(w.dir, 'more.txt'), '--wait', '120']);
    expect(waited.code).toBe(0);
    expect((await big.done).code).toBe(0);
    expect(w.sandbox.users.byIdnumber('M0001')).toHaveLength(1);
    const statuses = await q<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM "${schema}".runs GROUP BY status`);
    expect(statuses).toEqual([{ status: 'ok', n: 4 }]);
  }, 150_000);
});
