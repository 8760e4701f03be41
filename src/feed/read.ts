/**
 * The stream shell: file bytes → decoded text → csv-parse → cells with their physical line span.
 * Memory stays bounded by one chunk plus one (capped) record, whatever the file size.
 */
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { FeedFileError, type FeedEncoding } from './types.js';

const CHUNK = 128 * 1024;

export const DEFAULT_MAX_RECORD_SIZE = 1024 * 1024;

/** WHATWG labels; `latin1` is Windows-1252 there, which is what "Latin-1" files from Windows tools really are. */
const DECODER_LABEL: Record<FeedEncoding, string> = { utf8: 'utf-8', latin1: 'latin1', 'windows-1252': 'windows-1252' };

export function fileError(path: string, err: unknown): FeedFileError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String((err as Error).message ?? err);
  return new FeedFileError('unreadable', `cannot read ${path}: ${why}`);
}

/**
 * A feed must be a regular file: a folder cannot be read, and opening a FIFO (named pipe) would wait for a writer
 * forever. Checked with stat before anything opens the path.
 */
export function checkFeedPath(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw fileError(path, err);
  }
  if (st.isDirectory()) throw new FeedFileError('unreadable', `cannot read ${path}: it is a folder, not a file`);
  if (!st.isFile()) {
    const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : 'a device';
    throw new FeedFileError('unreadable', `cannot read ${path}: it is ${what}, not a regular file; copy the export to a file and run that`);
  }
}

/** A UTF-16 byte-order mark (FF FE little-endian, FE FF big-endian) at the start of a file, or null. */
export function utf16Bom(start: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | null {
  if (start.length >= 2 && start[0] === 0xff && start[1] === 0xfe) return 'UTF-16LE';
  if (start.length >= 2 && start[0] === 0xfe && start[1] === 0xff) return 'UTF-16BE';
  return null;
}

/**
 * Decoded text of the file in chunks, line endings normalised to LF (CRLF and lone CR alike).
 * Normalising is also what keeps csv-parse's line count right: it counts CR and LF of an embedded CRLF twice.
 */
export async function* decodedChunks(path: string, encoding: FeedEncoding, normaliseEol = true): AsyncGenerator<string> {
  // Non-fatal: invalid bytes become U+FFFD and are reported per row, not as a crash.
  const decoder = new TextDecoder(DECODER_LABEL[encoding]);
  let carryCR = false;
  const normalise = (text: string): string => {
    if (!normaliseEol) return text;
    if (carryCR) text = '\r' + text;
    // A chunk ending in CR may be half of a CRLF: keep it for the next chunk.
    carryCR = text.endsWith('\r');
    if (carryCR) text = text.slice(0, -1);
    return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  };
  let stream;
  try {
    stream = createReadStream(path, { highWaterMark: CHUNK });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = normalise(decoder.decode(chunk, { stream: true }));
      if (text !== '') yield text;
    }
  } catch (err) {
    if (err instanceof FeedFileError) throw err;
    throw fileError(path, err);
  } finally {
    stream?.destroy();
  }
  const tail = decoder.decode() + (carryCR ? '\n' : '');
  if (tail !== '') yield tail;
}

/**
 * LF-normalised UTF-8 bytes for csv-parse. UTF-8 files go through as bytes: csv-parse decodes each value itself
 * (invalid bytes become U+FFFD exactly as with TextDecoder), which saves decoding and re-encoding the whole file.
 * Other encodings are decoded with TextDecoder and re-encoded.
 */
async function* csvInput(path: string, encoding: FeedEncoding): AsyncGenerator<Buffer> {
  if (encoding !== 'utf8') {
    for await (const text of decodedChunks(path, encoding)) yield Buffer.from(text, 'utf8');
    return;
  }
  let first = true;
  let carryCR = false;
  let stream;
  try {
    stream = createReadStream(path, { highWaterMark: CHUNK });
    for await (let chunk of stream as AsyncIterable<Buffer>) {
      if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      first = false;
      if (carryCR) chunk = Buffer.concat([CR, chunk]);
      carryCR = chunk.length > 0 && chunk[chunk.length - 1] === 13;
      if (carryCR) chunk = chunk.subarray(0, -1);
      if (chunk.includes(13)) chunk = lfOnly(chunk);
      if (chunk.length > 0) yield chunk;
    }
  } catch (err) {
    throw fileError(path, err);
  } finally {
    stream?.destroy();
  }
  if (carryCR) yield LF;
}

