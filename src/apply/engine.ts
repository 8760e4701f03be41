/**
 * The batch machinery every entity's applier shares: outcomes and progress, ledger writes after each confirmed
 * batch, the adaptive limiter, retries with backoff, rechecks of calls that may have committed, bisection of
 * refused all-or-nothing calls, and the fatal (token, service) and site-down stops. An entity's applier only says
 * how to build, send, confirm and fail its records (a BatchSpec per kind of call).
 */
import type { OutcomeCode } from '../errors.js';
import type { EntityType } from '../feed/types.js';
import { isLockLost, lockLostError } from '../ledger/errors.js';
import type { LedgerStore, LinkStatus, LinkWrite } from '../ledger/types.js';
import { CircuitOpenError, MoodleError, ProtocolError, TlsError, TransientError, isTransient, mayHaveCommitted } from '../moodle/index.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { Action } from '../plan/types.js';
import type { ActionList } from '../plan/compact.js';
import { AbortError, AdaptiveLimiter, backoffDelay, sleep } from './limiter.js';
import { LocalRowError } from './pack.js';
import type { ApplyOptions, ApplyProgress, Outcome, OutcomeKind } from './types.js';

export interface ApplyDeps {
  client: MoodleCaller;
  ledger: LedgerStore;
  runId: string;
  options: ApplyOptions;
  onProgress?: (p: ApplyProgress) => void;
  signal?: AbortSignal;
  /** Outcomes of steps a row sets off beside its own (the enrolments a block row removes): `user block` reports them. */
  extraOutcomes?: (outcomes: Outcome[]) => void;
  /** Told of every batch call Moodle answered: what the site spends per record (see email-scan.ts). */
  onCall?: (call: TimedCall) => void;
  /**
   * Where the outcomes go, one per action in the plan's order once the plan is applied (a run streams them to
   * rows.csv): applyPlan then returns none. A promise it returns is awaited before the next outcome (back-pressure).
   */
  onOutcome?: (outcome: Outcome) => void | Promise<void>;
}

/** A batch call Moodle answered: its function, records, time from sent to answered, and the reply. */
export interface TimedCall {
  wsfunction: string;
  records: number;
  ms: number;
  reply: unknown;
}

/** One action of the plan (of the types T, default any) and its place in the outcomes. */
export interface Row<T extends EntityType = EntityType> {
  index: number;
  action: Action<T>;
}

/** How one kind of call is sent, confirmed and failed (see BatchEngine.sendBatch). */
export interface BatchSpec<T, R> {
  wsfunction: string;
  send(items: T[]): Promise<R>;
  /** Settles the items Moodle confirmed and writes their links. */
  confirm(items: T[], reply: R): Promise<void>;
  /** May write links (a row whose record is gone is settled ok): awaited before the batch counts as done. */
  failOne(item: T, code: OutcomeCode, message: string): void | Promise<void>;
  /**
   * After a failure that may have come after Moodle committed (timeout, dropped connection, an errorcode that is not
   * a refusal): settle what the site has anyway, read back; returns the items it does not have (safe to resend).
   */
  recheck?(items: T[]): Promise<T[]>;
  /** Before splitting a batch Moodle refused (with `err`): settle what can be explained at once; returns what is left to send. */
  explain?(items: T[], err: unknown): Promise<T[]>;
}

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
/**
 * Batches runBatches keeps started at once (waiting for a call slot, in flight, backing off, being read back):
 * enough that a batch backing off leaves plenty to fill the slots and to tell a site that is down (siteDown) as
 * when every batch was started at once, few enough that a large group is not built up front (64 × 50 records).
 */
const BATCHES_STARTED = 64;
/** Said of a row whose call may have been saved and could not be checked: the next run's plan reads it back. */
const UNKNOWN_NOTE = '; unknown whether Moodle saved it: verified on the next run';

/** Outcome kinds as stored per row (0: no outcome yet). */
const KINDS: readonly OutcomeKind[] = ['ok', 'unchanged', 'failed', 'relinked'];

