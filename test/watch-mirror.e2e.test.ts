/** watch.mirror: after the files waiting together have run, one mirror pass brings the local copy in step. */
import { afterAll, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startWatch, type WatchHandle } from '../src/automation/index.js';
import type { MirrorSummary } from '../src/mirror/job.js';
import { captureLogger, configFor, waitFor } from './automation-helpers.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace;
let handle: WatchHandle | null = null;
afterAll(async () => {
  await handle?.close();
  await ws?.close();
});

test('a persons file dropped in the folder is applied, then one mirror pass copies the new users', async () => {
  ws = await workspace();
  const drop = join(ws.dir, 'drop');
  mkdirSync(drop);
  const config = configFor(ws, { watch: { mirror: true } });
  const passes: MirrorSummary[] = [];
  const applied: string[] = [];
  handle = await startWatch(drop, { config, logger: captureLogger().logger, stabilityMs: 200, onFile: (e) => applied.push(`${e.name} ${e.outcome}`), onMirror: (s) => passes.push(s) });
  writeFileSync(join(drop, 'persons.store.SIS.a.txt'), sisFile(SIS_HEADER, persons(3, { prefix: 'wm' })));
  await waitFor('the mirror pass', () => passes.length > 0);
  expect(applied).toEqual(['persons.store.SIS.a.txt applied']);
  expect(passes).toHaveLength(1);
  expect(passes[0]).toMatchObject({ kind: 'mirror', status: 'ok', exitCode: 0 });
  const mirror = new Database(config.mirror.database as string, { readonly: true });
  const names = mirror.prepare("SELECT username FROM users WHERE username LIKE 'wm%' ORDER BY username").pluck().all();
  mirror.close();
  expect(names).toEqual(ws.sandbox.users.list().filter((u) => u.username.startsWith('wm')).map((u) => u.username).sort());
  expect(names).toHaveLength(3);
});
