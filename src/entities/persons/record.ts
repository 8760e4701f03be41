/** What a persons feed carries: the Moodle user fields mdlsync sends and the persons record. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    persons: PersonRecord;
  }
}

/** Moodle user fields mdlsync sends, named as core_user_create_users / core_user_update_users name them. */
export const USER_TEXT_FIELDS = [
  'username',
  'password',
  'firstname',
  'lastname',
  'email',
  'idnumber',
  'auth',
  'lang',
  'city',
  'country',
  'timezone',
  'institution',
  'department',
  'phone1',
  'phone2',
  'address',
  'description',
  'middlename',
  'alternatename',
  'firstnamephonetic',
  'lastnamephonetic',
  'interests',
  // Moodle's own Upload users columns that core_user_create_users / update_users also take (integers sent as text).
  'theme',
  'mailformat',
  'maildisplay',
] as const;
export type UserTextField = (typeof USER_TEXT_FIELDS)[number];
export type PersonFields = Partial<Record<UserTextField, string>>;


/** Persons ACTION values beyond store/delete: the account lifecycle of DESIGN §6 (`mdlsync user block|unblock|password`). */
export type PersonLifecycle = 'block' | 'unblock' | 'password';

export interface PersonRecord extends RecordBase {
  /** ACTION=block|unblock|password: the row is that lifecycle step (its other cells are not sent). */
  lifecycle?: PersonLifecycle;
  /** USERNAME_FROM_EMAIL Y/N on an ACTION=password row: also set username = email; absent = config persons.usernameFromEmail. */
  usernameFromEmail?: boolean;
  /**
   * The Moodle fields the file carries for this row, already normalised (username trimmed and lower-cased,
   * other values trimmed). An empty cell means "not given": the field is absent here, never "".
   * SIS dialect: idnumber = key (the key is stored in Moodle's idnumber).
   */
  fields: PersonFields;
  /** profile_field_<shortname> columns: shortname → value (empty cells absent). */
  customfields?: Record<string, string>;
  /**
   * UPLOAD_TYPE (Moodle Upload users' upload type, per row): `addnew` leaves an existing account unchanged, `update`
   * fails a row whose account does not exist; absent = add and update.
   */
  uploadType?: 'addnew' | 'update';
}