export class BatchEngine {
  /**
   * Each row's outcome, kept compact (a 500k-row plan would otherwise hold 500k objects until the report): its kind
   * (index in KINDS + 1), its Moodle id (NaN: none), and the few with a code or a message beside. An Outcome object
   * is made only when asked for.
   */
  private readonly kinds: Uint8Array;
  private readonly moodleIds: Float64Array;
  private readonly notes = new Map<number, { errorcode?: OutcomeCode; message?: string }>();
  /** Rows an applier settled as another action than planned (a create found in Moodle settles as an adopt). */
  private readonly settledAs = new Map<number, Action>();
  private readonly limiter: AdaptiveLimiter;
  readonly options: ApplyOptions;
  private done = 0;
  private failedCount = 0;
  /** A token/service/site problem seen once stops every later call. */
  private fatal: Error | null = null;
  /** For telling a site that is down from a blip: calls failing in a row, and when a call last went through. */
  private transientStreak = 0;
  private lastSuccess = Date.now();

  constructor(
    private readonly actions: ActionList<Action>,
    readonly deps: ApplyDeps,
    /** Removes secrets (a person's password) from messages Moodle may have built from submitted values. */
    private readonly redact: (message: string, action: Action) => string = (m) => m,
    /** The values of an action the ledger keeps for a later undo (the entity's undo.fields), as JSON; undefined: none. */
    private readonly fieldsOf: (action: Action) => string | undefined = () => undefined,
  ) {
    this.kinds = new Uint8Array(actions.length);
    this.moodleIds = new Float64Array(actions.length).fill(NaN);
    this.options = deps.options;
    // Under a rate limit the latency says nothing about the site (see ApplyOptions): start at the cap, never grow.
    const rated = deps.options.maxRequestsPerSecond !== undefined;
    this.limiter = new AdaptiveLimiter(deps.options.concurrency, undefined, rated ? deps.options.concurrency : undefined);
  }

  // ── outcomes, ledger, progress ────────────────────────────────────────────────────────────────────────────

  private outcomeFor(row: Row, outcome: OutcomeKind, extra: Partial<Outcome>): Outcome {
    const a = row.action;
    const o: Outcome = { line: a.line, type: a.entity, key: a.key, action: a.kind, outcome };
    if (extra.moodleId !== undefined) o.moodleId = extra.moodleId;
    if (extra.errorcode !== undefined) o.errorcode = extra.errorcode;
    if (extra.message !== undefined) o.message = extra.message;
    return o;
  }

  settle(row: Row, outcome: OutcomeKind, extra: Partial<Outcome> = {}): void {
    const i = row.index;
    if (this.kinds[i] === 0) {
      this.done++;
      if (outcome === 'failed') this.failedCount++;
    }
    this.kinds[i] = KINDS.indexOf(outcome) + 1;
    this.moodleIds[i] = extra.moodleId ?? NaN;
    if (extra.errorcode !== undefined || extra.message !== undefined) this.notes.set(i, { errorcode: extra.errorcode, message: extra.message });
    else this.notes.delete(i);
    const planned = this.actions.at(i)!;
    if (row.action !== planned && !sameOutcomeFields(row.action, planned)) this.settledAs.set(i, row.action);
    else this.settledAs.delete(i);
  }

  fail(row: Row, errorcode: OutcomeCode, message: string, moodleId?: number): void {
    // A row Moodle confirmed stays confirmed, whatever goes wrong later in its batch.
    const prev = this.kinds[row.index];
    if (prev !== 0 && KINDS[prev - 1] !== 'failed') return;
    this.settle(row, 'failed', { errorcode, message: this.redact(message, row.action), moodleId });
  }

  /**
   * Rows Moodle confirmed whose links the ledger could not record (the writer lock was lost meanwhile): failed after
   * all, so they go to the tryback, whose run finds them in Moodle and links them.
   */
  private unrecorded(rows: Row[], err: Error): void {
    for (const row of rows) {
      const prev = this.outcomeOf(row);
      if (prev?.outcome === 'failed') continue;
      if (prev) this.done--;
      this.settle(row, 'failed', { errorcode: 'ledger-lock-lost', moodleId: prev?.moodleId, message: `${err.message} Moodle took this row, the ledger did not record it: the tryback's run finds it in Moodle and links it.` });
    }
  }

