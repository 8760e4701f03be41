/**
 * core_user_update_picture (user/externallib.php, core_user::update_picture() in user/classes/user.php and
 * process_new_icon() in lib/gdlib.php, Moodle 4.5), with the behaviour the recordings show:
 * - the draft area is the token user's (file_save_draft_area_files() reads $USER's drafts), at most one file taken;
 * - an empty draft leaves the picture as it was and answers success false (contract/2026-12/198);
 * - an image (GIF, JPEG, PNG that getimagesize() reads) becomes icon files f1, f2, f3 and mdl_user.picture = the f1
 *   file's id; success true with the pluginfile URL (200);
 * - any other file makes process_new_icon() return false, so picture becomes 0: success TRUE, and the user's
 *   picture is gone while the old icon files stay (202). A user without a picture gets success false (0 == 0).
 */
import type { FunctionContext, WsFunction } from './context.js';
import { missingRecord, moodleException } from './errors.js';
import { userContextId } from './file-store.js';
import { single, value, VALUE_DEFAULT, VALUE_OPTIONAL, warningsDesc } from './params.js';
import { imageInfo } from '../pictures/image-type.js';
import { pictureUrl, TOKEN_USER_ID } from './users.js';

const GUEST_ID = 1;

/** core_user::require_active_user($user): deleted, unconfirmed and guest accounts are refused. */
function requireActiveUser(u: { id: number; deleted: number; confirmed: number; username: string }): void {
  if (u.deleted) throw moodleException('userdeleted', 'User has been deleted');
  if (!u.confirmed) throw moodleException('usernotconfirmed', `The user account for ${u.username} has not been confirmed`);
  if (u.id === GUEST_ID) throw moodleException('guestsarenotallowed', 'The guest user cannot do this');
}

/** process_new_icon(): the f1 file's id, or false for a file GD cannot read as GIF, JPEG or PNG. */
function processNewIcon(ctx: FunctionContext, contextid: number, content: Buffer): number | false {
  const info = imageInfo(content);
  if (!info) return false;
  // Moodle resizes to 100, 35 and 512 pixels (PNG, or JPEG for a JPEG); the sandbox keeps the original bytes.
  const ext = info.type === 'jpeg' ? '.jpg' : '.png';
  const mimetype = info.type === 'jpeg' ? 'image/jpeg' : 'image/png';
  ctx.store.files.deleteArea(contextid, 'user', 'icon', 0);
  const base = { contextid, component: 'user', filearea: 'icon', itemid: 0, filepath: '/', mimetype, content };
  const f1 = ctx.store.files.add({ ...base, filename: `f1${ext}` });
  ctx.store.files.add({ ...base, filename: `f2${ext}` });
  ctx.store.files.add({ ...base, filename: `f3${ext}` });
  return f1;
}

function updatePicture(ctx: FunctionContext, p: Record<string, unknown>): unknown {
  const userid = p.userid as number;
  const id = userid === 0 ? TOKEN_USER_ID : userid;
  const user = ctx.store.get(id);
  if (!user) throw missingRecord('user', 'SELECT * FROM {user} WHERE id = ?', [id]);
  if (id !== TOKEN_USER_ID) requireActiveUser(user);
  // noprofileedit (an auth plugin that cannot edit profiles, or edits them elsewhere) is not modelled.
  const contextid = userContextId(id);
  let picture = user.picture;
  const success = ctx.store.transaction(() => {
    if (p.delete) {
      ctx.store.files.deleteArea(contextid, 'user', 'icon');
      picture = 0;
    }
    // file_save_draft_area_files(draftitemid → newicon, maxfiles 1), then the one file of newicon, if any.
    const draft = ctx.store.files.area(userContextId(TOKEN_USER_ID), 'user', 'draft', p.draftitemid as number);
    if (draft.length > 0) picture = processNewIcon(ctx, contextid, draft[0].content) || 0;
    if (picture === user.picture) return false;
    ctx.store.update(id, { picture });
    return true;
  });
  const result: Record<string, unknown> = { success, warnings: [] };
  if (success) result.profileimageurl = pictureUrl(ctx, 'f1', { id, picture, theme: user.theme });
  return result;
}

export const USER_PICTURE_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_user_update_picture',
    params: single({
      draftitemid: value('int'),
      delete: value('bool', VALUE_DEFAULT, false),
      userid: value('int', VALUE_DEFAULT, 0),
    }),
    returns: single({
      success: value('bool'),
      profileimageurl: value('url', VALUE_OPTIONAL),
      warnings: warningsDesc,
    }),
    write: true,
    run: updatePicture,
  },
];
