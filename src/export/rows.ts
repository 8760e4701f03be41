/**
 * What `mdlsync export grades|completions` writes, row by row: one row per person and course (the course total, the
 * course completion) and, asked for, one row per grade item or activity, in long form: every row has the same
 * columns whatever the course holds, so an SIS imports any course's file with one mapping (a column per item would
 * change with each course's items). Pure: from Moodle's answers to rows, their hashes (for `--changes`) and the
 * two dialects' headers.
 */
import { createHash } from 'node:crypto';
import type { ActivityCompletion, CourseCompletionStatus, GradeItem } from '../moodle/grades.js';

/** Moodle's view of the person's enrolment: active student, or left out of the reports (suspended, out of dates). */
export type EnrolmentStatus = 'active' | 'suspended' | 'inactive';

/** What every row starts with: who, where, which item ('' for the course-level row). */
export interface RowBase {
  personKey: string;
  courseKey: string;
  userId: number;
  courseId: number;
  /** 'course' for the course total or completion, else the module type (assign, quiz …). */
  itemType: string;
  /** The module's idnumber, else `cm-CMID`; '' for the course-level row. */
  itemKey: string;
  itemName: string;
  enrolment: EnrolmentStatus;
}

export interface GradeRow extends RowBase {
  /** Raw value ('' when not graded). */
  grade: string;
  gradeMax: string;
  /** As the site's report shows it, without the % sign ('' when the site does not show percentages or no grade). */
  percentage: string;
  /** As the site shows it ('' when the site shows no letters). */
  letter: string;
  /** ISO 8601 UTC of gradedategraded ('' when none). */
  gradedAt: string;
}

/** complete / incomplete; 'not tracked': the course has no completion criteria or completion is off. */
export type CompletionState = 'complete' | 'incomplete' | 'not tracked' | '';

export interface CompletionRow extends RowBase {
  state: CompletionState;
  /** ISO 8601 UTC ('' when not complete). */
  completedAt: string;
}

export type ExportRow = GradeRow | CompletionRow;

export type ExportKind = 'grades' | 'completions';
export type ExportDialect = 'mdlsync' | 'snapshot';

const COMMON: [mdlsync: string, snapshot: string, value: (r: RowBase) => string | number][] = [
  ['person_key', 'EXTERNAL_PERSON_KEY', (r) => r.personKey],
  ['course_key', 'EXTERNAL_COURSE_KEY', (r) => r.courseKey],
  ['moodle_user_id', 'MOODLE_USER_ID', (r) => r.userId],
  ['moodle_course_id', 'MOODLE_COURSE_ID', (r) => r.courseId],
  ['item_type', 'ITEM_TYPE', (r) => r.itemType],
  ['item_key', 'ITEM_KEY', (r) => r.itemKey],
  ['item_name', 'ITEM_NAME', (r) => r.itemName],
];
const GRADE_COLUMNS: [string, string, (r: GradeRow) => string | number][] = [
  ['grade', 'GRADE', (r) => r.grade],
  ['grade_max', 'GRADE_MAX', (r) => r.gradeMax],
  ['percentage', 'PERCENTAGE', (r) => r.percentage],
  ['letter', 'LETTER_GRADE', (r) => r.letter],
  ['graded_at', 'GRADED_DATE', (r) => r.gradedAt],
  ['enrolment_status', 'ENROLMENT_STATUS', (r) => r.enrolment],
];
const COMPLETION_COLUMNS: [string, string, (r: CompletionRow) => string | number][] = [
  ['completion', 'COMPLETION_STATUS', (r) => r.state],
  ['completed_at', 'COMPLETION_DATE', (r) => r.completedAt],
  ['enrolment_status', 'ENROLMENT_STATUS', (r) => r.enrolment],
];

function columnsOf(kind: ExportKind): [string, string, (r: never) => string | number][] {
  return [...COMMON, ...(kind === 'grades' ? GRADE_COLUMNS : COMPLETION_COLUMNS)] as [string, string, (r: never) => string | number][];
}

/** The header: mdlsync's lowercase names (comma-separated), or the SIS snapshot's uppercase ones (pipe-separated). */
export function headerOf(kind: ExportKind, dialect: ExportDialect): string[] {
  return columnsOf(kind).map(([m, s]) => (dialect === 'mdlsync' ? m : s));
}
export const delimiterOf = (dialect: ExportDialect): string => (dialect === 'mdlsync' ? ',' : '|');

export function cellsOf(kind: ExportKind, row: ExportRow): (string | number)[] {
  return columnsOf(kind).map(([, , value]) => value(row as never));
}