  /** The writer lock was lost: no call goes out from now on (as when the circuit breaker opens). */
  private lockLost(): Error | null {
    if (this.fatal && isLockLost(this.fatal)) return this.fatal;
    const why = this.deps.ledger.lockLost?.() ?? null;
    if (why === null) return null;
    const err = lockLostError(this.deps.ledger.path, why);
    this.fatal = err;
    return err;
  }

  /** The outcome so far of a row, if it has one (a copy: settle, fail and note change it). */
  outcomeOf(row: Row): Outcome | undefined {
    return this.outcomeAt(row.index);
  }

  private outcomeAt(index: number): Outcome | undefined {
    const kind = this.kinds[index];
    if (kind === 0) return undefined;
    const id = this.moodleIds[index];
    const note = this.notes.get(index);
    return this.outcomeFor({ index, action: this.settledAs.get(index) ?? this.actions.at(index)! }, KINDS[kind - 1], { moodleId: Number.isNaN(id) ? undefined : id, errorcode: note?.errorcode, message: note?.message });
  }

  link(row: Row, moodleId: number, hash: string | null = row.action.hash ?? null): LinkWrite {
    const a = row.action;
    const status: LinkStatus = a.status ?? (a.kind === 'disable' ? 'disabled' : 'active');
    const link: LinkWrite = { entity: a.entity, key: a.key, moodleId, dataSource: a.dataSource, hash, state: a.state ?? null, status, runId: this.deps.runId, action: a.kind };
    const fields = this.fieldsOf(a);
    if (fields !== undefined) link.fields = fields;
    return link;
  }

  async writeLinks(links: (LinkWrite | null)[]): Promise<void> {
    const real = links.filter((l): l is LinkWrite => l !== null);
    if (real.length) await this.deps.ledger.writeLinks(real);
  }

  /** A row Moodle confirmed: settled ok under this id; the answer is the link to write for it. */
  landed(row: Row, moodleId: number, message?: string, hash?: string | null): LinkWrite {
    this.settle(row, 'ok', { moodleId, message });
    return this.link(row, moodleId, hash);
  }

  /** Rows that need no call: settled ok under their planned id; the link alone records the change. */
  async settleLinkOnly(rows: Row[]): Promise<void> {
    await this.writeLinks(rows.map((row) => this.landed(row, row.action.moodleId!)));
  }

