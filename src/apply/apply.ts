/**
 * Executes a plan against Moodle: batches within max_input_vars, adaptive concurrency, retries with backoff,
 * bisection of failed all-or-nothing calls, and a ledger write after every confirmed batch.
 */
import type { LedgerStore, LinkStatus, LinkWrite } from '../ledger/types.js';
import {
  MoodleError,
  ProtocolError,
  TransientError,
  createUsers,
  deleteUsers,
  getUsersByField,
  isTransient,
  updateUsers,
} from '../moodle/index.js';
import type { CreateUserInput, MoodleCaller, MoodleUser, MoodleWarning, UpdateUserInput, UserLookupField } from '../moodle/index.js';
import type { Action } from '../plan/types.js';
import { AbortError, AdaptiveLimiter, backoffDelay, sleep } from './limiter.js';
import { LocalRowError, buildCreate, buildUpdate, pack, userLeaves } from './records.js';
import { lookupAll, lookupChunk, resolveWith } from './resolve.js';
import type { ApplyOptions, ApplyProgress, Outcome, OutcomeKind } from './types.js';

export interface ApplyDeps {
  client: MoodleCaller;
  ledger: LedgerStore;
  runId: string;
  options: ApplyOptions;
  onProgress?: (p: ApplyProgress) => void;
  signal?: AbortSignal;
}

interface Row {
  index: number;
  action: Action;
}

/** A record in an update_users call, with what to do once Moodle has answered for it. */
interface UpdateItem {
  row: Row;
  input: UpdateUserInput;
  /** Moodle accepted the record: set the outcome, return the link to write (or null). */
  ok(): LinkWrite | null;
  failed(code: string, message: string): void;
  /** invaliduserid / usernotupdateddeleted: the id is gone from Moodle. */
  stale?(warning: MoodleWarning): void;
}

interface CreateItem {
  row: Row;
  input: CreateUserInput;
  /** Outcome on success: 'relinked' when this re-creates a user deleted in Moodle by hand. */
  kind: OutcomeKind;
  message?: string;
  /** Its username was already looked up after a failed create (so bisection does not look again). */
  usernameChecked?: boolean;
}

interface DeleteItem {
  row: Row;
  id: number;
}

/** How one kind of call is sent, confirmed and failed (see sendBatch). */
interface BatchSpec<T, R> {
  wsfunction: string;
  send(items: T[]): Promise<R>;
  /** Settles the items Moodle confirmed and writes their links. */
  confirm(items: T[], reply: R): Promise<void>;
  failOne(item: T, code: string, message: string): void;
  /** Creates only: after an unclear failure, confirm what the site committed anyway; returns what is left to send. */
  recheck?(items: T[]): Promise<T[]>;
  /** Before splitting a batch Moodle refused: settle what can be explained at once; returns what is left to send. */
  explain?(items: T[]): Promise<T[]>;
}

const STALE_WARNINGS = new Set(['invaliduserid', 'usernotupdateddeleted']);
/** Whole-call errors that are about the token, service or site, never about a record: splitting cannot help. */
const FATAL_ERRORCODES = new Set([
  'invalidtoken',
  'accessexception',
  'nopermissions',
  'invalidrecord',
  'wsaccessusersuspended',
  'wsaccessusernologin',
  'servicerequireslogin',
]);
const MARK_SEEN_CHUNK = 500;

/** Executes the plan; one Outcome per action, in the plan's order. */
export async function applyPlan(plan: { actions: readonly Action[] }, deps: ApplyDeps): Promise<Outcome[]> {
  return new Applier(plan.actions, deps).run();
}

class Applier {
  private readonly outcomes: (Outcome | undefined)[];
  private readonly limiter: AdaptiveLimiter;
  private readonly options: ApplyOptions;
  private done = 0;
  private failedCount = 0;
  /** A token/service/site problem seen once stops every later call. */
  private fatal: Error | null = null;
  /** For telling a site that is down from a blip: calls failing in a row, and when a call last went through. */
  private transientStreak = 0;
  private lastSuccess = Date.now();
  private readonly stale: { row: Row; id: number; warning: MoodleWarning }[] = [];
  private readonly creates: CreateItem[] = [];

