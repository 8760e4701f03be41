/**
 * The ledger's export format (`mdlsync ledger export`, `mdlsync ledger import`): JSON Lines no backend owns (tables
 * and columns named as in the ledger, whole numbers as numbers, bytes in base64), so one file is a backup, the way to
 * another machine and, once there is a PostgreSQL ledger, the way from SQLite to it.
 *
 *   line 1     {"format":"mdlsync-ledger","version":1,"schemaVersion":9,"exportedAt":"…","site":"https://…"}
 *   records    {"table":"links","row":{"entity":"persons","key":"P0001",…}}   one line per record: the tables in
 *              EXPORT_TABLES order, each row's columns in its table's order
 *   last line  {"end":"mdlsync-ledger","records":{"links":120,…}}   a file cut short has none, and is refused
 *
 * What only means something to the process or the backend that made it is not exported (the writer lock, a retry's
 * claim, the migration history, SQLite's seen marks: a link's last_seen and last_run are exported as read).
 */
import { LedgerFileError } from '../errors.js';

export const EXPORT_FORMAT = 'mdlsync-ledger';
/** The line format. A new table or column follows the schema version; this changes only when the lines do. */
export const EXPORT_VERSION = 1;
/** The ledger schema of the first mdlsync that exported: no export is older. */
export const FIRST_EXPORT_SCHEMA = 9;

export type ColumnType = 'text' | 'integer' | 'bytes';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable?: true;
  /** The only values the column takes (a CHECK constraint). */
  values?: readonly string[];
}

export interface TableSpec {
  name: TableName;
  columns: readonly ColumnSpec[];
  /** How the rows are ordered: by these columns, or `learnt` (links: the order the ledger learnt them, which planning reads in). */
  order: readonly string[] | 'learnt';
  /** Holds the ledger's secret (left out by --without-secret). */
  secret?: true;
}

export type TableName = 'links' | 'runs' | 'retries' | 'export_state' | 'pictures' | 'before_images' | 'ledger_secrets';

const text = (name: string, more: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, type: 'text', ...more });
const int = (name: string, more: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, type: 'integer', ...more });
const opt = { nullable: true } as const;

/** Every table that holds state, as the file writes them (test/ledger-transfer checks them against the SQLite schema). */
export const EXPORT_TABLES: readonly TableSpec[] = [
  {
    name: 'links',
    columns: [
      text('entity'), text('key'), int('moodle_id'), text('data_source', opt), text('hash', opt),
      text('status', { values: ['active', 'disabled'] }), text('first_seen'), text('last_seen'), text('last_run', opt),
      text('disabled_at', opt), text('data', opt), text('state', opt), text('fields', opt),
    ],
    order: 'learnt',
  },
  {
    name: 'runs',
    columns: [
      text('id'), text('file'), text('sha256'), text('type'), text('op'), text('data_source', opt), text('started_at'),
      text('finished_at', opt), text('status'), text('summary', opt),
    ],
    order: ['id'],
  },
  {
    name: 'retries',
    columns: [
      int('id'), text('source'), text('name'), text('file'), text('type', opt), text('op'), text('data_source', opt),
      int('force'), int('rows', opt), int('attempts'), int('next_at'), text('last_error'), text('created_at'), text('updated_at'),
    ],
    order: ['id'],
  },
  {
    name: 'export_state',
    columns: [text('scope'), text('course'), text('person'), text('item'), text('hash'), text('run_id'), text('exported_at')],
    order: ['scope', 'course', 'person', 'item'],
  },
  {
    name: 'pictures',
    columns: [
      text('match_by', { values: ['key', 'username', 'idnumber'] }), text('name'), int('moodle_id'), text('sha256'), int('bytes'),
      int('revision', opt), text('last_run'), text('updated_at'),
    ],
    order: ['match_by', 'name'],
  },
  // What each recent run changed (schema 10): exported so that `mdlsync undo` of a run made before a move still works.
  {
    name: 'before_images',
    columns: [text('run_id'), text('entity'), text('key'), int('moodle_id'), text('before_state', opt), text('after_state')],
    order: ['run_id', 'entity', 'key'],
  },
  // The password HMAC key: without it, persons' hashes under `passwords: always` no longer match (see README).
  { name: 'ledger_secrets', columns: [text('name'), { name: 'value', type: 'bytes' }], order: ['name'], secret: true },
];

const TABLES = new Map(EXPORT_TABLES.map((t) => [t.name as string, t]));

