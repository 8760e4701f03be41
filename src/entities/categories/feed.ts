/**
 * Pure row mapping for category feeds: the cells of one data row → a CategoryRecord or a RowError.
 * SIS: EXTERNAL_CATEGORY_KEY, NAME, PARENT_KEY, DESCRIPTION; Moodle: idnumber, name, parent (the parent's idnumber), description.
 */
import type { ColumnSpec, HeaderAnalysis } from '../../feed/columns.js';
import { baseCell, cellAt, emptyKeyError, encodingError, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { CategoryFields, CategoryRecord } from './record.js';

export function categoryRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<CategoryRecord> {
  const specs: readonly ColumnSpec[] = header.specs;
  const n = specs.length;
  const keyIdx = specs.findIndex((s) => s.kind === 'key');
  const readKey = (cells: readonly string[]): string | undefined => cellAt(cells, keyIdx) || undefined;
  return {
    map(cells, spanLines): RowResult<CategoryRecord> {
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, readKey(cells)) };
      const key = readKey(cells);
      if (key === undefined) return { error: emptyKeyError(cells, columns, [columns[keyIdx]]) };
      const fields: CategoryFields = {};
      const record: CategoryRecord = { key, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue; // an empty cell means "not given"; an absent parent is the top level
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], key) };
        const s = specs[i];
        if (s.kind === 'text') fields[s.target as keyof CategoryFields] = v;
        else {
          const err = baseCell(record, s.kind, columns[i], v, 'category');
          if (err) return { error: err };
        }
      }
      return { record };
    },
  };
}
