/**
 * The generic planner: a pure fold over a file's rows (plus the ledger's view and the Moodle lookups the caller
 * made) that decides one action per row, then the refresh disables and the guard verdict. What every entity
 * shares lives here (row errors, duplicate keys, row op vs file op, ROW_STATUS, MOODLE_ID checks, refresh,
 * guard, counts, the sink); each entity's own decisions come from its EntityRules. No I/O, no clock.
 */
import type { RowCode } from '../errors.js';
import type { EntityType, FeedItem, RecordOf, RowCommand } from '../feed/types.js';
import type { PlanLink } from '../ledger/types.js';
import { ACTION_KINDS, ANY_FIELD, OPS, baseAction } from './types.js';
import type { Action, ActionCounts, ActionKind, ActionOf, AdditionsOnlyWindow, GuardVerdict, Plan, PlanOptions } from './types.js';
import { activeWindow } from './windows.js';
import { CompactActions, flatKey, type CompactPlan } from './compact.js';

/** A Moodle object found for a key the ledger lacks. */
export interface MatchBase {
  id: number;
  /** 'name': the same name under the same parent (categories only); 'shortname': a course a row names by it. */
  via: 'moodle-id' | 'idnumber' | 'username' | 'name' | 'shortname';
}

/** What the caller knows about a row's key: its ledger link, or else what a Moodle lookup found. */
export interface ContextBase<M extends MatchBase = MatchBase> {
  link?: PlanLink;
  match?: M;
  /** The row's MOODLE_ID names an object Moodle does not have. */
  moodleIdMissing?: boolean;
  /** Plain words, e.g. '2 Moodle users have idnumber X'. */
  ambiguous?: string;
  /**
   * The row only confirms its link (src/resolve/confirm.ts): it carries nothing but its key, its name as Moodle has
   * it and the MOODLE_ID the ledger links, as `mdlsync export ids` writes it. Nothing is sent for it.
   */
  confirmed?: boolean;
  /** The row's MOODLE_ID is linked in the ledger to another key of the type (the row has no link of its own). */
  moodleIdLinkedTo?: string;
}

/** What the fold offers an entity's rules while they decide a row. */
export interface RowPlanning<T extends EntityType, C extends ContextBase> {
  readonly options: PlanOptions<T>;
  /** Hard delete only from an explicit delete (file op or ACTION column), never inside a refresh. */
  readonly hardDelete: boolean;
  /** The row's data source; a linked record without one keeps the ledger's so it does not lose its scope. */
  ds(r: RecordOf<T>, ctx: C): string | null;
  fail(r: RecordOf<T>, line: number, ctx: C, code: RowCode, message: string): ActionOf<T>;
  /** "found in Moodle by idnumber (category 12)". */
  found(match: NonNullable<C['match']>): string;
}

/** An entity's own decisions. Each is called after the shared checks (MOODLE_ID, ambiguity) passed. */
export interface EntityRules<T extends EntityType, C extends ContextBase> {
  /** Moodle's name of the object in messages ("Moodle user 12") and the plain one ("re-create the account"). */
  moodleNoun: string;
  recordNoun: string;
  /** Row op store, ROW_STATUS enabled or absent: create, adopt, update, enable or nothing. */
  store(r: RecordOf<T>, line: number, ctx: C, p: RowPlanning<T, C>): ActionOf<T>;
  /** Row op store with ROW_STATUS disabled or deleted (a store never hard-deletes). */
  disable(r: RecordOf<T>, line: number, ctx: C, p: RowPlanning<T, C>): ActionOf<T>;
  /** Row op delete of a record Moodle has (`target`); `via` says how it was found when the ledger did not know it. */
  delete(r: RecordOf<T>, line: number, ctx: C, p: RowPlanning<T, C>, target: number, via: string): ActionOf<T>;
  /** The disable of an owned record a refresh's file lacks. */
  ownedDisable(link: PlanLink, reason: string, p: RowPlanning<T, C>): ActionOf<T>;
  /**
   * What else a row acts in whose data source must be the row's, besides its own ledger link (an enrolment's
   * course). `hint` says what to do instead; absent: send the row from the owner's data source.
   */
  owners?(r: RecordOf<T>, ctx: C): { what: string; dataSource: string | null | undefined; hint?: string }[];
  /**
   * Whole-file decisions a row cannot make alone (a category's parent may come later in the file). When present,
   * the fold holds every action until finish (the sink then gets them settled); may replace actions in place.
   */
  settle?(actions: ActionOf<T>[], p: RowPlanning<T, C>): void;
  /**
   * The fields an update of an active link changes, for the update guard, where the link's state keeps what was sent
   * (an enrolment's role and dates). Absent: the fold compares the content hash (or state) and counts ANY_FIELD.
   */
  changedFields?(link: PlanLink, action: ActionOf<T>): readonly string[];
  /**
   * The actions carry no row's record and repeat all but their key, line and Moodle id (memberships: a few thousand
   * containers, roles and reasons): a plan kept until applied shares the rest (CompactActions). Absent: kept whole.
   */
  sharesTemplates?: true;
}

