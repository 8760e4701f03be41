/**
 * Pure header analysis: header names → entity type, canonical fields, dialect, key column. One table per entity.
 * No I/O here; the stream shell (read.ts) hands in the header cells.
 */
import { closest, distance } from 'fastest-levenshtein';
import { COURSE_HEADERS, COURSE_ONLY_COLUMNS, PERSON_COLUMNS } from './course-headers.js';
import { ENROLMENT_HEADERS, looksLikeEnrolments } from './enrolments.js';
import { GROUP_HEADERS, GROUP_MEMBER_HEADERS, groupFeedType } from './groups.js';
import { COHORT_HEADERS, COHORT_MEMBER_HEADERS, cohortFeedType } from './cohorts.js';
import { INSTITUTION_ROLE_HEADERS, OBSERVER_HEADERS, roleFeedType } from './roles.js';
import { AVAILABLE_COLUMN, COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, MOODLE_ID_COLUMNS, ROW_STATUS_COLUMN, SUSPENDED_COLUMN } from './rows.js';
import { ENTITY_TYPES, FeedFileError, USER_TEXT_FIELDS, type Dialect, type EntityType, type UserTextField } from './types.js';
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from './columns.js';

export type { ColumnKind, ColumnSpec, HeaderAnalysis, HeaderTable } from './columns.js';

/** SIS snapshot names that Moodle's upload tool does not use: any of them makes the file SIS dialect. */
const SIS_ONLY: Record<string, ColumnSpec> = {
  external_person_key: { kind: 'key', field: 'key' },
  user_id: text('username'),
  passwd: text('password'),
  first_name: text('firstname'),
  last_name: text('lastname'),
  available_ind: AVAILABLE_COLUMN,
  // The SIS guide itself spells it this way once; files copied from it must still load.
  availabile_ind: AVAILABLE_COLUMN,
  row_status: ROW_STATUS_COLUMN,
  street_1: text('address'),
  b_phone_1: text('phone1'),
  m_phone: text('phone2'),
  company: text('institution'),
};

/** Names both dialects use (DATA_SOURCE_KEY included: Moodle-style files carry it too, so it does not decide the dialect). */
const SHARED: Record<string, ColumnSpec> = {
  firstname: text('firstname'),
  lastname: text('lastname'),
  middlename: text('middlename'),
  email: text('email'),
  city: text('city'),
  country: text('country'),
  department: text('department'),
  institution: text('institution'),
  ...MOODLE_ID_COLUMNS,
  ...COMMAND_COLUMNS,
  username_from_email: { kind: 'usernameFromEmail', field: 'usernameFromEmail' },
  ...DATA_SOURCE_COLUMNS,
};

/** Moodle admin/tool/uploaduser names. */
const MOODLE_ONLY: Record<string, ColumnSpec> = {
  ...Object.fromEntries(USER_TEXT_FIELDS.filter((f) => !(f in SHARED)).map((f) => [f, text(f)])),
  suspended: SUSPENDED_COLUMN,
};

const PROFILE_FIELD = /^profile_field_(.+)$/i;

function text(target: UserTextField): ColumnSpec {
  return { kind: 'text', field: target, target };
}

/** Every accepted header name, SIS names upper-case as the SIS guide writes them, Moodle names lower-case. */
export function personHeaderNames(): string[] {
  return [
    ...Object.keys(SIS_ONLY).map((n) => n.toUpperCase()),
    ...Object.keys(SHARED).map((n) => n.toUpperCase()),
    ...Object.keys(MOODLE_ONLY),
    'profile_field_<shortname>',
  ];
}

