/**
 * Enrolment feeds: the header table and the pure row mapping (cells of one data row → an EnrolmentRecord or a
 * RowError). SIS: EXTERNAL_COURSE_KEY, EXTERNAL_PERSON_KEY, ROLE, START_DATE, END_DATE, AVAILABLE_IND, ROW_STATUS,
 * DATA_SOURCE_KEY. Moodle flat-file style: operation, role, idnumber_user, idnumber_course[, start, end];
 * tool_sync style: course, user, role[, cmd]. The key is `COURSE|PERSON`; ROLE is a field.
 */
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from '../../feed/columns.js';
import { AVAILABLE_COLUMN, COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, ROW_STATUS_COLUMN, SUSPENDED_COLUMN, baseCell, cellAt, emptyKeyError, encodingError, missingKeyColumns, invalidValue, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { EnrolmentFields, EnrolmentRecord } from './record.js';

const course: ColumnSpec = { kind: 'text', field: 'course', target: 'course' };
const person: ColumnSpec = { kind: 'text', field: 'person', target: 'person' };
const courseShortname: ColumnSpec = { kind: 'text', field: 'course_shortname', target: 'course' };
const username: ColumnSpec = { kind: 'text', field: 'username', target: 'person' };
const start: ColumnSpec = { kind: 'text', field: 'start', target: 'start' };
const end: ColumnSpec = { kind: 'text', field: 'end', target: 'end' };

/** Every accepted enrolment column, lower-case (header names are case-insensitive). */
export const ENROLMENT_HEADERS: HeaderTable = {
  type: 'enrolments',
  detect: { rank: 50, test: (lower) => looksLikeEnrolments(lower) },
  keyTargets: () => ['course', 'person'],
  sisOnly: {
    external_course_key: course,
    external_person_key: person,
    start_date: start,
    end_date: end,
    available_ind: AVAILABLE_COLUMN,
    row_status: ROW_STATUS_COLUMN,
  },
  shared: {
    role: { kind: 'text', field: 'role', target: 'role' },
    ...COMMAND_COLUMNS,
    ...DATA_SOURCE_COLUMNS,
  },
  moodleOnly: {
    idnumber_course: course,
    course_idnumber: course,
    course,
    course_shortname: courseShortname,
    idnumber_user: person,
    user_idnumber: person,
    user: person,
    username,
    user_username: username,
    start,
    end,
    timestart: start,
    timeend: end,
    suspended: SUSPENDED_COLUMN,
  },
  signature: ['external_course_key', 'idnumber_course', 'course_idnumber', 'idnumber_user', 'user_idnumber', 'course_shortname', 'user_username'],
  needs: 'an enrolments feed needs EXTERNAL_COURSE_KEY and EXTERNAL_PERSON_KEY, or idnumber_course and idnumber_user (or course and user)',
  missingKey(dialect, specs) {
    const sis = dialect === 'sis';
    return missingKeyColumns(specs, [['course', sis ? 'EXTERNAL_COURSE_KEY' : 'idnumber_course'], ['person', sis ? 'EXTERNAL_PERSON_KEY' : 'idnumber_user']], 'an enrolments feed needs the course key and the person key');
  },
};

/**
 * Whether a header (not forced to a type) is an enrolments feed: one of its signature columns, or the tool_sync
 * style `course, user[, role, cmd]` (or `username`) whose every column is an enrolment column.
 */
export function looksLikeEnrolments(lower: readonly string[]): boolean {
  if (lower.some((n) => ENROLMENT_HEADERS.signature.includes(n))) return true;
  const known = (n: string): boolean => Object.hasOwn(ENROLMENT_HEADERS.sisOnly, n) || Object.hasOwn(ENROLMENT_HEADERS.shared, n) || Object.hasOwn(ENROLMENT_HEADERS.moodleOnly, n);
  return lower.includes('course') && (lower.includes('user') || lower.includes('username')) && lower.every(known);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A date cell → Unix seconds, or NaN. ISO dates (2026-09-01, UTC midnight), ISO date-times (2026-09-01T08:00,
 * UTC unless an offset is given) and Unix timestamps (the flat-file enrolment plugin's form).
 */
export function parseEnrolmentDate(v: string): number {
  if (/^\d{9,11}$/.test(v)) return Number(v);
  const m = ISO.exec(v);
  if (!m) return NaN;
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone === undefined ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(ms)) return NaN;
  // Date.parse rolls 2026-02-30 over to March: a date that does not exist is refused.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return NaN;
  return Math.floor(ms / 1000);
}

export function enrolmentRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<EnrolmentRecord> {
  const specs: readonly ColumnSpec[] = header.specs;
  const n = specs.length;
  const sis = header.dialect === 'sis';
  const courseIdx = specs.findIndex((s) => s.kind === 'text' && s.target === 'course');
  const personIdx = specs.findIndex((s) => s.kind === 'text' && s.target === 'person');
  const byShortname = specs[courseIdx]?.field === 'course_shortname';
  const byUsername = specs[personIdx]?.field === 'username';
  // Moodle lower-cases usernames; the key must too, or `Ann` and `ann` would be two enrolments of one user.
  const personOf = (cells: readonly string[]): string => (byUsername ? cellAt(cells, personIdx).toLowerCase() : cellAt(cells, personIdx));
  // A file repeats a few dates over and over: each distinct cell is parsed once (bounded, for files of many).
  const dates = new Map<string, number>();
  const dateOf = (v: string): number => {
    let t = dates.get(v);
    if (t === undefined) {
      t = parseEnrolmentDate(v);
      if (dates.size >= 4096) dates.clear();
      dates.set(v, t);
    }
    return t;
  };
  const readKey = (cells: readonly string[]): string | undefined => {
    const c = cellAt(cells, courseIdx);
    const p = personOf(cells);
    return c === '' || p === '' ? undefined : `${c}|${p}`;
  };
  return {
    map(cells, spanLines): RowResult<EnrolmentRecord> {
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, readKey(cells)) };
      const c = cellAt(cells, courseIdx);
      const p = personOf(cells);
      if (c === '' || p === '') return { error: emptyKeyError(cells, columns, [c === '' ? columns[courseIdx] : '', p === '' ? columns[personIdx] : ''].filter(Boolean)) };
      const key = `${c}|${p}`;
      // The key joins the two with a pipe; a course key holding one could not be split back.
      if (c.includes('|')) return { error: invalidValue(columns[courseIdx], c, 'a course key without "|"', key) };
      const fields: EnrolmentFields = { course: c, person: p };
      if (byShortname) fields.courseBy = 'shortname';
      if (byUsername) fields.personBy = 'username';
      const record: EnrolmentRecord = { key, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue; // an empty cell means "not given"
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], key) };
        const s = specs[i];
        if (s.kind === 'text') {
          if (s.target === 'role') fields.role = v;
          else if (s.target === 'start' || s.target === 'end') {
            const t = dateOf(v);
            if (Number.isNaN(t)) return { error: invalidValue(columns[i], v, 'a date such as 2026-09-01 (or 2026-09-01T08:00, or a Unix timestamp)', key) };
            fields[s.target] = t;
          }
        } else {
          const err = baseCell(record, s.kind, columns[i], v);
          if (err) return { error: err };
        }
      }
      if (fields.start !== undefined && fields.end !== undefined && fields.end < fields.start) {
        const [si, ei] = [specs.findIndex((s) => s.target === 'start'), specs.findIndex((s) => s.target === 'end')];
        return { error: { key, code: 'invalid-dates', message: `the end date ${cells[ei].trim()} (${columns[ei]}) is before the start date ${cells[si].trim()} (${columns[si]})` } };
      }
      // A missing AVAILABLE_IND means available (the snapshot default).
      if (sis) record.available ??= true;
      return { record };
    },
  };
}