/**
 * What an update of an active link changes when the rules cannot name the field: ANY_FIELD when the content hash
 * (or, without one, the state) differs from the link's; nothing for a re-send (--full), a data source change alone,
 * or a link that holds no hash or state yet (nothing to compare: the update may change nothing).
 */
export function changedContent(link: PlanLink, a: { hash?: string; state?: string }): readonly string[] {
  if (a.hash !== undefined) return link.hash !== null && a.hash !== link.hash ? [ANY_FIELD] : [];
  if (a.state !== undefined) return link.state !== null && link.state !== undefined && a.state !== link.state ? [ANY_FIELD] : [];
  return [];
}

/** The plan options with defaults; without `entity`, a persons plan. */
export function defaultPlanOptions<T extends EntityType = 'persons'>(partial: Partial<PlanOptions<T>> & Pick<PlanOptions<T>, 'op'>): PlanOptions<T> {
  // T is the given entity's type, or 'persons' when none is given (the default type argument).
  return {
    entity: 'persons',
    dataSource: null,
    full: false,
    passwords: 'create-only',
    disable: 'suspend',
    force: false,
    ...partial,
    // The update guard is off unless asked for: its default (25 %) is the config's (run.ts passes it).
    guard: { maxPercent: 10, maxCount: 1000, ...partial.guard },
  } as PlanOptions<T>;
}

export function emptyCounts(): ActionCounts {
  const counts = {} as ActionCounts;
  for (const k of ACTION_KINDS) counts[k] = 0;
  return counts;
}

/** Whether two data sources are one owner of containers: the same key, or both in one of config `dataSourceFamilies`. */
export function sameDataSourceFamily(a: string, b: string, families: readonly (readonly string[])[] = []): boolean {
  return a === b || families.some((f) => f.includes(a) && f.includes(b));
}

/** "data source changed (A → B)": a row's new DATA_SOURCE_KEY re-owns its link. */
export function dataSourceChange(link: PlanLink, dataSource: string | null): string {
  return `data source changed (${link.dataSource ?? 'none'} → ${dataSource ?? 'none'})`;
}

/**
 * The re-run hot path of every entity: an active link that already holds the wanted value (a content hash, or the
 * state a membership keeps) under the row's data source (and this Moodle id, when given) is unchanged unless --full.
 * Spelled out without spreads: V8's slow copy costs ~0.4 µs a row.
 */
function unchangedIfHeld<T extends EntityType>(
  r: RecordOf<T>,
  line: number,
  link: PlanLink | undefined,
  held: string | null | undefined,
  wanted: string | undefined,
  dataSource: string | null,
  p: { readonly options: PlanOptions<T> },
  moodleId?: number,
): ActionOf<T> | undefined {
  if (!link || link.status !== 'active' || p.options.full || wanted === undefined || held !== wanted || link.dataSource !== dataSource) return undefined;
  if (moodleId !== undefined && link.moodleId !== moodleId) return undefined;
  return baseAction({ kind: 'unchanged', entity: p.options.entity, key: r.key, line, dataSource, moodleId: link.moodleId, reason: 'same content' });
}

/** Unchanged when the link holds this content hash (persons, categories, courses, cohorts). */
export function unchangedByLink<T extends EntityType>(
  r: RecordOf<T>,
  line: number,
  link: PlanLink | undefined,
  hash: string | undefined,
  dataSource: string | null,
  p: { readonly options: PlanOptions<T> },
  moodleId?: number,
): ActionOf<T> | undefined {
  return unchangedIfHeld(r, line, link, link?.hash, hash, dataSource, p, moodleId);
}

