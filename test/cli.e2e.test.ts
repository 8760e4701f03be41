/** The CLI's other commands: doctor, ledger show, sandbox, usage errors. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteLedger } from '../src/ledger/index.js';
import { MoodleClient, getSiteInfo } from '../src/moodle/index.js';
import { CLI, ROOT, SIS_HEADER, persons, runCli, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

describe('--version', () => {
  test('prints package.json\'s version, with -V and with global options before it; a command\'s --help still loads the command', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const cwd = mkdtempSync(join(tmpdir(), 'mdlsync-version-'));
    for (const args of [['--version'], ['-V'], ['-c', 'nowhere.json', '--version']]) {
      const r = await runCli(args, { cwd });
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code: 0, stdout: `${version}\n`, stderr: '' });
    }
    const help = await runCli(['run', '--help'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mdlsync run \[options\] <files\.\.\.>/);
  });
});

describe('doctor', () => {
  test('all checks pass against a complete service', async () => {
    ws = await workspace();
    const r = await ws.cli(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok +token accepted/);
    expect(r.stdout).toMatch(/ok +function core_user_create_users in the service/);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/info the service also has every function for: .*courses/);
  });

  test('--types checks the functions of each feed type named', async () => {
    ws = await workspace({ functions: ['core_webservice_get_site_info', 'core_user_create_users', 'core_user_update_users', 'core_user_delete_users', 'core_user_get_users_by_field'] });
    expect((await ws.cli(['doctor'])).code).toBe(0);
    const r = await ws.cli(['doctor', '--types', 'persons,enrolments']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL function enrol_manual_enrol_users in the service/);
    expect((await ws.cli(['doctor', '--types', 'badges'])).code).toBe(1);
  });

  test('a function missing from the service is named, with where to add it (exit 3)', async () => {
    ws = await workspace({ functions: ['core_webservice_get_site_info', 'core_user_create_users', 'core_user_update_users', 'core_user_get_users_by_field'] });
    const r = await ws.cli(['doctor']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL function core_user_delete_users in the service\n\s+→ add core_user_delete_users/);
  });

  test('a run refuses to start when the service lacks a function it needs', async () => {
    ws = await workspace({ functions: ['core_webservice_get_site_info', 'core_user_create_users'] });
    const r = await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, persons(1)))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/lacks core_user_update_users/);
  });
});

describe('ledger show', () => {
  test('lists links and runs', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('a.txt', sisFile([...SIS_HEADER, 'DATA_SOURCE_KEY'], persons(3, { ds: 'HR' })))])).code).toBe(0);
    const links = await ws.cli(['ledger', 'show', '--datasource', 'HR']);
    expect(links.stdout.trim().split('\n')).toHaveLength(4);
    expect(links.stdout).toMatch(/persons\tP0001\t\d+\tHR\tactive/);
    const runs = await ws.cli(['ledger', 'show', '--runs']);
    expect(runs.stdout).toMatch(/ok +persons store/);
  });
});

describe('writer lock', () => {
  test('a run while another holds the ledger exits 3 naming it; with --wait it goes ahead once the lock is free', async () => {
    ws = await workspace();
    const file = ws.write('a.txt', sisFile(SIS_HEADER, persons(2)));
    const other = SqliteLedger.open(join(ws.dir, '.mdlsync', 'ledger.db'));
    const owner = { id: 'elsewhere:4242:RUN-X', pid: 4242, host: 'elsewhere', runId: 'RUN-X' };
    try {
      expect(await other.acquireLock(owner, 60_000)).toBeNull();
      const refused = await ws.cli(['run', file]);
      expect(refused.code).toBe(3);
      expect(refused.stdout).toMatch(/in use by another mdlsync run \(pid 4242 on elsewhere, run RUN-X/);
      expect(ws.sandbox.stats.writeCalls).toBe(0);
      // A dry run only reads: it does not need the lock.
      expect((await ws.cli(['plan', file])).code).toBe(0);
      setTimeout(() => void other.releaseLock(owner), 1000);
      const waited = await ws.cli(['run', file, '--wait', '10']);
      expect(waited.code).toBe(0);
      expect(ws.sandbox.users.byUsername('puser0002')).toBeDefined();
      expect(await other.acquireLock(owner, 60_000)).toBeNull(); // released by the run that finished
    } finally {
      await other.close();
    }
  });
});

describe('usage', () => {
  test('an unknown operation or a missing file is a usage error (exit 1) with a plain sentence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-usage-'));
    const env = { MDLSYNC_URL: 'http://127.0.0.1:9', MDLSYNC_TOKEN: 'x' };
    const badOp = await runCli(['run', 'x.txt', '--op', 'sync'], { cwd: dir, env });
    expect(badOp.code).toBe(1);
    expect(badOp.stderr).toMatch(/Allowed choices are store, delete, refresh, refresh-ds/);
    const missing = await runCli(['run', 'nope.txt'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.txt does not exist/);
    const noDs = await runCli(['run', 'nope.txt', '--op', 'refresh-ds'], { cwd: dir, env });
    expect(noDs.code).toBe(1);
    const noUrl = await runCli(['doctor'], { cwd: dir });
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toMatch(/MDLSYNC_URL/);
  });
});

describe('sandbox command', () => {
  test('serves the REST endpoint until stopped, without printing the token', async () => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--token', 'tok-for-test-123'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((done) => lines.once('line', done));
      const url = /listening on (\S+)/.exec(first)![1];
      const client = new MoodleClient({ url, token: 'tok-for-test-123' });
      expect((await getSiteInfo(client)).functions.map((f) => f.name)).toContain('core_user_create_users');
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(0);
  });
});
