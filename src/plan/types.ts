/**
 * The plan: what a run will do, computed before any Moodle write. `mdlsync plan` prints it, `mdlsync run`
 * executes exactly it. Shared contract between plan/, apply/, report/ and run.ts.
 */
import type { EntityActions, EntityType, RecordOf } from '../entities/types.js';
import type { LinkStatus } from '../ledger/types.js';
import type { RowCode } from '../errors.js';

export type Op = 'store' | 'delete' | 'refresh' | 'refresh-ds';
export const OPS: readonly Op[] = ['store', 'delete', 'refresh', 'refresh-ds'];

/**
 * The action kinds, as persons use them (other entities say what each means for them in their rules):
 * create    – not in the ledger, not found in Moodle: core_user_create_users (then suspend if needed).
 * adopt     – not in the ledger, found in Moodle (by MOODLE_ID, idnumber or username): link it, then update it.
 * update    – linked, active, content changed (or --full): core_user_update_users with the file's fields.
 * enable    – linked but disabled, back in the file: update with suspended=0 (or the file's availability).
 * disable   – ROW_STATUS=disabled, --op delete, or missing from a refresh: suspend (update suspended=1).
 * delete    – --op delete (or ROW_STATUS=deleted under delete) with `disable: delete` configured: core_user_delete_users.
 * unchanged – nothing to send (same content hash, or already in the wanted state).
 * fail      – the row cannot be applied (duplicate key, missing required value …); reported, in the tryback.
 */
export type ActionKind = 'create' | 'adopt' | 'update' | 'enable' | 'disable' | 'delete' | 'unchanged' | 'fail';
export const ACTION_KINDS: readonly ActionKind[] = ['create', 'adopt', 'update', 'enable', 'disable', 'delete', 'unchanged', 'fail'];

/**
 * What every entity's action carries, whatever its entity. `entity` discriminates the union `Action`: each entity adds
 * its own typed target (the call to make) in its folder, through EntityActions (entities/types.ts).
 */
export interface ActionBase<T extends EntityType = EntityType> {
  kind: ActionKind;
  entity: T;
  key: string;
  /** Line of the row in the file; null for records only the ledger knows (refresh disables). */
  line: number | null;
  /** Target Moodle id when known (ledger link, MOODLE_ID or adoption match). */
  moodleId?: number;
  /**
   * The file's row, for create/adopt/update/enable (and disable/delete from a row), where the applier builds its call
   * from it; an enrolment's carries none (its target holds the call).
   */
  record?: RecordOf<T>;
  /** Content hash to store in the ledger once Moodle confirms the action. */
  hash?: string;
  /** State to store in the ledger's state column once confirmed (what mdlsync gave: see LedgerLink.state); none when absent. */
  state?: string;
  /** Ledger status to store once confirmed. */
  status?: LinkStatus;
  /** Data source to store in the ledger (row's DATA_SOURCE_KEY, else the run's). */
  dataSource: string | null;
  /** Plain words: why this action ("new person", "email changed", "missing from refresh of data source SIS"). */
  reason: string;
  /** For kind 'fail'. */
  error?: { code: RowCode; message: string };
  /**
   * The row leaves its whole line alone (Upload users' "add new only" and an existing account): in a file that fans
   * out, the line's rows of the later parts (its enrolments, memberships) are not read either, as the tool skips them.
   */
  skipsLine?: true;
}

/** One entity's planned action: the base and the entity's own target fields (all optional). */
export type ActionOf<T extends EntityType> = ActionBase<T> & EntityActions[T];

/** One planned action of any of the types T (default: any entity), discriminated by `entity`. */
export type Action<T extends EntityType = EntityType> = { [K in T]: ActionOf<K> }[T];

/**
 * A base action (a failure, an unchanged row) as an action of its entity. Sound because every entity's target fields
 * are optional (checked below); generic code (the fold) cannot see that for an unresolved T, hence the one cast.
 */
export function baseAction<T extends EntityType>(a: ActionBase<T>): ActionOf<T> {
  return a as ActionOf<T>;
}
type TargetsOptional = { [K in EntityType]: object extends EntityActions[K] ? K : never }[EntityType];
const targetsOptional: [EntityType] extends [TargetsOptional] ? true : never = true;
void targetsOptional;