/** Unchanged when the link holds this state (memberships, groups: entities that keep state, not a content hash). */
export function unchangedByState<T extends EntityType>(
  r: RecordOf<T>,
  line: number,
  link: PlanLink | undefined,
  state: string | undefined,
  dataSource: string | null,
  p: { readonly options: PlanOptions<T> },
  moodleId?: number,
): ActionOf<T> | undefined {
  return unchangedIfHeld(r, line, link, link?.state, state, dataSource, p, moodleId);
}

/** Why an active, linked record with a content hash is sent again: its content, a missing hash, a new data source, or --full. */
export function updateReason(link: PlanLink, hash: string, dataSource: string | null): string {
  if (link.hash !== hash) return link.hash === null ? 'no content hash in the ledger' : 'content changed';
  return dataSource !== link.dataSource ? dataSourceChange(link, dataSource) : 'full re-send';
}

const VIA: Record<MatchBase['via'], string> = { 'moodle-id': 'MOODLE_ID', idnumber: 'idnumber', username: 'username', name: 'name under its parent', shortname: 'shortname' };

export class EntityPlanner<T extends EntityType, C extends ContextBase> implements RowPlanning<T, C> {
  private actions: ActionOf<T>[] | CompactActions<ActionOf<T>> = [];
  private readonly counts = emptyCounts();
  /** key → line of its first row (records and keyed row errors alike). */
  private readonly seen = new Map<string, number>();
  /** MOODLE_ID of an unlinked row → its key and line: two keys never share one Moodle record, in a file as in the ledger. */
  private readonly givenIds = new Map<number, { key: string; line: number }>();
  private rows = 0;
  /** Rows that could not be read into a key: how many, and the first few line ranges for the verdict. */
  private unread = 0;
  /** A refresh's owned active links, and those of them the file lacks (addOwned). */
  private owned = 0;
  private toDisable = 0;
  private missingReason: string | undefined;
  private readonly unreadLines: string[] = [];
  private finished = false;
  private readonly fileRowOp: RowCommand;
  readonly hardDelete: boolean;
  /** Actions held for the rules' settle step (only when the rules have one). */
  private readonly held: ActionOf<T>[] | null;
  /** The additions-only window a refresh runs in: its disables are held, rows and missing records alike. */
  private readonly window: AdditionsOnlyWindow | undefined;
  /** Disable rows of the file the window held (they fail as held-additions-only, so the tryback keeps them). */
  private heldRows = 0;
  /** Updates of owned records that change a field, per field (the update guard). */
  private readonly updatesByField = new Map<string, number>();
  /** Owned active links for the update guard of a store (the caller counts them only when updatesNeedOwned()). */
  private ownedForUpdates: number | undefined;

  /**
   * With a sink, each action goes to it as it is planned and the plan's `actions` stays empty: a dry run of a
   * million rows then holds only the seen-key map, not a million records.
   */
  constructor(
    private readonly rules: EntityRules<T, C>,
    readonly options: PlanOptions<T>,
    private readonly sink?: (action: ActionOf<T>) => void,
    private readonly name = 'EntityPlanner',
  ) {
    if (!OPS.includes(options.op)) throw new Error(`Unknown operation "${options.op}": use one of ${OPS.join(', ')}.`);
    if (options.op === 'refresh-ds' && !options.dataSource) {
      throw new Error('refresh-ds needs a data source: pass --datasource KEY (or set datasource in the config).');
    }
    this.fileRowOp = options.op === 'delete' ? 'delete' : 'store';
    this.hardDelete = options.disable === 'delete' && (options.op === 'store' || options.op === 'delete');
    this.held = rules.settle ? [] : null;
    const refresh = options.op === 'refresh' || options.op === 'refresh-ds';
    this.window = refresh ? activeWindow(options.guard.additionsOnly, options.now, options.guard.timezone) : undefined;
  }

  /**
   * Keeps the plan's actions compact (CompactActions) rather than as an array; the plan then comes from finishCompact.
   * A run that applies its plan holds every action until then (500k enrolments: ~630 bytes a row as objects).
   */
  keepCompact(): void {
    if (this.rows > 0 || this.actions.length > 0 || this.sink) throw new Error(`${this.name}.keepCompact: before the first row, and without a sink.`);
    this.actions = new CompactActions<ActionOf<T>>(this.rules.sharesTemplates === true);
  }

