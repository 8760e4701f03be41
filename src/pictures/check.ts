/**
 * Would Moodle make a user picture of this file? Checked before anything is uploaded, because Moodle does not
 * refuse a bad file: update_picture of a non-image answers success and removes the user's current picture
 * (contract/2026-12/202), and upload.php takes any file (201). Pure: bytes and limits in, a verdict out.
 */
import type { Failure } from '../errors.js';
import { describeNonImage, imageInfo, type ImageInfo } from './image-type.js';

/** PHP's default upload_max_filesize: the limit when neither the site nor the config says another. */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

/**
 * The size limit a run applies: config pictures.maxBytes when set, else the site's usermaxuploadfilesize when it
 * gives one (-1 means "no limit for this user", which still leaves PHP's own), else PHP's default 2 MB.
 */
export function maxBytesFor(configured: number | undefined, siteLimit: unknown): number {
  if (configured !== undefined) return configured;
  if (typeof siteLimit === 'number' && siteLimit > 0) return siteLimit;
  return DEFAULT_MAX_BYTES;
}

const mb = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

/** Too big to send: the row's failure, else null. */
export function checkSize(bytes: number, maxBytes: number): Failure | null {
  if (bytes <= maxBytes) return null;
  return { code: 'picture-too-large', message: `the file is ${mb(bytes)}, more than the ${mb(maxBytes)} a picture may be (the site's upload limit, or pictures.maxBytes)` };
}

/** The image's type and size, or why Moodle would not make a picture of it. */
export function checkImage(content: Buffer): ImageInfo | Failure {
  const info = imageInfo(content);
  if (info) return info;
  return { code: 'not-an-image', message: `${describeNonImage(content)}: Moodle makes user pictures of GIF, JPEG and PNG images only (sending it would remove the user's current picture)` };
}
