/**
 * Several sites in one config, end to end: two sandbox Moodles with tokens of their own, `--site` on run, a watch and
 * a schedule with a rule / a job per site (files land in the right Moodle and the right ledger), doctor --all-sites.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob, startWatch, findJob, type WatchEvent, type WatchHandle } from '../src/automation/index.js';
import { loadConfig, type Config } from '../src/config/index.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { captureLogger, waitFor } from './automation-helpers.js';
import { SIS_HEADER, persons, runCli, sisFile } from './helpers.js';

let north: SandboxHandle;
let south: SandboxHandle;
let dir: string;
const handles: WatchHandle[] = [];

beforeEach(async () => {
  north = await startSandbox({ token: 'north-token' });
  south = await startSandbox({ token: 'south-token' });
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-sites-'));
  writeFileSync(join(dir, 'north.token'), 'north-token\n');
});

afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
  await north.close();
  await south.close();
});

/** The two sites' config (and any other keys), written to the workspace. */
function writeConfig(extra: Record<string, unknown> = {}, sites: Record<string, unknown> = {}): void {
  const config = {
    moodle: { backoffMs: 20 },
    sites: {
      north: { url: north.url, tokenFile: 'north.token' },
      south: { url: south.url, token: 'south-token', dataSource: 'SOUTH' },
      ...sites,
    },
    ...extra,
  };
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify(config));
}

const load = (): Config => loadConfig({ cwd: dir, env: {} });
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
const usernames = (s: SandboxHandle, prefix: string) => s.users.list().filter((u) => u.username.startsWith(prefix)).map((u) => u.username);
/** The keys a site's ledger links (mdlsync ledger show --site NAME). */
async function ledgerKeys(site: string): Promise<string[]> {
  const shown = await cli(['ledger', 'show', '--site', site, '--entity', 'persons']);
  expect(shown.code).toBe(0);
  return shown.stdout.trim().split('\n').slice(1).map((l) => l.split('\t')[1]).sort();
}

