/**
 * What every entity's row mapper shares: the result type, the cell vocabularies of the base columns
 * (ROW_STATUS, ACTION, AVAILABLE_IND, MOODLE_ID), their header specs, and the row-shape and encoding errors.
 */
import type { ColumnKind, ColumnSpec } from './columns.js';
import { FeedFileError, type EntityRecord, type RecordBase, type RowCommand, type RowError, type RowStatus } from './types.js';
import type { PersonLifecycle, PersonRecord } from '../entities/persons/record.js';

export type RowResult<R extends EntityRecord = PersonRecord> = { record: R; error?: undefined } | { error: Omit<RowError, 'line'>; record?: undefined };

export interface RowMapper<R extends EntityRecord = PersonRecord> {
  /** `spanLines` > 1 when the row ran over several physical lines (a multi-line quoted value, or an unbalanced quote). */
  map(cells: readonly string[], spanLines: number): RowResult<R>;
}

export const YES_NO: Record<string, boolean> = { y: true, yes: true, true: true, '1': true, n: false, no: false, false: false, '0': false };
export const SUSPENDED: Record<string, boolean> = { '0': true, '1': false };
export const ROW_STATUS: Record<string, RowStatus> = { enabled: 'enabled', disabled: 'disabled', deleted: 'deleted' };
export const COMMANDS: Record<string, RowCommand> = { add: 'store', store: 'store', del: 'delete', delete: 'delete' };
/** Persons only: ACTION values that run one lifecycle step on the account (DESIGN §6), as `mdlsync user …` does. */
export const PERSON_LIFECYCLE: Record<string, PersonLifecycle> = { block: 'block', unblock: 'unblock', password: 'password' };

/** A MOODLE_ID cell: a positive safe integer, else NaN. */
export function parseMoodleId(v: string): number {
  const id = /^[1-9][0-9]*$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(id) ? id : NaN;
}

export function shapeError(cells: readonly string[], n: number, spanLines: number, key: string | undefined): Omit<RowError, 'line'> {
  const code = cells.length < n ? 'short-row' : 'long-row';
  const span = spanLines > 1 ? ` (the row runs over ${spanLines} lines: check for an unbalanced quote)` : '';
  return { key, code, message: `the row has ${cells.length} values, the header has ${n}${span}` };
}

export function encodingError(column: string, key: string | undefined): Omit<RowError, 'line'> {
  return {
    key,
    code: 'invalid-encoding',
    message: `column ${column} holds bytes that are not valid UTF-8: if the file is Latin-1 or Windows-1252, run with --encoding latin1`,
  };
}

export function invalidValue(column: string, value: string, expected: string, key: string | undefined): Omit<RowError, 'line'> {
  return { key, code: 'invalid-value', message: `column ${column} has "${value}", expected ${expected}` };
}

/** The base columns' header specs, shared by the entities' header tables (specs are never mutated). */
export const ROW_STATUS_COLUMN: ColumnSpec = { kind: 'rowStatus', field: 'rowStatus' };
export const AVAILABLE_COLUMN: ColumnSpec = { kind: 'available', field: 'available' };
export const SUSPENDED_COLUMN: ColumnSpec = { kind: 'suspended', field: 'suspended' };
const command: ColumnSpec = { kind: 'command', field: 'command' };
export const COMMAND_COLUMNS = { action: command, cmd: command, operation: command } satisfies Record<string, ColumnSpec>;
const dataSource: ColumnSpec = { kind: 'dataSource', field: 'dataSource' };
export const DATA_SOURCE_COLUMNS = { data_source_key: dataSource, datasource: dataSource } satisfies Record<string, ColumnSpec>;
const moodleId: ColumnSpec = { kind: 'moodleId', field: 'moodleId' };
export const MOODLE_ID_COLUMNS = { moodle_id: moodleId, moodleid: moodleId } satisfies Record<string, ColumnSpec>;

/** A header's missing key columns: `needed` pairs each key's text target with the column name to report; `what` says why. */
export function missingKeyColumns(specs: readonly ColumnSpec[], needed: ReadonlyArray<readonly [string, string]>, what: string): FeedFileError | undefined {
  const gone = needed.filter(([t]) => !specs.some((s) => s.kind === 'text' && s.target === t)).map(([, col]) => `"${col}"`);
  if (gone.length === 0) return undefined;
  return new FeedFileError('missing-column', `missing column ${gone.join(' and ')}: ${what}`);
}

/**
 * One non-empty base cell (AVAILABLE_IND, suspended, ROW_STATUS, ACTION add/store/del/delete, MOODLE_ID,
 * DATA_SOURCE_KEY) into the record; the error when the value is not one the column takes. Other kinds are left to
 * the entity's mapper. `entity` names the Moodle id in the MOODLE_ID message.
 */
export function baseCell(record: RecordBase, kind: ColumnKind, column: string, v: string, entity = 'record'): Omit<RowError, 'line'> | undefined {
  switch (kind) {
    case 'available': {
      const b = YES_NO[v.toLowerCase()];
      if (b === undefined) return invalidValue(column, v, 'Y or N', record.key);
      record.available = b;
      return undefined;
    }
    case 'suspended': {
      const b = SUSPENDED[v];
      if (b === undefined) return invalidValue(column, v, '0 or 1', record.key);
      record.available = b;
      return undefined;
    }
    case 'rowStatus': {
      const st = ROW_STATUS[v.toLowerCase()];
      if (st === undefined) return invalidValue(column, v, 'enabled, disabled or deleted', record.key);
      record.rowStatus = st;
      return undefined;
    }
    case 'command': {
      const c = COMMANDS[v.toLowerCase()];
      if (c === undefined) return invalidValue(column, v, 'add, store, del or delete', record.key);
      record.command = c;
      return undefined;
    }
    case 'moodleId': {
      const id = parseMoodleId(v);
      if (Number.isNaN(id)) return { ...invalidValue(column, v, `a positive whole number (a Moodle ${entity} id)`, record.key), code: 'invalid-moodle-id' };
      record.moodleId = id;
      return undefined;
    }
    case 'dataSource':
      record.dataSource = sharedDataSource(v);
      return undefined;
    default:
      return undefined;
  }
}

/**
 * A file names a few data sources over many rows: the rows (and their planned actions, which a run holds until it
 * has applied them) share one string per value instead of a copy each (~11 MB for 500k rows). Bounded, since a watch
 * lives on.
 */
const dataSources = new Map<string, string>();
function sharedDataSource(v: string): string {
  const seen = dataSources.get(v);
  if (seen !== undefined) return seen;
  if (dataSources.size < 1000) dataSources.set(v, v);
  return v;
}

/** The "key column(s) … empty" error. */
export function missingKeyError(empty: readonly string[]): Omit<RowError, 'line'> {
  const many = empty.length > 1;
  return { code: 'missing-value', message: `the key column${many ? 's' : ''} ${empty.join(' and ')} ${many ? 'are' : 'is'} empty` };
}

/** A row whose key is empty: a cell with bytes not valid in the encoding is named first (it may be why), else the empty key columns. */
export function emptyKeyError(cells: readonly string[], columns: readonly string[], empty: readonly string[]): Omit<RowError, 'line'> {
  const bad = cells.findIndex((c) => c.includes('\uFFFD'));
  return bad === -1 ? missingKeyError(empty) : encodingError(columns[bad], undefined);
}

/** Cell i trimmed; '' when the column is absent (i = -1) or the row is short. */
export function cellAt(cells: readonly string[], i: number): string {
  return i >= 0 && i < cells.length ? cells[i].trim() : '';
}
