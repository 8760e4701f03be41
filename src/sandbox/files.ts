/**
 * Files in: webservice/upload.php (a multipart POST outside the REST server, webservice/upload.php in Moodle 4.5) and
 * core_files_upload (files/externallib.php: base64 content through REST). Both write the token user's draft area,
 * the place core_user_update_picture takes a picture from (user-picture.ts).
 *
 * upload.php is an AJAX_SCRIPT: it answers HTTP 200 with Content-Type text/plain, and its errors have their own
 * shape {error, errorcode, stacktrace, debuginfo, reproductionlink} (contract/2026-12/197). The service's
 * "Can upload files" flag (uploadfiles) guards it; core_files_upload ignores that flag (203).
 */
import { Response } from 'undici';
import type { FunctionContext, WsFunction } from './context.js';
import { codingException, moodleException, MoodleException, webserviceAccessException } from './errors.js';
import { userContextId } from './file-store.js';
import { phpJsonEncode } from './json.js';
import { single, value, VALUE_DEFAULT } from './params.js';
import { TOKEN_USER_ID } from './users.js';
import type { Reply } from './http.js';

export const UPLOAD_PATH = '/webservice/upload.php';
/** PHP's upload_max_filesize default: a bigger file arrives with UPLOAD_ERR_INI_SIZE. */
export const UPLOAD_MAX_FILESIZE = 2 * 1024 * 1024;
/** $CFG->sitedefaultlicense on the recorded site. */
const SITE_DEFAULT_LICENSE = 'unknown';

/** clean_param($name, PARAM_FILE): no path separators, no control characters, no leading or trailing dots. */
export function cleanFilename(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\x00-\x1f\x7f/\\:"*?<>|]/g, '');
  return cleaned === '.' || cleaned === '..' ? '' : cleaned;
}

/** PHP serialize((object) ['source' => $name]): what upload.php stores as the file's source. */
function serializedSource(name: string): string {
  return `O:8:"stdClass":1:{s:6:"source";s:${Buffer.byteLength(name)}:"${name}";}`;
}

function draftUrl(ctx: FunctionContext, contextid: number, itemid: number, filepath: string, filename: string): string {
  return `${ctx.siteUrl}/draftfile.php/${contextid}/user/draft/${itemid}${filepath}${encodeURIComponent(filename)}`;
}

/** What the upload.php request carried: $_POST/$_GET fields and $_FILES. */
export interface UploadRequest {
  fields: Record<string, string>;
  files: { field: string; name: string; content: Buffer }[];
  /** The body was over post_max_size: PHP kept neither fields nor files. */
  tooLarge: boolean;
}

/** The request as PHP would have parsed it: multipart through undici's FormData parser (never by hand). */
export async function parseUploadRequest(contentType: string, body: Buffer, query: URLSearchParams, postMaxSize: number):
  Promise<UploadRequest> {
  const fields: Record<string, string> = Object.fromEntries(query.entries());
  const files: UploadRequest['files'] = [];
  if (body.length > postMaxSize) return { fields, files, tooLarge: true };
  const type = contentType.toLowerCase();
  if (type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    for (const [field, v] of form.entries()) {
      if (typeof v === 'string') fields[field] = v;
      else files.push({ field, name: v.name, content: Buffer.from(await v.arrayBuffer()) });
    }
  }
  return { fields, files, tooLarge: false };
}

export interface UploadService {
  token: string;
  debug: boolean;
  /** The token's service "Can upload files" flag. */
  uploadfiles: boolean;
  /** $CFG->maxbytes (0: only PHP's own limit). */
  maxBytes: number;
}

/** AJAX_SCRIPT's exception handler: HTTP 200, text/plain, the error shape of upload.php. */
function ajaxError(e: MoodleException, debug: boolean): Reply {
  const body = {
    error: e.message,
    errorcode: e.errorcode,
    stacktrace: debug ? `* line 1 of ${UPLOAD_PATH}: ${e.exceptionClass} thrown` : null,
    debuginfo: debug && e.debuginfo !== undefined ? e.debuginfo : null,
    reproductionlink: null,
  };
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: phpJsonEncode(body) };
}

/** webservice/upload.php, step by step as Moodle 4.5 runs it. */
export function uploadPhp(ctx: FunctionContext, service: UploadService, req: UploadRequest): Reply {
  try {
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: phpJsonEncode(upload(ctx, service, req)) };
  } catch (e) {
    if (e instanceof MoodleException) return ajaxError(e, service.debug);
    throw e;
  }
}

