/**
 * Pure row mapping for course feeds: the cells of one data row → a CourseRecord or a RowError.
 * Dates are read in the configured time zone; a CATEGORY cell holding the path separator is a path of names.
 */
import type { CourseCategorySpec, CourseFields, CourseRecord } from './record.js';
import { COURSE_SETTINGS } from './headers.js';
import { localTimeZone, parseCourseDate } from '../../feed/dates.js';
import type { ColumnSpec, HeaderAnalysis } from '../../feed/columns.js';
import { baseCell, cellAt, emptyKeyError, encodingError, invalidValue, parseMoodleId, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { FeedOptions, RowError } from '../../feed/types.js';

type Err = { error: Omit<RowError, 'line'> };

/** A category path cell → its level names; an error message when a level is empty. */
export function splitCategoryPath(value: string, separator: string): string[] | string {
  const levels = value.split(separator).map((l) => l.trim());
  // A leading or trailing separator is tolerated ("/2026/September/"); an empty level inside is not.
  while (levels.length > 1 && levels[0] === '') levels.shift();
  while (levels.length > 1 && levels[levels.length - 1] === '') levels.pop();
  const empty = levels.findIndex((l) => l === '');
  if (empty !== -1) return `level ${empty + 1} of the category path ${value} is empty`;
  return levels;
}

export function courseRowMapper(header: HeaderAnalysis, columns: readonly string[], opts: FeedOptions = {}): RowMapper<CourseRecord> {
  const specs: readonly ColumnSpec[] = header.specs;
  const n = specs.length;
  const sep = opts.pathSeparator && opts.pathSeparator !== '' ? opts.pathSeparator : '/';
  const tz = opts.timezone ?? localTimeZone();
  const sis = header.dialect === 'sis';
  const keyIdx = specs.findIndex((s) => s.kind === 'key');
  const shortIdx = specs.findIndex((s) => s.kind === 'text' && s.target === 'shortname');
  const readKey = (cells: readonly string[]): string | undefined => {
    const k = cellAt(cells, keyIdx) || (sis ? '' : cellAt(cells, shortIdx));
    return k === '' ? undefined : k;
  };
  return {
    map(cells, spanLines): RowResult<CourseRecord> {
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, readKey(cells)) };
      const key = readKey(cells);
      if (key === undefined) return { error: emptyKeyError(cells, columns, [keyIdx >= 0 ? columns[keyIdx] : columns[shortIdx]]) };
      const fields: CourseFields = {};
      const record: CourseRecord = { key, fields };
      if (cellAt(cells, keyIdx) === '') record.keyedByShortname = true;
      // Category columns by priority: id, then idnumber, then path (Moodle's upload tool reads them in that order).
      const categories: { rank: number; spec: CourseCategorySpec }[] = [];
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], key) };
        const s = specs[i];
        const col = columns[i];
        if (s.kind === 'customfield') {
          (fields.customfields ??= {})[s.target ?? ''] = v;
        } else if (s.kind === 'text') {
          const r = textField(s.target ?? '', v, col, key, record, sis, sep, tz);
          if (r && 'error' in r) return r;
          if (r) categories.push(r);
        } else {
          const err = baseCell(record, s.kind, col, v, 'course');
          if (err) return { error: err };
        }
      }
      if (categories.length > 0) fields.category = categories.sort((a, b) => a.rank - b.rank)[0].spec;
      if (fields.startdate !== undefined && fields.enddate !== undefined && fields.enddate < fields.startdate) {
        return { error: { key, code: 'invalid-value', message: 'the end date is before the start date' } };
      }
      return { record };
    },
  };
}

/** One text column into the record; a category column's spec (with its priority) is returned, not stored. */
function textField(
  target: string,
  v: string,
  col: string,
  key: string,
  record: CourseRecord,
  sis: boolean,
  sep: string,
  tz: string,
): Err | { rank: number; spec: CourseCategorySpec } | undefined {
  const f = record.fields;
  switch (target) {
    case 'shortname':
    case 'fullname':
    case 'summary':
    case 'format':
    case 'template':
      f[target] = v;
      return undefined;
    case 'startdate':
    case 'enddate': {
      const t = parseCourseDate(v, tz);
      if (t === undefined) return { error: invalidValue(col, v, 'a date such as 2026-09-01 (or 2026-09-01T08:00)', key) };
      f[target] = t;
      return undefined;
    }
    case 'visible': {
      if (v !== '0' && v !== '1') return { error: invalidValue(col, v, '0 or 1', key) };
      record.available = v === '1';
      return undefined;
    }
    case 'category': {
      if (!sis) {
        const id = parseMoodleId(v);
        if (Number.isNaN(id)) return { error: invalidValue(col, v, 'a Moodle category id', key) };
        return { rank: 0, spec: { id } };
      }
      if (!v.includes(sep)) return { rank: 1, spec: { key: v } };
      return pathSpec(v, col, key, sep);
    }
    case 'category_idnumber':
      return { rank: 1, spec: { key: v } };
    case 'category_path':
      return pathSpec(v, col, key, sep);
    case 'lang':
    case 'forcetheme':
      (f.settings ??= {})[target] = v;
      return undefined;
    default:
      if (COURSE_SETTINGS.includes(target)) {
        // The web services take these as integers (PARAM_INT): a word or a fraction is refused here, not by Moodle.
        if (!/^-?\d+$/.test(v)) return { error: invalidValue(col, v, 'a whole number', key) };
        (f.settings ??= {})[target] = Number(v);
      }
      return undefined;
  }
}

function pathSpec(v: string, col: string, key: string, sep: string): Err | { rank: number; spec: CourseCategorySpec } {
  const levels = splitCategoryPath(v, sep);
  if (typeof levels === 'string') return { error: { key, code: 'invalid-value', message: `column ${col}: ${levels}` } };
  return { rank: 2, spec: { path: levels } };
}
