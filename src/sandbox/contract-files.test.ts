/**
 * Replays the recorded picture and file cases of contract/2026-12/ (197–203) against the sandbox, as the sequence the
 * recording ran: upload.php refused while the service's uploadfiles is off (197), an empty draft (198), then with
 * uploads on an image upload and picture (199, 200), a text file upload and the picture call that removes the
 * picture (201, 202: the GOTCHA), and core_files_upload, which the flag does not guard (203). Each answer is compared
 * with the recording (ids and site URLs by type and shape), and mdl_user.picture and the icon files afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FormData, request } from 'undici';
import { postRaw, rewriteRecorded, type RecordedCall } from '../../test/moodle-contract.js';
import { SandboxHandle, startSandbox, UPLOAD_PATH } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

interface UploadFile {
  filename: string;
  content_type: string;
  size: number;
  content_base64: string;
}
interface Case extends RecordedCall<{ object: Record<string, unknown> & { file_1?: UploadFile } }> {
  after?: {
    user_row?: { rows: { picture: number }[] };
    get_users_by_field?: { response: { profileimageurl: string; profileimageurlsmall: string }[] };
    icon_files?: { rows: { filearea: string; itemid: number; filename: string; mimetype: string; filesize: number }[] };
  };
}
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Case;

/** The recorded multipart POST: token, filearea, itemid and file_1, as undici's FormData sends it. */
async function uploadAsRecorded(sb: SandboxHandle, rec: Case): Promise<{ status: number; contentType: string; text: string }> {
  const o = rec.params.object;
  const f = o.file_1 as UploadFile;
  const form = new FormData();
  form.append('token', sb.token);
  form.append('filearea', String(o.filearea));
  form.append('itemid', String(o.itemid));
  form.append('file_1', new Blob([Buffer.from(f.content_base64, 'base64')], { type: f.content_type }), f.filename);
  const res = await request(sb.url + UPLOAD_PATH, { method: 'POST', body: form });
  return { status: res.statusCode, contentType: String(res.headers['content-type']), text: await res.body.text() };
}

const DEFAULT_PICTURE = /^http:\/\/127\.0\.0\.1:\d+\/theme\/image\.php\/boost\/core\/\d+\/u\/f[12]$/;
const ICON = (size: string) => new RegExp(`^http://127\\.0\\.0\\.1:\\d+/pluginfile\\.php/\\d+/user/icon/boost/${size}\\?rev=(\\d+)$`);

let sb: SandboxHandle;
let userId = 0;
let draftItemId = 0;

async function call(fn: string, params: string): Promise<unknown> {
  const r = await postRaw(sb, `wstoken=${sb.token}&wsfunction=${fn}&moodlewsrestformat=json&${params}`);
  return JSON.parse(r.text) as unknown;
}

/** The recorded body with the sandbox's token, user id and draft item id. */
const rewrite = (encoded: string, ids: { userid?: number; draftitemid?: number }) =>
  rewriteRecorded(encoded, sb.token, (name) => (name === 'userid' ? ids.userid : name === 'draftitemid' ? ids.draftitemid : undefined));

/** mdl_user.picture, the profile URLs and the icon files, as the recording read them after the call. */
async function checkAfter(rec: Case): Promise<void> {
  const after = rec.after!;
  const picture = sb.users.byId(userId)!.picture;
  const recordedPicture = after.user_row!.rows[0].picture;
  expect(picture === 0).toBe(recordedPicture === 0);
  const [u] = (await call('core_user_get_users_by_field', `field=id&values[0]=${userId}`)) as { profileimageurl: string; profileimageurlsmall: string }[];
  const [want] = after.get_users_by_field!.response;
  for (const [key, size] of [['profileimageurl', 'f1'], ['profileimageurlsmall', 'f2']] as const) {
    if (DEFAULT_PICTURE.test(want[key])) expect(u[key]).toMatch(DEFAULT_PICTURE);
    else expect(ICON(size).exec(u[key])?.[1]).toBe(String(picture));
  }
  expect(sb.iconFiles(userId).map((f) => [f.filename, f.mimetype])).toEqual(after.icon_files!.rows.map((f) => [f.filename, f.mimetype]));
}

beforeAll(async () => {
  // The recorded site: debugging off, the csvsync service's "Can upload files" off (Moodle's default).
  sb = await startSandbox({ debug: false, uploadFiles: false });
  const made = (await call('core_user_create_users', 'users[0][username]=r2pic1&users[0][password]=Passw0rd!x' +
    '&users[0][firstname]=R2pic1&users[0][lastname]=Rtwo&users[0][email]=r2pic1%40example.com&users[0][idnumber]=R2PIC1')) as { id: number }[];
  userId = made[0].id;
});
afterAll(() => sb.close());

