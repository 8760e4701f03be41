/**
 * Crash safety: a 5,000-row store killed with SIGKILL at seeded random points and started again applies every row
 * exactly once — no duplicate accounts, no lost rows, the ledger consistent with Moodle, the last report complete.
 * MDLSYNC_KILL_SEED picks other kill points (CI uses the default).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteLedger } from '../src/ledger/index.js';
import { seededRandom } from '../src/sandbox/faults.js';
import { CLI, SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

const ROWS = 5000;
const KILLS = 5;


let ws: Workspace;
beforeAll(async () => {
  // A server cost per user keeps batches in flight long enough for a kill to land inside one.
  ws = await workspace({ perRecordCostMs: 0.4, workers: 2 });
});
afterAll(async () => ws.close());

/**
 * Runs the CLI and kills it with SIGKILL once the sandbox has answered `afterCalls` more calls: a point inside the
 * run (planning look-ups, between batches, inside a batch), whatever the machine's speed.
 */
function runAndKill(file: string, afterCalls: number): Promise<{ killed: boolean }> {
  return new Promise((done) => {
    const start = ws.sandbox.stats.calls;
    const child = spawn(process.execPath, [CLI, 'run', file, '--quiet'], {
      cwd: ws.dir,
      env: { PATH: process.env.PATH ?? '', HOME: ws.dir, MDLSYNC_URL: ws.sandbox.url, MDLSYNC_TOKEN: ws.sandbox.token },
      stdio: 'ignore',
    });
    let killed = false;
    const poll = setInterval(() => {
      if (!killed && ws.sandbox.stats.calls - start >= afterCalls) killed = child.kill('SIGKILL');
    }, 2);
    child.once('exit', (code) => {
      clearInterval(poll);
      done({ killed: killed && code === null });
    });
  });
}

test(`a ${ROWS}-row store killed ${KILLS} times with SIGKILL, then finished, applies every row exactly once`, async () => {
  const seed = Number(process.env.MDLSYNC_KILL_SEED ?? 20261123);
  const random = seededRandom(seed);
  const file = ws.write('big.txt', sisFile(SIS_HEADER, persons(ROWS)));
  // A run makes ~104 calls (site check, look-ups, 100 creates of 50): five kills of at most 15 calls each all land.
  const points = Array.from({ length: KILLS }, () => 1 + Math.floor(random() * 15));
  const landed: boolean[] = [];
  for (const afterCalls of points) landed.push((await runAndKill(file, afterCalls)).killed);
  expect(landed).toEqual(points.map(() => true));

  const last = await ws.cli(['run', file]);
  expect(last.code).toBe(0);

  const users = ws.sandbox.users.list().filter((u) => u.username.startsWith('puser') && !u.deleted);
  expect(users).toHaveLength(ROWS);
  expect(new Set(users.map((u) => u.idnumber)).size).toBe(ROWS);

  const ledger = SqliteLedger.open(join(ws.dir, '.mdlsync', 'ledger.db'));
  try {
    expect(await ledger.countLinks('persons', null, 'active')).toBe(ROWS);
    const byIdnumber = new Map(users.map((u) => [u.idnumber, u.id]));
    const links = await ledger.getLinks('persons', users.map((u) => u.idnumber));
    for (const [key, link] of links) expect(link.moodleId).toBe(byIdnumber.get(key));
  } finally {
    await ledger.close();
  }

  const summary = ws.lastSummary();
  expect(summary).toMatchObject({ rows: ROWS, outcomes: { failed: 0 } });
  const o = summary.outcomes as Record<string, number>;
  expect(o.ok + o.unchanged + o.relinked).toBe(ROWS);
  const rowsCsv = readFileSync(join(summary.reportDir, 'rows.csv'), 'utf8').trim().split('\n');
  expect(rowsCsv).toHaveLength(ROWS + 1);
}, 120_000);
