/**
 * What PHP's getimagesize() tells Moodle about a picture, read from the file's own bytes: its type and size in pixels.
 * Moodle's process_new_icon() (lib/gdlib.php) makes a user picture only from a GIF, JPEG or PNG whose header
 * getimagesize() can read; anything else makes it return false, and core_user_update_picture then answers
 * success true while it REMOVES the user's current picture (contract/2026-12/202). So the file's name and extension
 * mean nothing here: only the bytes do. A leaf module (mdlsync's check before upload, and the sandbox's Moodle).
 */

export type ImageType = 'gif' | 'jpeg' | 'png';

export interface ImageInfo {
  type: ImageType;
  width: number;
  height: number;
  /** The MIME type Moodle stores for it. */
  mimetype: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function png(b: Buffer): ImageInfo | null {
  // The signature, then the IHDR chunk first: length (4), "IHDR", width and height (4 bytes each, big-endian).
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return sized('png', b.readUInt32BE(16), b.readUInt32BE(20));
}

function gif(b: Buffer): ImageInfo | null {
  const sig = b.toString('latin1', 0, 6);
  if (b.length < 10 || (sig !== 'GIF87a' && sig !== 'GIF89a')) return null;
  return sized('gif', b.readUInt16LE(6), b.readUInt16LE(8));
}

/** Start-of-frame markers (SOF0–SOF15 but DHT C4, JPG C8 and DAC CC): they hold the frame's size. */
const isStartOfFrame = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b: Buffer): ImageInfo | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) return null;
  // Walk the segments up to the first frame header, as getimagesize() does; a JPEG without one is no picture.
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or image data before any frame header
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const length = b.readUInt16BE(i + 2);
    if (length < 2) return null;
    if (isStartOfFrame(marker)) {
      if (i + 9 > b.length) return null;
      return sized('jpeg', b.readUInt16BE(i + 7), b.readUInt16BE(i + 5));
    }
    i += 2 + length;
  }
  return null;
}

function sized(type: ImageType, width: number, height: number): ImageInfo | null {
  // getimagesize() reads a zero-sized header, but GD cannot make an icon out of it.
  if (width === 0 || height === 0) return null;
  return { type, width, height, mimetype: type === 'jpeg' ? 'image/jpeg' : `image/${type}` };
}

/** The picture's type and size when Moodle would make a user picture of it; null when it would not. */
export function imageInfo(bytes: Buffer): ImageInfo | null {
  return png(bytes) ?? jpeg(bytes) ?? gif(bytes);
}

/** A short description of what a non-image starts with, for the row's reason (never its content). */
export function describeNonImage(bytes: Buffer): string {
  if (bytes.length === 0) return 'the file is empty';
  const head = bytes.subarray(0, 512);
  const text = head.every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f) || c >= 0x80);
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'a WebP image, which Moodle does not make user pictures of';
  if (bytes.subarray(0, 4).toString('latin1') === '%PDF') return 'a PDF document';
  if (head.subarray(0, 2).toString('latin1') === 'BM') return 'a BMP image, which Moodle does not make user pictures of';
  if (/^\s*<(\?xml|svg)/i.test(head.toString('utf8')) && /<svg/i.test(head.toString('utf8'))) return 'an SVG drawing, which Moodle does not make user pictures of';
  if (text) return 'text, not an image';
  return 'not a GIF, JPEG or PNG image';
}
