/**
 * `mdlsync pictures` through the real CLI against the sandbox: pictures set (user.picture = the icon file), unchanged
 * ones skipped with no call on the next run, a non-image and an oversized file failing their rows before any upload
 * (and the non-image NOT removing the user's picture, as Moodle would: contract/2026-12/202), the tryback folder,
 * a zip matched by username (archived), and a service without "Can upload files" refused with the fix.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yazl from 'yazl';
import { gif, jpeg, png } from './images.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let w: Workspace;
const photos = () => join(w.dir, 'photos');
const user = (key: string) => w.sandbox.users.byIdnumber(key)[0];
const rowsCsv = (): string[] => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8').trim().split('\n').slice(1);
const calls = () => (w.lastSummary() as unknown as { moodleCalls: { byFunction: Record<string, number> } }).moodleCalls.byFunction;

function zipOf(path: string, files: [string, Buffer][]): Promise<void> {
  return new Promise((resolve) => {
    const z = new yazl.ZipFile();
    for (const [name, content] of files) z.addBuffer(content, name);
    z.outputStream.pipe(createWriteStream(path)).on('close', () => resolve());
    z.end();
  });
}

beforeAll(async () => {
  w = await workspace();
  // A small size limit (the sandbox site's own is PHP's 2 MB) so an oversized picture stays small.
  writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, pictures: { maxBytes: 20000 } }));
  expect((await w.cli(['run', w.write('people.txt', sisFile(SIS_HEADER, persons(5)))])).code).toBe(0);
  mkdirSync(photos());
  writeFileSync(join(photos(), 'P0001.png'), png(48, 48));
  writeFileSync(join(photos(), 'P0002.jpg'), jpeg(120, 160));
  writeFileSync(join(photos(), 'P0003.gif'), gif(32, 32));
  writeFileSync(join(photos(), 'P0004.png'), png(64, 64, [1, 2, 3], 30000)); // 30 KB: over pictures.maxBytes
  writeFileSync(join(photos(), 'P0042.png'), png(8, 8)); // nobody has that key
});
afterAll(() => w.close());

describe('mdlsync pictures', () => {
  test('first run: the pictures are set; the oversized and the unknown person fail their rows; a tryback folder', async () => {
    const r = await w.cli(['pictures', photos()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/ok 3 {2}unchanged 0 {2}failed 2/);
    expect(r.stdout).toMatch(/FAILED P0004\.png\tpicture-too-large\tthe file is 30 KB, more than the 20 KB/);
    expect(r.stdout).toMatch(/FAILED P0042\.png\tunknown-person/);
    for (const key of ['P0001', 'P0002', 'P0003']) {
      expect(user(key).picture).toBeGreaterThan(0);
      expect(w.sandbox.iconFiles(user(key).id).map((f) => f.filename)).toHaveLength(3);
    }
    expect(w.sandbox.iconFiles(user('P0002').id)[0].filename).toBe('f1.jpg');
    expect(user('P0004').picture).toBe(0);
    // Two calls per picture sent; nothing for the oversized one.
    expect(calls()).toMatchObject({ 'webservice/upload.php': 3, core_user_update_picture: 3 });
    const s = w.lastSummary() as unknown as { tryback: string; kind: string; maxBytes: number; sourceKind: string; archivedAs: string | null };
    expect(s).toMatchObject({ kind: 'pictures', maxBytes: 20000, sourceKind: 'folder', archivedAs: null });
    expect(readdirSync(s.tryback).sort()).toEqual(['P0004.png', 'P0042.png']);
    expect(statSync(s.tryback).mode & 0o777).toBe(0o700);
    expect(statSync(join(s.tryback, 'P0004.png')).mode & 0o777).toBe(0o600);
  });

  test('second run: unchanged pictures cost no call; a non-image fails BEFORE upload and the picture stays', async () => {
    const before = user('P0003').picture;
    writeFileSync(join(photos(), 'P0003.gif'), 'Student notes, not an image.\n'); // replaced by a text file
    const r = await w.cli(['pictures', photos()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/ok 0 {2}unchanged 2 {2}failed 3/);
    expect(rowsCsv()).toEqual(expect.arrayContaining([
      expect.stringMatching(/^,P0001\.png,unchanged,unchanged,\d+,,,pictures,/),
      expect.stringMatching(/^,P0003\.gif,fail,failed,,not-an-image,"text, not an image: Moodle makes user pictures of GIF, JPEG and PNG images only/),
    ]));
    expect(calls()['webservice/upload.php']).toBeUndefined();
    expect(calls().core_user_update_picture).toBeUndefined();
    expect(user('P0003').picture).toBe(before);
  });

  test('a zip of pictures named by username: matched through Moodle, the zip archived', async () => {
    const zip = join(w.dir, 'pics.zip');
    await zipOf(zip, [['pUser0005.PNG', png(20, 20)], ['__MACOSX/._pUser0005.PNG', Buffer.from('x')]]);
    const r = await w.cli(['pictures', zip, '--match', 'username']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(zip, 1 file\(s\), named by username\)/);
    expect(user('P0005').picture).toBeGreaterThan(0);
    const s = w.lastSummary() as unknown as { archivedAs: string };
    expect(readFileSync(s.archivedAs).equals(readFileSync(zip))).toBe(true);
  });

  test('a service that may not upload files: refused before any upload, with the fix', async () => {
    w.sandbox.service.uploadfiles = false;
    try {
      const r = await w.cli(['pictures', photos(), '--full']);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/No picture was sent: the token's web service may not upload files .*tick "Can upload files" on the service/);
      expect((w.lastSummary() as unknown as { error: { code: string } }).error.code).toBe('uploads-disabled');
      expect(calls()['webservice/upload.php']).toBeUndefined();
    } finally {
      w.sandbox.service.uploadfiles = true;
    }
  });
});
