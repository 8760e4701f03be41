/**
 * What every entity's record carries besides its own fields. Apart from types.ts so each entity's record module
 * (course-types.ts, …) can extend it while types.ts lists them all, with no import running back.
 */

/** ROW_STATUS of the SIS snapshot model. */
export type RowStatus = 'enabled' | 'disabled' | 'deleted';

/** Per-row ACTION/cmd/operation column: add|store → store, del|delete → delete. */
export type RowCommand = 'store' | 'delete';

/** What every entity's record carries besides its own fields. */
export interface RecordBase {
  /** The external key (EXTERNAL_PERSON_KEY, EXTERNAL_CATEGORY_KEY …, or the Moodle dialect's idnumber). Never empty. */
  key: string;
  /** DATA_SOURCE_KEY cell, when the file has one and it is not empty. */
  dataSource?: string;
  rowStatus?: RowStatus;
  /** ACTION cell. */
  command?: RowCommand;
  /** AVAILABLE_IND Y/N (persons: also Moodle's `suspended` 0/1, inverted). Absent column or empty cell: undefined. */
  available?: boolean;
  /** MOODLE_ID cell: the SIS already knows the Moodle id. */
  moodleId?: number;
}