  constructor(
    private readonly actions: readonly Action[],
    private readonly deps: ApplyDeps,
  ) {
    this.outcomes = new Array<Outcome | undefined>(actions.length);
    this.options = deps.options;
    this.limiter = new AdaptiveLimiter(deps.options.concurrency);
  }

  async run(): Promise<Outcome[]> {
    const rows = this.actions.map((action, index) => ({ index, action }));
    const updates: UpdateItem[] = [];
    const deletes: DeleteItem[] = [];
    const unchanged: Row[] = [];
    for (const row of rows) {
      const a = row.action;
      try {
        switch (a.kind) {
          case 'unchanged':
            unchanged.push(row);
            this.settle(row, 'unchanged', { moodleId: a.moodleId });
            break;
          case 'fail':
            this.fail(row, a.error?.code ?? 'failed', a.error?.message ?? a.reason);
            break;
          case 'create':
            this.creates.push({ row, input: buildCreate(a, this.options), kind: 'ok' });
            break;
          case 'delete':
            deletes.push({ row, id: this.targetId(a) });
            break;
          default:
            updates.push(this.updateItem(row, this.targetId(a), 'ok'));
        }
      } catch (err) {
        if (!(err instanceof LocalRowError)) throw err;
        this.fail(row, err.code, err.message);
      }
    }
    this.markSeen(unchanged);
    this.progress();

    // Updates and deletes first: a rename, email change or deletion can free what a new account needs.
    await this.runUpdates(updates);
    await this.relinkStale();
    await this.runDeletes(deletes);
    await this.runCreates(this.creates.splice(0));

    return this.outcomes.map((o, i) => o ?? this.outcomeFor(rows[i], 'failed', { errorcode: 'internal', message: 'No outcome recorded' }));
  }

  // ── outcomes, ledger, progress ────────────────────────────────────────────────────────────────────────────

  private outcomeFor(row: Row, outcome: OutcomeKind, extra: Partial<Outcome>): Outcome {
    const a = row.action;
    const o: Outcome = { line: a.line, key: a.key, action: a.kind, outcome };
    if (extra.moodleId !== undefined) o.moodleId = extra.moodleId;
    if (extra.errorcode !== undefined) o.errorcode = extra.errorcode;
    if (extra.message !== undefined) o.message = extra.message;
    return o;
  }

  private settle(row: Row, outcome: OutcomeKind, extra: Partial<Outcome> = {}): void {
    if (this.outcomes[row.index] === undefined) {
      this.done++;
      if (outcome === 'failed') this.failedCount++;
    }
    this.outcomes[row.index] = this.outcomeFor(row, outcome, extra);
  }

  private fail(row: Row, errorcode: string, message: string, moodleId?: number): void {
    // A row Moodle confirmed stays confirmed, whatever goes wrong later in its batch.
    const prev = this.outcomes[row.index];
    if (prev && prev.outcome !== 'failed') return;
    this.settle(row, 'failed', { errorcode, message: hidePassword(message, row.action), moodleId });
  }

  private link(row: Row, moodleId: number, hash: string | null = row.action.hash ?? null): LinkWrite {
    const a = row.action;
    const status: LinkStatus = a.status ?? (a.kind === 'disable' ? 'disabled' : 'active');
    return { entity: a.entity, key: a.key, moodleId, dataSource: a.dataSource, hash, status, runId: this.deps.runId };
  }

  private writeLinks(links: (LinkWrite | null)[]): void {
    const real = links.filter((l): l is LinkWrite => l !== null);
    if (real.length) this.deps.ledger.writeLinks(real);
  }

  private markSeen(rows: Row[]): void {
    const byEntity = new Map<string, string[]>();
    for (const r of rows) {
      const keys = byEntity.get(r.action.entity);
      if (keys) keys.push(r.action.key);
      else byEntity.set(r.action.entity, [r.action.key]);
    }
    for (const [entity, keys] of byEntity) {
      for (let i = 0; i < keys.length; i += MARK_SEEN_CHUNK) this.deps.ledger.markSeen(entity, keys.slice(i, i + MARK_SEEN_CHUNK), this.deps.runId);
    }
  }

  private progress(): void {
    this.deps.onProgress?.({ done: this.done, total: this.actions.length, failed: this.failedCount });
  }