  /** Plans one row. With rules that settle, the returned action may still change at finish. */
  add(item: FeedItem<RecordOf<T>>, ctx: C): ActionOf<T> {
    if (this.finished) throw new Error(`${this.name}.add after finish: start a new planner for a new file.`);
    this.rows++;
    if (item.error) {
      if (item.error.keyUnread) this.noteUnread(item.line, item.error.endLine);
      const key = item.error.key ?? '';
      // A row with a typo still counts as present: a refresh must not disable that record.
      if (key !== '' && !this.seen.has(key)) this.seen.set(key, item.line);
      return this.push(
        baseAction({
          kind: 'fail',
          entity: this.options.entity,
          key,
          line: item.line,
          dataSource: this.options.dataSource,
          reason: item.error.message,
          error: { code: item.error.code, message: item.error.message },
        }),
      );
    }
    const r = item.record;
    const line = item.line;
    // A plan kept compact keeps each key, flat, until applied (the seen map until finish): the row's cells go.
    if (this.actions instanceof CompactActions && this.actions.sharesTemplates) r.key = flatKey(r.key);
    const first = this.seen.get(r.key);
    if (first !== undefined) return this.push(this.fail(r, line, ctx, 'duplicate-key', `duplicate key, first seen on line ${first}`));
    this.seen.set(r.key, line);
    // Rows without a link only: a linked row's own id is the ledger's (a row giving another key's linked id fails on
    // moodleIdLinkedTo), so the key the ledger links keeps its record whichever row comes first.
    if (r.moodleId !== undefined && !ctx.link) {
      const other = this.givenIds.get(r.moodleId);
      if (other !== undefined) {
        const message = `the file's Moodle id ${r.moodleId} is also given to the key ${other.key} on line ${other.line}: nothing was changed; correct the SIS's Moodle id, or leave the cell empty`;
        return this.push(this.fail(r, line, ctx, 'moodle-id-conflict', message));
      }
      this.givenIds.set(r.moodleId, { key: r.key, line });
    }
    const foreign = this.foreignOwner(r, line, ctx);
    if (foreign) return this.push(foreign);
    const rowOp = r.command ?? this.fileRowOp;
    if (rowOp === 'delete') return this.pushRow(this.planDelete(r, line, ctx), r, line, ctx);
    if (this.moodleIdMissing(r, ctx)) return this.push(this.failMoodleIdMissing(r, line, ctx));
    const bad = this.conflict(r, line, ctx);
    if (bad) return this.push(bad);
    if (r.rowStatus === 'disabled' || r.rowStatus === 'deleted') return this.pushRow(this.rules.disable(r, line, ctx, this), r, line, ctx);
    const confirmed = this.confirmedLink(r, line, ctx);
    if (confirmed) return this.push(confirmed);
    return this.pushRow(this.rules.store(r, line, ctx, this), r, line, ctx);
  }

  /** A row's action: held when an additions-only window holds disables; an update is counted for the update guard. */
  private pushRow(a: ActionOf<T>, r: RecordOf<T>, line: number, ctx: C): ActionOf<T> {
    if (this.window && (a.kind === 'disable' || a.kind === 'delete')) {
      this.heldRows++;
      const w = this.window;
      const message = `held: the additions-only window ${w.from} … ${w.to} (config guard.additionsOnly) holds every disable of a refresh (${a.reason}); run the tryback file after the window, or now with --op store / --op delete`;
      return this.push(this.fail(r, line, ctx, 'held-additions-only', message));
    }
    if (a.kind === 'update' && ctx.link?.status === 'active' && this.options.op !== 'delete') {
      for (const f of this.rules.changedFields?.(ctx.link, a) ?? changedContent(ctx.link, a)) this.updatesByField.set(f, (this.updatesByField.get(f) ?? 0) + 1);
    }
    return this.push(a);
  }

  /** The most updates of one field (and that field), for the update guard. */
  private topUpdate(): { field: string; count: number } {
    let top = { field: ANY_FIELD, count: 0 };
    for (const [field, count] of this.updatesByField) if (count > top.count) top = { field, count };
    return top;
  }

  /**
   * Whether a store's update guard needs the owned count (the caller reads it from the ledger, then calls
   * setOwnedForUpdates): only when so many updates change one field that even the smallest guarded site would refuse.
   */
  updatesNeedOwned(): boolean {
    const { maxUpdatePercent, updateMinOwned = 0 } = this.options.guard;
    if (maxUpdatePercent === null || maxUpdatePercent === undefined) return false;
    if (this.options.op === 'refresh' || this.options.op === 'refresh-ds' || this.options.op === 'delete') return false;
    return this.topUpdate().count > Math.floor((updateMinOwned * maxUpdatePercent) / 100);
  }