describe('several sites in one config', () => {
  test('run --site NAME runs against that site: its Moodle, token, ledger namespace, reports and archive; MDLSYNC_SITE too', async () => {
    writeConfig();
    writeFileSync(join(dir, 'n.txt'), sisFile(SIS_HEADER, persons(3, { prefix: 'n' })));
    writeFileSync(join(dir, 's.txt'), sisFile(SIS_HEADER, persons(2, { prefix: 's' })));

    // --site is the program's option: before the command name as well as after it.
    const n = await cli(['--site', 'north', 'run', 'n.txt']);
    expect(n.code).toBe(0);
    expect(usernames(north, 'nuser')).toHaveLength(3);
    expect(usernames(south, 'nuser')).toHaveLength(0);
    expect(existsSync(join(dir, '.mdlsync', 'sites', 'north', 'ledger.db'))).toBe(true);
    expect(readdirSync(join(dir, 'reports', 'north')).some((f) => /^\d{8}T/.test(f))).toBe(true);
    expect(existsSync(join(dir, 'archive', 'north'))).toBe(true);

    const s = await cli(['run', 's.txt'], { MDLSYNC_SITE: 'south' });
    expect(s.code).toBe(0);
    expect(usernames(south, 'suser')).toHaveLength(2);
    expect(usernames(north, 'suser')).toHaveLength(0);
    expect(await ledgerKeys('north')).toEqual(['N0001', 'N0002', 'N0003']);
    expect(await ledgerKeys('south')).toEqual(['S0001', 'S0002']);
    // The site's data source: the south rows are owned by SOUTH.
    expect((await cli(['ledger', 'show', '--site', 'south', '--datasource', 'SOUTH'])).stdout).toMatch(/S0001/);
    // The top-level ledger holds nothing of either.
    expect(existsSync(join(dir, '.mdlsync', 'ledger.db'))).toBe(false);
  }, 30_000);

  test('without --site, several sites are a clear error naming them; an unknown site lists the known ones', async () => {
    writeConfig();
    writeFileSync(join(dir, 'n.txt'), sisFile(SIS_HEADER, persons(1, { prefix: 'n' })));
    const none = await cli(['run', 'n.txt']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/2 sites \(north, south\) and none was chosen: pass --site NAME/);
    const unknown = await cli(['run', 'n.txt', '--site', 'east']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no site "east" .*its sites are north, south/);
    expect(north.users.list().filter((u) => u.username.startsWith('n'))).toHaveLength(0);
  }, 30_000);

  test('a watch with a rule per site: each file lands in its site, its retries in its site ledger only', async () => {
    writeConfig({
      retry: { firstDelayMs: 200, maxDelayMs: 400 },
      watch: {
        rules: [
          { match: 'north-*.csv', type: 'persons', op: 'store', site: 'north' },
          { match: 'south-*.csv', type: 'persons', op: 'store', site: 'south' },
        ],
      },
    });
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    const log = captureLogger();
    const events: WatchEvent[] = [];
    const h = await startWatch(drop, { config: load(), logger: log.logger, stabilityMs: 300, onFile: (e) => events.push(e) });
    handles.push(h);

    // South is down for creates: its rows wait for retry in south's ledger; north's file is not held behind them.
    south.faults.add({ kind: 'drop', fn: 'core_user_create_users', times: 1_000_000 });
    writeFileSync(join(drop, 'south-1.csv'), sisFile(SIS_HEADER, persons(4, { prefix: 's' })));
    await waitFor('the south file', () => events.some((e) => e.name === 'south-1.csv'), 30_000);
    writeFileSync(join(drop, 'north-1.csv'), sisFile(SIS_HEADER, persons(3, { prefix: 'n' })));
    await waitFor('the north file', () => events.some((e) => e.name === 'north-1.csv' && e.outcome === 'applied'), 30_000);

    expect(events.find((e) => e.name === 'south-1.csv')).toMatchObject({ outcome: 'applied', retry: { rows: 4 } });
    expect(usernames(north, 'nuser')).toHaveLength(3);
    expect(usernames(south, 'nuser')).toHaveLength(0);
    const southRuns = await cli(['ledger', 'show', '--runs', '--site', 'south']);
    expect(southRuns.stdout).toMatch(/retry #1 +waiting +south-1\.csv +4 row\(s\)/);
    expect((await cli(['ledger', 'show', '--runs', '--site', 'north'])).stdout).not.toMatch(/retry #/);
    expect(log.lines.join('\n')).toMatch(/taking north-1\.csv: persons, store, site north/);

    // South is back: its retry lands in south, from south's ledger.
    south.faults.clear();
    await waitFor('the south retry to land', () => events.some((e) => e.retryOf === 1 && e.landed), 30_000);
    await h.idle();
    expect(usernames(south, 'suser')).toHaveLength(4);
    expect(usernames(north, 'suser')).toHaveLength(0);
    expect(await ledgerKeys('north')).toEqual(['N0001', 'N0002', 'N0003']);
    expect(await ledgerKeys('south')).toEqual(['S0001', 'S0002', 'S0003', 'S0004']);
    expect((await cli(['ledger', 'show', '--runs', '--site', 'south'])).stdout).not.toMatch(/retry #/);
    // Each site's reports are in its own folder.
    expect(readdirSync(join(dir, 'reports', 'north')).some((f) => /^\d{8}T/.test(f))).toBe(true);
    expect(readdirSync(join(dir, 'reports', 'south')).some((f) => /^\d{8}T/.test(f))).toBe(true);
  }, 60_000);

  test('mdlsync watch starts on a config of sites without --site when its rules name them', async () => {
    writeConfig({ watch: { rules: [{ match: 'north-*.csv', op: 'store', site: 'north' }] } });
    mkdirSync(join(dir, 'drop'));
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const child = spawn(process.execPath, [CLI, 'watch', 'drop', '--stability-ms', '300'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir } });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await waitFor('the watcher to start', () => err.includes('watch: watching'), 20_000);
      writeFileSync(join(dir, 'drop', 'north-1.csv'), sisFile(SIS_HEADER, persons(2, { prefix: 'w' })));
      await waitFor('the north file to land', () => usernames(north, 'wuser').length === 2, 20_000);
      // A file no rule gives a site to has no Moodle to go to: rejected, saying how to route it.
      writeFileSync(join(dir, 'drop', 'persons.store.x.csv'), sisFile(SIS_HEADER, persons(1, { prefix: 'x' })));
      await waitFor('the unrouted file to be rejected', () => existsSync(join(dir, 'drop', 'rejected', 'persons.store.x.csv.reason.txt')), 20_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(usernames(south, 'wuser')).toHaveLength(0);
    expect(readFileSync(join(dir, 'drop', 'rejected', 'persons.store.x.csv.reason.txt'), 'utf8')).toMatch(/no watch rule gives it a site, and this watch serves the sites north, south with none chosen\. Add a rule with "site"/);
    expect(usernames(north, 'xuser')).toHaveLength(0);
    expect(usernames(south, 'xuser')).toHaveLength(0);
  }, 45_000);

  test('schedule jobs name their site: each runs against its Moodle and ledger; schedule --once too', async () => {
    writeConfig({
      jobs: [
        { name: 'north-nightly', cron: '0 0 3 * * *', file: 'north.txt', site: 'north' },
        { name: 'south-nightly', cron: '0 0 3 * * *', file: 'south.txt', site: 'south' },
      ],
    });
    writeFileSync(join(dir, 'north.txt'), sisFile(SIS_HEADER, persons(2, { prefix: 'n' })));
    writeFileSync(join(dir, 'south.txt'), sisFile(SIS_HEADER, persons(3, { prefix: 's' })));
    const config = load();
    const log = captureLogger();
    const result = await runJob(findJob(config, 'south-nightly'), { config, logger: log.logger });
    expect(result).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(result.files[0].summary?.reportDir.startsWith(join(dir, 'reports', 'south'))).toBe(true);
    expect(usernames(south, 'suser')).toHaveLength(3);
    expect(usernames(north, 'suser')).toHaveLength(0);

    // A job without a site, in a config of several sites with none chosen, is refused at start, saying what to do.
    writeConfig({ jobs: [{ name: 'north-nightly', cron: '0 0 3 * * *', file: 'north.txt', site: 'north' }, { name: 'nowhere', cron: '0 0 3 * * *', file: 'x.txt' }] });
    const refused = await cli(['schedule']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/job nowhere names no "site" and the config has 2 sites \(north, south\): give the job "site": NAME/);

    const once = await cli(['schedule', '--once', 'north-nightly']);
    expect(once.code).toBe(0);
    expect(usernames(north, 'nuser')).toHaveLength(2);
    expect(usernames(south, 'nuser')).toHaveLength(0);
    expect(await ledgerKeys('north')).toEqual(['N0001', 'N0002']);
    expect(await ledgerKeys('south')).toEqual(['S0001', 'S0002', 'S0003']);
  }, 45_000);

  test('doctor --all-sites checks every site under a heading; the exit code is the worst; --json gives {sites}', async () => {
    writeConfig();
    const ok = await cli(['doctor', '--all-sites']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^== site north ==\n/);
    expect(ok.stdout).toMatch(/\n== site south ==\n/);
    expect(ok.stdout).toContain(`Moodle URL ${north.url}`);
    expect(ok.stdout).toContain(`Moodle URL ${south.url}`);
    expect(ok.stdout).toContain(join(dir, '.mdlsync', 'sites', 'south', 'ledger.db'));

    // South's token is refused, and a third site has none at all: each is its own failure, north still checked.
    writeConfig({}, { south: { url: south.url, token: 'wrong-token' }, west: { url: north.url } });
    const bad = await cli(['doctor', '--all-sites', '--json']);
    expect(bad.code).toBe(3);
    const doc = JSON.parse(bad.stdout) as { sites: Record<string, { checks: { name: string; status: string; message: string }[]; problems: number }> };
    expect(Object.keys(doc.sites)).toEqual(['north', 'south', 'west']);
    expect(doc.sites.north.problems).toBe(0);
    expect(doc.sites.south.problems).toBeGreaterThan(0);
    expect(doc.sites.south.checks).toContainEqual(expect.objectContaining({ name: 'token', status: 'fail' }));
    expect(doc.sites.west).toEqual({ checks: [expect.objectContaining({ name: 'config', status: 'fail', message: expect.stringMatching(/no web-service token/) })], problems: 1 });
    expect(bad.stdout).not.toContain('wrong-token');

    const mixed = await cli(['doctor', '--all-sites', '--site', 'north']);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/--site chooses one site and --all-sites checks them all/);
  }, 45_000);
});
