/**
 * Pure row mapping for person feeds: the cells of one data row → a PersonRecord or a RowError.
 * Compiled once per file from the header analysis so the per-row loop does no name lookups.
 */
import type { ColumnSpec, HeaderAnalysis } from '../../feed/columns.js';
import { COMMANDS, PERSON_LIFECYCLE, YES_NO, baseCell, cellAt, encodingError, invalidValue, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { PersonFields, PersonRecord, UserTextField } from './record.js';

export type { RowMapper, RowResult } from '../../feed/rows.js';

export function personRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<PersonRecord> {
  const specs: readonly ColumnSpec[] = header.specs;
  const n = specs.length;
  const sis = header.dialect === 'sis';
  const keyIdx = sis ? specs.findIndex((s) => s.kind === 'key') : -1;
  const idnumberIdx = specs.findIndex((s) => s.kind === 'text' && s.target === 'idnumber');
  const usernameIdx = specs.findIndex((s) => s.kind === 'text' && s.target === 'username');

  const readKey = (cells: readonly string[]): string | undefined => {
    const k = sis ? cellAt(cells, keyIdx) : cellAt(cells, idnumberIdx) || cellAt(cells, usernameIdx).toLowerCase();
    return k === '' ? undefined : k;
  };

  const badEncoding = (i: number, key: string | undefined): RowResult => ({ error: encodingError(columns[i], key) });
  const firstBadEncoding = (cells: readonly string[]): RowResult | undefined => {
    const i = cells.findIndex((c) => c.includes('\uFFFD'));
    return i === -1 ? undefined : badEncoding(i, undefined);
  };

  const invalid = (i: number, value: string, expected: string, key: string | undefined): RowResult => ({ error: invalidValue(columns[i], value, expected, key) });

  return {
    map(cells, spanLines) {
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, readKey(cells)) };
      const key = readKey(cells);
      if (key === undefined) {
        const named = sis ? [columns[keyIdx]] : [idnumberIdx, usernameIdx].filter((i) => i >= 0).map((i) => columns[i]);
        const message = named.length === 1 ? `the key column ${named[0]} is empty` : `both key columns, ${named[0]} and ${named[1]}, are empty`;
        return firstBadEncoding(cells) ?? { error: { code: 'missing-value', message } };
      }
      const fields: PersonFields = {};
      const record: PersonRecord = { key, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue; // an empty cell means "not given"
        // U+FFFD stands where the bytes were not valid in the file's encoding.
        if (v.includes('\uFFFD')) return badEncoding(i, key);
        const s = specs[i];
        switch (s.kind) {
          case 'key':
            break; // already read; stored as idnumber below
          case 'text':
            // Moodle reads these as integers (PARAM_INT): anything else would fail the whole create_users batch.
            if (s.target === 'mailformat' && !/^[01]$/.test(v)) return invalid(i, v, '0 (plain text) or 1 (HTML)', key);
            if (s.target === 'maildisplay' && !/^[012]$/.test(v)) return invalid(i, v, '0 (hidden), 1 (everyone) or 2 (course members)', key);
            fields[s.target as UserTextField] = s.target === 'username' ? v.toLowerCase() : v;
            break;
          case 'uploadType': {
            const t = v.toLowerCase();
            if (t !== 'addnew' && t !== 'addupdate' && t !== 'update') return invalid(i, v, 'addnew, addupdate or update', key);
            if (t !== 'addupdate') record.uploadType = t;
            break;
          }
          case 'command': {
            const lower = v.toLowerCase();
            const c = COMMANDS[lower];
            const step = c === undefined ? PERSON_LIFECYCLE[lower] : undefined;
            if (c === undefined && step === undefined) return invalid(i, v, 'add, store, del, delete, block, unblock or password', key);
            // A lifecycle row is its own step whatever the file's op (a block row in a delete file still only blocks).
            record.command = c ?? 'store';
            if (step) record.lifecycle = step;
            break;
          }
          case 'usernameFromEmail': {
            const b = YES_NO[v.toLowerCase()];
            if (b === undefined) return invalid(i, v, 'Y or N', key);
            record.usernameFromEmail = b;
            break;
          }
          case 'customfield':
            (record.customfields ??= {})[s.target as string] = v;
            break;
          default: {
            const err = baseCell(record, s.kind, columns[i], v, 'user');
            if (err) return { error: err };
          }
        }
      }
      // The SIS key lives in Moodle's idnumber; a missing AVAILABLE_IND means available (the snapshot default).
      if (sis) {
        fields.idnumber = key;
        record.available ??= true;
      }
      return { record };
    },
  };
}
