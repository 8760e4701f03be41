/**
 * Pure row mapping for category feeds: the cells of one data row → a CategoryRecord or a RowError.
 * SIS: EXTERNAL_CATEGORY_KEY, NAME, PARENT_KEY, DESCRIPTION; Moodle: idnumber, name, parent (the parent's idnumber), description.
 */
import type { ColumnSpec, HeaderAnalysis } from './headers.js';
import { COMMANDS, ROW_STATUS, encodingError, invalidValue, parseMoodleId, shapeError, type RowMapper, type RowResult } from './rows.js';
import type { CategoryFields, CategoryRecord } from './types.js';

export function categoryRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<CategoryRecord> {
  const specs: readonly ColumnSpec[] = header.specs;
  const n = specs.length;
  const keyIdx = specs.findIndex((s) => s.kind === 'key');
  const readKey = (cells: readonly string[]): string | undefined => {
    const k = keyIdx >= 0 && keyIdx < cells.length ? cells[keyIdx].trim() : '';
    return k === '' ? undefined : k;
  };
  return {
    map(cells, spanLines): RowResult<CategoryRecord> {
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, readKey(cells)) };
      const key = readKey(cells);
      if (key === undefined) {
        const bad = cells.findIndex((c) => c.includes('\uFFFD'));
        if (bad !== -1) return { error: encodingError(columns[bad], undefined) };
        return { error: { code: 'missing-value', message: `the key column ${columns[keyIdx]} is empty` } };
      }
      const fields: CategoryFields = {};
      const record: CategoryRecord = { key, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue; // an empty cell means "not given"; an absent parent is the top level
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], key) };
        const s = specs[i];
        switch (s.kind) {
          case 'text':
            fields[s.target as keyof CategoryFields] = v;
            break;
          case 'rowStatus': {
            const st = ROW_STATUS[v.toLowerCase()];
            if (st === undefined) return { error: invalidValue(columns[i], v, 'enabled, disabled or deleted', key) };
            record.rowStatus = st;
            break;
          }
          case 'command': {
            const c = COMMANDS[v.toLowerCase()];
            if (c === undefined) return { error: invalidValue(columns[i], v, 'add, store, del or delete', key) };
            record.command = c;
            break;
          }
          case 'moodleId': {
            const id = parseMoodleId(v);
            if (Number.isNaN(id)) return { error: invalidValue(columns[i], v, 'a positive whole number (a Moodle category id)', key) };
            record.moodleId = id;
            break;
          }
          case 'dataSource':
            record.dataSource = v;
            break;
          default:
            break; // the key, already read
        }
      }
      return { record };
    },
  };
}