  private targetId(a: Action): number {
    if (a.moodleId === undefined) throw new LocalRowError('missing-moodle-id', `A ${a.kind} needs the Moodle id of the account`);
    return a.moodleId;
  }

  // ── calls: concurrency, retries, bisection ────────────────────────────────────────────────────────────────

  private limited<T>(wsfunction: string, records: number, fn: () => Promise<T>): Promise<T> {
    // Checked once the slot is granted too: calls queued behind the one that hit a bad token must not go out.
    const guarded = async (): Promise<T> => {
      if (this.fatal) throw this.fatal;
      try {
        const value = await fn();
        this.lastSuccess = Date.now();
        this.transientStreak = 0;
        return value;
      } catch (err) {
        // Recorded before the slot is released, so the next queued call already sees it.
        if (this.isFatal(err)) this.fatal ??= err as Error;
        else if (isTransient(err) && !(err instanceof MoodleError)) this.transientStreak++;
        throw err;
      }
    };
    if (this.fatal) return Promise.reject(this.fatal);
    return this.limiter.run(guarded, { key: `${wsfunction}:${records}`, records }, this.deps.signal);
  }

  /** A read-only lookup with retries, through the limiter. */
  private readonly lookup = async (field: UserLookupField, values: string[]): Promise<MoodleUser[]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.limited('core_user_get_users_by_field', values.length, () => getUsersByField(this.deps.client, field, values));
      } catch (err) {
        if (!isTransient(err) || attempt >= this.options.retries) throw err;
        this.limiter.onTransient();
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.deps.signal);
      }
    }
  };

  /**
   * Sends one batch. Transient failures are retried with backoff (after a recheck for creates, since a timed-out
   * call may have committed); a record-level error splits the batch in halves until each bad record is alone.
   */
  private async sendBatch<T extends { row: Row }, R>(items: T[], spec: BatchSpec<T, R>, tries = this.options.retries): Promise<void> {
    let pending = items;
    let recheckFirst = false;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      let reply: { value: R } | undefined;
      try {
        if (recheckFirst && spec.recheck) {
          pending = await spec.recheck(pending);
          recheckFirst = false;
          if (pending.length === 0) return;
        }
        const items = pending;
        reply = { value: await this.limited(spec.wsfunction, items.length, () => spec.send(items)) };
      } catch (e) {
        err = e;
      }
      // Outside the try: a failure while settling confirmed records must never look like a failed call (and resend).
      if (reply) return spec.confirm(pending, reply.value);
      if (err instanceof AbortError || this.deps.signal?.aborted) {
        for (const it of pending) if (!this.outcomes[it.row.index]) this.fail(it.row, 'aborted', 'The run was aborted before Moodle confirmed this row');
        return;
      }
      if (this.isFatal(err) || (err !== undefined && err === this.fatal)) {
        this.fatal ??= err as Error;
        for (const it of pending) spec.failOne(it, codeOf(err), (err as Error).message);
        return;
      }
      if (err instanceof ProtocolError && spec.recheck) {
        // A short create reply: PHP dropped the trailing records (max_input_vars). Keep what landed, resend the rest smaller.
        let rest: T[];
        try {
          rest = await spec.recheck(pending);
        } catch (e) {
          for (const it of pending) spec.failOne(it, codeOf(e), (e as Error).message);
          return;
        }
        if (rest.length === 1 && pending.length === 1) spec.failOne(rest[0], 'truncated', err.message);
        else await this.split(rest, spec, tries);
        return;
      }
      const transient = isTransient(err);
      // A database error that persists through every try is likely one record (e.g. a value too long for its column).
      const persistentDbError = transient && attempt >= tries && err instanceof MoodleError && err.errorcode !== 'sitemaintenance';
      if (!transient || persistentDbError) {
        if (spec.explain) {
          const before = pending.length;
          try {
            pending = await spec.explain(pending);
          } catch (e) {
            for (const it of pending) spec.failOne(it, codeOf(e), (e as Error).message);
            return;
          }
          if (pending.length === 0) return;
          // Some records were explained (adopted): the rest may well go through as one call now.
          if (pending.length < before) {
            attempt = 0;
            continue;
          }
        }
        if (pending.length === 1) spec.failOne(pending[0], codeOf(err), (err as Error).message);
        else await this.split(pending, spec, persistentDbError ? Math.min(2, tries) : tries);
        return;
      }
      this.limiter.onTransient();
      if (this.siteDown()) {
        this.fatal ??= new TransientError('network', `Moodle stopped answering (nothing went through for ${Math.round((Date.now() - this.lastSuccess) / 1000)} s): ${(err as Error).message}; not sent`);
        for (const it of pending) spec.failOne(it, 'transient', this.fatal.message);
        return;
      }
      if (attempt >= tries) {
        let rest = pending;
        if (spec.recheck && !(err instanceof MoodleError)) rest = await spec.recheck(pending).catch(() => pending);
        for (const it of rest) spec.failOne(it, 'transient', `${(err as Error).message} (gave up after ${attempt} tries)`);
        return;
      }
      try {
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.deps.signal);
      } catch {
        for (const it of pending) this.fail(it.row, 'aborted', 'The run was aborted before Moodle confirmed this row');
        return;
      }
      // A Moodle error object means the call was rolled back; anything else may have committed.
      recheckFirst = !(err instanceof MoodleError);
    }
  }

  private async split<T extends { row: Row }, R>(items: T[], spec: BatchSpec<T, R>, tries: number): Promise<void> {
    if (items.length === 0) return;
    const mid = Math.ceil(items.length / 2);
    await this.sendBatch(items.slice(0, mid), spec, tries);
    await this.sendBatch(items.slice(mid), spec, tries);
  }

  /**
   * Down, not a blip: every call for longer than one batch's whole retry schedule failed, and at least `retries` in a
   * row. Then the rest fail at once (to the tryback file) instead of each waiting through its own tries.
   */
  private siteDown(): boolean {
    const { retries, backoffMs } = this.options;
    const schedule = backoffMs * (2 ** Math.max(0, retries - 1) - 1);
    return this.transientStreak >= retries && Date.now() - this.lastSuccess > schedule;
  }

  private isFatal(err: unknown): boolean {
    if (err instanceof MoodleError) return FATAL_ERRORCODES.has(err.errorcode);
    if (err instanceof ProtocolError) return err.status !== undefined;
    return !(err instanceof TransientError);
  }

  /** Runs batches concurrently (the limiter decides how many calls are in flight), reporting progress after each. */
  private async runBatches<T>(batches: T[][], fn: (batch: T[]) => Promise<void>): Promise<void> {
    await Promise.all(
      batches.map(async (batch) => {
        await fn(batch);
        this.progress();
      }),
    );
  }

  private failTooBig<T extends { row: Row }>(tooBig: { item: T; vars: number; budget: number }[]): void {
    for (const { item, vars, budget } of tooBig) {
      this.fail(item.row, 'too-many-fields', `This row needs ${vars} form variables, more than the max_input_vars budget of ${budget}`);
    }
  }

  // ── updates (adopt, update, enable, disable) ──────────────────────────────────────────────────────────────

  private updateItem(row: Row, id: number, kind: OutcomeKind, message?: string): UpdateItem {
    return {
      row,
      input: buildUpdate(row.action, id),
      ok: () => {
        this.settle(row, kind, { moodleId: id, ...(message ? { message } : {}) });
        return this.link(row, id);
      },
      failed: (code, msg) => this.fail(row, code, msg, id),
      stale: (warning) => this.stale.push({ row, id, warning }),
    };
  }

  private readonly updateSpec: BatchSpec<UpdateItem, MoodleWarning[]> = {
    wsfunction: 'core_user_update_users',
    send: (items) => updateUsers(this.deps.client, items.map((i) => i.input)),
    confirm: async (items, warnings) => {
      const byId = new Map<number, MoodleWarning>();
      for (const w of warnings) if (w.itemid !== undefined && !byId.has(w.itemid)) byId.set(w.itemid, w);
      const links: (LinkWrite | null)[] = [];
      for (const item of items) {
        const w = byId.get(item.input.id);
        if (!w) links.push(item.ok());
        else if (STALE_WARNINGS.has(w.warningcode) && item.stale) item.stale(w);
        else item.failed(w.warningcode, w.message);
      }
      this.writeLinks(links);
    },
    failOne: (item, code, message) => item.failed(code, message),
  };

  private async runUpdates(items: UpdateItem[]): Promise<void> {
    const { batches, tooBig } = pack(items, (i) => userLeaves(i.input), this.options);
    this.failTooBig(tooBig);
    await this.runBatches(batches, (b) => this.sendBatch(b, this.updateSpec));
  }

  /** Accounts deleted in Moodle by hand: drop the link, then re-adopt (idnumber/username) or re-create. */
  private async relinkStale(): Promise<void> {
    const stale = this.stale.splice(0);
    if (stale.length === 0) return;
    const lookFor: { row: Row; id: number }[] = [];
    for (const { row, id, warning } of stale) {
      const a = row.action;
      this.deps.ledger.dropLink(a.entity, a.key);
      if (a.record?.moodleId !== undefined) {
        this.fail(row, warning.warningcode, `Moodle user ${id} no longer exists: clear the SIS's Moodle id to have the account re-created`);
      } else if (!a.record) {
        this.settle(row, 'ok', { message: `Moodle user ${id} no longer exists; link dropped` });
      } else lookFor.push({ row, id });
    }
    if (lookFor.length === 0) return;
    let matches: Awaited<ReturnType<typeof resolveWith>>;
    try {
      matches = await resolveWith(this.lookup, lookFor.map((s) => s.row.action.record!), { concurrency: this.options.concurrency, chunkSize: lookupChunk(this.options.maxInputVars) });
    } catch (err) {
      for (const { row, id } of lookFor) this.fail(row, codeOf(err), `Moodle user ${id} no longer exists and looking for the account again failed: ${(err as Error).message}`);
      return;
    }
    const readopt: UpdateItem[] = [];
    for (const { row, id } of lookFor) {
      const m = matches.get(row.action.key) ?? {};
      if (m.ambiguous) this.fail(row, 'ambiguous', `Moodle user ${id} no longer exists, and ${m.ambiguous}`);
      else if (m.match && m.match.id !== id) {
        const item = this.updateItem(row, m.match.id, 'relinked', `Moodle user ${id} no longer existed; linked to user ${m.match.id} (found by ${m.match.via})`);
        item.stale = (w) => item.failed(w.warningcode, w.message);
        readopt.push(item);
      } else if (row.action.kind === 'disable') {
        // Nothing to suspend: creating an account only to lock it would be noise.
        this.settle(row, 'ok', { message: `Moodle user ${id} no longer exists; link dropped` });
      } else {
        try {
          const input = buildCreate({ ...row.action, kind: 'create' }, this.options);
          this.creates.push({ row, input, kind: 'relinked', message: `Moodle user ${id} no longer existed; re-created` });
        } catch (err) {
          if (!(err instanceof LocalRowError)) throw err;
          this.fail(row, err.code, `Moodle user ${id} no longer exists and cannot be re-created: ${err.message}`);
        }
      }
    }
    await this.runUpdates(readopt);
  }

  // ── deletes ───────────────────────────────────────────────────────────────────────────────────────────────

  private readonly deleteSpec: BatchSpec<DeleteItem, void> = {
    wsfunction: 'core_user_delete_users',
    send: (items) => deleteUsers(this.deps.client, items.map((i) => i.id)),
    confirm: async (items) => {
      for (const { row, id } of items) {
        this.deps.ledger.dropLink(row.action.entity, row.action.key);
        this.settle(row, 'ok', { moodleId: id });
      }
    },
    failOne: ({ row, id }, code, message) => {
      if (code === 'invaliduser') {
        // Alone and still "Invalid user": the account is already gone, which is what was asked.
        this.deps.ledger.dropLink(row.action.entity, row.action.key);
        this.settle(row, 'ok', { moodleId: id, message: `Moodle user ${id} was already deleted` });
      } else this.fail(row, code, message, id);
    },
  };

  private async runDeletes(items: DeleteItem[]): Promise<void> {
    const { batches } = pack(items, () => 1, this.options);
    await this.runBatches(batches, (b) => this.sendBatch(b, this.deleteSpec));
  }

  // ── creates ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Created (or found created): write links, then suspend the ones that must be (create_users has no suspended). */
  private async created(pairs: { item: CreateItem; id: number }[]): Promise<void> {
    const links: LinkWrite[] = [];
    const suspend: UpdateItem[] = [];
    for (const { item, id } of pairs) {
      const { row } = item;
      if (row.action.suspended) {
        // Link now (no hash) so a crash before the suspend cannot orphan the account; the next run re-sends.
        links.push(this.link(row, id, null));
        suspend.push({
          row,
          input: { id, suspended: 1 },
          ok: () => {
            this.settle(row, item.kind, { moodleId: id, ...(item.message ? { message: item.message } : {}) });
            return this.link(row, id);
          },
          failed: (code, msg) => this.fail(row, code, `Created as Moodle user ${id} but not suspended: ${msg}`, id),
        });
      } else {
        links.push(this.link(row, id));
        this.settle(row, item.kind, { moodleId: id, ...(item.message ? { message: item.message } : {}) });
      }
    }
    this.writeLinks(links);
    if (suspend.length) await this.runUpdates(suspend);
  }

  private readonly createSpec: BatchSpec<CreateItem, { id: number; username: string }[]> = {
    wsfunction: 'core_user_create_users',
    send: (items) => createUsers(this.deps.client, items.map((i) => i.input)),
    confirm: (items, reply) => this.created(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => this.fail(item.row, code, message),
    recheck: async (items) => {
      const found = new Map((await lookupAll(this.lookup, 'username', items.map((i) => i.input.username), this.options.concurrency)).map((u) => [u.username, u.id]));
      const landed = items.filter((i) => found.has(i.input.username));
      await this.created(landed.map((item) => ({ item, id: found.get(item.input.username)! })));
      return items.filter((i) => !found.has(i.input.username));
    },
    explain: (items) => this.adoptTakenUsernames(items),
  };

  /**
   * A create batch Moodle refused: usernames it already has are the usual reason (an account made by hand or by
   * another tool). One lookup finds them; an account without an idnumber, or with ours, is adopted (linked and
   * updated, its password kept); one with another idnumber is another person, and the row fails saying so.
   */
  private async adoptTakenUsernames(items: CreateItem[]): Promise<CreateItem[]> {
    const unchecked = items.filter((i) => !i.usernameChecked);
    if (unchecked.length === 0) return items;
    for (const i of unchecked) i.usernameChecked = true;
    const users = await lookupAll(this.lookup, 'username', unchecked.map((i) => i.input.username), this.options.concurrency, lookupChunk(this.options.maxInputVars));
    if (users.length === 0) return items;
    const found = new Map(users.map((u) => [u.username, u]));
    const adopt: UpdateItem[] = [];
    const rest: CreateItem[] = [];
    for (const item of items) {
      const u = found.get(item.input.username);
      if (!u) {
        rest.push(item);
        continue;
      }
      const ours = item.input.idnumber ?? '';
      if (u.idnumber && u.idnumber !== ours) {
        this.fail(
          item.row,
          'username-taken',
          `username ${u.username} belongs to Moodle user ${u.id} whose idnumber is ${u.idnumber}: another person, or set that account's idnumber to ${ours || 'this key'} to have it adopted`,
        );
        continue;
      }
      const adoption = { ...item.row.action, kind: 'adopt' as const, sendPassword: false };
      const update = this.updateItem({ index: item.row.index, action: adoption }, u.id, item.kind, `adopted Moodle user ${u.id} (found by username)`);
      adopt.push(update);
    }
    if (adopt.length) await this.runUpdates(adopt);
    return rest;
  }

  private async runCreates(items: CreateItem[]): Promise<void> {
    const { batches, tooBig } = pack(items, (i) => userLeaves(i.input), this.options);
    this.failTooBig(tooBig);
    await this.runBatches(batches, (b) => this.sendBatch(b, this.createSpec));
  }
}

function codeOf(err: unknown): string {
  if (err instanceof AbortError) return 'aborted';
  if (err instanceof MoodleError) return err.errorcode;
  if (err instanceof TransientError) return 'transient';
  if (err instanceof ProtocolError) return 'protocol';
  return 'error';
}

/** Moodle's messages can quote submitted values; a password must never reach a report. */
function hidePassword(message: string, action: Action): string {
  const pw = action.record?.fields.password;
  return pw ? message.split(pw).join('********') : message;
}
