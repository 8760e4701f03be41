/** One picture to the sandbox over HTTP: the answer lost after Moodle saved it (read back), or before (failed). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { png } from '../../test/images.js';
import { SqliteLedger } from '../ledger/index.js';
import { MoodleClient, createUsers } from '../moodle/index.js';
import { retrier } from '../resolve/common.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { imageInfo } from './image-type.js';
import { sendPicture, type ReadyPicture, type SendContext } from './send.js';

let sb: SandboxHandle;
let client: MoodleClient;
let ledger: SqliteLedger;
let userId: number;

beforeAll(async () => {
  sb = await startSandbox();
  client = new MoodleClient({ url: sb.url, token: sb.token });
  ledger = SqliteLedger.open(':memory:');
  [{ id: userId }] = await createUsers(client, [{ username: 'pic1', firstname: 'P', lastname: 'One', email: 'pic1@example.edu', password: 'Secret-1234x' }]);
});
afterAll(async () => {
  await ledger.close();
  await client.close();
  await sb.close();
});

const content = png(10, 10);
const picture = (): ReadyPicture => ({ file: 'P1.png', name: 'P1', content, sha256: 'h', image: imageInfo(content)!, moodleId: userId });
const context = (): SendContext => ({ client, pictures: ledger.pictures, retry: retrier({ retries: 2, backoffMs: 1 }), runId: 'r1', match: 'key', uploadsRefused: null });

describe('sendPicture', () => {
  test('every answer lost after Moodle saved the picture: the user is read back and the row is ok', async () => {
    sb.faults.add({ fn: 'core_user_update_picture', kind: 'commit-then-drop', times: 2 });
    const got = await sendPicture(context(), picture());
    expect(got).toMatchObject({ outcome: 'ok', moodleId: userId, message: expect.stringMatching(/reading the user back shows the new picture/) });
    expect(sb.users.byId(userId)!.picture).toBeGreaterThan(0);
    expect((await ledger.pictures.lastFor(userId))?.revision).toBe(sb.users.byId(userId)!.picture);
  });

  test('every request dropped before Moodle ran it: read back, unchanged, the row fails as transient', async () => {
    const before = sb.users.byId(userId)!.picture;
    sb.faults.add({ fn: 'core_user_update_picture', kind: 'drop', times: 2 });
    const got = await sendPicture(context(), picture());
    expect(got).toMatchObject({ outcome: 'failed', errorcode: 'transient', message: expect.stringMatching(/read back: the picture did not change/) });
    expect(sb.users.byId(userId)!.picture).toBe(before);
  });

  test('upload.php refusing the service fails this picture and the next without a call', async () => {
    sb.service.uploadfiles = false;
    try {
      const ctx = context();
      expect(await sendPicture(ctx, picture())).toMatchObject({ outcome: 'failed', errorcode: 'uploads-disabled' });
      const calls = sb.stats.calls;
      expect(await sendPicture(ctx, picture())).toMatchObject({ outcome: 'failed', errorcode: 'uploads-disabled' });
      expect(sb.stats.calls).toBe(calls);
    } finally {
      sb.service.uploadfiles = true;
    }
  });
});
