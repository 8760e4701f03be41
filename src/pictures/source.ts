/**
 * Where `mdlsync pictures` takes its images from: a folder (its files, not its subfolders) or a zip archive (its
 * files, unpacked into a private temporary folder, base names only so nothing can be written outside it). Hidden
 * files and macOS resource forks are left out. What a file is and whom it is for is decided later (check.ts,
 * match.ts); here a file is a name, a place on disk and a size.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export interface PictureFile {
  /** The file's name as the source holds it (e.g. P0001.jpg). */
  file: string;
  /** Where it is on disk (the folder, or the unpacked copy of a zip entry); null when it was not unpacked. */
  path: string | null;
  /** Size in bytes. */
  bytes: number;
}

export interface PictureSource {
  kind: 'folder' | 'zip';
  files: PictureFile[];
  /** Removes what was unpacked (a zip); nothing for a folder. */
  cleanup(): Promise<void>;
}

export class PictureSourceError extends Error {}

const hidden = (name: string): boolean => name.startsWith('.') || name.startsWith('__MACOSX/');

/** A folder's or a zip's pictures; entries bigger than `unpackLimit` bytes are listed but not unpacked. */
export async function openSource(path: string, unpackLimit: number): Promise<PictureSource> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new PictureSourceError(`${path} does not exist: give a folder or a .zip of pictures`);
  }
  if (info.isDirectory()) return { kind: 'folder', files: await folderFiles(path), cleanup: () => Promise.resolve() };
  if (info.isFile() && /\.zip$/i.test(path)) {
    const dir = await mkdtemp(join(tmpdir(), 'mdlsync-pictures-'));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    try {
      return { kind: 'zip', files: await unzip(path, dir, unpackLimit), cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }
  throw new PictureSourceError(`${path} is neither a folder nor a .zip file: give a folder or a .zip of pictures`);
}

async function folderFiles(dir: string): Promise<PictureFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: PictureFile[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isFile() || hidden(e.name)) continue;
    const path = join(dir, e.name);
    files.push({ file: e.name, path, bytes: (await stat(path)).size });
  }
  return files;
}

function unzip(zipPath: string, dir: string, unpackLimit: number): Promise<PictureFile[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (openErr, zip) => {
      if (openErr) {
        reject(new PictureSourceError(`${basename(zipPath)} is not a readable zip archive: ${openErr.message}`));
        return;
      }
      const files: PictureFile[] = [];
      const seen = new Set<string>();
      const fail = (err: Error): void => {
        zip.close();
        reject(err);
      };
      zip.on('error', (err: Error) => fail(new PictureSourceError(`${basename(zipPath)}: ${err.message}`)));
      zip.on('end', () => resolve(files.sort((a, b) => a.file.localeCompare(b.file))));
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        const base = basename(name);
        if (name.endsWith('/') || hidden(name) || hidden(base)) {
          zip.readEntry();
          return;
        }
        if (seen.has(base)) {
          fail(new PictureSourceError(`${basename(zipPath)} holds two files named ${base} (in different folders): keep one`));
          return;
        }
        seen.add(base);
        // Too big to be sent anyway: its row fails on its size, without unpacking it (a zip bomb stays packed).
        if (entry.uncompressedSize > unpackLimit) {
          files.push({ file: base, path: null, bytes: entry.uncompressedSize });
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) {
            fail(new PictureSourceError(`${basename(zipPath)}: ${name}: ${streamErr.message}`));
            return;
          }
          const path = join(dir, base);
          pipeline(stream, createWriteStream(path, { mode: 0o600 }))
            .then(async () => {
              files.push({ file: base, path, bytes: (await stat(path)).size });
              zip.readEntry();
            })
            .catch((err: Error) => fail(new PictureSourceError(`${basename(zipPath)}: ${name}: ${err.message}`)));
        });
      });
      zip.readEntry();
    });
  });
}