  /** The active links the entity has in the ledger, for a store's update guard. */
  setOwnedForUpdates(owned: number): void {
    this.ownedForUpdates = owned;
  }

  /**
   * One active link the refresh's scope owns, after every row was added: the caller streams them from the ledger
   * (asynchronously) so a refresh never holds all its owned links at once. Disables it when the file lacks its key.
   */
  addOwned(link: PlanLink): void {
    if (this.finished) throw new Error(`${this.name}.addOwned after finish.`);
    const o = this.options;
    if (o.op !== 'refresh' && o.op !== 'refresh-ds') return;
    const scope = o.op === 'refresh-ds' ? o.dataSource : null;
    // The caller scopes the query; re-checked so a wrong scope can never disable another data source.
    if (link.status !== 'active' || link.entity !== o.entity) return;
    if (scope !== null && link.dataSource !== scope) return;
    this.owned++;
    if (this.seen.has(link.key)) return;
    this.toDisable++;
    // An additions-only window holds the disable: the file is known to be incomplete.
    if (this.window) return;
    // A row that could not be read into a key may be any owned record: its absence proves nothing (--force overrides).
    if (this.unread > 0 && !o.force) return;
    // One sentence for every disable of the refresh (made once, as finish made it before the links were streamed).
    this.missingReason ??= `missing from the refresh (${scope === null ? 'all data sources' : `data source ${scope}`})`;
    this.push(this.rules.ownedDisable(link, this.missingReason, this));
  }

  /** Ends the plan; `ownedActive`: owned links not yet given to addOwned (tests pass them here). */
  finish(ownedActive: Iterable<PlanLink> = []): Plan<T> {
    if (this.actions instanceof CompactActions) throw new Error(`${this.name}.finish: the actions are compact, call finishCompact.`);
    const actions = this.actions;
    const { options, counts, rows, guard } = this.end(ownedActive);
    return { options, actions, counts, rows, guard };
  }

  /** finish() of a planner that keeps its actions compact (keepCompact). */
  finishCompact(ownedActive: Iterable<PlanLink> = []): CompactPlan<T> {
    if (!(this.actions instanceof CompactActions)) throw new Error(`${this.name}.finishCompact: keepCompact was not called.`);
    // ActionOf<T> is one of the union's members (as finish's array is).
    const actions = this.actions as unknown as CompactActions<Action<T>>;
    const { options, counts, rows, guard } = this.end(ownedActive);
    return { options, actions, counts, rows, guard };
  }

  private end(ownedActive: Iterable<PlanLink>): Omit<Plan<T>, 'actions'> {
    if (this.finished) throw new Error(`${this.name}.finish called twice.`);
    for (const link of ownedActive) this.addOwned(link);
    this.finished = true;
    const o = this.options;
    let guard: GuardVerdict | null = null;
    if (o.op === 'refresh' || o.op === 'refresh-ds') {
      const scope = o.op === 'refresh-ds' ? o.dataSource : null;
      const skip = this.unread > 0 && !o.force;
      if (this.window) guard = this.windowVerdict(this.window, scope);
      else guard = this.unread > 0 ? this.unreadVerdict(scope, this.owned, this.toDisable, skip) : this.verdict(scope, this.owned, this.toDisable);
    }
    guard = this.withUpdateVerdict(guard);
    this.seen.clear();
    this.givenIds.clear();
    if (this.held) {
      this.rules.settle?.(this.held, this);
      for (const a of this.held) this.emit(a);
    }
    return { options: o, counts: this.counts, rows: this.rows, guard };
  }

  private verdict(scope: string | null, owned: number, toDisable: number): GuardVerdict {
    const { maxPercent, maxCount } = this.options.guard;
    const empty = this.rows === 0;
    const limit = empty ? 0 : Math.min(Math.floor((owned * maxPercent) / 100), maxCount);
    const over = toDisable > limit;
    const refused = over && !this.options.force;
    const forced = over && this.options.force;
    const where = scope === null ? 'in all data sources' : `in data source ${scope}`;
    const limitText = empty ? 'limit 0: the file has no data rows' : `limit ${limit}`;
    const head = `refresh would disable ${toDisable} of ${owned} ${this.options.entity} owned ${where} (${limitText})`;
    const tail = refused
      ? 'refused; check the file or pass --force'
      : forced
        ? 'over the limit, allowed by --force'
        : 'within the limit';
    return { entity: this.options.entity, dataSource: scope, owned, toDisable, limit, refused, forced, message: `${head}: ${tail}` };
  }

