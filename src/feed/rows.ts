/**
 * What every entity's row mapper shares: the result type, the cell vocabularies of the base columns
 * (ROW_STATUS, ACTION, AVAILABLE_IND, MOODLE_ID) and the row-shape and encoding errors.
 */
import type { EntityRecord, PersonLifecycle, PersonRecord, RowCommand, RowError, RowStatus } from './types.js';

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
