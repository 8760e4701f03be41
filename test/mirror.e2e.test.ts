/**
 * `mdlsync mirror` end to end: the real CLI against the sandbox. The first pass loads the mirror (logged, not
 * notified); a module renamed in the sandbox is in the next pass's change log and runs the onChange command exactly
 * once (its content read retried after a 500 page); a scheduled mirror job with nothing changed logs and notifies
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MoodleClient } from '../src/moodle/client.js';
import { workspace, type Workspace } from './helpers.js';
import { seedMirrorSite, type MirrorSite } from './mirror-site.js';

let ws: Workspace;
let site: MirrorSite;
let notified: string;

beforeAll(async () => {
  ws = await workspace();
  const c = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
  site = await seedMirrorSite(ws.sandbox, c);
  await c.close();
  notified = join(ws.dir, 'notified.jsonl');
  const script = ws.write('notify.mjs', `import { appendFileSync } from 'node:fs';\nlet d = '';\nprocess.stdin.on('data', (b) => (d += b));\nprocess.stdin.on('end', () => appendFileSync(${JSON.stringify(notified)}, d));\n`);
  writeFileSync(
    join(ws.dir, 'mdlsync.config.json'),
    JSON.stringify({
      moodle: { backoffMs: 20 },
      mirror: { onChange: { command: [process.execPath, script] } },
      jobs: [{ name: 'mirror-hourly', cron: '0 0 * * * *', mirror: true }],
    }),
  );
});
afterAll(() => ws.close());

const changesOf = (summary: { reportDir: string }) => {
  const file = join(summary.reportDir, 'changes.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
};

describe('mdlsync mirror', () => {
  test('first pass: the mirror file is made (0600), everything is logged as created, nothing is notified', async () => {
    const r = await ws.cli(['mirror']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/first pass: changes logged, not notified/);
    expect(r.stdout).toMatch(/courses 2: content read for 2 \(changes found by cacherev\), memberships read for 2/);
    expect(r.stdout).toMatch(/^ {2}module +4 +0 +0$/m);
    const db = join(ws.dir, '.mdlsync', 'mirror.sqlite');
    expect(statSync(db).mode & 0o777).toBe(0o600);
    const s = ws.lastSummary() as Record<string, unknown> & { reportDir: string };
    expect(s).toMatchObject({ kind: 'mirror', status: 'ok', firstPass: true, contentRead: 2, notified: 0 });
    const modules = changesOf(s).filter((c) => c.object === 'module');
    expect(modules.map((m) => m.action)).toEqual(['created', 'created', 'created', 'created']);
    expect(existsSync(notified)).toBe(false);
    const names = new Database(db, { readonly: true }).prepare('SELECT name FROM modules ORDER BY id').pluck().all();
    expect(names).toEqual(['Cell notes', 'Discussion', 'Atoms', 'Cells quiz']);
  });

  test('a module renamed in Moodle is in the next change log and runs onChange once; an unchanged scheduled pass adds nothing', async () => {
    ws.sandbox.content.updateModule(site.page, { name: 'Cell biology notes' });
    // A 500 page on the content read: the read is tried again, the pass goes through.
    ws.sandbox.faults.add({ kind: 'http500', fn: 'core_course_get_contents' });
    const r = await ws.cli(['mirror']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/content read for 1 /);
    expect(r.stdout).toMatch(/onChange: 1 notified, 0 failed/);
    expect(ws.lastSummary()).toMatchObject({ moodleCalls: { byFunction: { core_course_get_contents: 2 } } });
    const changes = changesOf(ws.lastSummary());
    expect(changes).toEqual([
      expect.objectContaining({ object: 'module', action: 'updated', id: site.page, course_id: site.courses.BIO, before: expect.objectContaining({ name: 'Cell notes' }) }),
    ]);
    const sent = readFileSync(notified, 'utf8').trim().split('\n');
    expect(sent.map((l) => JSON.parse(l))).toEqual(changes);

    const job = await ws.cli(['schedule', '--once', 'mirror-hourly']);
    expect(job.code).toBe(0);
    expect(job.stdout).toMatch(/Mirror up to date: 0 created, 0 updated, 0 deleted; content read for 0 of 2 courses\./);
    expect(readFileSync(notified, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
