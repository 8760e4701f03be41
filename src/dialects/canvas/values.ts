/**
 * Canvas SIS import value conventions: ISO 8601 timestamps in UTC unless they say otherwise, the `status` enums of
 * each file, the built-in enrollment roles, and a user's name from first/last, sortable or full name. Pure.
 */
import type { DialectColumn, DialectSettings, NativeRow, Translation } from '../definition.js';
import { columnOf, columnWarnings } from '../values.js';
import { FeedFileError } from '../../feed/types.js';

/** `2026-09-01`, `2013-1-03 00:00:00`, `2026-09-01T08:00:00Z`, `2013-05-03 00:00:00-06:00` (the docs' own samples). */
const CANVAS_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A Canvas timestamp → ISO 8601 with an explicit zone (UTC when it names none, as Canvas reads it), which both the
 * course and the enrolment mappers read the same way; undefined when it is not a date.
 */
export function canvasDate(value: string): string | undefined {
  const m = CANVAS_DATE.exec(value.trim());
  if (!m) return undefined;
  const two = (v: string | undefined): string => (v ?? '0').padStart(2, '0');
  const zone = m[7] === undefined || m[7].toUpperCase() === 'Z' ? 'Z' : m[7].includes(':') ? m[7] : `${m[7].slice(0, 3)}:${m[7].slice(3)}`;
  return `${m[1]}-${two(m[2])}-${two(m[3])}T${two(m[4])}:${two(m[5])}:${two(m[6])}${zone}`;
}

/** Canvas's built-in enrollment roles → Moodle role shortnames; a custom role name goes on as written. */
export const CANVAS_ROLES: Readonly<Record<string, string>> = {
  student: 'student',
  // Canvas's teacher edits and grades: Moodle's editingteacher (Moodle's "teacher" is the non-editing one).
  teacher: 'editingteacher',
  // A TA grades and helps without building the course: Moodle's non-editing teacher.
  ta: 'teacher',
  // A designer builds content and does not grade; editing content needs editingteacher in Moodle.
  designer: 'editingteacher',
};

/** A user's first and last name: given, else from `Last, First` (sortable_name), else full_name split at its last space. */
export function personName(first: string, last: string, full: string, sortable: string): { firstname: string; lastname: string } {
  if (first !== '' || last !== '') return { firstname: first, lastname: last };
  const comma = sortable.indexOf(',');
  if (comma > 0) return { firstname: sortable.slice(comma + 1).trim(), lastname: sortable.slice(0, comma).trim() };
  const f = full.replace(/\s+/g, ' ').trim();
  const space = f.lastIndexOf(' ');
  return space > 0 ? { firstname: f.slice(0, space), lastname: f.slice(space + 1) } : { firstname: f, lastname: '' };
}

/** One Canvas file kind's table: documented columns, the ones a header must have, and the translation. */
export interface CanvasFile {
  columns: readonly DialectColumn[];
  required: readonly string[];
  /** A header the file cannot be run with, though its required columns are there: why and what to do. */
  refuse?(lower: readonly string[]): string | undefined;
  parts: ReadonlyArray<{ type: import('../../entities/types.js').EntityType; header: readonly string[] }>;
  row(get: (name: string) => string, settings: DialectSettings): Translation;
}

/** The columns of a Canvas file as `name → index`, its warnings (documented but not acted on, and undocumented). */
export function compileCanvas(file: CanvasFile, title: string, lower: readonly string[], columns: readonly string[], settings: DialectSettings) {
  const refusal = file.refuse?.(lower);
  if (refusal !== undefined) throw new FeedFileError('missing-column', `the ${title}: ${refusal}`);
  const missing = file.required.filter((r) => !r.split('|').some((alt) => lower.includes(alt)));
  if (missing.length > 0) {
    throw new FeedFileError('missing-column', `the ${title} needs the column${missing.length > 1 ? 's' : ''} ${missing.map((m) => m.replace('|', ' or ')).join(', ')} (Canvas requires ${missing.length > 1 ? 'them' : 'it'})`);
  }
  const index = new Map<string, number>();
  lower.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  const undocumented = lower.flatMap((n, i) => (columnOf(file.columns, n) === undefined ? [columns[i]] : []));
  const warnings = columnWarnings(lower, columns, file.columns);
  if (undocumented.length > 0) warnings.push(`${undocumented.join(', ')}: not a column of the ${title} (Canvas ignores it, so does mdlsync)`);
  return {
    parts: file.parts,
    warnings,
    translate(cells: readonly string[]): Translation {
      const get = (name: string): string => {
        const i = index.get(name);
        return i === undefined ? '' : (cells[i] ?? '').trim();
      };
      return file.row(get, settings);
    },
  };
}

/** A row's `status` read against the file's documented values (case-insensitive); an error naming them otherwise. */
export function statusOf(value: string, allowed: readonly string[], key: string): string | Translation {
  const v = value.toLowerCase();
  if (v === '') return { error: { code: 'missing-value', message: `the status is empty (Canvas requires one of ${allowed.join(', ')})`, key } };
  if (!allowed.includes(v)) return { error: { code: 'invalid-value', message: `the status is "${value}", expected ${allowed.join(', ')}`, key } };
  return v;
}

/** An empty required identifier → the row's error. */
export function missing(column: string, key?: string): Translation {
  return { error: { code: 'missing-value', message: `${column} is empty`, ...(key ? { key } : {}) } };
}

export type { NativeRow };
