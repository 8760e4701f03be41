/**
 * One picture to Moodle: upload.php into a new draft area of the token user, then core_user_update_picture for the
 * person. Transient failures are tried again (a repeated upload only makes another draft; a repeated update sets
 * the same picture again). An update whose answer never came may have been saved: the user is read back, and a new
 * icon revision means it was.
 */
import type { Outcome } from '../apply/types.js';
import { codeOf } from '../apply/engine.js';
import type { PictureStore } from '../ledger/index.js';
import type { PictureMatch } from '../ledger/index.js';
import {
  MoodleError,
  getUsersByField,
  mayHaveCommitted,
  pictureRevision,
  updatePicture,
  uploadToDraft,
  type MoodleClient,
} from '../moodle/index.js';
import type { Retry } from '../resolve/common.js';
import type { ImageInfo } from './image-type.js';

/** A picture checked and ready to go to a known Moodle user. */
export interface ReadyPicture {
  file: string;
  name: string;
  /** Read from its file just before it is sent (a run holds one picture per connection in memory, not all). */
  content: Buffer;
  sha256: string;
  image: ImageInfo;
  moodleId: number;
}

export interface SendContext {
  client: MoodleClient;
  pictures: PictureStore;
  retry: Retry;
  runId: string;
  match: PictureMatch;
  /** Set once upload.php refuses the service: the pictures after it are failed without a call. */
  uploadsRefused: { message: string } | null;
}

const fail = (p: ReadyPicture, errorcode: Outcome['errorcode'], message: string): Outcome =>
  ({ line: null, type: 'pictures', key: p.file, action: 'update', outcome: 'failed', moodleId: p.moodleId, errorcode, message });

export async function sendPicture(ctx: SendContext, p: ReadyPicture): Promise<Outcome> {
  if (ctx.uploadsRefused) return fail(p, 'uploads-disabled', ctx.uploadsRefused.message);
  let draft;
  try {
    draft = await ctx.retry(() => uploadToDraft(ctx.client, { name: p.file, content: p.content, type: p.image.mimetype }));
  } catch (err) {
    if (err instanceof MoodleError && err.errorcode === 'accessexception') {
      ctx.uploadsRefused = { message: `webservice/upload.php refused the token's service (${err.message}): tick "Can upload files" on the service` };
      return fail(p, 'uploads-disabled', ctx.uploadsRefused.message);
    }
    return fail(p, codeOf(err), `upload failed: ${(err as Error).message}`);
  }
  if ('errortype' in draft) {
    const code = draft.errortype === 'fileoversized' ? 'picture-too-large' : 'error';
    return fail(p, code, `upload.php did not store the file (${draft.errortype}: ${draft.error})`);
  }
  const before = (await ctx.pictures.lastFor(p.moodleId))?.revision ?? null;
  let revision: number | null;
  let note = '';
  try {
    const reply = await ctx.retry(() => updatePicture(ctx.client, draft.itemid, p.moodleId));
    if (!reply.success) return fail(p, 'picture-not-set', 'Moodle answered success false: the picture did not change (the draft area held no file)');
    revision = pictureRevision(reply.profileimageurl);
  } catch (err) {
    if (!mayHaveCommitted(err)) return fail(p, codeOf(err), (err as Error).message);
    // Moodle may have saved the picture and failed afterwards (or the answer was lost): read the user back.
    const seen = await readRevision(ctx, p.moodleId);
    if (seen === null || seen === before) return fail(p, codeOf(err), `${(err as Error).message} (read back: the picture did not change)`);
    revision = seen;
    note = `Moodle's answer failed (${(err as Error).message}), but reading the user back shows the new picture`;
  }
  // Success with the default image URL: Moodle removed the picture instead of setting it (a file GD could not read).
  if (revision === null) return fail(p, 'not-an-image', 'Moodle could not make a picture of the file and removed the user\'s picture');
  await ctx.pictures.put({ match: ctx.match, name: p.name, moodleId: p.moodleId, sha256: p.sha256, bytes: p.content.length, revision, lastRun: ctx.runId });
  return { line: null, type: 'pictures', key: p.file, action: 'update', outcome: 'ok', moodleId: p.moodleId, ...(note ? { message: note } : {}) };
}

async function readRevision(ctx: SendContext, moodleId: number): Promise<number | null> {
  try {
    const [u] = await ctx.retry(() => getUsersByField(ctx.client, 'id', [String(moodleId)]));
    return pictureRevision(typeof u?.profileimageurl === 'string' ? u.profileimageurl : undefined);
  } catch {
    return null;
  }
}
