/** Retention through the real CLI: archiveKeepDays / reportsKeepDays prune old outputs after a run, never on a plan. */
import { afterEach, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

test('a run prunes archive days and report runs older than the settings; a dry run and unknown names are left alone', async () => {
  ws = await workspace();
  const config = JSON.parse(readFileSync(join(ws.dir, 'mdlsync.config.json'), 'utf8')) as Record<string, unknown>;
  ws.write('mdlsync.config.json', JSON.stringify({ ...config, archiveKeepDays: 30, reportsKeepDays: 7 }));
  const old = (days: number) => new Date(Date.now() - days * 86_400_000);
  const dayName = (d: Date) => d.toISOString().slice(0, 10);
  const runName = (d: Date) => `${d.toISOString().replace(/[-:.]/g, '')}-abcd`;
  const oldDay = join(ws.dir, 'archive', dayName(old(40)));
  const keptDay = join(ws.dir, 'archive', dayName(old(10)));
  const oldRun = join(ws.dir, 'reports', runName(old(8)));
  const keptRun = join(ws.dir, 'reports', runName(old(6)));
  for (const d of [oldDay, keptDay, oldRun, keptRun, join(ws.dir, 'reports', 'by-hand'), join(ws.dir, 'archive', 'old-stuff')]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'x'), 'x');
  }

  const file = ws.write('p.txt', sisFile(SIS_HEADER, persons(2)));
  expect((await ws.cli(['plan', file])).code).toBe(0);
  expect([oldDay, oldRun].every((d) => existsSync(d))).toBe(true);

  const r = await ws.cli(['run', file]);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/retention: removed 2 old folder\(s\)/);
  expect(existsSync(oldDay)).toBe(false);
  expect(existsSync(oldRun)).toBe(false);
  for (const d of [keptDay, keptRun, join(ws.dir, 'reports', 'by-hand'), join(ws.dir, 'archive', 'old-stuff'), join(ws.dir, 'reports', 'mdlsync.log')]) {
    expect(existsSync(d)).toBe(true);
  }
  const summary = ws.lastSummary();
  expect(existsSync(summary.reportDir)).toBe(true);
  expect(existsSync(summary.archivedAs as string)).toBe(true);
  expect(readdirSync(join(ws.dir, 'reports')).filter((n) => /^\d{8}T/.test(n))).toHaveLength(3); // kept + plan + run
});
