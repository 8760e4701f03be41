/**
 * Clear errors instead of crashes or hangs: files that are no files, unusable reports folders, sites that are not
 * Moodle or never answer all end with exit 3 and a sentence (no "unexpected error", no JavaScript message, no stack),
 * leave no empty report folder, and never hang; control characters from files never reach the console raw.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CLI, SIS_HEADER, persons, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => ws.close());

/** The CLI with a deadline: a hang is killed and reported as such instead of hanging the suite. */
function cli(args: string[], env: Record<string, string> = {}, ms = 30_000): Promise<CliResult & { hung: boolean }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ws.dir, env: { PATH: process.env.PATH ?? '', HOME: ws.dir, MDLSYNC_URL: ws.sandbox.url, MDLSYNC_TOKEN: ws.sandbox.token, ...env }, timeout: ms, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, hung: child.killed }),
    );
  });
}

/** What a crash or a raw Node error looks like on the console. */
const JS_NOISE = /unexpected error|TypeError|ReferenceError|Cannot read prop|\n\s+at |EISDIR|EEXIST|ENOENT|ENOTDIR|Moodle URL must be http/;

function reportFoldersAreNotEmpty(reports: string): void {
  if (!existsSync(reports)) return;
  for (const name of readdirSync(reports)) {
    const p = join(reports, name);
    if (statSync(p).isDirectory()) expect([name, readdirSync(p).length > 0]).toEqual([name, true]);
  }
}

function refusedCleanly(r: CliResult & { hung: boolean }): void {
  expect(r.hung).toBe(false);
  expect(r.code).toBe(3);
  expect(r.stderr + r.stdout).not.toMatch(JS_NOISE);
  reportFoldersAreNotEmpty(join(ws.dir, 'reports'));
}

describe('feed paths that are no regular UTF-8 file', () => {
  test('a UTF-16 file (BOM FF FE or FE FF) is refused with advice to save it as UTF-8, not "use latin1"', async () => {
    const text = sisFile(SIS_HEADER, persons(1));
    const le = ws.write('utf16le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const be = ws.write('utf16be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    for (const file of [le, be]) {
      const r = await cli(['run', file]);
      refusedCleanly(r);
      expect(r.stdout + r.stderr).toMatch(/UTF-16.*save it as UTF-8/);
      expect(r.stdout + r.stderr).not.toMatch(/latin1/);
    }
  }, 60_000);

  test('a FIFO as feed path is refused at once, not waited on', async () => {
    const fifo = join(ws.dir, 'pipe.txt');
    execFileSync('mkfifo', [fifo]);
    const r = await cli(['run', fifo], {}, 20_000);
    refusedCleanly(r);
    expect(r.stderr).toMatch(/named pipe \(FIFO\), not a regular file/);
    // Two files: the dependency ordering opens each one first; it must not wait on the FIFO either.
    const other = ws.write('one.txt', sisFile(SIS_HEADER, persons(1)));
    const both = await cli(['plan', other, fifo], {}, 20_000);
    expect(both.hung).toBe(false);
    expect(both.code).toBe(3);
    expect(both.stderr).not.toMatch(JS_NOISE);
  }, 60_000);

  test('a folder as feed path ends with exit 3 and one sentence', async () => {
    mkdirSync(join(ws.dir, 'folder.txt'));
    const r = await cli(['run', join(ws.dir, 'folder.txt')]);
    refusedCleanly(r);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mdlsync: The file was not applied: cannot read .*folder\.txt: it is a folder, not a file\.$/)]);
  }, 30_000);
});

describe('reports folder and Moodle URL', () => {
  test('--reports that is a file, or a dangling symbolic link, ends with exit 3 and one sentence', async () => {
    const file = ws.write('p.txt', sisFile(SIS_HEADER, persons(1)));
    writeFileSync(join(ws.dir, 'not-a-folder'), 'x');
    const asFile = await cli(['run', file, '--reports', join(ws.dir, 'not-a-folder')]);
    refusedCleanly(asFile);
    expect(asFile.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mdlsync: The reports folder .*not-a-folder is a file, not a folder: pass another --reports/)]);

    symlinkSync(join(ws.dir, 'gone', 'reports'), join(ws.dir, 'dangling'));
    const dangling = await cli(['run', file, '--reports', join(ws.dir, 'dangling')]);
    refusedCleanly(dangling);
    expect(dangling.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mdlsync: The reports folder .*dangling is a symbolic link to .*gone\/reports, which does not exist/)]);
  }, 30_000);

  test('an ftp:// URL ends with exit 3 and one sentence, before any report folder', async () => {
    const file = ws.write('p2.txt', sisFile(SIS_HEADER, persons(1)));
    const before = existsSync(join(ws.dir, 'reports')) ? readdirSync(join(ws.dir, 'reports')).length : 0;
    const r = await cli(['run', file, '--url', 'ftp://127.0.0.1/moodle']);
    refusedCleanly(r);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mdlsync: The Moodle URL ftp:\/\/127\.0\.0\.1\/moodle is not a web address \(ftp\): set moodle\.url/)]);
    expect(readdirSync(join(ws.dir, 'reports')).length).toBe(before);
  }, 30_000);
});

