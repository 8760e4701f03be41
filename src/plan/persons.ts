/**
 * The person planner: a pure fold over the file's rows (plus the ledger's view and Moodle lookups the caller
 * made) that decides one action per row, then the refresh disables and the guard verdict. No I/O, no clock.
 */
import type { FeedItem, PersonRecord, RowCommand } from '../feed/types.js';
import type { LedgerLink } from '../ledger/types.js';
import { ACTION_KINDS, OPS } from './types.js';
import type { Action, ActionCounts, ActionKind, GuardVerdict, Plan, PlanOptions } from './types.js';
import { personContentHash } from './hash.js';

/** A Moodle user found for a key the ledger lacks. */
export interface MoodleMatch {
  id: number;
  suspended: boolean;
  via: 'moodle-id' | 'idnumber' | 'username';
}

/** What the caller knows about a row's key: its ledger link, or else what a Moodle lookup found. */
export interface RowContext {
  link?: LedgerLink;
  match?: MoodleMatch;
  /** The row's MOODLE_ID names a user Moodle does not have. */
  moodleIdMissing?: boolean;
  /** Plain words, e.g. '2 Moodle users have idnumber X'. */
  ambiguous?: string;
}

export function defaultPlanOptions(partial: Partial<PlanOptions> & Pick<PlanOptions, 'op'>): PlanOptions {
  return {
    entity: 'persons',
    dataSource: null,
    full: false,
    passwords: 'create-only',
    disable: 'suspend',
    force: false,
    ...partial,
    guard: { maxPercent: 10, maxCount: 1000, ...partial.guard },
  };
}

export function emptyCounts(): ActionCounts {
  const counts = {} as ActionCounts;
  for (const k of ACTION_KINDS) counts[k] = 0;
  return counts;
}

const VIA: Record<MoodleMatch['via'], string> = { 'moodle-id': 'MOODLE_ID', idnumber: 'idnumber', username: 'username' };
const CREATE_NEEDS = ['username', 'firstname', 'lastname'] as const;

function found(match: MoodleMatch): string {
  return `found in Moodle by ${VIA[match.via]} (user ${match.id}${match.suspended ? ', suspended' : ''})`;
}

export class PersonPlanner {
  private readonly actions: Action[] = [];
  private readonly counts = emptyCounts();
  /** key → line of its first row (records and keyed row errors alike). */
  private readonly seen = new Map<string, number>();
  private rows = 0;
  private finished = false;
  private readonly fileRowOp: RowCommand;
  /** Hard delete only from an explicit delete (file op or ACTION column), never inside a refresh. */
  private readonly hardDelete: boolean;

  /**
   * With a sink, each action goes to it as it is planned and the plan's `actions` stays empty: a dry run of a
   * million rows then holds only the seen-key map, not a million records.
   */
  constructor(
    readonly options: PlanOptions,
    private readonly sink?: (action: Action) => void,
  ) {
    if (!OPS.includes(options.op)) throw new Error(`Unknown operation "${options.op}": use one of ${OPS.join(', ')}.`);
    if (options.op === 'refresh-ds' && !options.dataSource) {
      throw new Error('refresh-ds needs a data source: pass --datasource KEY (or set datasource in the config).');
    }
    this.fileRowOp = options.op === 'delete' ? 'delete' : 'store';
    this.hardDelete = options.disable === 'delete' && (options.op === 'store' || options.op === 'delete');
  }

  add(item: FeedItem, ctx: RowContext): Action {
    if (this.finished) throw new Error('PersonPlanner.add after finish: start a new planner for a new file.');
    this.rows++;
    if (item.error) {
      const key = item.error.key ?? '';
      // A row with a typo still counts as present: a refresh must not disable that person.
      if (key !== '' && !this.seen.has(key)) this.seen.set(key, item.line);
      return this.push({
        kind: 'fail',
        entity: this.options.entity,
        key,
        line: item.line,
        dataSource: this.options.dataSource,
        reason: item.error.message,
        error: { code: item.error.code, message: item.error.message },
      });
    }
    const r = item.record;
    const first = this.seen.get(r.key);
    if (first !== undefined) {
      return this.push(this.fail(r, item.line, ctx, 'duplicate-key', `duplicate key, first seen on line ${first}`));
    }
    this.seen.set(r.key, item.line);
    const rowOp = r.command ?? this.fileRowOp;
    if (rowOp === 'delete') return this.push(this.planDelete(r, item.line, ctx));
    if (r.rowStatus === 'disabled' || r.rowStatus === 'deleted') return this.push(this.planDisable(r, item.line, ctx));
    return this.push(this.planStore(r, item.line, ctx));
  }

