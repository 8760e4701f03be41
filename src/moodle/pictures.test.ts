import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectReplay } from '../../test/moodle-contract.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { MoodleClient, UPLOAD_SCRIPT } from './client.js';
import { MoodleError } from './errors.js';
import { filesUpload, pictureRevision, updatePicture, uploadToDraft } from './pictures.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('picture wrappers against the recorded cases', () => {
  it.each(['113_update_user_picture', '2026-12/198_update_picture_empty_draft', '2026-12/200_update_picture_ok', '2026-12/202_update_picture_non_image'])(
    'updatePicture replays %s', (name) =>
      expectReplay(name, (c, o) => updatePicture(c, o.draftitemid as number, o.userid as number)),
  );
  it.each(['112_files_upload_user_draft', '2026-12/203_files_upload_user_draft_r2'])('filesUpload replays %s', (name) =>
    expectReplay(name, (c, o) => filesUpload(c, o.instanceid as number, o.filename as string, Buffer.from(o.filecontent as string, 'base64'))),
  );
  it('pictureRevision reads the icon URL, null for the theme default', () => {
    expect(pictureRevision('http://m/pluginfile.php/17518/user/icon/boost/f1?rev=14')).toBe(14);
    expect(pictureRevision('http://m/theme/image.php/boost/core/1796441012/u/f1')).toBeNull();
    expect(pictureRevision(undefined)).toBeNull();
  });
});

describe('MoodleClient.upload against the sandbox (multipart over HTTP)', () => {
  let sb: SandboxHandle;
  let client: MoodleClient;
  beforeAll(async () => {
    sb = await startSandbox({ debug: false, maxBytes: 100 });
    client = new MoodleClient({ url: sb.url, token: sb.token });
  });
  afterAll(async () => {
    await client.close();
    await sb.close();
  });

  it('stores the file in a new draft area and counts the call under webservice/upload.php', async () => {
    const got = await uploadToDraft(client, { name: 'p.png', content: PNG, type: 'image/png' });
    expect(got).toMatchObject({ filename: 'p.png', filesize: PNG.length, contextid: 5 });
    expect(client.stats.byFunction[UPLOAD_SCRIPT]).toBe(1);
    expect(sb.stats.byFunction[UPLOAD_SCRIPT]).toBe(1);
  });

  it('a file over the site\'s maxbytes comes back as a fileoversized entry, not an error', async () => {
    await expect(uploadToDraft(client, { name: 'big.png', content: Buffer.alloc(200, 1) })).resolves.toMatchObject({ errortype: 'fileoversized' });
  });

  it('uploadfiles off: MoodleError accessexception, the token nowhere in it', async () => {
    sb.service.uploadfiles = false;
    try {
      const err = await uploadToDraft(client, { name: 'p.png', content: PNG }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MoodleError);
      expect(err).toMatchObject({ wsfunction: UPLOAD_SCRIPT, errorcode: 'accessexception', message: 'Access control exception' });
      expect(JSON.stringify(err) + String(err)).not.toContain(sb.token);
    } finally {
      sb.service.uploadfiles = true;
    }
  });

  it('a wrong token: invalidtoken', async () => {
    const other = new MoodleClient({ url: sb.url, token: 'wrongtoken' });
    try {
      await expect(uploadToDraft(other, { name: 'p.png', content: PNG })).rejects.toMatchObject({ errorcode: 'invalidtoken' });
    } finally {
      await other.close();
    }
  });
});
