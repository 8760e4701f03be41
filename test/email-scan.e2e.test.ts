/**
 * Issue 15, finding 1: the run says why Moodle is slow to create users, and what the admin can do, when (and only
 * when) what Moodle spends per created user is high and grows with the user table. The sandbox's cost model plays
 * the site: its duplicate-email scan costs each new user a share of the table's rows; with the lower(email) index the
 * same work costs a flat amount. Nothing here reads a clock: the sandbox charges its costs, the run measures them.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxOptions } from '../src/sandbox/server.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

const open: Workspace[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/**
 * A first store of n persons in batches of 5, two calls at a time on a two-worker site (no queue: each call's time is
 * the site's own cost).
 */
async function firstStore(site: SandboxOptions, n: number) {
  const ws = await workspace({ workers: 2, ...site });
  open.push(ws);
  ws.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20, batchSize: 5, concurrency: 2 } }));
  const file = ws.write('persons.txt', sisFile(SIS_HEADER, persons(n)));
  const r = await ws.cli(['run', file]);
  const summary = ws.lastSummary() as ReturnType<Workspace['lastSummary']> & { siteHints?: Array<{ code: string; message: string; hint: string }> };
  const page = readFileSync(join(summary.reportDir, 'report.html'), 'utf8');
  expect(summary.outcomes).toMatchObject({ ok: n, failed: 0 });
  return { r, summary, page, ws };
}

/** 2 ms per user for the rest of a user's creation, 150 ms per user and 1,000 rows for the scan (32 ms at 200 rows). */
const SCANNING = { perRecordCostMs: 2, emailScanMsPer1000Users: 150 };

describe('the email-scan note', () => {
  test('a cost per created user that is high and grows with the table → summary.json, the console and report.html say why and what to do', async () => {
    const { r, summary, page, ws } = await firstStore(SCANNING, 200);
    expect(ws.sandbox.stats.paidMs).toBeGreaterThan(3000);
    expect(summary.siteHints).toHaveLength(1);
    const [note] = summary.siteHints!;
    expect(note.code).toBe('email-scan');
    expect(note.message).toMatch(/per created user by the end of this run, up from/);
    expect(note.message).toContain('LOWER(email) = LOWER(:email)');
    expect(note.hint).toContain('CREATE INDEX CONCURRENTLY mdl_user_lower_email_ix ON mdl_user (lower(email));');
    expect(note.hint).toContain('allowaccountssameemail');
    expect(r.stdout).toContain(`  site: email-scan — ${note.message}`);
    expect(r.stdout).toContain(`    what to do: ${note.hint}`);
    expect(page).toContain('<section id="site-hints">');
    expect(page).toContain('data-code="email-scan"');
    expect(page).toContain('CREATE INDEX CONCURRENTLY mdl_user_lower_email_ix ON mdl_user (lower(email));');
  });

  test('the same store with the lower(email) index: a high but flat cost → no note', async () => {
    const { r, summary, page, ws } = await firstStore({ perRecordCostMs: 20, emailScanMsPer1000Users: 150, emailIndex: true }, 200);
    // The site charged 20 ms for each of the 200 users, and nothing for the scan.
    expect(ws.sandbox.stats.paidMs).toBe(200 * 20);
    expect(summary.siteHints).toBeUndefined();
    expect(r.stdout).not.toContain('email-scan');
    expect(page).not.toContain('site-hints');
  });

  test('a small store on the scanning site: too few calls to tell → no note', async () => {
    const { summary, r } = await firstStore(SCANNING, 30);
    expect(summary.siteHints).toBeUndefined();
    expect(r.stdout).not.toContain('email-scan');
  });
});
