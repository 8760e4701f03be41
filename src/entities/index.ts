/**
 * The entity types mdlsync reads, in run order: the one list. Files run together (one command, the drop folder, a
 * glob job) go in this order, so what a later type refers to exists first. Everything per type (header detection,
 * row mappers, planners, look-ups, appliers, the functions `run` and `doctor` check) is read from here.
 * Adding a type: a folder under src/entities/ with its definition, and one line below.
 */
import type { AnyEntityDefinition, EntityDefinition } from './definition.js';
import type { FeedInfo } from '../feed/types.js';
import type { EntityType } from './types.js';
import { categories } from './categories/index.js';
import { courses } from './courses/index.js';
import { persons } from './persons/index.js';
import { enrolments } from './enrolments/index.js';
import { groups } from './groups/index.js';
import { groupMembers } from './group-members/index.js';
import { cohorts } from './cohorts/index.js';
import { cohortMembers } from './cohort-members/index.js';
import { institutionRoles } from './institution-roles/index.js';
import { observers } from './observers/index.js';

export const ENTITIES = [
  categories,
  courses,
  persons,
  enrolments,
  groups,
  groupMembers,
  cohorts,
  cohortMembers,
  institutionRoles,
  observers,
] as const satisfies readonly AnyEntityDefinition[];

// Every type of EntityRecords has its definition in the list (a record.ts without a list line fails to compile).
type Listed = (typeof ENTITIES)[number]['type'];
const everyTypeListed: [EntityType] extends [Listed] ? true : never = true;
void everyTypeListed;

/** The entity types, in run order. */
export const ENTITY_TYPES: readonly EntityType[] = ENTITIES.map((e) => e.type);
/** The same list as a tuple type, for zod enums and the like. */
export const RUN_ORDER = ENTITY_TYPES;

const BY_TYPE = new Map<EntityType, AnyEntityDefinition>(ENTITIES.map((e) => [e.type, e]));

/** Whether a name (a --type flag, a config value, a file-name prefix) is an entity type mdlsync reads. */
export function isEntityType(type: string): type is EntityType {
  return BY_TYPE.has(type as EntityType);
}

/** The definition of a type. */
export function entity<T extends EntityType>(type: T): EntityDefinition<T> {
  const def = BY_TYPE.get(type);
  if (!def) throw new Error(`no entity type ${type}`);
  // The map is keyed by each definition's own type, so the definition found for T is T's.
  return def as unknown as EntityDefinition<T>;
}

/** The web-service functions each type's run calls. */
export function functionsOf(type: EntityType): readonly string[] {
  return entity(type).functions;
}

/**
 * The types whose ledger links a run of these files (or parts of one file) writes: each one's type and its
 * alsoWrites, in run order. The scope of the run's writer lock, so a persons run and an enrolments run on two hosts
 * go side by side on PostgreSQL.
 */
export function writesOf(feeds: readonly FeedInfo[]): EntityType[] {
  const written = new Set(feeds.flatMap((f) => [f.type, ...(entity(f.type).alsoWrites?.(f) ?? [])]));
  return ENTITY_TYPES.filter((t) => written.has(t));
}

/**
 * `names`, each one of the functions the runs of `types` call: the list of a command that does part of their work
 * (`mdlsync user …`, `purge`). A name none of those definitions declares throws, so such a list cannot name a
 * function the definitions do not.
 */
export function functionsFrom(types: readonly EntityType[], names: readonly string[]): readonly string[] {
  const declared = new Set(types.flatMap((t) => functionsOf(t)));
  const unknown = names.filter((n) => !declared.has(n));
  if (unknown.length > 0) throw new Error(`${unknown.join(', ')}: not among the web-service functions of ${types.join(', ')} (src/entities/)`);
  return names;
}

export type { AnyEntityDefinition, EntityDefinition, EntityLookup, EntitySettings, EntityUndo, LookupReads, UndoContext, UndoLeft } from './definition.js';
export type { EntityRecord, EntityType, RecordOf } from './types.js';
