/**
 * What an entity type declares about itself, once, in src/entities/<type>/index.ts: its header table (both
 * dialects, how a header is recognised), row mapper, the web-service functions its run calls, its planner, its
 * look-ups and its applier. entities/index.ts lists the definitions in run order; the feed reader, the run, the
 * applier dispatch and `doctor` all read them from there.
 */
import type { EntityApplier } from '../apply/engine.js';
import type { HeaderAnalysis, HeaderTable } from '../feed/columns.js';
import type { RowMapper } from '../feed/rows.js';
import type { FeedInfo, FeedOptions } from '../feed/types.js';
import type { BeforeImage, LedgerStore } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/types.js';
import type { ContextBase, EntityPlanner } from '../plan/fold.js';
import type { Action, PlanOptions } from '../plan/types.js';
import type { ActionSlots } from '../plan/compact.js';
import type { InstitutionRoleSettings } from './institution-roles/rules.js';
import type { ObserverSettings } from './observers/rules.js';
import type { EnrolmentSettings } from './enrolments/rules.js';
import type { EntityType, RecordOf } from './types.js';

/**
 * Looks up in Moodle what the ledger cannot tell: the records it cannot place (`unplaced`: adoption, MOODLE_ID
 * checks), and whatever else the entity's rules need about the chunk's rows (a category's parent).
 */
export interface EntityLookup<R, C extends ContextBase = ContextBase> {
  (unplaced: R[], chunk: R[]): Promise<Map<string, Omit<C, 'link'>>>;
  /**
   * After the fold, when the plan is to be applied: what the plan's own actions still need from Moodle (an enrolment
   * disable's course, which its ledger link does not hold), through the same caches; may replace actions in place.
   */
  complete?(actions: ActionSlots<Action>): Promise<void>;
}

/** How look-ups read: retries of transient errors, and values per look-up call. */
export interface LookupReads {
  retries: number;
  backoffMs: number;
  chunkSize: number;
}

/** The per-entity configuration a plan needs (each entity reads its own part; absent parts take the defaults). */
export interface EntitySettings {
  /** Enrolment feeds: role map, role ids and what a disable does (config `enrolments`). */
  enrolments?: EnrolmentSettings;
  /** Course feeds: what an explicit delete does (config `courses.disable`). */
  courses?: { disable: 'hide' | 'delete' };
  /** Cohort feeds: what an explicit disable does (config `cohorts.disable`; refreshes always empty). */
  cohorts?: { disable: 'delete' | 'empty' };
  /** Institution-role feeds: cohort or system-role mode, ROLE_ID → shortname, role ids (config `institutionRoles`, `enrolments.roleIds`). */
  institutionRoles?: InstitutionRoleSettings;
  /** Observer feeds: the role shortname and the role ids (config `observers`, `enrolments.roleIds`). */
  observers?: ObserverSettings;
}

/** What an undo needs to know when it reverses a record (src/undo/). */
export interface UndoContext {
  settings: EntitySettings;
  /** `--including-creates`: what the run created is suspended (never deleted); otherwise it is left. */
  includingCreates: boolean;
}

/** An undo leaves a record alone, and why (listed in its plan as unchanged). */
export interface UndoLeft {
  left: string;
}

/**
 * How `mdlsync undo RUNID` reverses this type's records (src/undo/), from the run's before-images: what the ledger
 * keeps of a row's values, the reversing action, and what Moodle must still show for the reversal to go ahead.
 */
export interface EntityUndo<T extends EntityType> {
  /** The values of an action the ledger keeps (links.fields) so a later undo can restore them; never a password. */
  fields?(action: Action<T>): Record<string, string> | undefined;
  /**
   * The action that puts the record back as the image's `before` says, or why it is left; `fields`: the values the
   * link holds now (LinkWrite.fields), which are the run's while the link is as the run left it.
   */
  reverse(image: BeforeImage, ctx: UndoContext, fields: string | null): Action<T> | UndoLeft;
  /**
   * The reversals whose record Moodle no longer shows as the run left it (changed by hand since): key → why. Read
   * only; `fields` is what the ledger holds now of each key's values.
   */
  changedInMoodle?(client: MoodleCaller, planned: readonly { action: Action<T>; image: BeforeImage; fields: string | null }[], reads: LookupReads): Promise<Map<string, string>>;
}

export interface EntityDefinition<T extends EntityType = EntityType> {
  type: T;
  /** Types whose records this one refers to: they come earlier in the list, so they run first. */
  dependsOn: readonly EntityType[];
  /**
   * Other types whose ledger links a run of this file writes besides its own type's (a block row removes the person's
   * enrolments, a deleted cohort drops its members' links), read from its header: the run's writer lock covers them
   * too (writesOf), and only them, so runs of other types go on beside it on PostgreSQL.
   */
  alsoWrites?(info: FeedInfo): readonly EntityType[];
  /** Header names of both dialects, how a header is recognised, and the key's columns. */
  headers: HeaderTable;
  /** Row → record (or row error), compiled once per file from the header analysis. */
  rowMapper(header: HeaderAnalysis, columns: readonly string[], opts: FeedOptions): RowMapper<RecordOf<T>>;
  /** The web-service functions a run of this type calls: checked before anything else, and by `doctor`. */
  functions: readonly string[];
  /**
   * The capabilities those functions need (capabilitiesFor(functions), src/moodle/capabilities.ts): what `mdlsync
   * setup` lists and puts in the role file, beside the functions.
   */
  capabilities: readonly string[];
  planner(options: PlanOptions<T>, settings: EntitySettings, sink?: (action: Action<T>) => void): EntityPlanner<T, ContextBase>;
  lookup(client: MoodleCaller, ledger: LedgerStore, reads: LookupReads, settings: EntitySettings): EntityLookup<RecordOf<T>, ContextBase>;
  applier: EntityApplier<T>;
  /** How `mdlsync undo` reverses its records; absent: an undo lists them and leaves them. */
  undo?: EntityUndo<T>;
}

/** Any type's definition, discriminated by `type`. */
export type AnyEntityDefinition = { [T in EntityType]: EntityDefinition<T> }[EntityType];