  /** The verdict of a refresh inside an additions-only window: every disable held, the stores apply. */
  private windowVerdict(w: AdditionsOnlyWindow, scope: string | null): GuardVerdict {
    const where = scope === null ? 'in all data sources' : `in data source ${scope}`;
    const rows = this.heldRows > 0 ? ` and ${this.heldRows} disable row(s) of the file (in the tryback file)` : '';
    const message =
      `additions-only window ${w.from} … ${w.to}: the refresh stores and holds every disable; ` +
      `${this.toDisable} of ${this.owned} ${this.options.entity} owned ${where} missing from the file${rows} were not disabled`;
    return {
      kind: 'additions-only',
      entity: this.options.entity,
      dataSource: scope,
      owned: this.owned,
      toDisable: this.toDisable + this.heldRows,
      limit: 0,
      refused: false,
      forced: false,
      window: { from: w.from, to: w.to },
      heldRows: this.heldRows,
      disablesHeld: true,
      message,
    };
  }

  /**
   * The update guard: a run that would change one field of more than guard.maxUpdatePercent of the owned records
   * (guard.updateMinOwned at least) is refused like a mass disable. Over the limit, its verdict leads (the disable
   * verdict's words follow); within it, the plan's verdict stays as it was (none for a store).
   */
  private withUpdateVerdict(guard: GuardVerdict | null): GuardVerdict | null {
    const o = this.options;
    const { maxUpdatePercent, updateMinOwned = 0 } = o.guard;
    if (maxUpdatePercent === null || maxUpdatePercent === undefined || o.op === 'delete') return guard;
    const refresh = o.op === 'refresh' || o.op === 'refresh-ds';
    const owned = refresh ? this.owned : this.ownedForUpdates;
    const top = this.topUpdate();
    if (owned === undefined || owned < updateMinOwned || top.count === 0) return guard;
    const limit = Math.floor((owned * maxUpdatePercent) / 100);
    if (top.count <= limit) return guard;
    const refused = !o.force;
    const what = top.field === ANY_FIELD ? 'the content (the ledger keeps a content hash of these, not their fields: which field is not known)' : `the ${top.field}`;
    const scope = o.op === 'refresh-ds' ? o.dataSource : null;
    const where = scope === null ? '' : ` in data source ${scope}`;
    const head = `${o.op} would change ${what} of ${top.count} of ${owned} ${o.entity} owned${where} (limit ${limit}: ${maxUpdatePercent}% of owned, guard.maxUpdatePercent)`;
    const tail = refused ? 'refused; check the file or pass --force' : 'over the limit, allowed by --force';
    const byField = Object.fromEntries(this.updatesByField);
    const message = `${head}: ${tail}${guard ? `; ${guard.message}` : ''}`;
    return {
      ...(guard ?? { entity: o.entity, dataSource: scope, toDisable: 0 }),
      kind: 'update',
      owned,
      limit,
      refused: refused || (guard?.refused ?? false),
      forced: !refused || (guard?.forced ?? false),
      updates: { field: top.field, count: top.count, byField },
      message,
    };
  }

  private noteUnread(line: number, endLine: number | undefined): void {
    this.unread++;
    if (this.unreadLines.length < 10) this.unreadLines.push(endLine !== undefined && endLine > line ? `${line}-${endLine}` : String(line));
    else if (this.unreadLines.length === 10) this.unreadLines.push('…');
  }

