/**
 * The network and the site, through the real CLI: a site whose certificate comes from a private CA (--ca), a forward
 * proxy from the environment (and NO_PROXY), and the circuit breaker when Moodle goes down in the middle of a run.
 */
import { afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJob, runJob } from '../src/automation/index.js';
import { captureLogger, configFor } from './automation-helpers.js';
import type { SandboxHandle } from '../src/sandbox/server.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';
import { OPENSSL_FOUND, forwardProxy, httpsFront, makeCertificates, type TestCertificates } from './network.js';

let ws: Workspace | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await ws?.close();
  ws = undefined;
});

let certs: TestCertificates;
beforeAll(() => {
  if (OPENSSL_FOUND) certs = makeCertificates();
});

/** Once the first create call has reached the site (and is held there by a latency fault), every call fails: HTTP 500. */
function downAfterFirstCreate(sandbox: SandboxHandle): Promise<number> {
  return new Promise<number>((resolve) => {
    const poll = setInterval(() => {
      if ((sandbox.stats.byFunction.core_user_create_users ?? 0) < 1) return;
      clearInterval(poll);
      sandbox.faults.add({ kind: 'http500', times: 1_000_000 });
      resolve(sandbox.stats.calls);
    }, 5);
  });
}

const usernames = (w: Workspace) => w.sandbox.users.list().map((u) => u.username).filter((u) => u.startsWith('puser'));

