/**
 * The feed reader: openFeed() reads up to the header and checks it; items() streams the data rows.
 * Pure parts: headers.ts (names, dialect, type), persons.ts and categories.ts (row → record), delimiter.ts. I/O: read.ts.
 */
import { open } from 'node:fs/promises';
import { parse as parseSync } from 'csv-parse/sync';
import { ENTITIES, ENTITY_TYPES, entity } from '../entities/index.js';
import { analyseHeaderWith, type HeaderAnalysis } from './headers.js';
import { CANDIDATE_DELIMITERS, checkSingleColumn, detectDelimiter, showDelimiter } from './delimiter.js';
import type { RowMapper, RowResult } from './rows.js';
import { DEFAULT_MAX_RECORD_SIZE, checkFeedPath, decodedChunks, fileError, physicalLines, scanRecords, utf16Bom, type RecordMaker, type ScannedRecord } from './read.js';
import type { RowCode } from '../errors.js';
import { FeedFileError, type EntityType, type FeedEncoding, type FeedInfo, type FeedItem, type FeedOptions, type RecordOf } from './types.js';

export { checkFeedPath } from './read.js';
export * from './types.js';

/** A feed of one entity type: `info.type` says which record type its items carry. */
export interface Feed<T extends EntityType = EntityType> {
  info: FeedInfo<T>;
  items(): AsyncIterable<FeedItem<RecordOf<T>>>;
  /**
   * The same items, a batch (the rows of one chunk of the file) at a time: the planner's loop then awaits once a
   * batch instead of once a row. Optional: a feed made of items() alone is planned item by item.
   */
  batches?(): AsyncIterable<FeedItem<RecordOf<T>>[]>;
}

/** Any entity's feed, discriminated by `info.type`. */
export type AnyFeed = { [T in EntityType]: Feed<T> }[EntityType];

/** Narrows a feed by its type (TypeScript does not narrow a union by `feed.info.type` itself). */
export function isFeedOf<T extends EntityType>(feed: AnyFeed, type: T): feed is Extract<AnyFeed, Feed<T>> {
  return feed.info.type === type;
}

const HEADER_TABLES = ENTITIES.map((e) => e.headers);

/** The header's type, dialect and column specs, read against every entity's header table. */
export function analyseHeader(columns: readonly string[], type?: EntityType): HeaderAnalysis {
  return analyseHeaderWith(HEADER_TABLES, columns, type);
}

const ENCODINGS: readonly FeedEncoding[] = ['utf8', 'latin1', 'windows-1252'];

/** The file's first line that is not a comment, split into header cells, with its delimiter: nothing more is read. */
export interface HeaderLine {
  headerText: string;
  headerLine: number;
  delimiter: string;
  columns: string[];
  encoding: FeedEncoding;
  maxRecordSize: number;
}

/** Checks the file's start (readable, not empty, its encoding) and reads its header line. */
export async function readHeader(path: string, opts: Pick<FeedOptions, 'encoding' | 'delimiter' | 'maxRecordSize'> = {}): Promise<HeaderLine> {
  const encoding = opts.encoding ?? 'utf8';
  if (!ENCODINGS.includes(encoding)) throw new FeedFileError('invalid-encoding', `unknown encoding "${encoding}": use utf8, latin1 or windows-1252`);
  const maxRecordSize = opts.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;

  await checkStart(path, encoding);
  const { headerText, headerLine } = await readHeaderLine(path, encoding, maxRecordSize);
  if (headerText.includes('\uFFFD')) {
    throw new FeedFileError(
      'invalid-encoding',
      encoding === 'utf8'
        ? `the header (line ${headerLine}) is not valid UTF-8: if the file is Latin-1 or Windows-1252, run with --encoding latin1`
        : `the header (line ${headerLine}) holds characters that are not ${encoding}`,
    );
  }

  const delimiter = opts.delimiter === 'tab' ? '\t' : (opts.delimiter ?? detectDelimiter(headerText));
  let columns: string[];
  try {
    const rows = parseSync(headerText, { delimiter, relax_quotes: true, record_delimiter: '\n' }) as string[][];
    columns = (rows[0] ?? []).map((c) => c.trim());
  } catch (err) {
    throw new FeedFileError('no-header', `the header (line ${headerLine}) cannot be read: ${(err as Error).message}`);
  }
  return { headerText, headerLine, delimiter, columns, encoding, maxRecordSize };
}

