/**
 * Persons feed headers: the SIS snapshot names (EXTERNAL_PERSON_KEY|USER_ID|PASSWD|…) and Moodle's upload-user
 * names (username,firstname,…), one table; a SIS-only name makes the file SIS dialect.
 */
import type { ColumnSpec, HeaderTable } from '../../feed/columns.js';
import { AVAILABLE_COLUMN, COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, MOODLE_ID_COLUMNS, ROW_STATUS_COLUMN, SUSPENDED_COLUMN } from '../../feed/rows.js';
import { FeedFileError } from '../../feed/types.js';
import { USER_TEXT_FIELDS, type UserTextField } from './record.js';

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
  upload_type: { kind: 'uploadType', field: 'uploadType' },
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
  fallback: true,
  keyTargets: (dialect) => (dialect === 'sis' ? [] : ['idnumber', 'username']),
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

