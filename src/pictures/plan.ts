/**
 * What each picture file becomes, before any Moodle call: a failed row (no usable name, a name two files give,
 * too big, not an image), unchanged (the ledger holds the same image for that name and, for person keys, the same
 * Moodle user), or to be sent. Pure: the files' facts and the ledger's records in, decisions out.
 */
import type { Failure } from '../errors.js';
import type { PictureMatch, PictureRecord } from '../ledger/index.js';
import { checkSize } from './check.js';
import type { ImageInfo } from './image-type.js';
import { duplicateNames, nameOf } from './match.js';

/** What was read of a file: its size, and, once read (not when too big to unpack), its hash and image check. */
export interface PictureFacts {
  file: string;
  /** Where to read it from when it is sent. */
  path: string | null;
  bytes: number;
  sha256: string | null;
  /** checkImage()'s verdict on its bytes; null when it was not read. */
  image: ImageInfo | Failure | null;
}

export type PictureDecision =
  | { kind: 'fail'; file: string; name: string | null; moodleId?: number; failure: Failure }
  | { kind: 'unchanged'; file: string; name: string; moodleId: number }
  | { kind: 'send'; file: string; name: string; path: string; sha256: string; image: ImageInfo };

export interface PlanInput {
  files: readonly PictureFacts[];
  match: PictureMatch;
  maxBytes: number;
  /** --full: send every picture, unchanged or not. */
  full: boolean;
  /** The ledger's pictures by name. */
  previous: ReadonlyMap<string, PictureRecord>;
  /** Person key → linked Moodle user id (match key only): a person relinked to another account gets the picture again. */
  linked: ReadonlyMap<string, number>;
}

export function planPictures(input: PlanInput): PictureDecision[] {
  const names = input.files.map((f) => nameOf(f.file, input.match));
  const twice = duplicateNames(names);
  return input.files.map((f, i): PictureDecision => {
    const name = names[i];
    if (name === null) return { kind: 'fail', file: f.file, name, failure: { code: 'invalid-value', message: 'the file name names nobody (nothing before its extension)' } };
    if (twice.has(name)) {
      const others = input.files.filter((g, j) => j !== i && names[j] === name).map((g) => g.file).join(', ');
      return { kind: 'fail', file: f.file, name, failure: { code: 'duplicate-key', message: `${others} names the same person (${name}): keep one picture per person` } };
    }
    const tooBig = checkSize(f.bytes, input.maxBytes);
    if (tooBig) return { kind: 'fail', file: f.file, name, failure: tooBig };
    const { image, sha256: hash, path } = f;
    if (image === null || hash === null || path === null) {
      return { kind: 'fail', file: f.file, name, failure: { code: 'picture-too-large', message: 'the file was too big to unpack' } };
    }
    if ('code' in image) return { kind: 'fail', file: f.file, name, failure: image };
    const prev = input.previous.get(name);
    const link = input.linked.get(name);
    const samePerson = prev !== undefined && (input.match !== 'key' || link === undefined || link === prev.moodleId);
    if (!input.full && prev && prev.sha256 === hash && samePerson) return { kind: 'unchanged', file: f.file, name, moodleId: prev.moodleId };
    return { kind: 'send', file: f.file, name, path, sha256: hash, image };
  });
}
