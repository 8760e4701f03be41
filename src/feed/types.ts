/**
 * What the feed reader produces: typed records (or row errors), each with the line it came from.
 * Shared contract between feed/, plan/, apply/ and report/.
 */


export type { RecordBase, RowCommand, RowStatus } from './record-base.js';

export type { EntityRecord, EntityType, RecordOf } from '../entities/types.js';
import type { EntityType, EntityRecord } from '../entities/types.js';
import type { PersonRecord } from '../entities/persons/record.js';
import { MdlsyncError, type FeedCode, type RowCode } from '../errors.js';

/** SIS snapshot headers (EXTERNAL_PERSON_KEY|USER_ID|…) or Moodle upload-user headers (username,firstname,…). */
export type Dialect = 'sis' | 'moodle';



/** A row the reader could not turn into a record. The rest of the file still runs. */
export interface RowError {
  line: number;
  /** The key, when it could be read. */
  key?: string;
  /** Stable machine code, e.g. 'short-row', 'long-row', 'missing-value', 'invalid-value', 'invalid-encoding', 'record-too-large'. */
  code: RowCode;
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

/** The feed family of src/errors.ts: empty-file, no-header, unknown-header, duplicate-header, missing-column, … */
export type FeedFileErrorCode = FeedCode;

/** A problem with the whole file: nothing in it can be trusted, so nothing is applied. */
export class FeedFileError extends MdlsyncError<FeedFileErrorCode> {
  constructor(code: FeedFileErrorCode, message: string) {
    super(code, message);
    this.name = 'FeedFileError';
  }
}
