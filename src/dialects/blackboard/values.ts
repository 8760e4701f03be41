/**
 * Blackboard snapshot value conventions: dates `yyyymmdd`, role names as the Learn UI or the header reference writes
 * them (`Teaching Assistant`, `teaching_assistant`), and a header reader. Pure.
 */
import type { RowCode } from '../../errors.js';
import { PartFailure } from '../values.js';

/** A row's cells by lower-cased header name (any of several names: `external_course_key` or `external_organization_key`). */
export interface Cells {
  get(...names: string[]): string;
  /** Whether the header has any of these columns. */
  has(...names: string[]): boolean;
}

export function cellReader(lower: readonly string[]): (cells: readonly string[]) => Cells {
  const at = new Map<string, number>();
  lower.forEach((n, i) => {
    if (!at.has(n)) at.set(n, i);
  });
  const has = (...names: string[]): boolean => names.some((n) => at.has(n));
  return (cells) => ({
    has,
    get(...names) {
      for (const n of names) {
        const i = at.get(n);
        if (i !== undefined) {
          const v = (cells[i] ?? '').trim();
          if (v !== '') return v;
        }
      }
      return '';
    },
  });
}

/** `yyyymmdd` (the snapshot format's only date form) → `yyyy-mm-dd` for the native feeds; '' stays ''. */
export function isoDate(value: string, column: string, key: string): string | PartFailure {
  if (value === '') return '';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return new PartFailure('invalid-value', `column ${column}: "${value}" is not a date as yyyymmdd (20260901)`, key);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/**
 * Blackboard's course roles → the name mdlsync resolves (enrolments.roleMap, whose defaults map instructor,
 * teaching_assistant, course_builder and grader; student is Moodle's own shortname). The UI's spelling with spaces is
 * the header reference's with underscores. Guest and none enrol nobody in Moodle: they fail with what to do.
 */
export function membershipRole(value: string, key: string): string | PartFailure {
  const name = value.trim().replace(/\s+/g, '_');
  const lower = name.toLowerCase();
  if (lower === 'guest') return new PartFailure('unknown-role', 'the course role Guest has no Moodle enrolment: Moodle lets guests in through the course\'s guest access enrolment method instead', key);
  if (lower === 'none') return new PartFailure('unknown-role', 'the course role "none" (enrolled without a role) has no Moodle equivalent: give the row a role', key);
  return name;
}

/** A cell the row must not have (a key change, a pre-hashed password): the whole row fails, saying why. */
export function refused(code: RowCode, message: string, key: string): { error: { code: RowCode; message: string; key: string } } {
  return { error: { code, message, key } };
}
