/**
 * Held plans (README "When a run goes wrong"): a refresh the guard refuses keeps its plan; `mdlsync approve` applies
 * exactly it when nothing it touches changed, else plans again, shows the difference and holds the new plan.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { findJob, runJob, startWatch, type WatchEvent, type WatchHandle } from '../src/automation/index.js';
import { captureLogger, configFor, waitFor } from './automation-helpers.js';
import { PG_URL, pgAdmin } from '../src/ledger/test-backends.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
let watcher: WatchHandle | null = null;
let pgSchema: string | null = null;
afterEach(async () => {
  await watcher?.close();
  watcher = null;
  if (pgSchema) {
    const schema = pgSchema;
    pgSchema = null;
    await pgAdmin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
  await ws?.close();
  ws = null;
});

const heldDir = (w: Workspace): string => join(w.dir, '.mdlsync', 'held');
const suspended = (w: Workspace): string[] =>
  w.sandbox.users
    .list()
    .filter((u) => u.suspended)
    .map((u) => u.idnumber)
    .sort();

/** 10 persons stored, then a refresh naming 7 of them: 30% to disable, over the default guard of 10%. */
async function heldRefresh(w: Workspace): Promise<string> {
  expect((await w.cli(['run', w.write('all.txt', sisFile(SIS_HEADER, persons(10)))])).code).toBe(0);
  w.sandbox.stats.reset();
  const r = await w.cli(['run', w.write('seven.txt', sisFile(SIS_HEADER, persons(7))), '--op', 'refresh']);
  expect(r.code).toBe(3);
  expect(w.sandbox.stats.writeCalls).toBe(0);
  const s = w.lastSummary();
  expect(s).toMatchObject({ status: 'refused', guard: { owned: 10, toDisable: 3, refused: true }, held: { runId: s.runId, approve: `mdlsync approve ${s.runId}` } });
  expect(r.stdout).toContain(`The plan is held: apply it as planned with mdlsync approve ${s.runId}`);
  const html = readFileSync(join(s.reportDir, 'report.html'), 'utf8');
  expect(html).toContain('<strong>The plan is held</strong>');
  expect(html).toContain(`mdlsync approve ${s.runId}`);
  return s.runId as string;
}

