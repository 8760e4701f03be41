/**
 * The entity types as types. Each entity folder adds its record type to EntityRecords in its record.ts
 * (`declare module '../types.js' { interface EntityRecords { persons: PersonRecord } }`), so the union grows with
 * the folders and this file names none of them (their actions' targets join the same way, EntityActions); the ordered list of their definitions is entities/index.ts.
 */

/** Entity type → the record type its feed carries. Filled in by each entity's record.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EntityRecords {}

/**
 * Entity type → the fields its actions add to the shared base (plan/types.ts ActionBase): the typed target of its
 * call, all optional. Filled in by each entity's rules.ts next to its target type
 * (`declare module '../types.js' { interface EntityActions { groups: { group?: GroupTarget } } }`); the discriminated
 * union `Action` and `ActionOf<T>` (plan/types.ts) are built from it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EntityActions {}

/** The entity types mdlsync reads. */
export type EntityType = keyof EntityRecords;
export type RecordOf<T extends EntityType> = EntityRecords[T];
export type EntityRecord = EntityRecords[EntityType];
