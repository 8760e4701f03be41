/**
 * Pure header analysis for person feeds: header names → canonical fields, dialect, key column.
 * No I/O here; the stream shell (read.ts) hands in the header cells.
 */
import { closest, distance } from 'fastest-levenshtein';
import { FeedFileError, USER_TEXT_FIELDS, type Dialect, type EntityType, type UserTextField } from './types.js';

/** What a column feeds in a PersonRecord. */
export type ColumnKind =
  | 'key' // SIS EXTERNAL_PERSON_KEY
  | 'text' // a Moodle user text field (username handled as text + lower-case)
  | 'available' // AVAILABLE_IND Y/N
  | 'suspended' // Moodle `suspended` 0/1, inverted into `available`
  | 'rowStatus'
  | 'dataSource'
  | 'moodleId'
  | 'command'
  | 'customfield';

export interface ColumnSpec {
  kind: ColumnKind;
  /** Canonical name reported in FeedInfo.fields. */
  field: string;
  /** For 'text': the Moodle user field. For 'customfield': the profile field shortname. */
  target?: string;
}

/** SIS snapshot names that Moodle's upload tool does not use: any of them makes the file SIS dialect. */
const SIS_ONLY: Record<string, ColumnSpec> = {
  external_person_key: { kind: 'key', field: 'key' },
  user_id: text('username'),
  passwd: text('password'),
  first_name: text('firstname'),
  last_name: text('lastname'),
  available_ind: { kind: 'available', field: 'available' },
  // The SIS guide itself spells it this way once; files copied from it must still load.
  availabile_ind: { kind: 'available', field: 'available' },
  row_status: { kind: 'rowStatus', field: 'rowStatus' },
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
  moodle_id: { kind: 'moodleId', field: 'moodleId' },
  moodleid: { kind: 'moodleId', field: 'moodleId' },
  action: { kind: 'command', field: 'command' },
  cmd: { kind: 'command', field: 'command' },
  operation: { kind: 'command', field: 'command' },
  data_source_key: { kind: 'dataSource', field: 'dataSource' },
  datasource: { kind: 'dataSource', field: 'dataSource' },
};

/** Moodle admin/tool/uploaduser names. */
const MOODLE_ONLY: Record<string, ColumnSpec> = {
  ...Object.fromEntries(USER_TEXT_FIELDS.filter((f) => !(f in SHARED)).map((f) => [f, text(f)])),
  suspended: { kind: 'suspended', field: 'suspended' },
};

const ALL: Record<string, ColumnSpec> = { ...SIS_ONLY, ...SHARED, ...MOODLE_ONLY };

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

/**
 * Columns that name another entity's feed. A persons reader that meets them says "wrong type" rather than
 * "unknown column", which would send the user hunting for a typo.
 */
const OTHER_TYPES: Array<[string, string[]]> = [
  ['observers', ['external_observer_key', 'external_user_key']],
  ['institution-roles', ['role_id']],
  ['enrolments', ['external_course_key']],
  ['courses', ['course_id', 'course_name', 'shortname', 'fullname']],
  ['categories', ['external_category_key']],
  ['cohorts', ['external_cohort_key', 'cohort']],
  ['groups', ['external_group_key']],
];

function otherType(lower: string[]): string | undefined {
  for (const [type, names] of OTHER_TYPES) {
    if (lower.some((n) => names.includes(n))) {
      // A course key without a person key is a courses feed, with one an enrolments feed.
      if (type === 'enrolments' && !lower.includes('external_person_key')) return 'courses';
      return type;
    }
  }
  return undefined;
}

export interface HeaderAnalysis {
  type: EntityType;
  dialect: Dialect;
  /** Canonical field per column (FeedInfo.fields). */
  fields: string[];
  specs: ColumnSpec[];
}

export function analyseHeader(columns: readonly string[], type?: EntityType): HeaderAnalysis {
  const lower = columns.map((c) => c.trim().toLowerCase());
  const specs: Array<ColumnSpec | undefined> = lower.map((n, i) => {
    if (Object.hasOwn(ALL, n)) return ALL[n];
    const m = PROFILE_FIELD.exec(columns[i].trim());
    return m ? { kind: 'customfield', field: `profile_field_${m[1]}`, target: m[1] } : undefined;
  });

  const other = otherType(lower);
  if (other !== undefined) {
    throw new FeedFileError('unknown-type', `the header looks like a ${other} feed, not a ${type ?? 'persons'} feed: this version of mdlsync reads persons feeds only`);
  }
  if (specs.every((s) => s === undefined)) {
    throw new FeedFileError(
      'unknown-type',
      type === undefined
        ? `cannot tell the feed type from the header "${columns.join(' ')}": a persons feed needs EXTERNAL_PERSON_KEY, username or idnumber`
        : `the header has no ${type} column: a persons feed needs EXTERNAL_PERSON_KEY, username or idnumber`,
    );
  }

  const unknown = columns.flatMap((_c, i) => (specs[i] === undefined ? [i] : []));
  if (unknown.length > 0) {
    const named = unknown.map((i) => {
      const c = columns[i];
      if (c.trim() === '') return `"" (column ${i + 1} has no name)`;
      const hint = suggest(c.trim());
      return hint === undefined ? `"${c}"` : `"${c}" (did you mean "${hint}"?)`;
    });
    const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
    throw new FeedFileError('unknown-header', `unknown column${unknown.length > 1 ? 's' : ''} ${list}`);
  }
  const known = specs as ColumnSpec[];

  const dialect: Dialect = lower.some((n) => Object.hasOwn(SIS_ONLY, n)) ? 'sis' : 'moodle';

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

  if (dialect === 'sis' && !known.some((s) => s.kind === 'key')) {
    throw new FeedFileError('missing-column', 'missing column "EXTERNAL_PERSON_KEY": a SIS persons feed needs it as the record key');
  }
  if (dialect === 'moodle' && !known.some((s) => s.kind === 'text' && (s.target === 'username' || s.target === 'idnumber'))) {
    throw new FeedFileError(
      'missing-column',
      'missing column "username" or "idnumber": a Moodle-style persons feed needs one of them as the record key (or EXTERNAL_PERSON_KEY for the SIS format)',
    );
  }
  return { type: 'persons', dialect, fields: known.map((s) => s.field), specs: known };
}

const SUGGESTIBLE = Object.keys(ALL);

/** Closest accepted name, written in the same case style as the unknown one; undefined when nothing is close. */
export function suggest(name: string): string | undefined {
  const lower = name.toLowerCase();
  const best = closest(lower, SUGGESTIBLE);
  if (distance(lower, best) > Math.max(2, Math.floor(lower.length / 3))) return undefined;
  return name === name.toUpperCase() ? best.toUpperCase() : best;
}