describe('sites that are not Moodle or never answer', () => {
  let json: Server;
  let silent: ReturnType<typeof createTcpServer>;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    json = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    silent = createTcpServer((s) => sockets.push(s)); // accepts, never answers
    await Promise.all([new Promise<void>((r) => json.listen(0, '127.0.0.1', r)), new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))]);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([new Promise((r) => json.close(r)), new Promise((r) => silent.close(r))]);
  });

  test('a JSON {} reply ends with exit 3 and a sentence saying it is not Moodle', async () => {
    const file = ws.write('p3.txt', sisFile(SIS_HEADER, persons(1)));
    const url = `http://127.0.0.1:${(json.address() as AddressInfo).port}`;
    const r = await cli(['run', file], { MDLSYNC_URL: url });
    refusedCleanly(r);
    expect(r.stdout).toMatch(/JSON that is not Moodle's site information: check that moodle\.url is the Moodle site root/);
  }, 30_000);

  test('doctor against a JSON {} reply says it is not Moodle, without a JavaScript message', async () => {
    const url = `http://127.0.0.1:${(json.address() as AddressInfo).port}`;
    const r = await cli(['doctor'], { MDLSYNC_URL: url });
    expect(r.hung).toBe(false);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toMatch(JS_NOISE);
    expect(r.stdout).toMatch(/JSON that is not Moodle's site information/);
  }, 30_000);

  test('a site that never answers: progress while waiting, then exit 3 within moodle.timeoutMs, naming the setting', async () => {
    writeFileSync(join(ws.dir, 'slow.config.json'), JSON.stringify({ moodle: { backoffMs: 20, timeoutMs: 1500 } }));
    const file = ws.write('p4.txt', sisFile(SIS_HEADER, persons(1)));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const r = await cli(['--config', join(ws.dir, 'slow.config.json'), 'run', file], { MDLSYNC_URL: url }, 60_000);
    refusedCleanly(r);
    expect(r.stderr).toMatch(/waiting for Moodle to answer core_webservice_get_site_info .*moodle\.timeoutMs = 1500 ms/);
    expect(r.stdout).toMatch(/no answer within moodle\.timeoutMs \(1500 ms\)/);
  }, 90_000);
});

test('control characters in a file name reach the console escaped, never raw', async () => {
  const name = 'pers\u001b[31mons\nevil.txt';
  const file = ws.write(name, sisFile(SIS_HEADER, persons(1, { prefix: 'ctl' })));
  const r = await cli(['run', file]);
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).not.toContain('\u001b');
  expect(r.stdout).toContain('pers\\x1b[31mons\\nevil.txt');
  expect(r.stdout.split('\n').some((l) => l.startsWith('evil.txt'))).toBe(false);
}, 30_000);

test('a run killed mid-way shows as interrupted, not running, once another command opens the ledger', async () => {
  const killWs = await workspace({ perRecordCostMs: 1, workers: 1 });
  try {
    const file = killWs.write('big.txt', sisFile(SIS_HEADER, persons(600, { prefix: 'k' })));
    const env = { PATH: process.env.PATH ?? '', HOME: killWs.dir, MDLSYNC_URL: killWs.sandbox.url, MDLSYNC_TOKEN: killWs.sandbox.token };
    await new Promise<void>((done) => {
      const child = spawn(process.execPath, [CLI, 'run', file, '--quiet'], { cwd: killWs.dir, env, stdio: 'ignore' });
      // Creates have begun (the run is started in the ledger): kill it there.
      const poll = setInterval(() => {
        if ((killWs.sandbox.stats.byFunction.core_user_create_users ?? 0) >= 2) child.kill('SIGKILL');
      }, 5);
      child.once('exit', () => {
        clearInterval(poll);
        done();
      });
    });
    const shown = await killWs.cli(['ledger', 'show', '--runs']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/ interrupted /);
    expect(shown.stdout).not.toMatch(/ running /);
  } finally {
    await killWs.close();
  }
}, 60_000);
