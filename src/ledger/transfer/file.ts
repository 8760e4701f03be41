/**
 * A ledger export on disk or a stream: written in chunks as the records are read (never the whole ledger in memory),
 * to a file made 0600 under a temporary name and renamed into place once whole; read back line by line, synchronously,
 * so that an import runs inside one SQLite transaction.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { Refusal } from '../../refusal.js';
import { LedgerFileError } from '../errors.js';
import type { TransferStore } from '../types.js';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  ExportDecoder,
  emptyCounts,
  endLine,
  headerLine,
  recordLine,
  siteOf,
  type ExportCounts,
  type ExportHeader,
  type ExportRecord,
} from './format.js';

/** A ledger as the export reads it (either backend's transfer). */
export type LedgerSource = Pick<TransferStore, 'schemaVersion' | 'records'>;

/** Characters written at a time. */
const CHUNK = 1 << 16;
/** A longer line is no export's (a run's summary is a few KB): refused before it fills the memory. */
const MAX_LINE = 64 * 1024 * 1024;
/** The export holds the ledger's secret and links people to accounts: only its owner reads it. */
export const EXPORT_FILE_MODE = 0o600;

export type ChunkWriter = (chunk: string) => Promise<void>;

/** Header, records, end line. `site`: the config's Moodle URL; `secrets`: false leaves ledger_secrets out. */
export async function writeExport(
  source: LedgerSource,
  write: ChunkWriter,
  opts: { site?: string; secrets: boolean; now?: Date },
): Promise<ExportCounts> {
  const counts = emptyCounts();
  const site = siteOf(opts.site);
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    schemaVersion: await source.schemaVersion(),
    exportedAt: (opts.now ?? new Date()).toISOString(),
    ...(site === undefined ? {} : { site }),
  };
  let buf = headerLine(header) + '\n';
  for await (const { table, values } of source.records({ secrets: opts.secrets })) {
    buf += recordLine(table, values) + '\n';
    counts[table.name]++;
    if (buf.length >= CHUNK) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf + endLine(counts) + '\n');
  return counts;
}

/**
 * Writes to a stream, a chunk at a time: the next waits until the stream took this one (a slow pipe holds the export
 * back). A stream that fails (EPIPE: `| head` closed it) fails the write, not the process with an unhandled event.
 */
export function streamWriter(stream: Writable): ChunkWriter {
  let failed: Error | null = null;
  stream.on('error', (err) => {
    failed = err;
  });
  return (chunk) =>
    new Promise((resolve, reject) => {
      if (failed) reject(failed);
      else stream.write(chunk, (err) => (err ? reject(err) : resolve()));
    });
}

/**
 * Runs `produce` against a new file beside `path` (mode 0600), then renames it to `path`: a failed or interrupted
 * export never leaves a partial file under the name, nor replaces a good one.
 */
export async function writeFileAtomically<T>(path: string, produce: (write: ChunkWriter) => Promise<T>): Promise<T> {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const fh = await open(partial, 'wx', EXPORT_FILE_MODE);
  try {
    const result = await produce(async (chunk) => {
      await fh.write(chunk);
    });
    await fh.sync();
    await fh.close();
    renameSync(partial, path);
    return result;
  } catch (err) {
    await fh.close().catch(() => undefined);
    rmSync(partial, { force: true });
    throw err;
  }
}

/** The file's lines, read a chunk at a time (the last line may lack its newline). */
function* fileLines(path: string, fd: number): Generator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const buf = Buffer.alloc(CHUNK);
  let rest = '';
  let lines = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      try {
        rest += decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      } catch {
        throw new LedgerFileError('invalid-ledger-file', `${path}, line ${lines + 1}: bytes that are not UTF-8; nothing was imported`);
      }
      let start = 0;
      for (let i = rest.indexOf('\n'); i >= 0; i = rest.indexOf('\n', start)) {
        lines++;
        yield rest.slice(start, i);
        start = i + 1;
      }
      rest = rest.slice(start);
      if (rest.length > MAX_LINE) throw new LedgerFileError('invalid-ledger-file', `${path}, line ${lines + 1}: longer than any export's line; nothing was imported`);
      if (n === 0) break;
    }
    if (rest.length > 0) yield rest;
  } finally {
    closeSync(fd);
  }
}

/** An export opened for import: its header read and checked at once, its records read as the import takes them. */
export class ExportFile {
  private readonly decoder: ExportDecoder;
  private readonly lines: Generator<string>;
  private n = 0;

  private constructor(
    readonly path: string,
    fd: number,
    schemaVersion: number,
  ) {
    this.decoder = new ExportDecoder(path, schemaVersion);
    this.lines = fileLines(path, fd);
  }

  /** `schemaVersion`: the importing ledger's (a file of a newer one is refused). */
  static open(path: string, schemaVersion: number): ExportFile {
    let fd: number;
    try {
      if (!statSync(path).isFile()) throw new Refusal(`The ledger export ${path} is not a file: give the file mdlsync ledger export wrote.`);
      fd = openSync(path, 'r');
    } catch (err) {
      if (err instanceof Refusal) throw err;
      throw new Refusal(`The ledger export ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the file mdlsync ledger export wrote.`);
    }
    const file = new ExportFile(path, fd, schemaVersion);
    try {
      const first = file.lines.next();
      if (first.done) file.decoder.finish(0);
      else file.decoder.line(first.value, ++file.n);
    } catch (err) {
      file.close();
      throw err;
    }
    return file;
  }

  get header(): ExportHeader {
    return this.decoder.header;
  }

  /** The records of lines 2 to the end; throws at the end when the end line is missing or does not add up. */
  *records(): Generator<ExportRecord> {
    for (const text of this.lines) {
      const record = this.decoder.line(text, ++this.n);
      if (record) yield record;
    }
    this.decoder.finish(this.n);
  }

  close(): void {
    this.lines.return(undefined);
  }
}
