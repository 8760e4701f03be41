/** The drop folder end to end: real files in a temp folder, runs against the sandbox Moodle over HTTP. */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWatch, type WatchEvent, type WatchHandle } from '../src/automation/index.js';
import { captureLogger, configFor, sleep, startWatchCli, waitFor, writeSlowly } from './automation-helpers.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
const handles: WatchHandle[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const h of handles.splice(0)) await h.close();
  await ws?.close();
  ws = null;
});

const STABILITY_MS = 300;

async function setup(extra: Record<string, unknown> = {}) {
  ws = await workspace();
  const drop = join(ws.dir, 'drop');
  mkdirSync(drop);
  const config = configFor(ws, extra);
  const log = captureLogger();
  const events: WatchEvent[] = [];
  const start = async () => {
    const h = await startWatch(drop, { config, logger: log.logger, stabilityMs: STABILITY_MS, onFile: (e) => events.push(e) });
    handles.push(h);
    return h;
  };
  return { ws, drop, config, log, events, start };
}

const usersWith = (w: Workspace, prefix: string) => w.sandbox.users.list().filter((u) => u.username.startsWith(prefix));

describe('watch DIR', () => {
  test('several files at once: valid ones run once each, in order; bad ones land in rejected/ with a reason', async () => {
    const { ws, drop, events, start } = await setup();
    await start();
    const old = Date.now() / 1000;
    writeFileSync(join(drop, 'persons.store.SIS.2026-11-23.csv'), sisFile(SIS_HEADER, persons(5, { prefix: 'a' })));
    utimesSync(join(drop, 'persons.store.SIS.2026-11-23.csv'), old - 30, old - 30);
    writeFileSync(join(drop, 'persons.store.c.csv'), sisFile(SIS_HEADER, persons(5, { prefix: 'c' })));
    utimesSync(join(drop, 'persons.store.c.csv'), old - 20, old - 20);
    writeFileSync(join(drop, 'persons.store.bad.csv'), 'EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|EMAL\nk|u|f|l|e@x.org\n');
    writeFileSync(join(drop, 'notes.csv'), 'just some notes\n');
    await writeSlowly(join(drop, 'persons.store.b.txt'), sisFile(SIS_HEADER, persons(40, { prefix: 'b' })));

    await waitFor('five files handled', () => events.length >= 5);
    await handles[0].idle();
    const applied = events.filter((e) => e.outcome === 'applied').map((e) => e.name);
    expect(applied).toEqual(['persons.store.SIS.2026-11-23.csv', 'persons.store.c.csv', 'persons.store.b.txt']);
    expect(events.find((e) => e.name === 'persons.store.SIS.2026-11-23.csv')?.summary).toMatchObject({ dataSource: 'SIS', exitCode: 0, op: 'store' });
    expect(events.filter((e) => e.outcome === 'rejected').map((e) => e.name).sort()).toEqual(['notes.csv', 'persons.store.bad.csv']);
    expect(events).toHaveLength(5);

    expect(readdirSync(drop).sort()).toEqual(['.processing', '.retry', 'rejected']);
    expect(readdirSync(join(drop, '.processing'))).toEqual([]);
    expect(readdirSync(join(drop, 'rejected')).sort()).toEqual(['notes.csv', 'notes.csv.reason.txt', 'persons.store.bad.csv', 'persons.store.bad.csv.reason.txt']);
    expect(readFileSync(join(drop, 'rejected', 'notes.csv.reason.txt'), 'utf8')).toMatch(/^The file name notes\.csv does not follow the convention TYPE\.OP.*\n$/);
    expect(readFileSync(join(drop, 'rejected', 'persons.store.bad.csv.reason.txt'), 'utf8')).toMatch(/EMAL.*EMAIL/);

    expect(usersWith(ws, 'auser')).toHaveLength(5);
    expect(usersWith(ws, 'cuser')).toHaveLength(5);
    expect(usersWith(ws, 'buser')).toHaveLength(40);
    expect(ws.sandbox.users.byIdnumber('B0040')).toHaveLength(1);
    expect(existsSync(join(ws.dir, 'archive'))).toBe(true);
  }, 45_000);

  test('a file left in .processing/ by a crash is resumed at start', async () => {
    const { ws, drop, events, start } = await setup();
    mkdirSync(join(drop, '.processing'));
    writeFileSync(join(drop, '.processing', 'persons.store.r.csv'), sisFile(SIS_HEADER, persons(3, { prefix: 'r' })));
    const h = await start();
    await waitFor('the resumed file', () => events.length >= 1);
    await h.idle();
    expect(events).toEqual([expect.objectContaining({ name: 'persons.store.r.csv', outcome: 'applied', resumed: true })]);
    expect(usersWith(ws, 'ruser')).toHaveLength(3);
    expect(readdirSync(join(drop, '.processing'))).toEqual([]);
  });

  test('a refresh asked by a file name is rejected; a rule that allows it runs', async () => {
    const { ws, drop, events, start } = await setup({ watch: { rules: [{ match: 'full-*.csv', type: 'persons', op: 'refresh', force: true }] } });
    const h = await start();
    writeFileSync(join(drop, 'persons.store.first.csv'), sisFile(SIS_HEADER, persons(3)));
    await waitFor('the store', () => events.length >= 1);
    writeFileSync(join(drop, 'persons.refresh.x.csv'), sisFile(SIS_HEADER, persons(2)));
    await waitFor('the name-convention refresh', () => events.length >= 2);
    expect(events[1]).toMatchObject({ name: 'persons.refresh.x.csv', outcome: 'rejected' });
    expect(readFileSync(join(drop, 'rejected', 'persons.refresh.x.csv.reason.txt'), 'utf8')).toMatch(/not allowed.*watch\.rules/);
    expect(ws.sandbox.users.list().filter((u) => u.suspended)).toHaveLength(0);

    writeFileSync(join(drop, 'full-2026.csv'), sisFile(SIS_HEADER, persons(2)));
    await waitFor('the rule refresh', () => events.length >= 3);
    await h.idle();
    expect(events[2]).toMatchObject({ name: 'full-2026.csv', outcome: 'applied', summary: { op: 'refresh', exitCode: 0 } });
    expect(ws.sandbox.users.list().filter((u) => u.suspended).map((u) => u.username)).toEqual(['puser0003']);
  });

  test('two watchers on one folder: each file is run exactly once', async () => {
    const { ws, drop, events, start } = await setup();
    const a = await start();
    const b = await start();
    for (const p of ['w', 'x', 'y', 'z']) writeFileSync(join(drop, `persons.store.${p}.csv`), sisFile(SIS_HEADER, persons(4, { prefix: p })));
    await waitFor('four files', () => events.length >= 4);
    await Promise.all([a.idle(), b.idle()]);
    await sleep(300);
    expect(events.map((e) => e.name).sort()).toEqual(['persons.store.w.csv', 'persons.store.x.csv', 'persons.store.y.csv', 'persons.store.z.csv']);
    expect(events.every((e) => e.outcome === 'applied' && e.summary?.exitCode === 0)).toBe(true);
    for (const p of ['w', 'x', 'y', 'z']) expect(usersWith(ws, `${p}user`)).toHaveLength(4);
    expect(readdirSync(drop).sort()).toEqual(['.processing', '.retry', 'rejected']);
  });

  test('a symlink or a hard link dropped in the folder is rejected unread; reason files are 0600 and quote no content', async () => {
    const { ws, drop, events, start } = await setup();
    // Files only the service may read, outside the drop folder.
    const secret = join(ws.dir, 'token-file');
    writeFileSync(secret, 'SECRET-TOKEN-abc123|x|y\nline2-secret\n', { mode: 0o600 });
    const other = join(ws.dir, 'shadow-like');
    writeFileSync(other, 'root:SECRET-HASH:0:0\n', { mode: 0o600 });
    const h = await start();
    symlinkSync(secret, join(drop, 'persons.store.link.csv'));
    linkSync(other, join(drop, 'persons.store.hard.csv'));
    writeFileSync(join(drop, 'persons.store.badhead.csv'), 'EXTERNAL_PERSON_KEY|USER_ID|NOPE\nk|u|SECRET-CELL\n');
    await waitFor('three files handled', () => events.length >= 3);
    await h.idle();
    expect(events.map((e) => [e.name, e.outcome]).sort()).toEqual([
      ['persons.store.badhead.csv', 'rejected'],
      ['persons.store.hard.csv', 'rejected'],
      ['persons.store.link.csv', 'rejected'],
    ]);
    const rejected = join(drop, 'rejected');
    const linkReason = readFileSync(join(rejected, 'persons.store.link.csv.reason.txt'), 'utf8');
    expect(linkReason).toMatch(/symbolic link/);
    expect(readFileSync(join(rejected, 'persons.store.hard.csv.reason.txt'), 'utf8')).toMatch(/hard link/);
    for (const name of readdirSync(rejected).filter((n) => n.endsWith('.reason.txt'))) {
      const text = readFileSync(join(rejected, name), 'utf8');
      expect(text).not.toMatch(/SECRET/);
      expect(lstatSync(join(rejected, name)).mode & 0o777).toBe(0o600);
    }
    // Nothing was read: no run, no archive copy, no report quoting them; the targets are untouched.
    const everything = (dir: string): string[] =>
      existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)) : [];
    for (const f of [...everything(join(ws.dir, 'archive')), ...everything(join(ws.dir, 'reports'))]) {
      expect(readFileSync(f, 'utf8')).not.toMatch(/SECRET-TOKEN|SECRET-HASH/);
    }
    expect(lstatSync(join(rejected, 'persons.store.link.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(secret, 'utf8')).toBe('SECRET-TOKEN-abc123|x|y\nline2-secret\n');
    expect(readFileSync(other, 'utf8')).toBe('root:SECRET-HASH:0:0\n');
  });

  test("the watcher's own folders: one left open to others is made 0700; a symlink, or (as root) another account's folder, in their place stops the start", async () => {
    const { drop, start } = await setup();
    mkdirSync(join(drop, '.retry'), { mode: 0o777 });
    chmodSync(join(drop, '.retry'), 0o777);
    const h = await start();
    await h.close();
    handles.splice(0);
    for (const sub of ['.processing', '.retry', 'rejected']) expect([sub, lstatSync(join(drop, sub)).mode & 0o777]).toEqual([sub, 0o700]);

    rmSync(join(drop, 'rejected'), { recursive: true });
    symlinkSync(tmpdir(), join(drop, 'rejected'));
    await expect(start()).rejects.toThrow(/rejected is not a folder \(a symbolic link/);
    rmSync(join(drop, 'rejected'));

    // Only root can give a folder to another account; elsewhere the mode check above is what runs.
    if (process.getuid?.() !== 0) return;
    chownSync(join(drop, '.retry'), 54321, 54321);
    await expect(start()).rejects.toThrow(/\.retry belongs to another account \(uid 54321\)/);
  });

  test('a Moodle outage mid-file keeps the rows it could not take for retry; they land once Moodle is back, and later files wait behind them', async () => {
    const { ws, drop, events, log, start } = await setup({ retry: { firstDelayMs: 200, maxDelayMs: 400 } });
    const h = await start();
    writeFileSync(join(drop, 'persons.store.first.csv'), sisFile(SIS_HEADER, persons(5, { prefix: 'e' })));
    await waitFor('the first file', () => events.length >= 1);
    expect(events[0]).toMatchObject({ outcome: 'applied', summary: { exitCode: 0 } });

    // Moodle goes down for account creation: the updates go through, every create gets its connection dropped.
    ws.sandbox.faults.add({ kind: 'drop', fn: 'core_user_create_users', times: 1_000_000 });
    const existing = persons(5, { prefix: 'e' }).map((r) => [...r.slice(0, 4), `Changed${r[4]}`, r[5]]);
    existing[4][5] = 'not-an-email'; // Moodle refuses this one for a reason of its own
    writeFileSync(join(drop, 'persons.store.outage.csv'), sisFile(SIS_HEADER, [...existing, ...persons(20, { prefix: 'n' })]));
    await waitFor('the outage file', () => events.length >= 2, 60_000);
    const first = events[1];
    expect(first).toMatchObject({ name: 'persons.store.outage.csv', outcome: 'applied', retry: { id: 1, rows: 20, attempts: 1 }, summary: { exitCode: 2 } });
    // The tryback holds only the row Moodle refused; the 20 creates wait in the retry file (0600, original header).
    const tryback = readFileSync(first.summary?.tryback as string, 'utf8');
    expect(tryback).toContain('E0005|');
    expect(tryback).not.toContain('N0001');
    const retryFile = first.retry?.file as string;
    expect(retryFile.startsWith(join(drop, '.retry'))).toBe(true);
    expect(lstatSync(retryFile).mode & 0o777).toBe(0o600);
    const kept = readFileSync(retryFile, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(kept[0]).toBe(SIS_HEADER.join('|'));
    expect(kept.slice(1).map((l) => l.split('|')[0])).toEqual(persons(20, { prefix: 'n' }).map((r) => r[0]));
    expect(usersWith(ws, 'nuser')).toHaveLength(0);
    expect(ws.sandbox.users.byIdnumber('E0001')[0].lastname).toBe('ChangedLast0001');
    // The file left the folder without being rejected; the retry is visible in the ledger and the log.
    expect(readdirSync(drop).filter((n) => !n.startsWith('.')).sort()).toEqual(['rejected']);
    expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
    const shown = await ws.cli(['ledger', 'show', '--runs']);
    expect(shown.stdout).toMatch(/retry #1 +waiting +persons\.store\.outage\.csv +20 row\(s\) +attempt \d+, next try at \S+/);
    expect(log.lines.join('\n')).toMatch(/persons\.store\.outage\.csv: 20 row\(s\) kept for retry #1/);

    // A newer file dropped meanwhile waits behind the retry (its row must land after the older one).
    writeFileSync(join(drop, 'persons.store.later.csv'), sisFile(SIS_HEADER, [['N0001', 'nuser0001', 'Secret-0001x', 'First0001', 'Later', 'nuser0001@example.edu']]));
    // While Moodle is still down the retry is tried again with backoff, and stays.
    await waitFor('a second try', () => events.some((e) => e.retryOf === 1 && e.retry?.attempts === 2), 60_000);
    expect(existsSync(join(drop, 'persons.store.later.csv'))).toBe(true);

    ws.sandbox.faults.clear();
    await waitFor('the retry to land', () => events.some((e) => e.retryOf === 1 && e.landed), 60_000);
    await waitFor('the later file', () => events.some((e) => e.name === 'persons.store.later.csv'), 60_000);
    await h.idle();
    expect(usersWith(ws, 'nuser')).toHaveLength(20);
    expect(ws.sandbox.users.byIdnumber('N0001')[0].lastname).toBe('Later');
    expect(events.filter((e) => e.name === 'persons.store.outage.csv' && e.retryOf === undefined)).toHaveLength(1);
    expect(readdirSync(join(drop, '.retry'))).toEqual([]);
    expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
    expect((await ws.cli(['ledger', 'show', '--runs'])).stdout).not.toMatch(/retry #/);
  }, 120_000);

  test('Moodle down before a file runs: the whole file waits for retry instead of being rejected; a person can discard it', async () => {
    const { ws, drop, events, start } = await setup({ retry: { firstDelayMs: 2000, maxDelayMs: 8000 } });
    ws.sandbox.faults.add({ kind: 'http500', fn: 'core_webservice_get_site_info', times: 1_000_000 });
    const h = await start();
    writeFileSync(join(drop, 'persons.store.down.csv'), sisFile(SIS_HEADER, persons(3, { prefix: 'd' })));
    await waitFor('the file to wait', () => events.length >= 1);
    expect(events[0]).toMatchObject({ name: 'persons.store.down.csv', outcome: 'waiting', retry: { id: 1, rows: null } });
    expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
    const kept = events[0].retry?.file as string;
    expect(readFileSync(kept, 'utf8')).toBe(sisFile(SIS_HEADER, persons(3, { prefix: 'd' })));
    writeFileSync(join(drop, 'persons.store.next.csv'), sisFile(SIS_HEADER, persons(2, { prefix: 'x' })));
    await waitFor('a try while still down', () => events.some((e) => e.retryOf === 1 && e.outcome === 'waiting'));
    expect(existsSync(join(drop, 'persons.store.next.csv'))).toBe(true);

    // The person gives up on that file while Moodle is still down (so no try of it can land first, however slow the
    // machine), then Moodle comes back and the file that waited behind it runs.
    const discarded = await ws.cli(['ledger', 'discard-retry', '1']);
    expect(discarded).toMatchObject({ code: 0, stdout: expect.stringMatching(/discarded retry #1: persons\.store\.down\.csv, the whole file/) });
    expect(existsSync(kept)).toBe(false);
    expect((await ws.cli(['ledger', 'discard-retry', '1'])).code).toBe(1);
    ws.sandbox.faults.clear();
    // The next file runs at once, or — when the watcher reached it before Moodle was back — from its own retry.
    await waitFor('the next file to land', () => usersWith(ws, 'xuser').length === 2, 45_000);
    await h.idle();
    expect(events.filter((e) => e.name === 'persons.store.next.csv')[0]).toMatchObject({ outcome: expect.stringMatching(/^(applied|waiting)$/) });
    expect(usersWith(ws, 'duser')).toHaveLength(0);
    expect(readdirSync(join(drop, 'rejected'))).toEqual([]);
  }, 90_000);

  test('mdlsync watch: SIGTERM lets the current run finish, then exits 0', async () => {
    const { ws, drop } = await setup({ watch: { stabilityMs: STABILITY_MS } });
    ws.sandbox.faults.add({ kind: 'latency', ms: 1200, fn: 'core_webservice_get_site_info' });
    const { child, stderr: err, exited } = await startWatchCli(ws, ['drop', '--log-level', 'debug']);
    children.push(child);
    writeFileSync(join(drop, 'persons.store.s.csv'), sisFile(SIS_HEADER, persons(3, { prefix: 's' })));
    await waitFor('the file to be taken', () => existsSync(join(drop, '.processing', 'persons.store.s.csv')));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(usersWith(ws, 'suser')).toHaveLength(3);
    expect(readdirSync(join(drop, '.processing'))).toEqual([]);
    expect(err()).toMatch(/SIGTERM/);
    expect(err()).not.toContain(ws.sandbox.token);
  }, 45_000);

  test('mdlsync watch (CLI): a symlink is rejected unread; an outage shows "kept for retry" in its output, and the rows land later', async () => {
    const { ws, drop } = await setup({ watch: { stabilityMs: STABILITY_MS }, retry: { firstDelayMs: 300, maxDelayMs: 600 } });
    const secret = join(ws.dir, 'token-file');
    writeFileSync(secret, 'SECRET-TOKEN-xyz\n', { mode: 0o600 });
    ws.sandbox.faults.add({ kind: 'drop', fn: 'core_user_create_users', times: 1_000_000 });
    const { child, stderr: err, exited } = await startWatchCli(ws, ['drop']);
    children.push(child);
    symlinkSync(secret, join(drop, 'persons.store.token.csv'));
    await waitFor('the symlink rejected', () => existsSync(join(drop, 'rejected', 'persons.store.token.csv.reason.txt')), 60_000);
    expect(readFileSync(join(drop, 'rejected', 'persons.store.token.csv.reason.txt'), 'utf8')).toMatch(/symbolic link/);
    writeFileSync(join(drop, 'persons.store.cli.csv'), sisFile(SIS_HEADER, persons(4, { prefix: 'c' })));
    await waitFor('the rows kept for retry', () => /persons\.store\.cli\.csv: 4 row\(s\) kept for retry #1/.test(err()), 60_000);
    expect(err()).not.toContain('SECRET-TOKEN');
    ws.sandbox.faults.clear();
    await waitFor('the retry to land', () => /retry #1: persons\.store\.cli\.csv landed/.test(err()), 60_000);
    expect(usersWith(ws, 'cuser')).toHaveLength(4);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err()).not.toContain(ws.sandbox.token);
  }, 90_000);
});
