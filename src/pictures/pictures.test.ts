import { describe, expect, test } from '@jest/globals';
import { gif, jpeg, png } from '../../test/images.js';
import type { PictureRecord } from '../ledger/index.js';
import { checkImage, checkSize, DEFAULT_MAX_BYTES, maxBytesFor } from './check.js';
import { imageInfo } from './image-type.js';
import { duplicateNames, nameOf } from './match.js';
import { planPictures, type PictureFacts } from './plan.js';

describe('image check: what getimagesize() would read', () => {
  test('PNG, JPEG and GIF by their bytes, with their size', () => {
    expect(imageInfo(png(48, 32))).toEqual({ type: 'png', width: 48, height: 32, mimetype: 'image/png' });
    expect(imageInfo(jpeg(640, 480))).toEqual({ type: 'jpeg', width: 640, height: 480, mimetype: 'image/jpeg' });
    expect(imageInfo(gif(16, 8))).toEqual({ type: 'gif', width: 16, height: 8, mimetype: 'image/gif' });
    // The recorded picture of contract/2026-12/199.
    expect(imageInfo(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAIAAADYYG7QAAAAQklEQVR4nO3OQQ0AIAwAsSlBCf6DLFxwPJpUQOes/ZXJB0JCQkL1QEhISKgeCAkJCdUDISEhoXogJCQkVA+EhIQeu9bMMpdxoizKAAAAAElFTkSuQmCC', 'base64'))).toMatchObject({ type: 'png', width: 48, height: 48 });
  });

  test('anything else is not an image, whatever its name says, with a reason', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('Student notes, not an image.\n'), /^text, not an image/],
      [Buffer.alloc(0), /^the file is empty/],
      [Buffer.from('%PDF-1.7\n'), /^a PDF document/],
      [Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.alloc(20)]), /WebP image, which Moodle does not/],
      [Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), /SVG drawing/],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), /not a GIF, JPEG or PNG image/], // a cut PNG
      [jpeg(0, 10), /not a GIF, JPEG or PNG image/], // a frame without size
      [Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), /not a GIF, JPEG or PNG image/], // image data before any frame header
    ];
    for (const [bytes, reason] of cases) {
      const got = checkImage(bytes);
      expect(got).toMatchObject({ code: 'not-an-image', message: expect.stringMatching(reason) });
      expect((got as { message: string }).message).toMatch(/would remove the user's current picture/);
    }
  });

  test('size: the configured limit, else the site\'s usermaxuploadfilesize, else PHP\'s 2 MB', () => {
    expect(maxBytesFor(5000, 100)).toBe(5000);
    expect(maxBytesFor(undefined, 1048576)).toBe(1048576);
    expect(maxBytesFor(undefined, -1)).toBe(DEFAULT_MAX_BYTES); // the admin: "no limit", PHP's still holds
    expect(maxBytesFor(undefined, undefined)).toBe(DEFAULT_MAX_BYTES);
    expect(checkSize(5000, 5000)).toBeNull();
    expect(checkSize(5001, 5000)).toMatchObject({ code: 'picture-too-large', message: expect.stringMatching(/^the file is 5 KB, more than the 5 KB/) });
    expect(checkSize(3 * 1024 * 1024, DEFAULT_MAX_BYTES)?.message).toMatch(/^the file is 3\.0 MB, more than the 2\.0 MB/);
  });
});

describe('matching file names to people', () => {
  test('the name without its last extension; usernames lower-cased as Moodle stores them', () => {
    expect(nameOf('P0001.jpg', 'key')).toBe('P0001');
    expect(nameOf('P.0001.jpeg', 'idnumber')).toBe('P.0001');
    expect(nameOf(' Ana.Lima.PNG', 'username')).toBe('ana.lima');
    expect(nameOf('P0001', 'key')).toBe('P0001');
    expect(nameOf('.jpg', 'key')).toBe('.jpg'); // a dotfile has no extension (sources leave dotfiles out anyway)
    expect(nameOf(' .png', 'key')).toBeNull();
  });

  test('a name two files give is a duplicate', () => {
    expect([...duplicateNames(['a', 'b', 'a', null, null])]).toEqual(['a']);
  });
});

describe('planning pictures (no Moodle call)', () => {
  const facts = (file: string, content: Buffer, sha = `sha-${file}`): PictureFacts => ({ file, path: `/src/${file}`, bytes: content.length, sha256: sha, image: checkImage(content) });
  const prev = (name: string, moodleId: number, sha: string): PictureRecord => ({ match: 'key', name, moodleId, sha256: sha, bytes: 1, revision: 7, lastRun: 'r', updatedAt: 't' });

  test('failed, unchanged and to send, in the files\' order', () => {
    const files = [
      facts('P1.png', png(4, 4), 'h1'), // unchanged: same hash, same person
      facts('P2.png', png(4, 4), 'h2-new'), // changed picture
      facts('P3.png', png(4, 4), 'h3'), // person relinked to another Moodle user
      facts('P4.txt', Buffer.from('text')), // not an image
      facts('P5.gif', gif(1, 1)), facts('P5.jpg', jpeg(1, 1)), // two files, one person
      { file: 'P6.png', path: null, bytes: 10_000_000, sha256: null, image: null }, // too big to unpack
      facts('P7.png', png(50, 50, [1, 1, 1], 6000)), // over the limit
    ];
    const got = planPictures({
      files, match: 'key', maxBytes: 5000, full: false,
      previous: new Map([['P1', prev('P1', 11, 'h1')], ['P2', prev('P2', 12, 'h2')], ['P3', prev('P3', 13, 'h3')]]),
      linked: new Map([['P1', 11], ['P3', 99]]),
    });
    expect(got.map((d) => [d.file, d.kind, d.kind === 'fail' ? d.failure.code : ''])).toEqual([
      ['P1.png', 'unchanged', ''], ['P2.png', 'send', ''], ['P3.png', 'send', ''], ['P4.txt', 'fail', 'not-an-image'],
      ['P5.gif', 'fail', 'duplicate-key'], ['P5.jpg', 'fail', 'duplicate-key'], ['P6.png', 'fail', 'picture-too-large'],
      ['P7.png', 'fail', 'picture-too-large'],
    ]);
    expect(got[4]).toMatchObject({ failure: { message: 'P5.jpg names the same person (P5): keep one picture per person' } });
  });

  test('--full sends an unchanged picture again', () => {
    const got = planPictures({ files: [facts('P1.png', png(2, 2), 'h1')], match: 'key', maxBytes: 5000, full: true, previous: new Map([['P1', prev('P1', 11, 'h1')]]), linked: new Map() });
    expect(got[0].kind).toBe('send');
  });
});
