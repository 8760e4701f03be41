/**
 * A file as one run reads it: its format (mdlsync's own headers, or a dialect of another tool) and the native feeds
 * it fans out into, in run order. A native file is one feed; a dialect file (an Upload users file with course1 and
 * cohort1 columns) is a feed per entity its rows name, each streaming the same file through the dialect's translation
 * into the native row mappers. Every part keeps the source's lines, so reports and the tryback point at the file
 * as written.
 */
import { ENTITY_TYPES, entity } from '../entities/index.js';
import type { EntityType, RecordOf } from '../entities/types.js';
import { DEFAULT_DIALECT_SETTINGS, type CompiledDialect, type DialectDefinition, type DialectKind, type DialectPart, type DialectSettings, type NativeRow } from '../dialects/definition.js';
import { DIALECTS, NATIVE_DIALECT, describeUnplaced, dialectNamed, kindClaiming } from '../dialects/index.js';
import { PartFailure } from '../dialects/definition.js';
import { checkSingleColumn } from './delimiter.js';
import { analyseHeader, checkType, nativeFeed, readHeader, type AnyFeed, type HeaderLine } from './index.js';
import { scanRecords, type ScannedRecord } from './read.js';
import type { RowMapper } from './rows.js';
import { FeedFileError, type Dialect, type FeedInfo, type FeedItem, type FeedOptions } from './types.js';

/** Which format a file was read as, for the summary and the console ("Moodle Upload users file"). */
export interface FileFormat {
  /** `mdlsync` for the native headers; else the dialect's name (`--dialect`). */
  dialect: string;
  title: string;
  /** The dialect's kind of file (`users`, `enrollments`); the native entity type for a native file. */
  kind: string;
  /** The entity types the file fans out into, in run order. */
  entities: EntityType[];
  /**
   * The header style its records were read in (SIS snapshot or Moodle-style; another tool's file reads as Moodle-style)
   * and its delimiter: kept in the run record, so `mdlsync export ids` answers in the style the SIS sends.
   */
  headers?: Dialect;
  delimiter?: string;
}

export interface FeedSet {
  format: FileFormat;
  /** Columns the source tool accepts and mdlsync does not act on: one sentence each, once per file. */
  warnings: readonly string[];
  /** The file as read (header line, delimiter, encoding): the tryback gives back its lines under its header. */
  source: FeedInfo;
  /** One feed per entity, in run order. */
  parts: AnyFeed[];
  /** The entity types of parts that only make sure their records exist (DialectPart.storeOnly). */
  storeOnly: ReadonlySet<EntityType>;
}

export interface FeedSetOptions extends FeedOptions {
  /** `--dialect NAME` (or `NAME/KIND`): read the file as that format, whatever its header looks like. */
  dialect?: string;
  dialectSettings?: Partial<DialectSettings>;
}

/** Opens a file in whatever format it is: a dialect that claims its header, else mdlsync's own tables. */
export async function openFeedSet(path: string, opts: FeedSetOptions = {}): Promise<FeedSet> {
  checkType(opts.type);
  const settings: DialectSettings = { ...DEFAULT_DIALECT_SETTINGS, ...opts.dialectSettings };
  const forced = opts.dialect !== undefined && opts.dialect !== NATIVE_DIALECT ? dialectNamed(opts.dialect) : undefined;
  const head = await readHeader(path, opts);
  const lower = head.columns.map((c) => c.toLowerCase());

  if (opts.dialect === NATIVE_DIALECT) return nativeSet(path, head, opts);
  const headerless = headerlessKind(forced ? [forced.dialect] : DIALECTS, head, forced?.kind);
  if (headerless) return dialectSet(path, { ...head, headerLine: 0, headerText: '', columns: [...headerless.kind.headerless!.columns] }, headerless.dialect, headerless.kind, settings, opts);

  if (forced) {
    const kind = forced.kind ?? forced.dialect.kinds.find((k) => k.claims(lower)) ?? (forced.dialect.kinds.length === 1 ? forced.dialect.kinds[0] : undefined);
    if (!kind) {
      throw new FeedFileError('unknown-type', `the header is none of the ${forced.dialect.title} files (${forced.dialect.kinds.map((k) => k.name).join(', ')}): pass --dialect ${forced.dialect.name}/KIND`);
    }
    return dialectSet(path, head, forced.dialect, kind, settings, opts);
  }
  // A type given (--type, a drop-folder name persons.store.….csv) keeps a claimed file in its dialect when the dialect
  // makes that type of it (an Upload users file is a persons file, and more); otherwise the file is read natively.
  const claimed = kindClaiming(lower);
  if (claimed && (opts.type === undefined || claimed.kind.entities.includes(opts.type))) return dialectSet(path, head, claimed.dialect, claimed.kind, settings, opts);
  try {
    return nativeSet(path, head, opts);
  } catch (err) {
    // A header no table reads: say which formats it looks closest to, and what it asked for in mdlsync's terms.
    if (err instanceof FeedFileError && (err.code === 'unknown-header' || err.code === 'unknown-type')) {
      const more = describeUnplaced(lower);
      if (more) throw new FeedFileError(err.code, `${err.message}. ${more}`);
    }
    throw err;
  }
}

function nativeSet(path: string, head: HeaderLine, opts: FeedOptions): FeedSet {
  checkSingleColumn(head.columns, head.delimiter, opts.delimiter !== undefined);
  const feed = nativeFeed(path, head, analyseHeader(head.columns, opts.type), opts);
  const type = feed.info.type;
  return {
    format: {
      dialect: NATIVE_DIALECT,
      title: `mdlsync ${type} feed (${feed.info.dialect === 'sis' ? 'SIS snapshot' : 'Moodle-style'} headers)`,
      kind: type,
      entities: [type],
      headers: feed.info.dialect,
      delimiter: feed.info.delimiter,
    },
    warnings: [],
    source: feed.info,
    parts: [feed],
    storeOnly: new Set(),
  };
}