function upload(ctx: FunctionContext, service: UploadService, req: UploadRequest): unknown[] {
  const filepath = req.fields.filepath ?? '/';
  const filearea = (req.fields.filearea ?? 'private').replace(/[^a-zA-Z]/g, '');
  const itemidParam = Number.parseInt(req.fields.itemid ?? '0', 10) || 0;
  const token = req.fields.token;
  if (token === undefined) throw moodleException('missingparam', 'A required parameter (token) was missing');
  // Moodle cleans it as PARAM_ALPHANUM; the sandbox's token ('sandbox-token') is compared as the REST server does.
  if (token !== service.token) throw moodleException('invalidtoken', 'Invalid token - token not found');
  if (!service.uploadfiles) throw webserviceAccessException('Web service file upload must be enabled in external service settings');
  const contextid = userContextId(TOKEN_USER_ID);
  if (filearea === 'private') throw moodleException('privatefilesupload');
  if (filearea !== 'draft') throw new MoodleException('file_exception', 'error', 'error/error');

  // Each file: PHP's own limit first (the upload never arrives), then the site's, which only marks the file.
  const siteLimit = service.maxBytes > 0 ? Math.min(service.maxBytes, UPLOAD_MAX_FILESIZE) : UPLOAD_MAX_FILESIZE;
  type Checked = { filename: string; content: Buffer } | { filename: string; errortype: string; error: string };
  const files = req.files.map((f): Checked => {
    if (f.content.length > UPLOAD_MAX_FILESIZE) {
      throw new MoodleException('core\\exception\\moodle_exception', 'upload_error_ini_size',
        'The uploaded file exceeds the upload_max_filesize directive in php.ini.');
    }
    const filename = cleanFilename(f.name);
    if (f.content.length > siteLimit) {
      return { filename, errortype: 'fileoversized', error: 'This file is bigger than the maximum size' };
    }
    return { filename, content: f.content };
  });
  const itemid = itemidParam <= 0 ? ctx.store.files.unusedDraftItemId() : itemidParam;
  const admin = ctx.store.get(TOKEN_USER_ID);
  const author = admin ? `${admin.firstname} ${admin.lastname}` : '';
  const results: unknown[] = [];
  for (const f of files) {
    if ('errortype' in f) {
      results.push(f);
      continue;
    }
    const where = { contextid, component: 'user', filearea, itemid, filepath, filename: f.filename };
    if (ctx.store.files.exists(where)) {
      results.push({ filename: f.filename, errortype: 'filenameexist', error: `File name already exists: ${f.filename}` });
      continue;
    }
    const source = serializedSource(f.filename);
    ctx.store.files.add({ ...where, userid: TOKEN_USER_ID, author, license: SITE_DEFAULT_LICENSE, source, content: f.content });
    results.push({
      component: 'user', contextid, userid: String(TOKEN_USER_ID), filearea, filename: f.filename, filepath, itemid,
      license: SITE_DEFAULT_LICENSE, author, source, filesize: f.content.length,
    });
  }
  return results;
}

/** core_files_upload: base64 content into the token user's draft area (uploadfiles does not guard it: case 203). */
function filesUpload(ctx: FunctionContext, p: Record<string, unknown>): unknown {
  const component = p.component as string;
  const filearea = p.filearea as string;
  if (component !== 'user' || (filearea !== 'draft' && filearea !== 'private')) {
    throw codingException('File can be uploaded to user private or draft areas only');
  }
  let contextid: number;
  if (p.contextid !== null && p.contextid !== undefined && p.contextid !== 0) {
    contextid = p.contextid as number;
  } else if (p.contextlevel === 'user') {
    contextid = userContextId(p.instanceid as number);
  } else {
    throw codingException('Only user contexts hold draft and private files in the sandbox');
  }
  if (filearea === 'private') throw moodleException('privatefilesupload');
  const itemid = (p.itemid as number) <= 0 ? ctx.store.files.unusedDraftItemId() : (p.itemid as number);
  const filepath = (p.filepath as string) || '/';
  const filename = cleanFilename(p.filename as string);
  const where = { contextid, component, filearea, itemid, filepath, filename };
  if (ctx.store.files.exists(where)) throw moodleException('fileexist', 'File exists');
  ctx.store.files.add({ ...where, userid: TOKEN_USER_ID, content: Buffer.from(p.filecontent as string, 'base64') });
  return { contextid, component, filearea, itemid, filepath, filename, url: draftUrl(ctx, contextid, itemid, filepath, filename) };
}

export const FILE_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_files_upload',
    params: single({
      contextid: value('int', VALUE_DEFAULT, null),
      component: value('alphanumext'),
      filearea: value('alphanumext'),
      itemid: value('int'),
      filepath: value('raw'),
      filename: value('raw'),
      filecontent: value('raw'),
      contextlevel: value('alpha', VALUE_DEFAULT, null),
      instanceid: value('int', VALUE_DEFAULT, null),
    }),
    returns: single({
      contextid: value('int'),
      component: value('alphanumext'),
      filearea: value('alphanumext'),
      itemid: value('int'),
      filepath: value('text'),
      filename: value('raw'),
      url: value('text'),
    }),
    write: true,
    run: filesUpload,
  },
];