(OPENSSL_FOUND ? describe : describe.skip)('a site with a private certificate authority', () => {
  test('without --ca: exit 3 with a sentence naming --ca (even with NODE_TLS_REJECT_UNAUTHORIZED=0); with --ca the run goes through', async () => {
    ws = await workspace();
    const front = await httpsFront(ws.sandbox.url, certs);
    closers.push(front.close);
    const file = ws.write('p.txt', sisFile(SIS_HEADER, persons(5)));

    const refused = await ws.cli(['run', file], { MDLSYNC_URL: front.url });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/certificate could not be verified \(UNABLE_TO_VERIFY_LEAF_SIGNATURE.*pass its certificate with --ca FILE/);
    expect(ws.lastSummary().error).toMatchObject({ code: 'tls', hint: expect.stringMatching(/--ca FILE/) });

    // Node would accept any certificate with this set; mdlsync's calls still verify.
    const stillRefused = await ws.cli(['run', file], { MDLSYNC_URL: front.url, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(stillRefused.code).toBe(3);
    expect(ws.lastSummary().error).toMatchObject({ code: 'tls' });
    expect(usernames(ws)).toEqual([]);

    const r = await ws.cli(['run', file, '--ca', certs.caFile], { MDLSYNC_URL: front.url });
    expect(r.code).toBe(0);
    expect(usernames(ws)).toHaveLength(5);
  });

  test('doctor marks NODE_TLS_REJECT_UNAUTHORIZED=0 as a failure; with --ca the site checks pass', async () => {
    ws = await workspace();
    const front = await httpsFront(ws.sandbox.url, certs);
    closers.push(front.close);
    const ok = await ws.cli(['doctor', '--ca', certs.caFile], { MDLSYNC_URL: front.url });
    expect(ok.stdout).toMatch(/certificates are verified \(public roots and the private CA .*ca\.pem\)/);
    expect(ok.stdout).toMatch(/token accepted/);
    expect(ok.code).toBe(0);
    const bad = await ws.cli(['doctor', '--ca', certs.caFile], { MDLSYNC_URL: front.url, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/NODE_TLS_REJECT_UNAUTHORIZED=0 is set.*\n.*unset NODE_TLS_REJECT_UNAUTHORIZED/);
    const noCa = await ws.cli(['doctor'], { MDLSYNC_URL: front.url });
    expect(noCa.code).toBe(3);
    expect(noCa.stdout).toMatch(/Moodle cannot be trusted: .*--ca FILE/);
  });
});

describe('a forward proxy from the environment', () => {
  test('HTTP_PROXY: every call goes through the proxy over a few kept-alive tunnels; NO_PROXY=127.0.0.1 bypasses it', async () => {
    ws = await workspace();
    const proxy = await forwardProxy();
    closers.push(proxy.close);
    const site = new URL(ws.sandbox.url).host;
    const r = await ws.cli(['run', ws.write('p.txt', sisFile(SIS_HEADER, persons(60))), '--batch-size', '5'], { HTTP_PROXY: proxy.url });
    expect(r.code).toBe(0);
    expect(usernames(ws)).toHaveLength(60);
    // undici tunnels (CONNECT) to the site; the tunnels are the run's connections: no more than the cap
    // (moodle.concurrency 4 + 2), each carrying several calls.
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels)).toEqual(new Set([site]));
    expect(proxy.tunnels.length).toBeLessThanOrEqual(6);
    expect(ws.sandbox.stats.calls).toBeGreaterThan(proxy.tunnels.length);

    const tunnels = proxy.tunnels.length;
    const calls = ws.sandbox.stats.calls;
    const bypass = await ws.cli(['run', ws.write('q.txt', sisFile(SIS_HEADER, persons(3, { prefix: 'q' })))], { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(bypass.code).toBe(0);
    expect(ws.sandbox.stats.calls).toBeGreaterThan(calls);
    expect(proxy.tunnels).toHaveLength(tunnels);
    expect(proxy.forwarded).toEqual([]);
  });
});

describe('the circuit breaker', () => {
  test('Moodle goes down mid-run: the run stops after breakerFailures failures (exit 3), the tryback holds exactly the rows not applied, and applies them once Moodle is back', async () => {
    ws = await workspace();
    ws.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20, retries: 5, breakerFailures: 3 } }));
    // The first batch is slow: while it is on its way, the site goes down (every call answers HTTP 500).
    ws.sandbox.faults.add({ fn: 'core_user_create_users', kind: 'latency', ms: 1500 });
    const all = persons(200);
    const running = ws.cli(['run', ws.write('p.txt', sisFile(SIS_HEADER, all)), '--batch-size', '20', '--concurrency', '1']);
    const sandbox = ws.sandbox;
    const callsBeforeDown = await downAfterFirstCreate(sandbox);
    const r = await running;
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/The run stopped sending: 3 Moodle calls in a row failed \(moodle\.breakerFailures = 3\)/);
    const summary = ws.lastSummary();
    expect(summary.error).toMatchObject({ code: 'circuit-open', hint: expect.stringMatching(/tryback \(or retry\) file/) });
    // No call after the breaker opened: the calls the site failed are the breaker's three (one call in flight at a time).
    expect(sandbox.stats.calls - callsBeforeDown).toBe(3);
    const applied = usernames(ws);
    expect(applied).toHaveLength(20);
    expect(summary.outcomes).toMatchObject({ ok: 20, failed: 180 });

    const tryback = readFileSync(summary.tryback as string, 'utf8');
    const kept = tryback.split('\n').filter((l) => l !== '' && !l.startsWith('#')).slice(1).map((l) => l.split('|')[1]);
    expect(kept).toHaveLength(180);
    expect(new Set([...kept, ...applied])).toEqual(new Set(all.map((p) => p[1])));
    expect(tryback).toMatch(/circuit-open/);

    ws.sandbox.faults.clear();
    const again = await ws.cli(['run', summary.tryback as string]);
    expect(again.code).toBe(0);
    expect(usernames(ws).sort()).toEqual(all.map((p) => p[1]).sort());
  });

  test('under schedule, the rows the breaker did not apply go to the retry file (none to the tryback), and the retry lands them', async () => {
    ws = await workspace();
    mkdirSync(join(ws.dir, 'inbox'));
    const config = configFor(ws, {
      moodle: { backoffMs: 20, retries: 5, breakerFailures: 3, concurrency: 1, batchSize: 10 },
      retry: { firstDelayMs: 10, maxDelayMs: 10 },
      jobs: [{ name: 'inbox', cron: '0 0 * * * *', glob: 'inbox/*.csv' }],
    });
    const job = findJob(config, 'inbox');
    const log = captureLogger();
    writeFileSync(join(ws.dir, 'inbox', 'persons.store.a.csv'), sisFile(SIS_HEADER, persons(50)));
    ws.sandbox.faults.add({ fn: 'core_user_create_users', kind: 'latency', ms: 1500 });
    const down = downAfterFirstCreate(ws.sandbox);
    const first = await runJob(job, { config, logger: log.logger });
    await down;
    expect(first).toMatchObject({ status: 'waiting', exitCode: 3 });
    expect(first.files[0].summary).toMatchObject({ tryback: null, retry: { rows: 40 }, error: { code: 'circuit-open' } });
    expect(usernames(ws)).toHaveLength(10);
    expect(existsSync(join(ws.dir, 'inbox', 'persons.store.a.csv'))).toBe(false);

    ws.sandbox.faults.clear();
    await new Promise((r) => setTimeout(r, 20));
    const second = await runJob(job, { config, logger: log.logger });
    expect(second).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(usernames(ws)).toHaveLength(50);
  }, 30000);
});