/**
 * The headerless format (enrol_flatfile, a tool_sync list) a file is: the kind named, or the first kind of the given
 * dialects whose test the first line passes. Checked before any header is read as one: no header passes these tests.
 */
function headerlessKind(dialects: readonly DialectDefinition[], head: HeaderLine, named?: DialectKind): { dialect: DialectDefinition; kind: DialectKind } | undefined {
  for (const dialect of dialects) {
    if (named) return named.headerless ? { dialect, kind: named } : undefined;
    const kind = dialect.kinds.find((k) => k.headerless?.test(head.columns));
    if (kind) return { dialect, kind };
  }
  return undefined;
}

function dialectSet(path: string, head: HeaderLine, dialect: DialectDefinition, kind: DialectKind, settings: DialectSettings, opts: FeedOptions): FeedSet {
  const lower = head.columns.map((c) => c.trim().toLowerCase());
  const compiled = kind.compile(lower, head.columns, settings);
  const order = (t: EntityType): number => ENTITY_TYPES.indexOf(t);
  const parts = [...compiled.parts].sort((a, b) => order(a.type) - order(b.type));
  if (parts.length === 0) throw new FeedFileError('unknown-type', `the ${kind.title} header names nothing mdlsync can do: ${compiled.warnings.join('; ')}`);
  const source: FeedInfo = {
    path,
    type: parts[0].type,
    dialect: 'moodle',
    delimiter: head.delimiter,
    encoding: head.encoding,
    columns: head.columns,
    fields: head.columns,
    headerLine: head.headerLine,
    headerText: head.headerText,
  };
  const feeds = parts.map((part, i) => partFeed(source, head, dialect, compiled, part, i === 0, opts));
  return {
    format: { dialect: dialect.name, title: `${dialect.title} ${kind.title}`, kind: kind.name, entities: parts.map((p) => p.type), headers: 'moodle', delimiter: source.delimiter },
    warnings: compiled.warnings,
    source,
    parts: feeds,
    storeOnly: new Set(parts.filter((p) => p.storeOnly).map((p) => p.type)),
  };
}

/** One native feed of a dialect file: the file's rows, translated, and the part's rows mapped by the native mapper. */
function partFeed(source: FeedInfo, head: HeaderLine, dialect: DialectDefinition, compiled: CompiledDialect, part: DialectPart, first: boolean, opts: FeedOptions): AnyFeed {
  const analysis = analyseHeader(part.header, part.type);
  const info: FeedInfo = { ...source, type: part.type, dialect: analysis.dialect, fields: analysis.fields };
  const mapper = entity(part.type).rowMapper(analysis, part.header, { ...opts, ...part.options }) as RowMapper<RecordOf<EntityType>>;
  const comments = dialect.commentStarts ?? [];
  const width = head.columns.length;

  async function* items(): AsyncGenerator<FeedItem<RecordOf<EntityType>>> {
    // Per pass over the file: the distinct rows already given (a part's distinct rows are few: courses, groups, cohorts).
    const seen = part.distinct ? new Set<string>() : undefined;
    for await (const batch of scanRecords(source.path, { delimiter: source.delimiter, encoding: source.encoding, maxRecordSize: head.maxRecordSize })) {
      for (const r of batch) {
        if (r.line <= source.headerLine) continue;
        yield* partItems(r, seen);
      }
    }
  }

  function* partItems(r: ScannedRecord, seen: Set<string> | undefined): Generator<FeedItem<RecordOf<EntityType>>> {
    const line = r.line;
    if (r.problem) {
      // Unreadable: it may hide a row of any part, so every part sees it (a refresh then holds back its disables).
      const message = r.problem === 'record-too-large' ? 'the row is longer than the most a row may have' : `a quoted value starting on line ${line} is never closed`;
      yield { line, error: { line, code: r.problem, message, keyUnread: true, ...(r.endLine > line ? { endLine: r.endLine } : {}) } };
      return;
    }
    if (r.cells.every((c) => c.trim() === '')) return;
    if (comments.some((c) => r.cells[0].startsWith(c))) return;
    if (r.cells.length !== width && !(head.headerLine === 0 && r.cells.length < width)) {
      const code = r.cells.length < width ? 'short-row' : 'long-row';
      yield { line, error: { line, code, message: `the row has ${r.cells.length} values, the header has ${width}`, keyUnread: true } };
      return;
    }
    const bad = r.cells.findIndex((c) => c.includes('\uFFFD'));
    if (bad !== -1) {
      if (first) yield { line, error: { line, code: 'invalid-encoding', message: `column ${head.columns[bad]} holds bytes that are not valid in the file's encoding (try --encoding latin1)`, keyUnread: bad === 0 } };
      return;
    }
    const t = compiled.translate(r.cells, line);
    if ('skip' in t) return;
    if ('error' in t) {
      if (first) yield { line, error: { line, ...t.error } };
      return;
    }
    for (const row of t.rows[part.type] ?? []) {
      if (row instanceof PartFailure) {
        yield { line, error: { line, code: row.code, message: row.message, ...(row.key ? { key: row.key } : {}) } };
        continue;
      }
      const cells = cellsOf(part.header, row);
      if (seen) {
        const id = cells.join('\u0000');
        if (seen.has(id)) continue;
        seen.add(id);
      }
      const res = mapper.map(cells, 1);
      yield res.record ? { line, record: res.record } : { line, error: { line, ...res.error! } };
    }
  }

  return { info, items: () => items() } as AnyFeed;
}

function cellsOf(header: readonly string[], row: NativeRow): string[] {
  return header.map((c) => row[c] ?? '');
}