export async function openFeed(path: string, opts: FeedOptions = {}): Promise<AnyFeed> {
  checkType(opts.type);
  const head = await readHeader(path, opts);
  checkSingleColumn(head.columns, head.delimiter, opts.delimiter !== undefined);
  return nativeFeed(path, head, analyseHeader(head.columns, opts.type), opts);
}

export function checkType(type: EntityType | undefined): void {
  if (type !== undefined && !ENTITY_TYPES.includes(type)) {
    throw new FeedFileError('unknown-type', `mdlsync cannot read ${String(type)} feeds yet: it reads ${ENTITY_TYPES.join(', ')}`);
  }
}

/** A file read by a native header table. */
export function nativeFeed(path: string, head: HeaderLine, header: HeaderAnalysis, opts: FeedOptions): AnyFeed {
  const info: FeedInfo = {
    path,
    type: header.type,
    dialect: header.dialect,
    delimiter: head.delimiter,
    encoding: head.encoding,
    columns: head.columns,
    fields: header.fields,
    headerLine: head.headerLine,
    headerText: head.headerText,
  };
  const mapper = entity(info.type).rowMapper(header, head.columns, opts) as RowMapper<RecordOf<EntityType>>;
  const batches = (): AsyncIterable<FeedItem<RecordOf<EntityType>>[]> => itemBatches(info, header, head.maxRecordSize, mapper);
  return { info, items: () => items(batches()), batches } as AnyFeed;
}

/** The data rows of the file, a scanner's batch (one chunk of the file) at a time; batches are never empty. */
async function* itemBatches<R extends RecordOf<EntityType>>(info: FeedInfo, header: HeaderAnalysis, maxRecordSize: number, mapper: RowMapper<R>): AsyncGenerator<FeedItem<R>[]> {
  const keys: KeyCheck = {
    columns: info.columns,
    delimiter: info.delimiter,
    keyColumns: keyColumns(header),
    lastKeyColumn: Math.max(-1, ...keyColumns(header)),
    hasPasswords: header.specs.some((s) => s.kind === 'text' && s.target === 'password'),
  };
  const headerLine = info.headerLine;
  // Each record becomes its item as the scanner reads it: no ScannedRecord in between.
  const make: RecordMaker<FeedItem<R>> = (line, endLine, cells, problem) => toItem(line, endLine, cells, problem, headerLine, mapper, maxRecordSize, keys);
  yield* scanRecords(info.path, { delimiter: info.delimiter, encoding: info.encoding, maxRecordSize }, make);
}

/**
 * The data rows one by one. A plain iterator over the batches rather than an async generator: a generator's
 * per-yield await cost a third of the reader's time on simple rows.
 */
function items<R extends RecordOf<EntityType>>(batches: AsyncIterable<FeedItem<R>[]>): AsyncIterable<FeedItem<R>> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<FeedItem<R>> {
      const source = batches[Symbol.asyncIterator]();
      let batch: FeedItem<R>[] = [];
      let i = 0;
      return {
        async next(): Promise<IteratorResult<FeedItem<R>>> {
          while (i >= batch.length) {
            const more = await source.next();
            if (more.done) return { value: undefined, done: true };
            batch = more.value;
            i = 0;
          }
          return { value: batch[i++], done: false };
        },
        async return(): Promise<IteratorResult<FeedItem<R>>> {
          await source.return?.(undefined); // closes the file
          return { value: undefined, done: true };
        },
      };
    },
  };
}

function toItem<R extends RecordOf<EntityType>>(
  line: number,
  endLine: number,
  cells: string[],
  problem: ScannedRecord['problem'],
  headerLine: number,
  mapper: RowMapper<R>,
  maxRecordSize: number,
  keys: KeyCheck,
): FeedItem<R> | undefined {
  // The header itself, and whitespace-only lines before it (csv-parse skips only truly empty lines).
  if (line <= headerLine) return undefined;
  if (problem === 'record-too-large') {
    return { line, error: { line, code: 'record-too-large', message: `the row is longer than ${maxRecordSize} characters, the most a row may have`, keyUnread: true } };
  }
  if (problem === 'unterminated-quote') {
    const lines = endLine > line ? `lines ${line} to ${endLine}` : `line ${line}`;
    const message = `a quoted value starting on line ${line} is never closed, so ${lines} could not be read: close the quote, or double the quotes inside the value`;
    return { line, error: { line, code: 'unterminated-quote', message, keyUnread: true, endLine } };
  }
  if (isBlank(cells)) return undefined;
  const res = trustKey(mapper.map(cells, endLine - line + 1), cells, keys);
  if (res.record) return { line, record: res.record };
  const error = keys.hasPasswords ? { ...res.error!, message: maskCells(res.error!.message, cells) } : res.error!;
  return { line, error: { line, ...error, ...(endLine > line ? { endLine } : {}) } };
}