/**
 * How a row exported at an older schema becomes the row the next schema version holds, per version after
 * FIRST_EXPORT_SCHEMA (a new column's value, a value that moved): a migration that changes an exported table adds
 * its entry, one that does not adds the identity (test/ledger-transfer keeps every version listed).
 */
export const ROW_UPGRADES: Readonly<Record<number, (table: TableName, row: Record<string, unknown>) => Record<string, unknown>>> = {
  // 10: links keep the values mdlsync sent (none known for what an older mdlsync sent); before_images is new.
  10: (table, row) => (table === 'links' ? { ...row, fields: null } : row),
};

/** A value as the ledger holds it. */
export type DbValue = string | number | bigint | Buffer | null;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  schemaVersion: number;
  exportedAt: string;
  /** The Moodle URL of the config that exported, when one was set. */
  site?: string;
}

export type ExportCounts = Record<TableName, number>;

export function emptyCounts(): ExportCounts {
  return Object.fromEntries(EXPORT_TABLES.map((t) => [t.name, 0])) as ExportCounts;
}

export function headerLine(h: ExportHeader): string {
  const { format, version, schemaVersion, exportedAt, site } = h;
  return JSON.stringify(site === undefined ? { format, version, schemaVersion, exportedAt } : { format, version, schemaVersion, exportedAt, site });
}

/** `values` in the table's column order. */
export function recordLine(table: TableSpec, values: readonly DbValue[]): string {
  const row: Record<string, unknown> = {};
  table.columns.forEach((c, i) => {
    const v = values[i];
    row[c.name] = Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? Number(v) : v;
  });
  return JSON.stringify({ table: table.name, row });
}

export function endLine(counts: ExportCounts): string {
  return JSON.stringify({ end: EXPORT_FORMAT, records: counts });
}

/** One record read back: its table, the values in the table's column order, and the line it came from. */
export interface ExportRecord {
  table: TableSpec;
  values: DbValue[];
  line: number;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads an export line by line: the header first, then records, then the end line. Every problem is a LedgerFileError
 * naming the line; a line's values are never quoted back (they may be personal data or the secret).
 */
export class ExportDecoder {
  private fileHeader: ExportHeader | null = null;
  private ended = false;
  readonly counts = emptyCounts();

  /** `source`: the file's name, for the messages; `schemaVersion`: the importing ledger's. */
  constructor(
    private readonly source: string,
    private readonly schemaVersion: number,
  ) {}

  get header(): ExportHeader {
    if (!this.fileHeader) throw new Error('ExportDecoder: no header read yet');
    return this.fileHeader;
  }

  private fail(n: number, what: string): never {
    throw new LedgerFileError('invalid-ledger-file', `${this.source}, line ${n}: ${what}; nothing was imported`);
  }

  /** Line n (from 1): the record it holds, or null for the header and the end line. */
  line(text: string, n: number): ExportRecord | null {
    if (text.trim() === '') this.fail(n, 'the line is empty');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.fail(n, 'the line is not JSON');
    }
    if (!isObject(value)) this.fail(n, 'the line is not a JSON object');
    if (this.fileHeader === null) {
      this.readHeader(value, n);
      return null;
    }
    if (this.ended) this.fail(n, 'a line after the end line');
    if ('end' in value) {
      this.readEnd(value, n);
      return null;
    }
    return this.readRecord(value, n);
  }

  /** After the last line (`lines` read): refuses a file without its header or end line. */
  finish(lines: number): void {
    if (this.fileHeader === null) throw new LedgerFileError('invalid-ledger-file', `${this.source} is empty: it is no mdlsync ledger export; nothing was imported`);
    if (!this.ended) {
      throw new LedgerFileError(
        'invalid-ledger-file',
        `${this.source} ends at line ${lines} without its end line: the file was cut short (copy it again, or export again); nothing was imported`,
      );
    }
  }

