/**
 * User pictures: files into the token user's draft area (webservice/upload.php, or core_files_upload), and
 * core_user_update_picture, which makes the draft's one file the user's picture. Moodle's behaviour
 * (contract/2026-12/197–203): upload.php needs the service's "Can upload files" (uploadfiles) and takes any file;
 * update_picture answers success false for an empty draft, and success TRUE for a non-image while it REMOVES the
 * user's picture, so a caller checks that the file is an image before it ever gets here (src/pictures/).
 */
import { capabilitiesFor } from './capabilities.js';
import { ProtocolError } from './errors.js';
import type { UploadFile } from './client.js';
import type { MoodleCaller, MoodleWarning } from './types.js';

/** The wsfunctions `mdlsync pictures` calls (upload.php is a script outside the service's functions). */
export const PICTURE_FUNCTIONS: string[] = [
  'core_webservice_get_site_info',
  'core_user_get_users_by_field',
  'core_user_update_picture',
];
/** What those functions need (upload.php itself asks for the service's "Can upload files", not a capability). */
export const PICTURE_CAPABILITIES: readonly string[] = capabilitiesFor(PICTURE_FUNCTIONS);

/** What can post to upload.php (MoodleClient). */
export interface DraftUploader {
  upload(files: readonly UploadFile[], itemid?: number): Promise<unknown>;
}

/** One file of upload.php's reply: stored in the draft area, or refused with a reason (fileoversized, filenameexist). */
export type DraftFile =
  | { filename: string; itemid: number; filesize: number; contextid: number }
  | { filename: string; errortype: string; error: string };

/** Uploads one file into a new draft area; its entry in upload.php's reply. */
export async function uploadToDraft(u: DraftUploader, file: UploadFile): Promise<DraftFile> {
  const reply = await u.upload([file], 0);
  if (!Array.isArray(reply) || reply.length !== 1 || typeof reply[0] !== 'object' || reply[0] === null) {
    throw new ProtocolError(`webservice/upload.php answered ${JSON.stringify(reply).slice(0, 120)} for one file: expected one entry`);
  }
  const e = reply[0] as Record<string, unknown>;
  if (typeof e.errortype === 'string') return { filename: String(e.filename ?? file.name), errortype: e.errortype, error: String(e.error ?? '') };
  if (typeof e.itemid !== 'number') throw new ProtocolError('webservice/upload.php answered an entry without a draft item id');
  return { filename: String(e.filename), itemid: e.itemid, filesize: Number(e.filesize), contextid: Number(e.contextid) };
}

export interface UpdatePictureResult {
  /** True when mdl_user.picture changed (to a new icon, or to none: see the module comment). */
  success: boolean;
  profileimageurl?: string;
  warnings: MoodleWarning[];
}

/** The draft area's file becomes the user's picture (userid 0: the token user). */
export async function updatePicture(c: MoodleCaller, draftitemid: number, userid: number): Promise<UpdatePictureResult> {
  const reply = await c.call<UpdatePictureResult>('core_user_update_picture', { draftitemid, delete: 0, userid });
  return { success: reply?.success === true, ...(reply?.profileimageurl !== undefined ? { profileimageurl: reply.profileimageurl } : {}), warnings: reply?.warnings ?? [] };
}

export interface FilesUploadResult {
  contextid: number;
  component: string;
  filearea: string;
  itemid: number;
  filepath: string;
  filename: string;
  url: string;
}

/**
 * core_files_upload: base64 content into a user's draft area (itemid 0: a new one). Not guarded by uploadfiles
 * (contract/2026-12/203), but the content travels base64 in a form body: a third bigger than upload.php's.
 */
export function filesUpload(c: MoodleCaller, instanceid: number, filename: string, content: Buffer, itemid = 0): Promise<FilesUploadResult> {
  return c.call<FilesUploadResult>('core_files_upload', {
    component: 'user', filearea: 'draft', itemid, filepath: '/', filename, filecontent: content.toString('base64'),
    contextlevel: 'user', instanceid,
  });
}

/** The icon revision in a picture URL (pluginfile.php/…/user/icon/…/f1?rev=N), or null for the default image. */
export function pictureRevision(url: string | undefined): number | null {
  const m = url === undefined ? null : /\/user\/icon\/[^?]*\?rev=(\d+)/.exec(url);
  return m ? Number(m[1]) : null;
}