/**
 * A row error message with every quoted cell value that could be a password masked. A row with a value missing and
 * one extra keeps its length, so its password can land in any column (`column AVAILABLE_IND has "…"`). Shown are
 * only short runs of letters, digits and spaces, which a password policy asking for a symbol never accepts.
 */
function maskCells(message: string, cells: readonly string[]): string {
  let out = message;
  for (const cell of cells) {
    const v = cell.trim();
    if (v === '' || /^[\p{L}\p{N} ]{1,16}$/u.test(v)) continue;
    out = out.split(`"${v}"`).join('"(value not shown)"');
  }
  return out;
}

/** What toItem needs to judge whether a row's key was really read. */
interface KeyCheck {
  columns: readonly string[];
  delimiter: string;
  /** Indexes of the cells the entity's key is read from. */
  keyColumns: readonly number[];
  lastKeyColumn: number;
  /** The file has a password column: row error messages quote no value that could be a password. */
  hasPasswords: boolean;
}

/**
 * Text columns that make up each entity's key, besides a column of kind 'key' (the Moodle dialects key persons by
 * idnumber or username, courses by idnumber or shortname; the link entities by their pair or triple).
 */
function keyColumns(header: HeaderAnalysis): number[] {
  const targets = entity(header.type).headers.keyTargets(header.dialect);
  const out: number[] = [];
  header.specs.forEach((s, i) => {
    if (s.kind === 'key' || (s.kind === 'text' && s.target !== undefined && targets.includes(s.target))) out.push(i);
  });
  return out;
}

/**
 * The mapper's result, unless its key cannot be trusted; then a row error that names no key (`line N` only) and
 * says the key was not read. A key cell holding the file's delimiter (a quote around a whole line) or, in a row of
 * the wrong length, a row read as one value, another delimiter, or key columns after other columns (a missing or
 * extra value before them shifted the key), or bytes not valid in the encoding in or before the key: such a "key"
 * may be a whole line, password included, and is never the record it seems to be.
 */
function trustKey<R extends RecordOf<EntityType>>(res: RowResult<R>, cells: readonly string[], k: KeyCheck): RowResult<R> {
  const why = untrustedKey(cells, k);
  if (why === undefined) return res;
  // The mapper's own code and message when it has one (it quotes no value for these shapes), and why the key was not read.
  const shaped = res.error && (res.error.code === 'short-row' || res.error.code === 'long-row' || res.error.code === 'invalid-encoding');
  const error: { code: RowCode; message: string } = shaped ? { code: res.error!.code, message: `${res.error!.message}; ${why}` } : { code: 'unreadable-key', message: why };
  return { error: { ...error, keyUnread: true } };
}

function untrustedKey(cells: readonly string[], k: KeyCheck): string | undefined {
  const n = k.columns.length;
  const last = k.lastKeyColumn;
  for (const i of k.keyColumns) {
    if (i < cells.length && cells[i].includes(k.delimiter)) {
      return `the key column ${k.columns[i]} holds the delimiter ${showDelimiter(k.delimiter)}: check the quotes on this line`;
    }
  }
  for (let i = 0; i <= last && i < cells.length; i++) {
    if (cells[i].includes('\uFFFD')) return `column ${k.columns[i]} holds bytes that are not valid in the file's encoding, so the key is not read`;
  }
  if (cells.length === n) return undefined;
  if (cells.length === 1) return 'the whole line reads as one value, so the key is not read: check the delimiter';
  // Key columns are trusted only when no other column comes before them: a value missing or extra there shifts the key.
  if (k.keyColumns.some((i) => i >= k.keyColumns.length)) return 'a value missing or extra before the key column shifts it, so the key is not read';
  for (const i of k.keyColumns) {
    if (i < cells.length && CANDIDATE_DELIMITERS.some((d) => cells[i].includes(d))) return 'the key cell holds another delimiter, so the key is not read: check the delimiter';
  }
  if (k.keyColumns.some((i) => i >= cells.length || cells[i].trim() === '')) return 'the key cell is missing, so the key is not read';
  return undefined;
}