const CR = Buffer.from([13]);
const LF = Buffer.from([10]);

/** CRLF and lone CR → LF, on bytes (a chunk never ends in CR here). */
function lfOnly(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let o = 0;
  let from = 0;
  for (let cr = buf.indexOf(13); cr !== -1; cr = buf.indexOf(13, from)) {
    o += buf.copy(out, o, from, cr);
    out[o++] = 10;
    from = buf[cr + 1] === 10 ? cr + 2 : cr + 1;
  }
  o += buf.copy(out, o, from);
  return out.subarray(0, o);
}

/** One CSV record of the file and the physical lines it covers. */
export interface ScannedRecord {
  /** 1-based line where the record starts. */
  line: number;
  endLine: number;
  cells: string[];
  /** Set when the cells could not be kept: the record is larger than the limit, or a quote is never closed. */
  problem?: 'record-too-large' | 'unterminated-quote';
}

/**
 * What the scan makes of each record (its start line, end line, cells and problem, as in ScannedRecord); undefined
 * leaves the record out of the batch. A caller that turns records into its own items at once saves the
 * ScannedRecord in between.
 */
export type RecordMaker<T> = (line: number, endLine: number, cells: string[], problem: ScannedRecord['problem']) => T | undefined;

const scanned: RecordMaker<ScannedRecord> = (line, endLine, cells, problem) => (problem ? { line, endLine, cells, problem } : { line, endLine, cells });

export interface ScanOptions {
  delimiter: string;
  encoding: FeedEncoding;
  maxRecordSize: number;
}