  /** Marks the entity's unchanged keys seen by this run, a chunk per ledger write. */
  async markSeen(entity: EntityType, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += MARK_SEEN_CHUNK) await this.deps.ledger.markSeen(entity, keys.slice(i, i + MARK_SEEN_CHUNK), this.deps.runId);
  }

  progress(): void {
    this.deps.onProgress?.({ done: this.done, total: this.actions.length, failed: this.failedCount });
  }

  /** The plan's row at `index` (a compact plan makes its action anew: keep it no longer than its call needs). */
  row(index: number): Row {
    return { index, action: this.actions.at(index)! };
  }

  targetId(a: Action): number {
    if (a.moodleId === undefined) throw new LocalRowError('missing-moodle-id', `A ${a.kind} needs the Moodle id of the ${a.entity === 'persons' ? 'account' : 'record'}`);
    return a.moodleId;
  }

  /** One Outcome per action, in the plan's order; after a lost lock, the rows never sent say so. */
  results(): Outcome[] {
    const out: Outcome[] = [];
    for (const o of this.finalOutcomes()) out.push(o);
    return out;
  }

  /** results() one at a time, each made as it is taken: nothing holds them all. */
  *finalOutcomes(): Generator<Outcome> {
    const lost = this.fatal && isLockLost(this.fatal) ? this.fatal : null;
    const none = lost ? { errorcode: 'ledger-lock-lost' as const, message: `${lost.message.replace(/\.$/, '')}; not sent` } : { errorcode: 'internal' as const, message: 'No outcome recorded' };
    for (let index = 0; index < this.actions.length; index++) yield this.outcomeAt(index) ?? this.outcomeFor({ index, action: this.actions.at(index)! }, 'failed', none);
  }

  /**
   * The writer lock was lost while a step wrote to the ledger: the run stops sending; rows left without an outcome
   * fail as not sent (results()). Any other error is thrown on.
   */
  halt(err: unknown): void {
    if (!isLockLost(err)) throw err;
    this.fatal = err;
  }

  // ── calls: concurrency, retries, bisection ────────────────────────────────────────────────────────────────

  limited<T>(wsfunction: string, records: number, fn: () => Promise<T>, timed?: (ms: number) => void): Promise<T> {
    // Checked once the slot is granted too: calls queued behind the one that hit a bad token must not go out.
    const guarded = async (): Promise<T> => {
      this.lockLost();
      if (this.fatal) throw this.fatal;
      try {
        const value = await fn();
        this.lastSuccess = Date.now();
        this.transientStreak = 0;
        return value;
      } catch (err) {
        // Recorded before the slot is released, so the next queued call already sees it.
        if (this.isFatal(err)) this.fatal ??= err as Error;
        else if (isTransient(err) && !(err instanceof MoodleError)) {
          this.transientStreak++;
          const limit = this.options.breakerFailures;
          if (limit !== undefined && this.transientStreak >= limit) {
            this.fatal ??= new CircuitOpenError(`${this.transientStreak} Moodle calls in a row failed (moodle.breakerFailures = ${limit}), the last: ${(err as Error).message}`);
          }
        }
        throw err;
      }
    };
    this.lockLost();
    if (this.fatal) return Promise.reject(this.fatal);
    // Under a rate limit a call's time includes its wait for the rate: no latency sample, so no shrinking on it (and
    // no timing for the site hints, which would read the wait as Moodle's cost).
    const sample = this.options.maxRequestsPerSecond === undefined ? { key: `${wsfunction}:${records}`, records, timed } : undefined;
    return this.limiter.run(guarded, sample, this.deps.signal);
  }

  /** A read-only call with retries, through the limiter (reads are always safe to repeat). */
  async read<T>(wsfunction: string, records: number, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.limited(wsfunction, records, fn);
      } catch (err) {
        if (!isTransient(err) || attempt >= this.options.retries) throw err;
        this.limiter.onTransient();
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.deps.signal);
      }
    }
  }

  /**
   * Sends one batch. Transient failures are retried with backoff (after a recheck for creates, since a timed-out
   * call may have committed); a record-level error splits the batch in halves until each bad record is alone.
   */
  async sendBatch<T extends { row: Row }, R>(items: T[], spec: BatchSpec<T, R>, tries = this.options.retries): Promise<void> {
    let pending = items;
    let recheckFirst = false;
    /** The last failed try may have been saved: its rows are read back before they are resent, split or failed. */
    let maybeSaved: unknown = undefined;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      let reply: { value: R } | undefined;
      let ms = 0;
      try {
        if (recheckFirst && spec.recheck) {
          const before = pending;
          pending = await spec.recheck(pending);
          this.warnSaved(before, maybeSaved);
          recheckFirst = false;
          maybeSaved = undefined;
          if (pending.length === 0) return;
        }
        const items = pending;
        reply = { value: await this.limited(spec.wsfunction, items.length, () => spec.send(items), (t) => (ms = t)) };
      } catch (e) {
        err = e;
      }
      // Outside the try: a failure while settling confirmed records must never look like a failed call (and resend).
      if (reply) {
        this.deps.onCall?.({ wsfunction: spec.wsfunction, records: pending.length, ms, reply: reply.value });
        try {
          return await spec.confirm(pending, reply.value);
        } catch (e) {
          this.halt(e);
          this.unrecorded(pending.map((it) => it.row), e as Error);
          return;
        }
      }
      if (err instanceof AbortError || this.deps.signal?.aborted) {
        for (const it of pending) if (this.kinds[it.row.index] === 0) this.fail(it.row, 'aborted', 'The run was aborted before Moodle confirmed this row');
        return;
      }
      const unknown = maybeSaved !== undefined ? UNKNOWN_NOTE : '';
      if (isLockLost(err)) {
        // Not sent: failOne may write to the ledger, which refuses every write now.
        this.fatal = err;
        for (const it of pending) this.fail(it.row, 'ledger-lock-lost', `${err.message.replace(/\.$/, '')}${unknown || '; not sent'}`);
        return;
      }
      if (this.isFatal(err) || (err !== undefined && err === this.fatal)) {
        this.fatal ??= err as Error;
        const notSent = (err instanceof TransientError || err instanceof CircuitOpenError) && !unknown ? '; not sent' : '';
        for (const it of pending) await spec.failOne(it, codeOf(err), (err as Error).message + (unknown || notSent));
        return;
      }
      // (An error of the read-back itself says nothing about the write.)
      if (!(recheckFirst && spec.recheck)) maybeSaved = mayHaveCommitted(err) ? err : undefined;
      if (err instanceof ProtocolError && spec.recheck) {
        // A short create reply: PHP dropped the trailing records (max_input_vars). Keep what landed, resend the rest smaller.
        let rest: T[];
        try {
          rest = await spec.recheck(pending);
        } catch (e) {
          for (const it of pending) await spec.failOne(it, codeOf(e), (e as Error).message);
          return;
        }
        if (rest.length === 1 && pending.length === 1) await spec.failOne(rest[0], 'truncated', err.message);
        else await this.split(rest, spec, tries);
        return;
      }
      const transient = isTransient(err);
      let checked = '';
      if (!transient && maybeSaved !== undefined && !spec.recheck) checked = UNKNOWN_NOTE;
      else if (!transient && maybeSaved !== undefined && spec.recheck) {
        // Moodle's error may have come after its commit (the welcome mail of enrol_manual_enrol_users): read back
        // before failing, and never split and resend what the site saved (a user created twice is username-taken).
        const before = pending;
        try {
          pending = await spec.recheck(pending);
        } catch (e) {
          for (const it of pending) await spec.failOne(it, codeOf(err), `${(err as Error).message}${UNKNOWN_NOTE} (reading it back failed: ${(e as Error).message})`);
          return;
        }
        this.warnSaved(before, err);
        maybeSaved = undefined;
        if (pending.length === 0) return;
        checked = ' (read back: not in Moodle)';
      }
      // A database error that persists through every try is likely one record (e.g. a value too long for its column).
      const persistentDbError = transient && attempt >= tries && err instanceof MoodleError && err.errorcode !== 'sitemaintenance';
      if (!transient || persistentDbError) {
        if (spec.explain) {
          const before = pending.length;
          try {
            pending = await spec.explain(pending, err);
          } catch (e) {
            for (const it of pending) await spec.failOne(it, codeOf(e), (e as Error).message);
            return;
          }
          if (pending.length === 0) return;
          // Some records were explained (adopted): the rest may well go through as one call now.
          if (pending.length < before) {
            attempt = 0;
            continue;
          }
        }
        if (pending.length === 1) await spec.failOne(pending[0], codeOf(err), (err as Error).message + checked);
        else await this.split(pending, spec, persistentDbError ? Math.min(2, tries) : tries);
        return;
      }
      this.limiter.onTransient();
      if (this.fatal instanceof CircuitOpenError) {
        // The breaker opened (on this failure or another batch's): no retry; the rows are kept for the next try.
        const why = maybeSaved !== undefined ? UNKNOWN_NOTE : '; not sent';
        for (const it of pending) await spec.failOne(it, 'circuit-open', this.fatal.message + why);
        return;
      }
      if (this.siteDown()) {
        this.fatal ??= new TransientError('network', `Moodle stopped answering (nothing went through for ${Math.round((Date.now() - this.lastSuccess) / 1000)} s): ${(err as Error).message}`);
        // Rows of a call that went out may be saved: "unknown", never "not sent" (the site is down, no read back).
        const why = maybeSaved !== undefined ? UNKNOWN_NOTE : '; not sent';
        for (const it of pending) await spec.failOne(it, 'transient', this.fatal.message + why);
        return;
      }
      if (attempt >= tries) {
        let rest = pending;
        let note = maybeSaved !== undefined ? UNKNOWN_NOTE : '';
        if (spec.recheck && maybeSaved !== undefined) {
          try {
            rest = await spec.recheck(pending);
            this.warnSaved(pending, maybeSaved);
            note = ' (read back: not in Moodle)';
          } catch {
            rest = pending;
          }
        }
        for (const it of rest) await spec.failOne(it, 'transient', `${(err as Error).message} (gave up after ${attempt} tries)${note}`);
        return;
      }
      try {
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.deps.signal);
      } catch {
        for (const it of pending) this.fail(it.row, 'aborted', 'The run was aborted before Moodle confirmed this row');
        return;
      }
      // A Moodle refusal means the call was rolled back; anything else may have committed.
      recheckFirst = maybeSaved !== undefined;
    }
  }

  /** Rows a read-back found saved after their call failed: ok, with a warning naming what the call answered. */
  private warnSaved<T extends { row: Row }>(items: T[], err: unknown): void {
    if (err === undefined) return;
    const said = err instanceof MoodleError ? `Moodle answered "${err.errorcode}"` : `the call ${failureOf(err)}`;
    const warning = `warning: ${said} but the row is saved in Moodle (read back)`;
    for (const it of items) {
      const o = this.outcomeAt(it.row.index);
      if (!o || o.outcome === 'failed' || o.message?.includes(warning)) continue;
      this.notes.set(it.row.index, { errorcode: o.errorcode, message: o.message ? `${o.message}; ${warning}` : warning });
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

  /**
   * Runs batches concurrently (the limiter decides how many calls are in flight), reporting progress after each. The
   * batches are taken in order, a new one as one ends, BATCHES_STARTED at a time at most: a group packed lazily
   * (prepare.ts sendPacked) is built batch by batch as it is sent, and a batch is garbage once done (a 500k-row group
   * would otherwise hold every record's call input and a waiting call per batch up front).
   */
  async runBatches<T>(batches: Iterable<T[]>, fn: (batch: T[]) => Promise<void>): Promise<void> {
    const next = batches[Symbol.iterator]();
    const take = async (): Promise<void> => {
      for (let b = next.next(); !b.done; b = next.next()) {
        try {
          await fn(b.value);
        } catch (err) {
          // A write refused after the lock was lost: the other batches stop at their next call, none left in flight.
          this.halt(err);
        }
        this.progress();
      }
    };
    await Promise.all(Array.from({ length: Math.max(BATCHES_STARTED, 2 * this.limiter.cap) }, take));
  }

  failTooBig<T extends { row: Row }>(tooBig: { item: T; vars: number; budget: number }[]): void {
    for (const { item, vars, budget } of tooBig) {
      this.fail(item.row, 'too-many-fields', `This row needs ${vars} form variables, more than the max_input_vars budget of ${budget}`);
    }
  }
}

/**
 * Whether a row settled as this action reports as the planned one (outcomes show its line, type, key and kind): a
 * compact plan makes a new but equal action each time it is asked, which is no other action.
 */
function sameOutcomeFields(a: Action, b: Action): boolean {
  return a.kind === b.kind && a.key === b.key && a.line === b.line && a.entity === b.entity;
}

/** A failure that carries no Moodle answer, in a few words (the full message names the site's URL). */
function failureOf(err: unknown): string {
  if (!(err instanceof TransientError)) return `failed (${(err as Error).message})`;
  switch (err.reason) {
    case 'timeout':
      return 'got no answer in time';
    case 'network':
      return 'lost its connection';
    case 'http-status':
      return `got HTTP ${err.status ?? 'error'}`;
    default:
      return 'got a reply that is not JSON';
  }
}

export function codeOf(err: unknown): OutcomeCode {
  if (err instanceof AbortError) return 'aborted';
  if (isLockLost(err)) return 'ledger-lock-lost';
  if (err instanceof MoodleError) return err.errorcode;
  if (err instanceof CircuitOpenError) return 'circuit-open';
  if (err instanceof TlsError) return 'tls';
  if (err instanceof TransientError) return 'transient';
  if (err instanceof ProtocolError) return 'protocol';
  return 'error';
}

/** An entity's applier: builds its calls from the rows to send (failing the rows it cannot build), then sends them. */
export interface EntityApplier<T extends EntityType> {
  redact?(message: string, action: Action<T>): string;
  /** Synchronous part: classify and build; the returned function sends. */
  prepare(engine: BatchEngine, rows: Iterable<Row<T>>): () => Promise<void>;
}