/** Blank lines, and lines of delimiters only (spreadsheet exports pad with them), carry no row. */
function isBlank(cells: readonly string[]): boolean {
  for (let i = 0; i < cells.length; i++) if (cells[i].trim() !== '') return false;
  return true;
}

/** Readability, emptiness, and a UTF-8 BOM on a file said to be Latin-1. */
async function checkStart(path: string, encoding: FeedEncoding): Promise<void> {
  checkFeedPath(path);
  let handle;
  try {
    handle = await open(path, 'r');
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(3), 0, 3, 0);
    if (bytesRead === 0) throw new FeedFileError('empty-file', `${path} is empty`);
    const utf16 = utf16Bom(buffer.subarray(0, bytesRead));
    if (utf16) {
      throw new FeedFileError(
        'invalid-encoding',
        `${path} is ${utf16} (it starts with a UTF-16 byte-order mark): save it as UTF-8 (Excel: "CSV UTF-8"; Notepad: Save as, Encoding UTF-8)`,
      );
    }
    if (encoding !== 'utf8' && bytesRead === 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
      throw new FeedFileError('invalid-encoding', `${path} starts with a UTF-8 byte-order mark, so it is UTF-8: run without --encoding ${encoding}`);
    }
  } catch (err) {
    if (err instanceof FeedFileError) throw err;
    throw fileError(path, err);
  } finally {
    await handle?.close();
  }
}

/**
 * Lines before the header that carry none: blank, `#` comments, and the `/` comments tool_sync files open with
 * (no header of any format starts with a slash).
 */
function isCommentLine(l: string): boolean {
  return l.trim() === '' || l.startsWith('#') || l.startsWith('/');
}

/** The first line that is neither a comment nor blank; reads no further than that line. */
async function readHeaderLine(path: string, encoding: FeedEncoding, maxLine: number): Promise<{ headerText: string; headerLine: number }> {
  let line = 1;
  let partial = '';
  for await (const text of decodedChunks(path, encoding)) {
    partial += text;
    let from = 0;
    for (let nl = partial.indexOf('\n'); nl !== -1; nl = partial.indexOf('\n', from)) {
      const l = partial.slice(from, nl);
      if (!isCommentLine(l)) return { headerText: l, headerLine: line };
      line++;
      from = nl + 1;
    }
    partial = partial.slice(from);
    // A comment can be long; only its first character matters.
    if (partial.startsWith('#') || partial.startsWith('/')) partial = partial[0];
    else if (partial.length > maxLine) {
      throw new FeedFileError('no-header', `line ${line} is longer than ${maxLine} characters without a line break: this does not look like a feed header`);
    }
  }
  if (!isCommentLine(partial)) return { headerText: partial, headerLine: line };
  throw new FeedFileError('empty-file', `${path} has no header: it holds only comments and blank lines`);
}

/**
 * The original bytes (not decoded, without the final line ending) of the records starting at the given lines, and
 * of the header line, for the tryback file: running it again reads exactly what the SIS sent, even bytes the
 * decoder could not read. A record over several lines (a multi-line quoted value) comes back whole, with its
 * inner line endings as written.
 */
export async function readRawRecords(info: FeedInfo, lines: ReadonlySet<number>): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  if (lines.size === 0) return out;
  // First pass: where each wanted record ends. The size limit does not change where records end.
  const spans = new Map<number, number>(info.headerLine > 0 ? [[info.headerLine, info.headerLine]] : []);
  for await (const batch of scanRecords(info.path, { delimiter: info.delimiter, encoding: info.encoding, maxRecordSize: DEFAULT_MAX_RECORD_SIZE })) {
    for (const r of batch) if (lines.has(r.line) && r.line > info.headerLine) spans.set(r.line, r.endLine);
  }
  // Second pass: the physical lines as written.
  let current: { start: number; end: number; parts: Buffer[] } | undefined;
  for await (const { line, bytes, eol } of physicalLines(info.path)) {
    if (current === undefined) {
      const end = spans.get(line);
      if (end === undefined) continue;
      current = { start: line, end, parts: [] };
    }
    current.parts.push(Buffer.from(bytes));
    if (line >= current.end) {
      out.set(current.start, Buffer.concat(current.parts));
      current = undefined;
      if (out.size === spans.size) break;
    } else {
      current.parts.push(Buffer.from(eol));
    }
  }
  if (current !== undefined) out.set(current.start, Buffer.concat(current.parts));
  return out;
}