  /** The verdict of a refresh whose file has rows that could not be read into a key. */
  private unreadVerdict(scope: string | null, owned: number, toDisable: number, skipped: boolean): GuardVerdict {
    const unreadable = { rows: this.unread, lines: this.unreadLines.join(', ') };
    const rowsText = `${this.unread} row(s) of the file could not be read into a key (line${this.unread > 1 ? 's' : ''} ${unreadable.lines})`;
    if (skipped) {
      const where = scope === null ? 'in all data sources' : `in data source ${scope}`;
      const message =
        `refresh disables nothing: ${rowsText}, and any ${this.options.entity} missing from the file may be in them ` +
        `(${toDisable} of ${owned} owned ${where} would have been disabled); fix those rows and run again, or pass --force to disable anyway`;
      const { limit } = this.verdict(scope, owned, toDisable);
      return { entity: this.options.entity, dataSource: scope, owned, toDisable, limit, refused: false, forced: false, unreadable, disablesSkipped: true, message };
    }
    const v = this.verdict(scope, owned, toDisable);
    const risk = `--force: disabled although ${rowsText}; any of the ${toDisable} disabled may have been in those rows`;
    return { ...v, forced: true, unreadable, disablesSkipped: false, message: `${v.message}; ${risk}` };
  }

  private push(a: ActionOf<T>): ActionOf<T> {
    if (this.held) this.held.push(a);
    else this.emit(a);
    return a;
  }

  private emit(a: ActionOf<T>): void {
    if (this.sink) this.sink(a);
    else this.actions.push(a);
    this.counts[a.kind]++;
  }

  ds(r: RecordOf<T>, ctx: C): string | null {
    return r.dataSource ?? this.options.dataSource ?? ctx.link?.dataSource ?? null;
  }

  fail(r: RecordOf<T>, line: number, ctx: C, code: RowCode, message: string): ActionOf<T> {
    return baseAction({
      kind: 'fail',
      entity: this.options.entity,
      key: r.key,
      line,
      moodleId: ctx.link?.moodleId ?? r.moodleId,
      dataSource: this.ds(r, ctx),
      reason: message,
      error: { code, message },
    });
  }

  found(match: NonNullable<C['match']>): string {
    const suspended = (match as { suspended?: boolean }).suspended === true;
    return `found in Moodle by ${VIA[match.via]} (${this.rules.moodleNoun} ${match.id}${suspended ? ', suspended' : ''})`;
  }

  /**
   * Data-source ownership, checked before the row op is even looked at: a row (its DATA_SOURCE_KEY, else the run's
   * data source) never acts on what another data source owns, whether it stores, disables or deletes. What nobody
   * owns (no link, a link without a data source) and rows without a data source are never refused this way.
   */
  private foreignOwner(r: RecordOf<T>, line: number, ctx: C): ActionOf<T> | undefined {
    const rowSource = r.dataSource || this.options.dataSource;
    if (!rowSource) return undefined;
    // A container (an enrolment's course) may be owned by another data source of the row's family; the row's own
    // link never: a record changes owner only when nobody owns it.
    // Containers first, then the row's own link; no arrays on the hot path (every row passes here).
    const containers = this.rules.owners?.(r, ctx);
    if (containers) {
      for (const o of containers) {
        if (!o.dataSource || sameDataSourceFamily(o.dataSource, rowSource, this.options.dataSourceFamilies)) continue;
        const hint = o.hint ?? `send the row from data source ${o.dataSource}`;
        return this.fail(r, line, ctx, 'data-source-mismatch', `${o.what} belongs to data source ${o.dataSource}, this row to ${rowSource}: ${hint}`);
      }
    }
    const own = ctx.link?.dataSource;
    if (!own || own === rowSource) return undefined;
    return this.fail(r, line, ctx, 'data-source-mismatch', `${this.rules.recordNoun} ${r.key} belongs to data source ${own}, this row to ${rowSource}: send the row from data source ${own}`);
  }

  /** Failures shared by every row op: a MOODLE_ID that disagrees with the ledger, an ambiguous lookup. */
  private conflict(r: RecordOf<T>, line: number, ctx: C): ActionOf<T> | undefined {
    if (ctx.link && r.moodleId !== undefined && r.moodleId !== ctx.link.moodleId) {
      return this.fail(
        r,
        line,
        ctx,
        'moodle-id-conflict',
        `the file's Moodle id ${r.moodleId} differs from Moodle ${this.rules.moodleNoun} ${ctx.link.moodleId} linked to this key: nothing was changed; correct the SIS's Moodle id (mdlsync export ids lists the linked ones), or leave the cell empty to keep the link`,
      );
    }
    // Two keys never share one Moodle record: that would make each row overwrite the other's.
    if (!ctx.link && ctx.moodleIdLinkedTo !== undefined) {
      return this.fail(r, line, ctx, 'moodle-id-conflict', `the file's Moodle id ${r.moodleId} is linked to the key ${ctx.moodleIdLinkedTo} (Moodle ${this.rules.moodleNoun} ${r.moodleId}): nothing was changed; correct the SIS's Moodle id, or leave the cell empty`);
    }
    // A look-up that found the record by its idnumber or name (groups, cohorts) may find another one than the SIS names.
    if (!ctx.link && ctx.match && r.moodleId !== undefined && ctx.match.id !== r.moodleId) {
      const found = this.found(ctx.match);
      return this.fail(r, line, ctx, 'moodle-id-conflict', `the file's Moodle id ${r.moodleId} is not the ${this.rules.recordNoun} ${found}: nothing was changed; correct the SIS's Moodle id, or leave the cell empty`);
    }
    if (!ctx.link && ctx.ambiguous) return this.fail(r, line, ctx, 'ambiguous-match', ctx.ambiguous);
    return undefined;
  }

