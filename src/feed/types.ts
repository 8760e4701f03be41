/**
 * What the feed reader produces: typed records (or row errors), each with the line it came from.
 * Shared contract between feed/, plan/, apply/ and report/.
 */

import type { RecordBase } from './record-base.js';

export type { RecordBase, RowCommand, RowStatus } from './record-base.js';

/** The entity types mdlsync reads. Each has its header table and row mapper (feed/entities.ts). */
export type EntityType = 'persons' | 'categories' | 'courses' | 'enrolments' | 'groups' | 'group-members' | 'cohorts' | 'cohort-members'
  | 'institution-roles' | 'observers';
export const ENTITY_TYPES: readonly EntityType[] = ['persons', 'categories', 'courses', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members',
  'institution-roles', 'observers'];

/**
 * Every feed type, read today or planned, in dependency order: files run together (one command, the drop folder,
 * a glob job) go in this order, so what a later type refers to exists first.
 */
export const FEED_TYPE_ORDER = [
  'categories',
  'courses',
  'persons',
  'enrolments',
  'groups',
  'group-members',
  'cohorts',
  'cohort-members',
  'institution-roles',
  'observers',
] as const;
export type FeedTypeName = (typeof FEED_TYPE_ORDER)[number];

/** Whether a name (a --type flag, a config value, a feed type) is an entity type mdlsync reads. */
export function isEntityType(type: string): type is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(type);
}

/** The types mdlsync reads, in FEED_TYPE_ORDER. */
export const RUN_ORDER: readonly EntityType[] = FEED_TYPE_ORDER.filter(isEntityType);

/** SIS snapshot headers (EXTERNAL_PERSON_KEY|USER_ID|…) or Moodle upload-user headers (username,firstname,…). */
export type Dialect = 'sis' | 'moodle';


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
}

/** Category fields as the file gives them; an empty cell is absent, as for persons. */
export interface CategoryFields {
  name?: string;
  /** The parent category's external key (PARENT_KEY, or the Moodle dialect's `parent` idnumber); absent = top level. */
  parent?: string;
  description?: string;
}

export interface CategoryRecord extends RecordBase {
  fields: CategoryFields;
}

export type { CourseFields, CourseRecord } from './course-types.js';
import type { CourseRecord } from './course-types.js';

/** The record type each entity's feed carries. */
export interface EntityRecords {
  persons: PersonRecord;
  categories: CategoryRecord;
  courses: CourseRecord;
  enrolments: EnrolmentRecord;
  groups: GroupRecord;
  'group-members': GroupMemberRecord;
  cohorts: CohortRecord;
  'cohort-members': CohortMemberRecord;
  'institution-roles': InstitutionRoleRecord;
  observers: ObserverRecord;
}
export type { InstitutionRoleFields, InstitutionRoleRecord, ObserverFields, ObserverRecord } from './role-types.js';
import type { InstitutionRoleRecord, ObserverRecord } from './role-types.js';
export type { GroupFields, GroupMemberFields, GroupMemberRecord, GroupRecord } from './group-types.js';
import type { GroupMemberRecord, GroupRecord } from './group-types.js';
export type { CohortFields, CohortMemberFields, CohortMemberRecord, CohortRecord } from './cohort-types.js';
import type { CohortMemberRecord, CohortRecord } from './cohort-types.js';
export type { EnrolmentFields, EnrolmentRecord } from './enrolment-types.js';
import type { EnrolmentRecord } from './enrolment-types.js';
export type RecordOf<T extends EntityType> = EntityRecords[T];
export type EntityRecord = EntityRecords[EntityType];

/** A row the reader could not turn into a record. The rest of the file still runs. */
export interface RowError {
  line: number;
  /** The key, when it could be read. */
  key?: string;
  /** Stable machine code, e.g. 'short-row', 'long-row', 'missing-value', 'invalid-value', 'invalid-encoding', 'record-too-large'. */
  code: string;
  /** One plain sentence, naming the column when there is one. */
  message: string;
  /**
   * The row could not be read into a key (broken quoting, wrong column count before the key, bad encoding before the
   * key, the delimiter inside a key cell): it may hide any record, so a refresh must not take its absence as real.
   */
  keyUnread?: boolean;
  /** Last physical line of the row, when it ran over several (an unterminated quote swallows the lines after it). */
  endLine?: number;
}

/**
 * One data row of the file: a record or a row error. `line` is the 1-based physical line where the row starts.
 * Without a type argument it is a persons item (the API persons code and tests were written against).
 */
export type FeedItem<R extends EntityRecord = PersonRecord> = { line: number; record: R; error?: undefined } | { line: number; error: RowError; record?: undefined };

export type FeedEncoding = 'utf8' | 'latin1' | 'windows-1252';

export interface FeedOptions {
  /** Entity type; inferred from the headers when omitted. */
  type?: EntityType;
  /** Overrides delimiter detection. */
  delimiter?: string;
  encoding?: FeedEncoding;
  /** Largest accepted record in characters (default 1 MiB); a larger one is a row error, not a crash. */
  maxRecordSize?: number;
  /** Courses: separator of a CATEGORY path (default '/'). */
  pathSeparator?: string;
  /** Courses: IANA time zone of dates without an offset (default the machine's). */
  timezone?: string;
}

export interface FeedInfo<T extends EntityType = EntityType> {
  path: string;
  /** Which record type the feed's items carry. */
  type: T;
  dialect: Dialect;
  delimiter: string;
  encoding: FeedEncoding;
  /** Header cells as written in the file. */
  columns: string[];
  /** Canonical field name of each column (same order as columns). */
  fields: string[];
  /** 1-based line of the header row. */
  headerLine: number;
  /** The header row's raw text as written (without line ending), for the tryback file. */
  headerText: string;
}

export type FeedFileErrorCode =
  | 'empty-file'
  | 'no-header'
  | 'unknown-header'
  | 'duplicate-header'
  | 'missing-column'
  | 'wrong-delimiter'
  | 'unknown-type'
  | 'invalid-encoding'
  | 'unreadable';

/** A problem with the whole file: nothing in it can be trusted, so nothing is applied. */
export class FeedFileError extends Error {
  constructor(
    readonly code: FeedFileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FeedFileError';
  }
}
