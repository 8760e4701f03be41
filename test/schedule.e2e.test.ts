/** Scheduled jobs end to end: node-cron with seconds, the sandbox Moodle over HTTP, and `mdlsync schedule --once`. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJob, runJob, startSchedule, type JobResult, type ScheduleHandle } from '../src/automation/index.js';
import { loadConfig } from '../src/config/index.js';
import { captureLogger, configFor, sleep, waitFor } from './automation-helpers.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
let handle: ScheduleHandle | null = null;
afterEach(async () => {
  await handle?.stop();
  handle = null;
  await ws?.close();
  ws = null;
});

const BAD_HEADER = 'EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|EMAL\nk|u|f|l|e@x.org\n';

describe('schedule', () => {
  test('a 1-second job runs, skips the tick that overlaps a slow run; a failing and a missing job do not stop it', async () => {
    ws = await workspace();
    ws.write('tick.txt', sisFile(SIS_HEADER, persons(3, { prefix: 't' })));
    ws.write('bad.txt', BAD_HEADER);
    const config = configFor(ws, {
      jobs: [
        { name: 'tick', cron: '*/1 * * * * *', file: 'tick.txt' },
        { name: 'bad', cron: '*/1 * * * * *', file: 'bad.txt' },
        { name: 'missing', cron: '*/1 * * * * *', file: 'nowhere/persons.txt' },
      ],
    });
    // The first run's site-info call takes 1.5 s, so the next tick finds the job still running.
    ws.sandbox.faults.add({ kind: 'latency', ms: 1500, fn: 'core_webservice_get_site_info' });
    const log = captureLogger();
    const results: JobResult[] = [];
    handle = startSchedule({ config, logger: log.logger, onJob: (r) => results.push(r) });
    const stats = handle.stats;
    await waitFor('two runs of tick', () => (stats.get('tick')?.runs ?? 0) >= 2, 7000);
    await handle.stop();
    handle = null;

    expect(stats.get('tick')).toMatchObject({ failed: 0, lastExitCode: 0 });
    expect(stats.get('tick')?.skipped).toBeGreaterThanOrEqual(1);
    expect(log.lines.some((l) => /job tick: tick skipped, the previous run is still going/.test(l))).toBe(true);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('tuser'))).toHaveLength(3);
    // A file job keeps its input (the SIS overwrites it); the archive has a copy per run.
    expect(existsSync(join(ws.dir, 'tick.txt'))).toBe(true);

    expect(stats.get('bad')?.failed).toBeGreaterThanOrEqual(2);
    expect(stats.get('bad')?.lastExitCode).toBe(3);
    expect(log.lines.some((l) => /^warn: job bad: 1 file\(s\), exit 3: bad\.txt: .*EMAL/.test(l))).toBe(true);
    expect(stats.get('missing')).toMatchObject({ runs: 0, failed: 0 });
    expect(stats.get('missing')?.nothingToDo).toBeGreaterThanOrEqual(2);
    expect(log.lines.some((l) => /^info: job missing: nothing to do \(.*nowhere\/persons\.txt does not exist\)/.test(l))).toBe(true);
    expect(results.filter((r) => r.job === 'tick').every((r) => r.exitCode === 0)).toBe(true);
  }, 10000);

  test('a Moodle outage in a job keeps the rows it could not take for retry (not the tryback); a later run lands them before newer files', async () => {
    ws = await workspace();
    mkdirSync(join(ws.dir, 'inbox'));
    const config = configFor(ws, { retry: { firstDelayMs: 10, maxDelayMs: 10 }, jobs: [{ name: 'inbox', cron: '0 0 * * * *', glob: 'inbox/*.csv' }] });
    const job = findJob(config, 'inbox');
    const log = captureLogger();
    writeFileSync(join(ws.dir, 'inbox', 'persons.store.a.csv'), sisFile(SIS_HEADER, persons(6, { prefix: 's' })));
    ws.sandbox.faults.add({ kind: 'drop', fn: 'core_user_create_users', times: 1_000_000 });
    const first = await runJob(job, { config, logger: log.logger });
    expect(first).toMatchObject({ status: 'waiting', exitCode: 2 });
    expect(first.files[0].summary).toMatchObject({ tryback: null, retry: { rows: 6 } });
    // Consumed: its rows are in the retry state, not lost.
    expect(existsSync(join(ws.dir, 'inbox', 'persons.store.a.csv'))).toBe(false);
    const shown = await ws.cli(['ledger', 'show', '--runs']);
    expect(shown.stdout).toMatch(/retry #1 +waiting +persons\.store\.a\.csv +6 row\(s\) +attempt 1, next try at \S+ +\(job:inbox;/);

    // Still down: the retry is tried again and stays; a newer file waits behind it.
    writeFileSync(join(ws.dir, 'inbox', 'persons.store.b.csv'), sisFile(SIS_HEADER, [['S0001', 'suser0001', 'Secret-0001x', 'First0001', 'Newer', 'suser0001@example.edu']]));
    await sleep(20);
    const second = await runJob(job, { config, logger: log.logger });
    expect(second).toMatchObject({ status: 'waiting', exitCode: 2 });
    expect(existsSync(join(ws.dir, 'inbox', 'persons.store.b.csv'))).toBe(true);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('suser'))).toHaveLength(0);

    ws.sandbox.faults.clear();
    await sleep(20);
    const third = await runJob(job, { config, logger: log.logger });
    expect(third).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(third.files).toHaveLength(2);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('suser'))).toHaveLength(6);
    expect(ws.sandbox.users.byIdnumber('S0001')[0].lastname).toBe('Newer');
    expect((await ws.cli(['ledger', 'show', '--runs'])).stdout).not.toMatch(/retry #/);
  }, 30000);

  test('Moodle unreachable before a glob job\'s file runs: it and the later files wait for the next tick, so the older rows never land over the newer', async () => {
    ws = await workspace();
    mkdirSync(join(ws.dir, 'inbox'));
    const config = configFor(ws, { jobs: [{ name: 'inbox', cron: '0 0 * * * *', glob: 'inbox/*.csv' }] });
    const job = findJob(config, 'inbox');
    const log = captureLogger();
    const older = join(ws.dir, 'inbox', 'persons.store.a.csv');
    const newer = join(ws.dir, 'inbox', 'persons.store.b.csv');
    writeFileSync(older, sisFile(SIS_HEADER, persons(2, { prefix: 'u' })));
    writeFileSync(newer, sisFile(SIS_HEADER, persons(2, { prefix: 'u' }).map((r) => [...r.slice(0, 3), 'Newer', ...r.slice(4)])));
    const now = Date.now() / 1000;
    utimesSync(older, now - 60, now - 60);
    utimesSync(newer, now - 10, now - 10);
    // The older file's run finds Moodle unreachable (its site check dropped, every try of it).
    ws.sandbox.faults.add({ kind: 'drop', fn: 'core_webservice_get_site_info', times: 1_000 });
    const first = await runJob(job, { config, logger: log.logger });
    ws.sandbox.faults.clear();
    expect(first).toMatchObject({ status: 'waiting', exitCode: 3 });
    expect(first.files.map((f) => f.file)).toEqual([older]);
    expect([existsSync(older), existsSync(newer)]).toEqual([true, true]);
    expect(log.lines.some((l) => /job inbox: persons\.store\.a\.csv waits for Moodle; the job's 1 later file\(s\) wait behind it/.test(l))).toBe(true);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('uuser'))).toHaveLength(0);

    const second = await runJob(job, { config, logger: log.logger });
    expect(second).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(second.files.map((f) => f.file)).toEqual([older, newer]);
    expect(ws.sandbox.users.byIdnumber('U0001')[0].firstname).toBe('Newer');
  }, 30000);

  test('--once runs one job now and exits with its exit code; a glob job runs its files in order and consumes them', async () => {
    ws = await workspace();
    mkdirSync(join(ws.dir, 'inbox'));
    ws.write('good.txt', sisFile(SIS_HEADER, persons(2, { prefix: 'g' })));
    ws.write('bad.txt', BAD_HEADER);
    // Same people: the older file first, then the newer one renames them, so the last state shows the order.
    const older = ws.write('inbox/persons.store.b-old.csv', sisFile(SIS_HEADER, persons(2, { prefix: 'o' })));
    const newer = ws.write('inbox/persons.store.a-new.csv', sisFile(SIS_HEADER, persons(2, { prefix: 'o' }).map((r) => [...r.slice(0, 3), 'Renamed', ...r.slice(4)])));
    const now = Date.now() / 1000;
    utimesSync(older, now - 60, now - 60);
    utimesSync(newer, now - 10, now - 10);
    configFor(ws, {
      jobs: [
        { name: 'good', cron: '0 2 * * *', file: 'good.txt' },
        { name: 'bad', cron: '0 2 * * *', file: 'bad.txt' },
        { name: 'missing', cron: '0 2 * * *', file: 'none.txt' },
        { name: 'inbox', cron: '*/5 * * * *', glob: 'inbox/*.csv', timezone: 'Europe/Paris' },
      ],
    });
    const good = await ws.cli(['schedule', '--once', 'good']);
    expect(good.code).toBe(0);
    expect(ws.sandbox.users.byUsername('guser0002')).toBeDefined();
    const bad = await ws.cli(['schedule', '--once', 'bad']);
    expect(bad.code).toBe(3);
    expect(bad.stdout + bad.stderr).toMatch(/EMAL/);
    const missing = await ws.cli(['schedule', '--once', 'missing']);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toMatch(/nothing to do/);
    const unknown = await ws.cli(['schedule', '--once', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no job named "nope".*good, bad, missing, inbox/);

    const inbox = await ws.cli(['schedule', '--once', 'inbox']);
    expect(inbox.code).toBe(0);
    expect(inbox.stderr.indexOf('persons.store.b-old.csv')).toBeLessThan(inbox.stderr.indexOf('persons.store.a-new.csv'));
    expect(ws.sandbox.users.byUsername('ouser0001')?.firstname).toBe('Renamed');
    expect(existsSync(older) || existsSync(newer)).toBe(false);
    expect(inbox.stderr).not.toContain(ws.sandbox.token);
  }, 60_000);

  test('a refresh job without allowRefresh is a config error naming the key', async () => {
    ws = await workspace();
    writeFileSync(join(ws.dir, 'mdlsync.config.json'), JSON.stringify({ jobs: [{ name: 'r', cron: '0 2 * * *', file: 'x.txt', op: 'refresh', force: true }] }));
    expect(() => loadConfig({ cwd: ws!.dir, env: {} })).toThrow(/jobs\.0\.allowRefresh: op refresh in a scheduled job needs "allowRefresh": true/);
    const r = await ws.cli(['schedule', '--once', 'r']);
    expect(r.code).toBe(1);
    writeFileSync(join(ws.dir, 'mdlsync.config.json'), JSON.stringify({ jobs: [{ name: 'r', cron: 'every day', file: 'x.txt' }] }));
    expect(() => loadConfig({ cwd: ws!.dir, env: {} })).toThrow(/jobs\.0\.cron: not a valid cron expression/);
  });
});