  private readHeader(h: Record<string, unknown>, n: number): void {
    if (h.format !== EXPORT_FORMAT) this.fail(n, `the first line is not the header of an mdlsync ledger export ("format":"${EXPORT_FORMAT}")`);
    const whole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
    if (!whole(h.version)) this.fail(n, 'the header has no format version');
    if (h.version > EXPORT_VERSION) {
      throw new LedgerFileError(
        'ledger-file-too-new',
        `${this.source} is an export of format version ${h.version}, newer than this mdlsync reads (${EXPORT_VERSION}): upgrade mdlsync; nothing was imported`,
      );
    }
    if (!whole(h.schemaVersion) || h.schemaVersion < FIRST_EXPORT_SCHEMA) this.fail(n, `the header's schemaVersion is not one an export has (${FIRST_EXPORT_SCHEMA} or later)`);
    if (h.schemaVersion > this.schemaVersion) {
      throw new LedgerFileError(
        'ledger-file-too-new',
        `${this.source} holds a ledger of schema version ${h.schemaVersion}, newer than this mdlsync knows (${this.schemaVersion}): upgrade mdlsync; nothing was imported`,
      );
    }
    if (typeof h.exportedAt !== 'string') this.fail(n, 'the header has no exportedAt');
    if (h.site !== undefined && typeof h.site !== 'string') this.fail(n, "the header's site is not text");
    const extra = Object.keys(h).filter((k) => !['format', 'version', 'schemaVersion', 'exportedAt', 'site'].includes(k));
    if (extra.length > 0) this.fail(n, `the header has no field ${extra[0]}`);
    this.fileHeader = {
      format: EXPORT_FORMAT,
      version: h.version,
      schemaVersion: h.schemaVersion,
      exportedAt: h.exportedAt,
      ...(h.site === undefined ? {} : { site: h.site as string }),
    };
  }

  private readEnd(e: Record<string, unknown>, n: number): void {
    if (e.end !== EXPORT_FORMAT || !isObject(e.records) || Object.keys(e).length !== 2) this.fail(n, 'the end line is not {"end":"mdlsync-ledger","records":{…}}');
    for (const [table, count] of Object.entries(e.records)) {
      if (!TABLES.has(table)) this.fail(n, `the end line counts a table ${JSON.stringify(table)} an export has not`);
      const held = this.counts[table as TableName];
      if (count !== held) this.fail(n, `the end line counts ${String(count)} ${table} row(s), the file holds ${held}`);
    }
    for (const table of EXPORT_TABLES) {
      if (!(table.name in e.records) && this.counts[table.name] > 0) this.fail(n, `the end line does not count the ${table.name} rows`);
    }
    this.ended = true;
  }

  private readRecord(r: Record<string, unknown>, n: number): ExportRecord {
    if (typeof r.table !== 'string' || !isObject(r.row) || Object.keys(r).length !== 2) this.fail(n, 'the line is not {"table":…,"row":{…}}');
    const table = TABLES.get(r.table);
    if (!table) this.fail(n, `no table ${JSON.stringify(r.table)} in a ledger export`);
    let row = r.row;
    for (let v = this.header.schemaVersion + 1; v <= this.schemaVersion; v++) {
      const upgrade = ROW_UPGRADES[v];
      if (!upgrade) throw new Error(`ledger export: no row upgrade to schema version ${v} (src/ledger/transfer/format.ts ROW_UPGRADES)`);
      row = upgrade(table.name, row);
    }
    const unknown = Object.keys(row).find((k) => !table.columns.some((c) => c.name === k));
    if (unknown !== undefined) this.fail(n, `${table.name} has no column ${JSON.stringify(unknown)}`);
    const values = table.columns.map((c) => this.value(table, c, row[c.name], n));
    this.counts[table.name]++;
    return { table, values, line: n };
  }

  private value(table: TableSpec, c: ColumnSpec, v: unknown, n: number): DbValue {
    const where = `${table.name}.${c.name}`;
    if (v === undefined) this.fail(n, `the ${table.name} row has no ${c.name}`);
    if (v === null) {
      if (!c.nullable) this.fail(n, `${where} is null, and must have a value`);
      return null;
    }
    switch (c.type) {
      case 'integer':
        if (!Number.isSafeInteger(v)) this.fail(n, `${where} is not a whole number`);
        return v as number;
      case 'bytes':
        if (typeof v !== 'string' || !BASE64.test(v)) this.fail(n, `${where} is not base64`);
        return Buffer.from(v, 'base64');
      case 'text':
        if (typeof v !== 'string') this.fail(n, `${where} is not text`);
        if (c.values && !c.values.includes(v)) this.fail(n, `${where} is not one of ${c.values.join(', ')}`);
        return v;
    }
  }
}

/** The header's site: the Moodle URL without credentials, query or trailing slash; undefined when none is set. */
export function siteOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/** Whether an export made for `exported` belongs where the config names `here` (unknown on either side: it may). */
export function sameSite(exported: string | undefined, here: string | undefined): boolean {
  const a = siteOf(exported);
  const b = siteOf(here);
  return a === undefined || b === undefined || a === b;
}
