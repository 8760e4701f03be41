/** A scheduled pictures job (`jobs[].pictures`): the folder's pictures set, the next tick sends nothing unchanged. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJob, runJob } from '../src/automation/index.js';
import { loadConfig } from '../src/config/index.js';
import { createUsers, MoodleClient } from '../src/moodle/index.js';
import { captureLogger, configFor } from './automation-helpers.js';
import { png } from './images.js';
import { workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

describe('schedule: a pictures job', () => {
  test('runs mdlsync pictures on its folder; a missing folder is nothing to do', async () => {
    ws = await workspace();
    const client = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    const [{ id }] = await createUsers(client, [{ username: 'zoe', firstname: 'Zoe', lastname: 'Ng', email: 'zoe@example.edu', password: 'Secret-1234x' }]);
    await client.close();
    mkdirSync(join(ws.dir, 'photos'));
    writeFileSync(join(ws.dir, 'photos', 'zoe.png'), png(30, 30));
    const config = configFor(ws, {
      jobs: [
        { name: 'photos', cron: '0 2 * * *', pictures: join(ws.dir, 'photos'), match: 'username' },
        { name: 'later', cron: '0 3 * * *', pictures: join(ws.dir, 'nowhere') },
      ],
    });
    const log = captureLogger();
    const first = await runJob(findJob(config, 'photos'), { config, logger: log.logger });
    expect(first).toMatchObject({ status: 'ok', exitCode: 0, files: [{ message: 'Pictures done: 1 sent, 0 unchanged, 0 failed.' }] });
    expect(ws.sandbox.users.byId(id)!.picture).toBeGreaterThan(0);
    const second = await runJob(findJob(config, 'photos'), { config, logger: log.logger });
    expect(second.files[0].message).toBe('Pictures done: 0 sent, 1 unchanged, 0 failed.');
    expect(ws.sandbox.stats.byFunction['webservice/upload.php']).toBe(1);
    expect(await runJob(findJob(config, 'later'), { config, logger: log.logger })).toMatchObject({ status: 'nothing-to-do', exitCode: 0 });
  });

  test('a pictures job gives "pictures" alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlsync-test-'));
    writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ jobs: [{ name: 'p', cron: '0 2 * * *', pictures: 'photos', file: 'x.txt' }] }));
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/a pictures job gives "pictures" only/);
  });
});
