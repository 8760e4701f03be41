/** Writing run outputs: private files (mode 0600) for anything that may hold passwords. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { redactText } from './redact.js';

/** A run id sorts by time (to the millisecond) and stays unique across processes: 20261123T142501123Z-3f9a. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const rand = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${rand}`;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes a file only its owner can read, even when it already existed with wider permissions. */
export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** archive/YYYY-MM-DD/RUNID__FILE: the input exactly as received, mode 0600 (it may hold passwords). */
export async function archiveInput(input: string, archiveDir: string, runId: string, now: Date = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const dir = join(archiveDir, day);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The copy is the input as received; only its name is ours, and never shows a secret the input's name holds.
  const target = join(dir, `${runId}__${redactText(basename(input))}`);
  await copyFile(input, target);
  await chmod(target, 0o600);
  return target;
}

/** The input's line ending, so the tryback file looks like the file the SIS sent. */
export async function detectEol(path: string): Promise<string> {
  const stream = createReadStream(path, { start: 0, end: 65535 });
  for await (const chunk of stream) {
    const text = (chunk as Buffer).toString('latin1');
    const lf = text.indexOf('\n');
    stream.destroy();
    return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
  }
  return '\n';
}