export const PERSON_HEADERS: HeaderTable = {
  type: 'persons',
  sisOnly: SIS_ONLY,
  shared: SHARED,
  moodleOnly: MOODLE_ONLY,
  dynamic(column) {
    const m = PROFILE_FIELD.exec(column.trim());
    return m ? { kind: 'customfield', field: `profile_field_${m[1]}`, target: m[1] } : undefined;
  },
  signature: ['external_person_key', 'user_id', 'passwd', 'username', 'first_name', 'last_name', 'firstname', 'lastname'],
  needs: 'a persons feed needs EXTERNAL_PERSON_KEY, username or idnumber',
  missingKey(dialect, specs) {
    if (dialect === 'sis' && !specs.some((s) => s.kind === 'key')) {
      return new FeedFileError('missing-column', 'missing column "EXTERNAL_PERSON_KEY": a SIS persons feed needs it as the record key');
    }
    if (dialect === 'moodle' && !specs.some((s) => s.kind === 'text' && (s.target === 'username' || s.target === 'idnumber'))) {
      return new FeedFileError(
        'missing-column',
        'missing column "username" or "idnumber": a Moodle-style persons feed needs one of them as the record key (or EXTERNAL_PERSON_KEY for the SIS format)',
      );
    }
    return undefined;
  },
};

/** Category feeds: SIS `EXTERNAL_CATEGORY_KEY, NAME, PARENT_KEY, DESCRIPTION`, Moodle `idnumber, name, parent, description`. */
export const CATEGORY_HEADERS: HeaderTable = {
  type: 'categories',
  sisOnly: {
    external_category_key: { kind: 'key', field: 'key' },
    parent_key: { kind: 'text', field: 'parent', target: 'parent' },
    row_status: ROW_STATUS_COLUMN,
  },
  shared: {
    name: { kind: 'text', field: 'name', target: 'name' },
    description: { kind: 'text', field: 'description', target: 'description' },
    ...MOODLE_ID_COLUMNS,
    ...COMMAND_COLUMNS,
    ...DATA_SOURCE_COLUMNS,
  },
  moodleOnly: {
    idnumber: { kind: 'key', field: 'key' },
    parent: { kind: 'text', field: 'parent', target: 'parent' },
  },
  signature: ['external_category_key', 'parent_key'],
  needs: 'a categories feed needs EXTERNAL_CATEGORY_KEY, or idnumber and name',
  missingKey(dialect, specs) {
    if (specs.some((s) => s.kind === 'key')) return undefined;
    return dialect === 'sis'
      ? new FeedFileError('missing-column', 'missing column "EXTERNAL_CATEGORY_KEY": a SIS categories feed needs it as the record key')
      : new FeedFileError(
          'missing-column',
          'missing column "idnumber": a Moodle-style categories feed needs it as the record key (or EXTERNAL_CATEGORY_KEY for the SIS format)',
        );
  },
};

export const HEADER_TABLES: Record<EntityType, HeaderTable> = { persons: PERSON_HEADERS, categories: CATEGORY_HEADERS, courses: COURSE_HEADERS, enrolments: ENROLMENT_HEADERS,
  groups: GROUP_HEADERS, 'group-members': GROUP_MEMBER_HEADERS, cohorts: COHORT_HEADERS, 'cohort-members': COHORT_MEMBER_HEADERS,
  'institution-roles': INSTITUTION_ROLE_HEADERS, observers: OBSERVER_HEADERS };

function specOf(table: HeaderTable, lower: string, column: string): ColumnSpec | undefined {
  if (Object.hasOwn(table.sisOnly, lower)) return table.sisOnly[lower];
  if (Object.hasOwn(table.shared, lower)) return table.shared[lower];
  if (Object.hasOwn(table.moodleOnly, lower)) return table.moodleOnly[lower];
  return table.dynamic?.(column);
}

/**
 * The type the header names: a signature column decides; a header of category columns only that has `name` or
 * `parent` (the Moodle dialect: idnumber,name,parent) is categories; anything else reads as persons, whose
 * messages then name the unknown columns.
 */
function inferType(columns: readonly string[], lower: string[]): EntityType {
  // Before courses: a Moodle cohorts file may carry category_idnumber, a course column too.
  const cohortType = cohortFeedType(lower);
  if (cohortType !== undefined) return cohortType;
  // EXTERNAL_OBSERVER_KEY / ROLE_ID belong to no other feed.
  const roleType = roleFeedType(lower);
  if (roleType !== undefined) return roleType;
  // A course column (not the course key alone, which enrolments carry too) without a person column: a courses feed.
  if (lower.some((n) => COURSE_ONLY_COLUMNS.includes(n)) && !lower.some((n) => PERSON_COLUMNS.includes(n))) return 'courses';
  const groupType = groupFeedType(lower);
  if (groupType !== undefined) return groupType;
  if (looksLikeEnrolments(lower)) return 'enrolments';
  if (lower.some((n) => CATEGORY_HEADERS.signature.includes(n))) return 'categories';
  if (lower.some((n) => n === 'name' || n === 'parent') && lower.every((n, i) => specOf(CATEGORY_HEADERS, n, columns[i]) !== undefined)) {
    return 'categories';
  }
  return 'persons';
}