/** The row's identity in the ledger's export_state (course, person, item) and the hash of what it says. */
export function rowIdentity(row: RowBase): { course: string; person: string; item: string } {
  return {
    course: row.courseKey || `#${row.courseId}`,
    person: row.personKey || `#${row.userId}`,
    item: row.itemKey === '' ? '' : `${row.itemType}:${row.itemKey}`,
  };
}
export function rowHash(kind: ExportKind, row: ExportRow): string {
  return createHash('sha256').update(JSON.stringify(cellsOf(kind, row))).digest('base64url').slice(0, 22);
}

const iso = (t: number | null | undefined): string => (t ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : '');

/** A number as plain text, at most 5 decimals (grade_grades' precision), no trailing zeros. */
function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  return String(Number(v.toFixed(5)));
}

/** "85.00 %" → "85.00"; '-' or absent → ''. */
function percentOf(formatted: string | undefined): string {
  const m = formatted ? /^\s*(-?[\d.,]+)\s*%\s*$/.exec(formatted) : null;
  return m ? m[1] : '';
}

/**
 * The letter, where the site shows one: the user report's letter column (lettergradeformatted), else the grade
 * itself when the course displays grades as letters (gradeformatted neither a number nor a percentage).
 */
function letterOf(item: GradeItem): string {
  if (item.lettergradeformatted !== undefined) return item.lettergradeformatted === '-' ? '' : item.lettergradeformatted;
  const f = (item.gradeformatted ?? '').trim();
  if (f === '' || f === '-' || /^-?[\d.,]+(\s*%)?$/.test(f) || f.includes('<')) return '';
  return f;
}

export function itemKeyOf(item: { idnumber?: string | null; cmid?: number }): string {
  return item.idnumber ? item.idnumber : item.cmid !== undefined ? `cm-${item.cmid}` : '';
}

/** The rows of one user's grade report: the course total, and each module item when `items`. */
export function gradeRows(base: Omit<RowBase, 'itemType' | 'itemKey' | 'itemName'>, items: readonly GradeItem[], withItems: boolean): GradeRow[] {
  const rows: GradeRow[] = [];
  const total = items.find((i) => i.itemtype === 'course');
  const row = (i: GradeItem, course: boolean): GradeRow => ({
    ...base,
    itemType: course ? 'course' : i.itemmodule ?? i.itemtype,
    itemKey: course ? '' : itemKeyOf(i),
    itemName: course ? '' : i.itemname ?? '',
    grade: num(i.graderaw),
    gradeMax: num(i.grademax),
    percentage: percentOf(i.percentageformatted),
    letter: letterOf(i),
    gradedAt: iso(i.gradedategraded),
  });
  if (total) rows.push(row(total, true));
  if (withItems) for (const i of items) if (i.itemtype !== 'course') rows.push(row(i, false));
  return rows;
}

/** A row for a person whose grades are not read (an error on their own call): the course-level row, empty. */
export function emptyGradeRow(base: Omit<RowBase, 'itemType' | 'itemKey' | 'itemName'>): GradeRow {
  return { ...base, itemType: 'course', itemKey: '', itemName: '', grade: '', gradeMax: '', percentage: '', letter: '', gradedAt: '' };
}

/**
 * When the course was completed: Moodle's web services return the criteria's completion times, not
 * course_completions.timecompleted, so it is the time the deciding criterion was met: the last one (all) or the
 * first (any).
 */
export function completedAt(status: CourseCompletionStatus): number | null {
  if (!status.completed) return null;
  const times = status.completions.filter((c) => c.complete && c.timecompleted).map((c) => c.timecompleted as number);
  if (times.length === 0) return null;
  return status.aggregation === 2 ? Math.min(...times) : Math.max(...times);
}

export function completionRow(base: Omit<RowBase, 'itemType' | 'itemKey' | 'itemName'>, state: CompletionState, at: number | null): CompletionRow {
  return { ...base, itemType: 'course', itemKey: '', itemName: '', state, completedAt: iso(at) };
}

/** One row per activity that tracks completion. Names: the grade items' when known (cmid → name), else ''. */
export function activityRows(base: Omit<RowBase, 'itemType' | 'itemKey' | 'itemName'>, statuses: readonly ActivityCompletion[]): CompletionRow[] {
  return statuses.map((s) => ({
    ...base, itemType: s.modname, itemKey: `cm-${s.cmid}`, itemName: '',
    state: s.state === 1 || s.state === 2 ? 'complete' : 'incomplete',
    completedAt: s.state === 1 || s.state === 2 ? iso(s.timecompleted) : '',
  }));
}
