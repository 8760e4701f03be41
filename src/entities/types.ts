/**
 * The entity types as types. Each entity folder adds its record type to EntityRecords in its record.ts
 * (`declare module '../types.js' { interface EntityRecords { persons: PersonRecord } }`), so the union grows with
 * the folders and this file names none of them; the ordered list of their definitions is entities/index.ts.
 */

/** Entity type → the record type its feed carries. Filled in by each entity's record.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EntityRecords {}

/** The entity types mdlsync reads. */
export type EntityType = keyof EntityRecords;
export type RecordOf<T extends EntityType> = EntityRecords[T];
export type EntityRecord = EntityRecords[EntityType];