  /**
   * A row that only confirms its active link (key, name as Moodle has it, the linked MOODLE_ID) in the link's data
   * source is unchanged: its content hash cannot be compared (the ledger's is of the full row the SIS sent), and
   * sending its few columns would change nothing. --full plans it as any row.
   */
  private confirmedLink(r: RecordOf<T>, line: number, ctx: C): ActionOf<T> | undefined {
    const link = ctx.link;
    if (!ctx.confirmed || !link || link.status !== 'active' || this.options.full || r.moodleId !== link.moodleId) return undefined;
    const dataSource = this.ds(r, ctx);
    if (dataSource !== link.dataSource) return undefined;
    return baseAction({ kind: 'unchanged', entity: this.options.entity, key: r.key, line, dataSource, moodleId: link.moodleId, reason: 'link confirmed: the row carries only its key, name and Moodle id' });
  }

  /** A row with MOODLE_ID that Moodle lacks (or that no lookup confirmed) is never silently re-created. */
  private moodleIdMissing(r: RecordOf<T>, ctx: C): boolean {
    return ctx.moodleIdMissing === true || (!ctx.link && !ctx.match && !ctx.ambiguous && r.moodleId !== undefined);
  }

  private failMoodleIdMissing(r: RecordOf<T>, line: number, ctx: C): ActionOf<T> {
    const id = r.moodleId ?? ctx.link?.moodleId;
    const { moodleNoun, recordNoun } = this.rules;
    return this.fail(r, line, ctx, 'moodle-id-missing', `Moodle ${moodleNoun} ${id} no longer exists: clear the SIS's Moodle id to have the ${recordNoun} re-created`);
  }

  /** Row op delete (file op delete or ACTION=delete): the rules decide what disabling means for a record Moodle has. */
  private planDelete(r: RecordOf<T>, line: number, ctx: C): ActionOf<T> {
    const base = { entity: this.options.entity, key: r.key, line, dataSource: this.ds(r, ctx) };
    if (ctx.moodleIdMissing) {
      return baseAction({
        kind: 'unchanged',
        ...base,
        moodleId: r.moodleId,
        reason: `Moodle ${this.rules.moodleNoun} ${r.moodleId ?? ctx.link?.moodleId} no longer exists: nothing to disable`,
      });
    }
    const bad = this.conflict(r, line, ctx);
    if (bad) return bad;
    const target = ctx.link ? ctx.link.moodleId : ctx.match?.id;
    if (target === undefined) return baseAction({ kind: 'unchanged', ...base, reason: 'not in Moodle: nothing to disable' });
    const via = ctx.link ? '' : `; ${this.found(ctx.match!)}`;
    return this.rules.delete(r, line, ctx, this, target, via);
  }
}

/** A few plain lines for `mdlsync plan`: scope, counts per kind, the guard verdict. */
export function summarizePlan(plan: Plan): string {
  const o = plan.options;
  const scope = o.dataSource ? ` (data source ${o.dataSource})` : '';
  const lines = [
    `${o.entity}, op ${o.op}${scope}: ${plan.rows} ${plan.rows === 1 ? 'row' : 'rows'} read, ${plan.actions.length} ${plan.actions.length === 1 ? 'action' : 'actions'}`,
    ACTION_KINDS.map((k: ActionKind) => `${k} ${plan.counts[k]}`).join(', '),
  ];
  if (plan.guard) {
    lines.push(`guard: ${plan.guard.message}`);
    if (plan.guard.refused) lines.push('nothing will be applied');
  }
  return lines.join('\n');
}