/** The part of csv-parse's parser core (lib/api) that the shell drives; the stream wrapper exposes it as `api`. */
interface CsvCore {
  parse(buf: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined;
  info: { lines: number; comment_lines: number; empty_lines: number };
  state: { field: CsvField; record: string[] };
}

/** csv-parse's buffer of the pending field (a ResizeableBuffer): its bytes are `buf[0, length)`. */
interface CsvField {
  buf?: unknown;
  length: number;
  toString(encoding?: BufferEncoding): unknown;
}

/**
 * csv-parse makes each cell's string from a Buffer view of its bytes (`buf.slice(0, length).toString(encoding)`):
 * a Buffer object per cell, 8 a row of a persons file, which the collector then has to sweep. Decoding the same
 * bytes in place gives the same string without the view. Only this parser's own field buffer is changed; a
 * csv-parse whose buffer is shaped otherwise keeps its own way.
 */
function decodeInPlace(field: CsvField): void {
  if (!Buffer.isBuffer(field.buf) || typeof field.length !== 'number' || typeof field.toString !== 'function') return;
  const viaView = field.toString;
  field.toString = function (this: CsvField & { buf: Buffer }, encoding?: BufferEncoding): unknown {
    return encoding ? this.buf.toString(encoding, 0, this.length) : viaView.call(this, encoding);
  };
}

function csvCore(delimiter: string): CsvCore {
  const parser = parse({
    delimiter,
    record_delimiter: '\n', // the text is normalised to LF
    comment: '#',
    comment_no_infix: true, // `#` starts a comment only at the start of a line; inside a value it is data
    skip_empty_lines: true,
    relax_quotes: true, // a quote inside an unquoted value (O"Brien) is data
    relax_column_count: true, // short and long rows become row errors, not a parse failure
  });
  const core = (parser as unknown as { api?: CsvCore }).api;
  if (typeof core?.parse !== 'function') throw new Error('csv-parse no longer exposes its parser core (api): check the csv-parse version');
  decodeInPlace(core.state.field);
  return core;
}

/**
 * Scans every record of the file (the header included), in batches of one chunk's records.
 * csv-parse's own max_record_size aborts the whole parse, so the size limit is enforced here: between chunks
 * the pending record is measured and, once over the limit, its content is dropped while csv-parse keeps
 * tracking quotes and lines, so the record still ends where it really ends and the next rows read normally.
 */
export function scanRecords(path: string, opts: ScanOptions): AsyncGenerator<ScannedRecord[]>;
export function scanRecords<T>(path: string, opts: ScanOptions, make: RecordMaker<T>): AsyncGenerator<T[]>;
export async function* scanRecords<T>(path: string, opts: ScanOptions, make: RecordMaker<T | ScannedRecord> = scanned): AsyncGenerator<Array<T | ScannedRecord>> {
  const core = csvCore(opts.delimiter);
  const info = core.info;
  const state = core.state;
  const max = opts.maxRecordSize;
  let prevEnd = 0;
  let prevComments = 0;
  let prevEmpty = 0;
  let oversize = false;
  let batch: Array<T | ScannedRecord> = [];

  // Lines between two records are comment or empty lines, each exactly one line (after LF normalisation).
  const startLine = () => prevEnd + 1 + (info.comment_lines - prevComments) + (info.empty_lines - prevEmpty);
  const push = (cells: string[]) => {
    const line = startLine();
    const endLine = info.lines;
    let problem: ScannedRecord['problem'];
    if (oversize) {
      problem = 'record-too-large';
      oversize = false;
    } else {
      let size = 0;
      for (let i = 0; i < cells.length; i++) size += cells[i].length;
      if (size > max) problem = 'record-too-large';
    }
    const made = problem ? make(line, endLine, [], problem) : make(line, endLine, cells, undefined);
    if (made !== undefined) batch.push(made);
    prevEnd = endLine;
    prevComments = info.comment_lines;
    prevEmpty = info.empty_lines;
  };
  const close = () => {};

  for await (const bytes of csvInput(path, opts.encoding)) {
    const err = core.parse(bytes, false, push, close);
    if (err) throw new FeedFileError('unreadable', `cannot parse ${path} near line ${info.lines}: ${err.message}`);
    // Bytes of the pending field plus characters of its finished fields: over 3×max means over max characters.
    let pending = state.field.length;
    for (let i = 0; i < state.record.length; i++) pending += state.record[i].length;
    if (oversize || pending > 3 * max) {
      oversize = true;
      // Keep one byte: an empty field would let a later quote open a quoted value that never was one.
      if (state.field.length > 1) state.field.length = 1;
      for (let i = 0; i < state.record.length; i++) state.record[i] = '';
    }
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  const err = core.parse(undefined, true, push, close);
  if (err) {
    if ((err as Error & { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED') {
      throw new FeedFileError('unreadable', `cannot parse ${path} near line ${info.lines}: ${err.message}`);
    }
    const made = make(startLine(), info.lines, [], 'unterminated-quote');
    if (made !== undefined) batch.push(made);
  }
  if (batch.length > 0) yield batch;
}

/**
 * Physical lines of the file as its bytes (no decoding), with their 1-based numbers and their own line endings:
 * CRLF, LF or a lone CR, the same ones scanRecords counts. CR and LF are single bytes that never occur inside a
 * character in the encodings mdlsync reads (UTF-8, Latin-1, Windows-1252), so splitting bytes splits lines.
 * The tryback is written from these, so a byte the decoder could not read is given back as it came.
 */
export async function* physicalLines(path: string): AsyncGenerator<{ line: number; bytes: Buffer; eol: Buffer }> {
  let line = 1;
  let partial: Buffer = Buffer.alloc(0);
  let stream;
  try {
    stream = createReadStream(path, { highWaterMark: CHUNK });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
      let from = 0;
      for (let i = nextEol(buf, 0); i !== -1; i = nextEol(buf, from)) {
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (buf[i] === 13 && i === buf.length - 1) break;
        const len = buf[i] === 13 && buf[i + 1] === 10 ? 2 : 1;
        yield { line: line++, bytes: buf.subarray(from, i), eol: buf.subarray(i, i + len) };
        from = i + len;
      }
      // A copy: the stream may reuse the chunk's memory.
      partial = Buffer.from(buf.subarray(from));
    }
  } catch (err) {
    throw fileError(path, err);
  } finally {
    stream?.destroy();
  }
  if (partial.length > 0 && partial[partial.length - 1] === 13) yield { line, bytes: partial.subarray(0, -1), eol: partial.subarray(-1) };
  else if (partial.length > 0) yield { line, bytes: partial, eol: Buffer.alloc(0) };
}

/** Index of the next CR or LF byte from `from`, or -1. */
function nextEol(buf: Buffer, from: number): number {
  const lf = buf.indexOf(10, from);
  const cr = buf.indexOf(13, from);
  return cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
}
