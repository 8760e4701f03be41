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
  | 'uploadType' // persons: UPLOAD_TYPE addnew|addupdate|update (Moodle Upload users' upload type)
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
  /** Names that only this entity's feeds use: a forced --type refuses a header that carries another type's. */
  signature: readonly string[];
  /** Whether a header is this type's (when --type is not given): tests run lowest rank first, the first yes wins. */
  detect?: { rank: number; test(lower: readonly string[], columns: readonly string[]): boolean };
  /** The type of a header no table's test claims (persons: its messages then name the unknown columns). */
  fallback?: boolean;
  /** The columns (by spec target) that together with the key column identify a row, by dialect: the reader distrusts a row whose key cells look shifted. */
  keyTargets(dialect: Dialect): readonly string[];
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

/** The spec a table gives a header name (lower-cased), or undefined when the table does not know it. */
export function columnSpec(table: HeaderTable, lower: string, column: string): ColumnSpec | undefined {
  if (Object.hasOwn(table.sisOnly, lower)) return table.sisOnly[lower];
  if (Object.hasOwn(table.shared, lower)) return table.shared[lower];
  if (Object.hasOwn(table.moodleOnly, lower)) return table.moodleOnly[lower];
  return table.dynamic?.(column);
}

/** Whether a table knows a header name (lower-cased) as one of its fixed columns. */
export function knowsColumn(table: HeaderTable, lower: string): boolean {
  return Object.hasOwn(table.sisOnly, lower) || Object.hasOwn(table.shared, lower) || Object.hasOwn(table.moodleOnly, lower);
}
