/**
 * Zip archives of feed files (a Canvas SIS import is usually one zip of users.csv, courses.csv …): each `.zip` given
 * to `mdlsync run` is unpacked into a private temporary folder and its CSV files join the run like files given one by
 * one (then put in dependency order). A file whose format mdlsync recognises and has nothing to do with (a dialect
 * kind's `ignored`: Canvas terms.csv) is left out with a note; everything else, refusals included, runs and reports
 * as usual. Entry names are reduced to their base name, so an archive cannot write outside its folder.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Entry } from 'yauzl';
import { kindClaiming } from '../dialects/index.js';
import { readHeader } from './index.js';
import { FeedFileError, type FeedEncoding } from './types.js';

export interface ExpandedFiles {
  /** The files to run: those given, with each archive replaced by its CSV files in archive order. */
  files: string[];
  /** One sentence per file of an archive left out, and why. */
  notes: string[];
  /** Removes the unpacked files (call when the runs are done). */
  cleanup(): Promise<void>;
}

export const isArchive = (file: string): boolean => /\.zip$/i.test(file);

/** Replaces each `.zip` among the files by the CSV files it holds. */
export async function expandArchives(files: readonly string[], opts: { encoding?: FeedEncoding; delimiter?: string } = {}): Promise<ExpandedFiles> {
  const dirs: string[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  const out: string[] = [];
  const notes: string[] = [];
  try {
    for (const file of files) {
      if (!isArchive(file)) {
        out.push(file);
        continue;
      }
      // mkdtemp makes the folder 0700: the files may hold passwords.
      const dir = await mkdtemp(join(tmpdir(), 'mdlsync-zip-'));
      dirs.push(dir);
      const { extracted, skipped } = await extractCsvFiles(file, dir);
      for (const s of skipped) notes.push(`${basename(file)}: ${s} left out (not a CSV file)`);
      if (extracted.length === 0) throw new FeedFileError('empty-file', `${basename(file)} holds no CSV file`);
      for (const path of extracted) {
        const why = await ignoredWhy(file, path, opts);
        if (why === undefined) out.push(path);
        else notes.push(`${basename(file)}: ${basename(path)} left out: ${why}`);
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { files: out, notes, cleanup };
}

/**
 * Why a file is left out of an archive run (a recognised format mdlsync has nothing to do with), else undefined. A
 * recognised format mdlsync refuses outright (Canvas change_sis_id.csv) refuses the whole archive: the files beside it
 * were written for what it would have changed first.
 */
async function ignoredWhy(archive: string, path: string, opts: { encoding?: FeedEncoding; delimiter?: string }): Promise<string | undefined> {
  let claimed: ReturnType<typeof kindClaiming>;
  try {
    const head = await readHeader(path, opts);
    claimed = kindClaiming(head.columns.map((c) => c.trim().toLowerCase()));
  } catch {
    return undefined; // its own run reports what is wrong with it
  }
  if (claimed?.kind.ignored !== undefined) return claimed.kind.ignored;
  if (claimed && claimed.kind.entities.length === 0) {
    throw new FeedFileError('unknown-type', `${basename(archive)}: ${basename(path)} is ${claimed.dialect.title} ${claimed.kind.title}, which mdlsync does not run; nothing in the archive was run (run it without that file once it is dealt with): ${claimed.kind.columns[0]?.means ?? ''}`);
  }
  return undefined;
}

/**
 * Unpacks the `.csv` entries of a zip into dir (base names only); other entries are named in `skipped`. yauzl is
 * loaded for a zip only: a run of a plain file does not read and compile it.
 */
async function extractCsvFiles(zipPath: string, dir: string): Promise<{ extracted: string[]; skipped: string[] }> {
  const { default: yauzl } = await import('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (openErr, zip) => {
      if (openErr) {
        reject(new FeedFileError('unreadable', `${basename(zipPath)} is not a readable zip archive: ${openErr.message}`));
        return;
      }
      const extracted: string[] = [];
      const skipped: string[] = [];
      const seen = new Set<string>();
      const fail = (err: Error): void => {
        zip.close();
        reject(err);
      };
      zip.on('error', (err: Error) => fail(new FeedFileError('unreadable', `${basename(zipPath)}: ${err.message}`)));
      zip.on('end', () => resolve({ extracted, skipped }));
      zip.on('entry', (entry: Entry) => {
        const name = entry.fileName;
        // Folders, and the resource forks macOS adds to archives it makes.
        if (name.endsWith('/') || name.startsWith('__MACOSX/') || basename(name).startsWith('.')) {
          zip.readEntry();
          return;
        }
        if (!/\.csv$/i.test(name)) {
          skipped.push(name);
          zip.readEntry();
          return;
        }
        const base = basename(name);
        if (seen.has(base.toLowerCase())) {
          fail(new FeedFileError('unreadable', `${basename(zipPath)} holds two files named ${base}: keep one`));
          return;
        }
        seen.add(base.toLowerCase());
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) {
            fail(new FeedFileError('unreadable', `${basename(zipPath)}: ${name}: ${streamErr.message}`));
            return;
          }
          const path = join(dir, base);
          pipeline(stream, createWriteStream(path, { mode: 0o600 }))
            .then(() => {
              extracted.push(path);
              zip.readEntry();
            })
            .catch((err: Error) => fail(new FeedFileError('unreadable', `${basename(zipPath)}: ${name}: ${err.message}`)));
        });
      });
      zip.readEntry();
    });
  });
}
