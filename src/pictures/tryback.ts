/**
 * The tryback of `mdlsync pictures`: a folder (reports/RUNID/tryback/) holding a copy of each picture whose row
 * failed, under its own name, so `mdlsync pictures reports/RUNID/tryback` tries exactly those again, and fixing a
 * picture means replacing its file there. A folder rather than a list of paths: a zip's unpacked files are gone
 * after the run, and a drop folder's files get replaced; the copies are what failed. Pictures are personal data:
 * the folder is 0700, the files 0600.
 */
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Copies the failed pictures that were read (a file too big to unpack has none); null when there is none to copy. */
export async function writePictureTryback(reportDir: string, failed: readonly { file: string; path: string | null }[]): Promise<string | null> {
  const copies = failed.filter((f): f is { file: string; path: string } => f.path !== null);
  if (copies.length === 0) return null;
  const dir = join(reportDir, 'tryback');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const f of copies) {
    const target = join(dir, f.file);
    await copyFile(f.path, target);
    await chmod(target, 0o600);
  }
  return dir;
}