describe('held plans', () => {
  test('a 30% refresh is held, listed, approved and applied exactly as planned', async () => {
    ws = await workspace();
    const w = ws;
    const id = await heldRefresh(w);
    // The plan holds the file's records (passwords): only the owner reads it.
    expect(statSync(join(heldDir(w), `${id}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(heldDir(w), `${id}.input`)).mode & 0o777).toBe(0o600);
    const listed = await w.cli(['held']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\t\\S+\\t\\S*seven\\.txt\\tpersons\\trefresh\\t.*3 .*`, 'm'));
    const json = JSON.parse((await w.cli(['held', '--json'])).stdout);
    expect(json.held).toEqual([expect.objectContaining({ runId: id, counts: expect.objectContaining({ disable: 3, unchanged: 7 }) })]);

    expect((await w.cli(['ledger', 'show', '--runs'])).stdout).toMatch(new RegExp(`^${id} +held +persons refresh`, 'm'));
    const r = await w.cli(['approve', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Held plan ${id} applied as planned.`);
    expect(suspended(w)).toEqual(['P0008', 'P0009', 'P0010']);
    const s = w.lastSummary();
    expect(s).toMatchObject({ status: 'ok', approved: id, outcomes: { ok: 3, unchanged: 7, failed: 0 } });
    expect(s.runId).not.toBe(id);
    expect(existsSync(s.archivedAs as string)).toBe(true);
    // Spent: gone from the list, and a second approve finds nothing.
    expect(existsSync(join(heldDir(w), `${id}.json`))).toBe(false);
    expect((await w.cli(['held'])).stdout.trim()).toBe('no held plans');
    const again = await w.cli(['approve', id]);
    expect(again.code).toBe(3);
    expect(again.stderr + again.stdout).toMatch(new RegExp(`no held plan ${id}`));
    const runs = (await w.cli(['ledger', 'show', '--runs'])).stdout;
    expect(runs).toMatch(new RegExp(`^${id} +approved +persons refresh`, 'm'));
    expect(runs).toMatch(new RegExp(`^${s.runId} +ok +persons refresh`, 'm'));
  });

  if (!PG_URL) console.log('held plans on a PostgreSQL ledger skipped: MDLSYNC_TEST_PG_URL is not set');
  test.each(PG_URL ? ['sqlite', 'postgres'] : ['sqlite'])('a change in the ledger between the refusal and the approval: planned again, the difference shown, the new plan held (%s ledger)', async (backend) => {
    ws = await workspace();
    const w = ws;
    if (backend === 'postgres') {
      pgSchema = `held_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
      w.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20 }, ledger: { url: PG_URL, schema: pgSchema } }));
    }
    const id = await heldRefresh(w);
    if (backend === 'postgres') {
      const links = await pgAdmin((c) => c.query(`SELECT count(*)::int AS n FROM "${pgSchema}".links`));
      expect(links.rows[0].n).toBe(10);
    }
    // In between, P0001's email changes and P0008 comes back in a store: the ledger's links of both differ.
    const changed = persons(8);
    changed[0][5] = 'new.address@example.edu';
    expect((await w.cli(['run', w.write('change.txt', sisFile(SIS_HEADER, [changed[0], changed[7]]))])).code).toBe(0);
    w.sandbox.stats.reset();
    const r = await w.cli(['approve', id]);
    expect(r.code).toBe(3);
    expect(w.sandbox.stats.writeCalls).toBe(0);
    const s = w.lastSummary() as ReturnType<Workspace['lastSummary']> & { runId: string };
    expect(s).toMatchObject({ status: 'refused', error: { code: 'held-changed' }, held: { runId: s.runId } });
    expect(r.stdout).toMatch(/ledger: P0001 content changed/);
    // P0001 was unchanged and is now an update (the file still has the old address); P0008 is still disabled.
    expect(r.stdout).toMatch(/counts: .*update 0 → 1/);
    expect(r.stdout).toMatch(/P0001: unchanged → update/);
    expect(r.stdout).toContain(`Approve the new plan with mdlsync approve ${s.runId}`);
    expect(existsSync(join(heldDir(w), `${id}.json`))).toBe(false);
    const listed = (await w.cli(['held'])).stdout;
    expect(listed).toMatch(new RegExp(`^${s.runId}\\t`, 'm'));
    expect(listed).not.toContain(id);

    const ok = await w.cli(['approve', s.runId]);
    expect(ok.code).toBe(0);
    expect(suspended(w)).toEqual(['P0008', 'P0009', 'P0010']);
    expect(w.sandbox.users.byIdnumber('P0001')[0].email as string).toBe('puser0001@example.edu');
  });

  test('a person deleted in Moodle since: the approval plans again; discard drops a held plan', async () => {
    ws = await workspace();
    const w = ws;
    const id = await heldRefresh(w);
    w.sandbox.users.deleteByHand(w.sandbox.users.byIdnumber('P0010')[0].id);
    const r = await w.cli(['approve', id]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Moodle: P0010 \(user \d+\) no longer exists/);
    const next = w.lastSummary().runId as string;
    const d = await w.cli(['discard', next]);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`held plan ${next} discarded`);
    const runs = (await w.cli(['ledger', 'show', '--runs'])).stdout;
    expect(runs).toMatch(new RegExp(`^${next} +discarded `, 'm'));
    expect(runs).toMatch(new RegExp(`^${id} +superseded `, 'm'));
    expect((await w.cli(['held'])).stdout.trim()).toBe('no held plans');
    expect(suspended(w)).toEqual([]);
  });

  test('a dry run of a refused refresh holds nothing', async () => {
    ws = await workspace();
    const w = ws;
    expect((await w.cli(['run', w.write('all.txt', sisFile(SIS_HEADER, persons(10)))])).code).toBe(0);
    const r = await w.cli(['plan', w.write('seven.txt', sisFile(SIS_HEADER, persons(7))), '--op', 'refresh']);
    expect(r.code).toBe(3);
    expect(w.lastSummary().held).toBeUndefined();
    expect(existsSync(heldDir(w))).toBe(false);
    expect(readFileSync(join(w.lastSummary().reportDir, 'plan.csv'), 'utf8')).toMatch(/disable/);
  });

  test('watch: a refused refresh goes to DIR/held/ with its reason and the approve command, and onHeld gets the event on stdin', async () => {
    ws = await workspace();
    const w = ws;
    expect((await w.cli(['run', w.write('all.txt', sisFile(SIS_HEADER, persons(10)))])).code).toBe(0);
    const drop = join(w.dir, 'drop');
    mkdirSync(drop);
    const hookOut = join(w.dir, 'held-event.json');
    const config = configFor(w, {
      watch: { rules: [{ match: 'persons.refresh.*', op: 'refresh' }] },
      onHeld: { command: ['sh', '-c', `cat > '${hookOut}'`] },
    });
    const events: WatchEvent[] = [];
    watcher = await startWatch(drop, { config, logger: captureLogger().logger, stabilityMs: 300, onFile: (e) => events.push(e) });
    writeFileSync(join(drop, 'persons.refresh.csv'), sisFile(SIS_HEADER, persons(7)));
    await waitFor('the file handled', () => events.length >= 1);
    await watcher.idle();
    expect(events[0]).toMatchObject({ name: 'persons.refresh.csv', outcome: 'held' });
    const runId = events[0].summary!.held!.runId;
    const heldFile = join(drop, 'held', 'persons.refresh.csv');
    expect(existsSync(heldFile)).toBe(true);
    const reason = readFileSync(`${heldFile}.reason.txt`, 'utf8');
    expect(reason).toContain(`run: ${runId}`);
    expect(reason).toContain(`approve: mdlsync approve ${runId}`);
    await waitFor('onHeld called', () => existsSync(hookOut) && readFileSync(hookOut, 'utf8').length > 0);
    expect(JSON.parse(readFileSync(hookOut, 'utf8'))).toMatchObject({ event: 'held', runId, by: 'watch', file: 'persons.refresh.csv', heldAs: heldFile, approve: `mdlsync approve ${runId}` });
    expect(suspended(w)).toEqual([]);
    expect((await w.cli(['approve', runId])).code).toBe(0);
    expect(suspended(w)).toEqual(['P0008', 'P0009', 'P0010']);
  });

  test('schedule: a refused refresh job logs the held plan, keeps its file, calls onHeld; the next tick replaces the plan', async () => {
    ws = await workspace();
    const w = ws;
    expect((await w.cli(['run', w.write('all.txt', sisFile(SIS_HEADER, persons(10)))])).code).toBe(0);
    w.write('nightly.txt', sisFile(SIS_HEADER, persons(7)));
    const hookOut = join(w.dir, 'held-event.json');
    const config = configFor(w, {
      jobs: [{ name: 'nightly', cron: '0 2 * * *', file: 'nightly.txt', op: 'refresh', allowRefresh: true }],
      onHeld: { command: ['sh', '-c', `cat > '${hookOut}'`] },
    });
    const log = captureLogger();
    const first = await runJob(findJob(config, 'nightly'), { config, logger: log.logger });
    expect(first.exitCode).toBe(3);
    const runId = first.files[0].summary!.held!.runId;
    expect(log.lines.some((l) => l.includes(`schedule: ${join(w.dir, 'nightly.txt')} was refused by the guard; its plan is held as ${runId}`) && l.includes(`mdlsync approve ${runId}`))).toBe(true);
    expect(existsSync(join(w.dir, 'nightly.txt'))).toBe(true);
    expect(JSON.parse(readFileSync(hookOut, 'utf8'))).toMatchObject({ event: 'held', runId, by: 'schedule', heldAs: null });
    const second = await runJob(findJob(config, 'nightly'), { config, logger: log.logger });
    const next = second.files[0].summary!.held!.runId;
    expect(next).not.toBe(runId);
    expect((await w.cli(['held'])).stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual([next]);
    expect(suspended(w)).toEqual([]);
  });
});