  finish(ownedActive: Iterable<LedgerLink>): Plan {
    if (this.finished) throw new Error('PersonPlanner.finish called twice.');
    this.finished = true;
    const o = this.options;
    let guard: GuardVerdict | null = null;
    if (o.op === 'refresh' || o.op === 'refresh-ds') {
      const scope = o.op === 'refresh-ds' ? o.dataSource : null;
      const reason = `missing from the refresh (${scope === null ? 'all data sources' : `data source ${scope}`})`;
      let owned = 0;
      let toDisable = 0;
      for (const link of ownedActive) {
        // The caller scopes the query; re-checked so a wrong scope can never disable another data source.
        if (link.status !== 'active' || link.entity !== o.entity) continue;
        if (scope !== null && link.dataSource !== scope) continue;
        owned++;
        if (this.seen.has(link.key)) continue;
        toDisable++;
        this.push({
          kind: 'disable',
          entity: o.entity,
          key: link.key,
          line: null,
          moodleId: link.moodleId,
          suspended: true,
          hash: link.hash ?? undefined,
          status: 'disabled',
          dataSource: link.dataSource,
          reason,
        });
      }
      guard = this.verdict(scope, owned, toDisable);
    }
    this.seen.clear();
    return { options: o, actions: this.actions, counts: this.counts, rows: this.rows, guard };
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

  private push(a: Action): Action {
    if (this.sink) this.sink(a);
    else this.actions.push(a);
    this.counts[a.kind]++;
    return a;
  }

  /** The row's data source; a linked person without one keeps the ledger's so it does not lose its scope. */
  private ds(r: PersonRecord, ctx: RowContext): string | null {
    return r.dataSource ?? this.options.dataSource ?? ctx.link?.dataSource ?? null;
  }

  private fail(r: PersonRecord, line: number, ctx: RowContext, code: string, message: string): Action {
    return {
      kind: 'fail',
      entity: this.options.entity,
      key: r.key,
      line,
      moodleId: ctx.link?.moodleId ?? r.moodleId,
      dataSource: this.ds(r, ctx),
      reason: message,
      error: { code, message },
    };
  }

  /** Failures shared by every row op: a MOODLE_ID that disagrees with the ledger, an ambiguous lookup. */
  private conflict(r: PersonRecord, line: number, ctx: RowContext): Action | undefined {
    if (ctx.link && r.moodleId !== undefined && r.moodleId !== ctx.link.moodleId) {
      return this.fail(
        r,
        line,
        ctx,
        'moodle-id-conflict',
        `the file's Moodle id ${r.moodleId} differs from Moodle user ${ctx.link.moodleId} linked to this key: fix the SIS's Moodle id or forget the link (mdlsync ledger forget)`,
      );
    }
    if (!ctx.link && ctx.ambiguous) return this.fail(r, line, ctx, 'ambiguous-match', ctx.ambiguous);
    return undefined;
  }

  /** A row with MOODLE_ID that Moodle lacks (or that no lookup confirmed) is never silently re-created. */
  private moodleIdMissing(r: PersonRecord, ctx: RowContext): boolean {
    return ctx.moodleIdMissing === true || (!ctx.link && !ctx.match && r.moodleId !== undefined);
  }

  private missingForCreate(r: PersonRecord): string[] {
    return CREATE_NEEDS.filter((f) => !r.fields[f]);
  }

  private failMissing(r: PersonRecord, line: number, ctx: RowContext, missing: string[]): Action {
    const plural = missing.length > 1;
    return this.fail(
      r,
      line,
      ctx,
      'missing-value',
      `${missing.join(', ')} ${plural ? 'are' : 'is'} empty: a new account needs username, firstname and lastname`,
    );
  }

  private failMoodleIdMissing(r: PersonRecord, line: number, ctx: RowContext): Action {
    const id = r.moodleId ?? ctx.link?.moodleId;
    return this.fail(
      r,
      line,
      ctx,
      'moodle-id-missing',
      `Moodle user ${id} no longer exists: clear the SIS's Moodle id to have the account re-created`,
    );
  }

  /** Row op store, ROW_STATUS enabled or absent: create, adopt, update, enable or nothing. The hot path. */
  private planStore(r: PersonRecord, line: number, ctx: RowContext): Action {
    const o = this.options;
    if (this.moodleIdMissing(r, ctx)) return this.failMoodleIdMissing(r, line, ctx);
    const bad = this.conflict(r, line, ctx);
    if (bad) return bad;
    const entity = o.entity;
    const key = r.key;
    const dataSource = this.ds(r, ctx);
    const hash = personContentHash(r, o.passwords);
    const link = ctx.link;
    if (link && link.status === 'active') {
      // A new DATA_SOURCE_KEY re-owns the link even when the content is the same.
      const reowned = dataSource !== link.dataSource;
      if (link.hash === hash && !o.full && !reowned) {
        return { kind: 'unchanged', entity, key, line, dataSource, moodleId: link.moodleId, reason: 'same content' };
      }
    }
    // Availability only when the row says it (SIS rows always do: AVAILABLE_IND defaults to Y); otherwise the
    // account's suspended state is left as it is, as Moodle's own upload tool does for a missing column.
    const suspended = r.available === undefined ? undefined : !r.available;
    const hasPassword = r.fields.password !== undefined;
    const sendPassword = hasPassword && o.passwords === 'always';
    if (link) {
      if (link.status === 'disabled') {
        const reason = suspended ? 're-enable: back in the file (stays unavailable: AVAILABLE_IND=N)' : 're-enable: back in the file';
        return { kind: 'enable', entity, key, line, dataSource, moodleId: link.moodleId, record: r, suspended: suspended ?? false, sendPassword, hash, status: 'active', reason };
      }
      const reason =
        link.hash !== hash
          ? link.hash === null
            ? 'no content hash in the ledger'
            : 'content changed'
          : dataSource !== link.dataSource
            ? `data source changed (${link.dataSource ?? 'none'} → ${dataSource ?? 'none'})`
            : 'full re-send';
      return { kind: 'update', entity, key, line, dataSource, moodleId: link.moodleId, record: r, suspended, sendPassword, hash, status: 'active', reason };
    }
    if (ctx.match) {
      const moodleId = ctx.match.id;
      const reason = `${found(ctx.match)}: adopt`;
      return { kind: 'adopt', entity, key, line, dataSource, moodleId, record: r, suspended, sendPassword, hash, status: 'active', reason };
    }
    const missing = this.missingForCreate(r);
    if (missing.length) return this.failMissing(r, line, ctx, missing);
    const reason = suspended ? 'new person (unavailable: AVAILABLE_IND=N)' : 'new person';
    return { kind: 'create', entity, key, line, dataSource, record: r, suspended: suspended ?? false, sendPassword: hasPassword, hash, status: 'active', reason };
  }

  /** Row op store with ROW_STATUS disabled or deleted: disable (a store never hard-deletes). */
  private planDisable(r: PersonRecord, line: number, ctx: RowContext): Action {
    const o = this.options;
    if (this.moodleIdMissing(r, ctx)) return this.failMoodleIdMissing(r, line, ctx);
    const bad = this.conflict(r, line, ctx);
    if (bad) return bad;
    const base = { entity: o.entity, key: r.key, line, dataSource: this.ds(r, ctx) };
    const why = r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted (a store only disables)' : 'ROW_STATUS=disabled';
    const link = ctx.link;
    if (link) {
      if (link.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already disabled (${why})` };
      return { kind: 'disable', ...base, moodleId: link.moodleId, record: r, suspended: true, hash: personContentHash(r, o.passwords), status: 'disabled', reason: why };
    }
    if (ctx.match) {
      return {
        kind: 'disable',
        ...base,
        moodleId: ctx.match.id,
        record: r,
        suspended: true,
        hash: personContentHash(r, o.passwords),
        status: 'disabled',
        reason: `${why}; ${found(ctx.match)}`,
      };
    }
    // Blackboard creates a new person sent as disabled in the disabled state; so does mdlsync.
    const missing = this.missingForCreate(r);
    if (missing.length) return this.failMissing(r, line, ctx, missing);
    return {
      kind: 'create',
      ...base,
      record: r,
      suspended: true,
      sendPassword: r.fields.password !== undefined,
      hash: personContentHash(r, o.passwords),
      status: 'disabled',
      reason: `new person, created disabled (${why})`,
    };
  }

  /** Row op delete (file op delete or ACTION=delete): suspend, or hard delete when configured and explicit. */
  private planDelete(r: PersonRecord, line: number, ctx: RowContext): Action {
    const o = this.options;
    const base = { entity: o.entity, key: r.key, line, dataSource: this.ds(r, ctx) };
    const why = o.op === 'delete' ? 'delete' : 'ACTION=delete';
    if (ctx.moodleIdMissing) {
      return { kind: 'unchanged', ...base, moodleId: r.moodleId, reason: `Moodle user ${r.moodleId ?? ctx.link?.moodleId} no longer exists: nothing to disable` };
    }
    const bad = this.conflict(r, line, ctx);
    if (bad) return bad;
    const target = ctx.link ? ctx.link.moodleId : ctx.match?.id;
    if (target === undefined) return { kind: 'unchanged', ...base, reason: 'not in Moodle: nothing to disable' };
    const via = ctx.link ? '' : `; ${found(ctx.match!)}`;
    if (this.hardDelete) {
      // No ledger status: once Moodle confirms the delete, the link is dropped.
      return { kind: 'delete', ...base, moodleId: target, record: r, reason: `${why} (disable: delete configured)${via}` };
    }
    if (ctx.link?.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: target, reason: `already disabled (${why})` };
    return { kind: 'disable', ...base, moodleId: target, record: r, suspended: true, hash: ctx.link?.hash ?? undefined, status: 'disabled', reason: `${why}${via}` };
  }
}

/** Plans a whole file in one call (the class, for callers that stream). */
export function planPersons(items: Iterable<{ item: FeedItem; ctx: RowContext }>, ownedActive: Iterable<LedgerLink>, options: PlanOptions): Plan {
  const planner = new PersonPlanner(options);
  for (const { item, ctx } of items) planner.add(item, ctx);
  return planner.finish(ownedActive);
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