/** How a refresh would disable, per entity and scope, and whether that is allowed. */
export interface GuardVerdict {
  /**
   * What the verdict is about (absent: 'disable', as before there were other kinds): a refresh's disables, a run's
   * updates of owned records (guard.maxUpdatePercent), or the disables an additions-only window holds.
   */
  kind?: 'disable' | 'update' | 'additions-only';
  entity: EntityType;
  /** null = all data sources (refresh); a key for refresh-ds. */
  dataSource: string | null;
  /** Active records the integration owns in the scope. */
  owned: number;
  /** Records the refresh would disable because the file lacks them. */
  toDisable: number;
  /** The largest number allowed without --force: min(maxPercent of owned, maxCount); 0 when the file has no data rows. */
  limit: number;
  refused: boolean;
  forced: boolean;
  /**
   * Rows of the file that could not be read into a key (broken quoting, wrong column count or bad encoding before
   * the key), and their lines ("40, 97-100"). Any of them may be a record the ledger owns, so their absence proves nothing.
   */
  unreadable?: { rows: number; lines: string };
  /** The disable phase did not run because of unreadable rows (no --force); toDisable says what it would have done. */
  disablesSkipped?: boolean;
  /**
   * kind 'update': the updates of owned records that change a field, per field. A field is named where the ledger keeps
   * what was sent (an enrolment's role, dates, suspend; a group's name, description); entities that keep only a content
   * hash (persons, courses, categories, cohorts) count under ANY_FIELD. `field` is the one with most; `limit` applies to it.
   */
  updates?: { field: string; count: number; byField: Record<string, number> };
  /** kind 'additions-only': the window the run falls in; `toDisable` are the disables it held (`heldRows` of them rows of the file). */
  window?: { from: string; to: string };
  heldRows?: number;
  /** The verdict held disables back (an additions-only window): nothing else was refused. */
  disablesHeld?: boolean;
  message: string;
}

/** The field name of an update whose ledger keeps only a content hash: some field changed, which one is not known. */
export const ANY_FIELD = 'any field';

/** `guard.additionsOnly`: dates (YYYY-MM-DD, whole days in the config's time zone) or ISO date-times, both ends inclusive. */
export interface AdditionsOnlyWindow {
  from: string;
  to: string;
}

export interface GuardOptions {
  /** Refuse when more than this percent of owned records would be disabled (default 10). */
  maxPercent: number;
  /** Refuse when more than this many records would be disabled (default 1000). */
  maxCount: number;
  /**
   * Refuse a run (store or refresh) that would change one field of more than this percent of the owned records
   * (default 25); null: no update guard.
   */
  maxUpdatePercent?: number | null;
  /** The update guard applies only when at least this many records are owned (default 100): small sites re-send freely. */
  updateMinOwned?: number;
  /** Windows in which a refresh stores and holds every disable (term rollover, when the SIS is known incomplete). */
  additionsOnly?: readonly AdditionsOnlyWindow[];
  /** The time zone of the windows' plain dates (default UTC). */
  timezone?: string;
}

export interface PlanOptions<T extends EntityType = EntityType> {
  entity: T;
  op: Op;
  /** The run's data source (--datasource or config). Required for refresh-ds. */
  dataSource: string | null;
  /** Re-send unchanged rows. */
  full: boolean;
  /** create-only (default): passwords only on create; always: also on update. */
  passwords: 'create-only' | 'always';
  /** The ledger's secret keying the HMAC of passwords in content hashes (needed with passwords: always). */
  passwordKey?: Uint8Array;
  /** What an explicit delete does to a person: suspend (default) or really delete. Refreshes always suspend. Categories ignore it. */
  disable: 'suspend' | 'delete';
  guard: GuardOptions;
  force: boolean;
  /** The run's instant (epoch ms) the additions-only windows are checked against; the caller passes Date.now(). */
  now?: number;
  /**
   * Config `dataSourceFamilies`: groups of data sources that act as one owner of containers (Blackboard names one per
   * object type, SIS.COURSE and SIS.MEMBERSHIP): a row may act in a course, group or cohort another member owns.
   */
  dataSourceFamilies?: readonly (readonly string[])[];
}

export type ActionCounts = Record<ActionKind, number>;

/** Any entity's action. */
export type AnyAction = Action;

export interface Plan<T extends EntityType = EntityType> {
  options: PlanOptions;
  /** Every row of the file (and every refresh disable) in file order, refresh disables last. */
  actions: Action<T>[];
  counts: ActionCounts;
  /** Data rows read (records + row errors). */
  rows: number;
  /** null unless op is refresh or refresh-ds. */
  guard: GuardVerdict | null;
}
