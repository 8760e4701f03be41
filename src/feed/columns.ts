/**
 * The shapes of header analysis: what a column feeds, an entity's header table, a file's analysis. Apart from
 * headers.ts so the entity feeds that declare their tables import these types without importing the analysis,
 * which imports their tables.
 */
import type { Dialect, EntityType, FeedFileError } from './types.js';

/** What a column feeds in a record. */
export type ColumnKind =
  | 'key' // SIS EXTERNAL_PERSON_KEY / EXTERNAL_CATEGORY_KEY; a category's idnumber
  | 'text' // an entity text field (persons: a Moodle user field, username lower-cased)
  | 'available' // AVAILABLE_IND Y/N
  | 'suspended' // Moodle `suspended` 0/1, inverted into `available`
  | 'rowStatus'
  | 'dataSource'
  | 'moodleId'
  | 'command'
  | 'usernameFromEmail' // persons: USERNAME_FROM_EMAIL Y/N on ACTION=password rows
  | 'customfield';

export interface ColumnSpec {
  kind: ColumnKind;
  /** Canonical name reported in FeedInfo.fields. */
  field: string;
  /** For 'text': the entity's field. For 'customfield': the profile field shortname. */
  target?: string;
}

/** How one entity's headers read: its names per dialect, and what each dialect needs. */
export interface HeaderTable {
  type: EntityType;
  /** Names only the SIS snapshot format uses: any of them makes the file SIS dialect. */
  sisOnly: Record<string, ColumnSpec>;
  shared: Record<string, ColumnSpec>;
  moodleOnly: Record<string, ColumnSpec>;
  /** Names built from a pattern (profile_field_<shortname>). */
  dynamic?(column: string): ColumnSpec | undefined;
  /** Names that only this entity's feeds use: they decide the type when --type is not given. */
  signature: readonly string[];
  /** What a feed of this type needs as a key, for the "cannot tell the type" message. */
  needs: string;
  /** The missing-key error of a dialect, or undefined when the key column is there. */
  missingKey(dialect: Dialect, specs: readonly ColumnSpec[]): FeedFileError | undefined;
}

export interface HeaderAnalysis {
  type: EntityType;
  dialect: Dialect;
  /** Canonical field per column (FeedInfo.fields). */
  fields: string[];
  specs: ColumnSpec[];
}
