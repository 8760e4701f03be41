import { afterEach, describe, expect, test } from '@jest/globals';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { openSource, PictureSourceError } from './source.js';

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

function zip(path: string, entries: [string, Buffer][], folders: string[] = []): Promise<void> {
  return new Promise((resolve) => {
    const z = new yazl.ZipFile();
    for (const f of folders) z.addEmptyDirectory(f);
    for (const [name, content] of entries) z.addBuffer(content, name);
    z.outputStream.pipe(createWriteStream(path)).on('close', () => resolve());
    z.end();
  });
}

describe('picture sources', () => {
  test('a folder: its files by name; hidden files and sub-folders left out', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdlsync-src-'));
    writeFileSync(join(dir, 'b.png'), 'bb');
    writeFileSync(join(dir, 'a.jpg'), 'a');
    writeFileSync(join(dir, '.DS_Store'), 'x');
    mkdirSync(join(dir, 'old'));
    writeFileSync(join(dir, 'old', 'c.png'), 'c');
    const s = await openSource(dir, 100);
    expect(s.kind).toBe('folder');
    expect(s.files).toEqual([{ file: 'a.jpg', path: join(dir, 'a.jpg'), bytes: 1 }, { file: 'b.png', path: join(dir, 'b.png'), bytes: 2 }]);
  });

  test('a zip: entries by base name into a private folder; one over the limit is listed, not unpacked; cleanup removes it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdlsync-src-'));
    const path = join(dir, 'pics.zip');
    await zip(path, [['year1/P1.png', Buffer.from('one')], ['P2.png', Buffer.alloc(500)], ['__MACOSX/year1/._P1.png', Buffer.from('fork')]], ['year1']);
    const s = await openSource(path, 100);
    expect(s.kind).toBe('zip');
    expect(s.files.map((f) => [f.file, f.bytes, f.path === null])).toEqual([['P1.png', 3, false], ['P2.png', 500, true]]);
    const unpacked = s.files[0].path as string;
    expect(existsSync(unpacked)).toBe(true);
    await s.cleanup();
    expect(existsSync(unpacked)).toBe(false);
  });

  test('two zip entries with one base name, a missing path, a file that is no zip: refused with a sentence', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdlsync-src-'));
    const path = join(dir, 'twice.zip');
    await zip(path, [['a/P1.png', Buffer.from('1')], ['b/P1.png', Buffer.from('2')]]);
    await expect(openSource(path, 100)).rejects.toThrow(/holds two files named P1\.png/);
    await expect(openSource(join(dir, 'nowhere'), 100)).rejects.toThrow(PictureSourceError);
    writeFileSync(join(dir, 'list.csv'), 'x');
    await expect(openSource(join(dir, 'list.csv'), 100)).rejects.toThrow(/neither a folder nor a \.zip file/);
  });
});