describe('recorded Moodle 4.5 files and pictures (contract/2026-12)', () => {
  test('197 upload.php with the service\'s uploadfiles off: HTTP 200, text/plain, the AJAX error shape', async () => {
    const rec = load('197_upload_php_service_uploadfiles_off');
    const r = await uploadAsRecorded(sb, rec);
    expect([r.status, r.contentType]).toEqual([rec.status, rec.content_type]);
    expect(JSON.parse(r.text)).toEqual(rec.response);
    const info = (await call('core_webservice_get_site_info', '')) as { uploadfiles: number };
    expect(info.uploadfiles).toBe(0);
  });

  test('198 update_picture of an empty draft: success false, no picture', async () => {
    const rec = load('198_update_picture_empty_draft');
    const r = await postRaw(sb, rewrite(rec.params.encoded, { userid: userId }));
    expect([r.status, r.contentType]).toEqual([rec.status, rec.content_type]);
    expect(JSON.parse(r.text)).toEqual(rec.response);
    await checkAfter(rec);
  });

  test('199 upload.php of an image with uploadfiles on: one entry per file, a new draft item id', async () => {
    sb.service.uploadfiles = true;
    const rec = load('199_upload_php_image_ok');
    const r = await uploadAsRecorded(sb, rec);
    expect([r.status, r.contentType]).toEqual([rec.status, rec.content_type]);
    const [got] = JSON.parse(r.text) as Record<string, unknown>[];
    const [want] = rec.response as Record<string, unknown>[];
    expect(Object.keys(got)).toEqual(Object.keys(want));
    expect(typeof got.itemid).toBe('number');
    expect({ ...got, itemid: 0 }).toEqual({ ...want, itemid: 0 });
    draftItemId = got.itemid as number;
  });

  test('200 update_picture of that draft: success true, picture = the f1 icon file, icons f1 f2 f3', async () => {
    const rec = load('200_update_picture_ok');
    const r = await postRaw(sb, rewrite(rec.params.encoded, { userid: userId, draftitemid: draftItemId }));
    const got = JSON.parse(r.text) as { success: boolean; profileimageurl: string; warnings: unknown[] };
    expect(Object.keys(got)).toEqual(Object.keys(rec.response as object));
    expect(got.success).toBe(true);
    expect(got.warnings).toEqual([]);
    expect(ICON('f1').exec(got.profileimageurl)?.[1]).toBe(String(sb.users.byId(userId)!.picture));
    expect(sb.users.byId(userId)!.picture).toBeGreaterThan(0);
    await checkAfter(rec);
  });

  test('201 upload.php takes a text file as readily as an image', async () => {
    const rec = load('201_upload_php_text_file_ok');
    const r = await uploadAsRecorded(sb, rec);
    const [got] = JSON.parse(r.text) as Record<string, unknown>[];
    const [want] = rec.response as Record<string, unknown>[];
    expect({ ...got, itemid: 0 }).toEqual({ ...want, itemid: 0 });
    draftItemId = got.itemid as number;
  });

  test('202 update_picture of a non-image draft: success TRUE, and the picture is REMOVED (old icon files stay)', async () => {
    const rec = load('202_update_picture_non_image');
    const r = await postRaw(sb, rewrite(rec.params.encoded, { userid: userId, draftitemid: draftItemId }));
    const got = JSON.parse(r.text) as { success: boolean; profileimageurl: string; warnings: unknown[] };
    expect(Object.keys(got)).toEqual(Object.keys(rec.response as object));
    expect(got.success).toBe(true);
    expect(got.profileimageurl).toMatch(DEFAULT_PICTURE);
    expect(sb.users.byId(userId)!.picture).toBe(0);
    await checkAfter(rec);
  });

  test('203 core_files_upload works with uploadfiles off: base64 into the token user\'s draft area', async () => {
    sb.service.uploadfiles = false;
    const rec = load('203_files_upload_user_draft_r2');
    const r = await postRaw(sb, rewrite(rec.params.encoded, {}));
    expect([r.status, r.contentType]).toEqual([rec.status, rec.content_type]);
    const got = JSON.parse(r.text) as Record<string, unknown>;
    const want = rec.response as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(Object.keys(want));
    expect({ ...got, itemid: 0, url: '' }).toEqual({ ...want, itemid: 0, url: '' });
    expect(got.url).toBe(`${sb.url}/draftfile.php/5/user/draft/${String(got.itemid)}/r2pic.png`);
  });
});