export function analyseHeader(columns: readonly string[], type?: EntityType): HeaderAnalysis {
  const lower = columns.map((c) => c.trim().toLowerCase());
  const inferred = inferType(columns, lower);
  if (type !== undefined) {
    // A forced type must not read another entity's file as its own.
    const looksLike = ENTITY_TYPES.find((t) => t !== type && lower.some((n) => HEADER_TABLES[t].signature.includes(n) && specOf(HEADER_TABLES[type], n, n) === undefined));
    if (looksLike !== undefined) throw new FeedFileError('unknown-type', `the header looks like a ${looksLike} feed, not a ${type} feed`);
  }
  const table = HEADER_TABLES[type ?? inferred];
  const specs: Array<ColumnSpec | undefined> = lower.map((n, i) => specOf(table, n, columns[i]));

  if (specs.every((s) => s === undefined)) {
    throw new FeedFileError(
      'unknown-type',
      type === undefined
        ? `cannot tell the feed type from the header "${columns.join(' ')}": ${ENTITY_TYPES.map((t) => HEADER_TABLES[t].needs).join('; ')}`
        : `the header has no ${type} column: ${table.needs}`,
    );
  }

  const unknown = columns.flatMap((_c, i) => (specs[i] === undefined ? [i] : []));
  if (unknown.length > 0) {
    const named = unknown.map((i) => {
      const c = columns[i];
      if (c.trim() === '') return `"" (column ${i + 1} has no name)`;
      const hint = suggest(c.trim(), table);
      return hint === undefined ? `"${c}"` : `"${c}" (did you mean "${hint}"?)`;
    });
    const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
    throw new FeedFileError('unknown-header', `unknown column${unknown.length > 1 ? 's' : ''} ${list}`);
  }
  const known = specs as ColumnSpec[];

  const dialect: Dialect = lower.some((n) => Object.hasOwn(table.sisOnly, n)) ? 'sis' : 'moodle';

  // Two columns feeding the same value would make one silently win over the other.
  const seen = new Map<string, number>();
  known.forEach((s, i) => {
    let slot = s.kind === 'text' || s.kind === 'customfield' ? `${s.kind}:${s.target}` : s.kind;
    if (s.kind === 'suspended') slot = 'available';
    // In the SIS dialect the key is stored in idnumber, so an idnumber column would fight with it.
    if (dialect === 'sis' && (s.kind === 'key' || (s.kind === 'text' && s.target === 'idnumber'))) slot = 'key';
    const first = seen.get(slot);
    if (first !== undefined) {
      const msg =
        lower[first] === lower[i]
          ? `column "${columns[i]}" appears twice`
          : `columns "${columns[first]}" and "${columns[i]}" both give ${s.kind === 'suspended' ? 'the availability' : s.field}: keep one`;
      throw new FeedFileError('duplicate-header', msg);
    }
    seen.set(slot, i);
  });

  const missing = table.missingKey(dialect, known);
  if (missing) throw missing;
  return { type: table.type, dialect, fields: known.map((s) => s.field), specs: known };
}

/** Closest accepted name, written in the same case style as the unknown one; undefined when nothing is close. */
export function suggest(name: string, table: HeaderTable = PERSON_HEADERS): string | undefined {
  const lower = name.toLowerCase();
  const best = closest(lower, [...Object.keys(table.sisOnly), ...Object.keys(table.shared), ...Object.keys(table.moodleOnly)]);
  if (distance(lower, best) > Math.max(2, Math.floor(lower.length / 3))) return undefined;
  return name === name.toUpperCase() ? best.toUpperCase() : best;
}
