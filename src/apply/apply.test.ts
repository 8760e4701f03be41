import { describe, expect, it } from '@jest/globals';
import type { PersonRecord } from '../entities/persons/record.js';
import { MoodleError, TransientError, countFormVars } from '../moodle/index.js';
import type { MoodleCaller, MoodleUser } from '../moodle/types.js';
import type { Action, ActionOf } from '../plan/types.js';
import { DEFAULT_APPLY_OPTIONS, applyPlan } from './index.js';
import { resolvePersons } from '../entities/persons/lookup.js';
import type { ApplyOptions, ApplyProgress, Outcome } from './types.js';
import { FakeLedger } from '../../test/fake-ledger.js';
import { lockLostError } from '../ledger/errors.js';
import type { LinkWrite } from '../ledger/types.js';

/** A ledger whose writer lock is lost after `writes` link writes: noticed by lockLost(), or (`throws`) by the next write. */
class LostLockLedger extends FakeLedger {
  private done = 0;
  constructor(
    private readonly allowed: number,
    private readonly throws = false,
  ) {
    super();
  }
  override async writeLinks(links: readonly LinkWrite[]): Promise<void> {
    if (this.done >= this.allowed && this.throws) throw lockLostError(this.path, 'the connection closed');
    this.done++;
    return super.writeLinks(links);
  }
  lockLost(): string | null {
    return !this.throws && this.done >= this.allowed ? 'the connection closed' : null;
  }
}

// ── fakes ─────────────────────────────────────────────────────────────────────────────────────────────────────

type Fault = { fn: string; mode: 'fail' | 'refused' | 'pass' | 'commit-then-timeout' | 'maintenance' | 'truncate' };
type Params = Record<string, unknown>;
type FakeUser = MoodleUser & { city?: string; email?: string };

const moodleError = (errorcode: string, message: string, debuginfo?: string): MoodleError =>
  new MoodleError('fake', { exception: 'core\\exception\\moodle_exception', errorcode, message, ...(debuginfo ? { debuginfo } : {}) });

/** In-memory Moodle: create/delete all-or-nothing, update per record with warnings, programmable transient faults. */
class FakeMoodle implements MoodleCaller {
  readonly users = new Map<number, FakeUser>();
  readonly calls: { fn: string; params: Params }[] = [];
  readonly faults: Fault[] = [];
  latencyMs = 0;
  /** When set, a call's latency from the calls in flight as it starts (itself included), instead of latencyMs. */
  latencyWith?: (inFlight: number) => number;
  inFlight = 0;
  maxInFlight = 0;
  private nextId = 100;

  addUser(u: Partial<FakeUser> & { username: string }): FakeUser {
    const user: FakeUser = { id: this.nextId++, suspended: false, ...u };
    this.users.set(user.id, user);
    return user;
  }

  callsOf(fn: string): Params[] {
    return this.calls.filter((c) => c.fn === fn).map((c) => c.params);
  }

  async call<T>(fn: string, params: Params): Promise<T> {
    this.calls.push({ fn, params: structuredClone(params) });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.latencyWith?.(this.inFlight) ?? this.latencyMs));
      const i = this.faults.findIndex((f) => f.fn === fn);
      const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
      if (fault?.mode === 'fail') throw new TransientError('http-status', 'HTTP 503', 503);
      if (fault?.mode === 'refused') throw new TransientError('network', 'connection failed (ECONNREFUSED)', undefined, false);
      if (fault?.mode === 'maintenance') throw moodleError('sitemaintenance', 'Site is in maintenance');
      // PHP max_input_vars cutting on a record boundary: the trailing records vanish and the call succeeds.
      if (fault?.mode === 'truncate') params = { ...params, users: (params.users as unknown[]).slice(0, Math.ceil((params.users as unknown[]).length / 2)) };
      const reply = this.handle(fn, params);
      if (fault?.mode === 'commit-then-timeout') throw new TransientError('timeout', 'no answer in time');
      return reply as T;
    } finally {
      this.inFlight--;
    }
  }

  private handle(fn: string, params: Params): unknown {
    switch (fn) {
      case 'core_user_create_users': {
        const input = params.users as FakeUser[];
        const taken = new Set([...this.users.values()].map((u) => u.username));
        for (const u of input) {
          if (!u.email?.includes('@')) throw moodleError('invalidparameter', 'Invalid parameter value detected', `Email address is invalid: ${u.email}`);
          if (taken.has(u.username)) throw moodleError('invalidparameter', 'Invalid parameter value detected', `Username already exists: ${u.username}`);
          // A MySQL site still on utf8 (not utf8mb4) refuses 4-byte characters such as emoji.
          if (/\p{Extended_Pictographic}/u.test(u.city ?? '')) throw moodleError('dmlwriteexception', 'Error writing to database');
          if ((u as { password?: string }).password === 'weak') throw moodleError('<div>Too weak</div>', 'error/weak', `the value is "weak"`);
          taken.add(u.username);
        }
        return input.map((u) => {
          const { password: _pw, createpassword: _cp, customfields: _cf, ...rest } = u as FakeUser & Params;
          return this.addUser({ ...rest, username: u.username });
        }).map((u) => ({ id: u.id, username: u.username }));
      }
      case 'core_user_update_users': {
        const warnings = [];
        for (const u of params.users as (Params & { id: number })[]) {
          const user = this.users.get(u.id);
          if (!user) warnings.push({ item: 'user', itemid: u.id, warningcode: 'invaliduserid', message: 'Invalid user ID' });
          else if (typeof u.email === 'string' && !u.email.includes('@'))
            warnings.push({ item: 'user', itemid: u.id, warningcode: 'useremailinvalid', message: 'error/useremailinvalid' });
          else {
            const { suspended, password: _pw, customfields: _cf, ...rest } = u;
            Object.assign(user, rest);
            if (suspended !== undefined) user.suspended = suspended === 1;
          }
        }
        return { warnings };
      }
      case 'core_user_delete_users': {
        const ids = params.userids as number[];
        for (const id of ids) {
          if (id === 2) throw moodleError('useradminodelete', 'Administrator accounts cannot be deleted.');
          if (!this.users.has(id)) throw moodleError('invaliduser', 'Invalid user');
        }
        for (const id of ids) this.users.delete(id);
        return null;
      }
      case 'core_user_get_users_by_field': {
        const field = params.field as 'id' | 'username' | 'idnumber';
        const values = (params.values as (string | number)[]).map(String);
        for (const v of values) {
          if (field === 'username' && v !== v.toLowerCase().replace(/[^a-z0-9_.@-]/g, '')) {
            throw moodleError('invalidparameter', 'Invalid parameter value detected', `The field 'username' value is invalid: ${v}`);
          }
        }
        return [...this.users.values()].filter((u) => values.includes(String(u[field])));
      }
      default:
        throw moodleError('invalidrecord', `Can't find data record in database table external_functions.`);
    }
  }
}


// ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────────

const OPTIONS: ApplyOptions = { ...DEFAULT_APPLY_OPTIONS, backoffMs: 1 };

function person(n: number, extra: Partial<PersonRecord['fields']> = {}, more: Partial<PersonRecord> = {}): PersonRecord {
  return {
    key: `K${n}`,
    fields: { username: `user${n}`, firstname: `First${n}`, lastname: 'Test', email: `user${n}@example.org`, idnumber: `K${n}`, ...extra },
    ...more,
  };
}

function action(kind: Action['kind'], record: PersonRecord | undefined, more: Partial<ActionOf<'persons'>> = {}): ActionOf<'persons'> {
  return {
    kind,
    entity: 'persons',
    key: record?.key ?? more.key ?? 'K?',
    line: 2,
    record,
    dataSource: 'SIS',
    reason: 'test',
    hash: `h-${record?.key ?? more.key}`,
    status: 'active',
    ...more,
  };
}

const apply = (actions: Action[], moodle: FakeMoodle, ledger = new FakeLedger(), options: Partial<ApplyOptions> = {}, extra: { onProgress?: (p: ApplyProgress) => void; signal?: AbortSignal } = {}) =>
  applyPlan({ actions }, { client: moodle, ledger, runId: 'run-1', options: { ...OPTIONS, ...options }, ...extra });

// ── applyPlan ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('applyPlan: creates', () => {
  it('bisection isolates exactly 3 bad records of 200 in O(bad · log n) extra calls, creating the 197 good ones', async () => {
    const moodle = new FakeMoodle();
    const ledger = new FakeLedger();
    const bad = new Set([17, 88, 150]);
    const actions = Array.from({ length: 200 }, (_, i) => action('create', person(i, bad.has(i) ? { email: `broken${i}` } : {})));
    const outcomes = await apply(actions, moodle, ledger);

    expect(outcomes).toHaveLength(200);
    const failed = outcomes.filter((o) => o.outcome === 'failed');
    expect(failed.map((o) => o.key)).toEqual(['K17', 'K88', 'K150']);
    for (const o of failed) {
      expect(o.errorcode).toBe('invalidparameter');
      expect(o.message).toMatch(/^Invalid parameter value detected — Email address is invalid: broken\d+$/);
    }
    expect(outcomes.filter((o) => o.outcome === 'ok')).toHaveLength(197);
    expect(moodle.users.size).toBe(197);
    for (const o of outcomes.filter((x) => x.outcome === 'ok')) expect(moodle.users.get(o.moodleId!)?.username).toBe(`user${o.key.slice(1)}`);

    const createCalls = moodle.callsOf('core_user_create_users').length;
    const extra = createCalls - 200 / 50;
    // Each bad record costs about two calls per halving of its batch of 50.
    expect(extra).toBeLessThanOrEqual(3 * 2 * Math.ceil(Math.log2(50)));
    expect(extra).toBeGreaterThanOrEqual(3);
    expect(ledger.links.size).toBe(197);
    expect(ledger.links.get('persons/K0')).toMatchObject({ moodleId: outcomes[0].moodleId, hash: 'h-K0', status: 'active', dataSource: 'SIS', lastRun: 'run-1' });
  });

  it('records per call respect maxInputVars, counted from the actual records', async () => {
    const moodle = new FakeMoodle();
    // Rows of different sizes: every 3rd has 3 custom fields (6 more leaves).
    const actions = Array.from({ length: 60 }, (_, i) =>
      action('create', person(i, { city: 'Leeds' }, i % 3 === 0 ? { customfields: { a: '1', b: '2', c: '3' } } : {})),
    );
    const outcomes = await apply(actions, moodle, undefined, { maxInputVars: 100 });
    expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
    const calls = moodle.callsOf('core_user_create_users');
    for (const params of calls) expect(countFormVars(params) + 3).toBeLessThanOrEqual(100);
    // 7 leaves per plain row, 13 with custom fields: 540 leaves in calls of at most 97, packed tightly.
    const leaves = calls.reduce((n, p) => n + countFormVars(p), 0);
    expect(leaves).toBe(40 * 7 + 20 * 13);
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(leaves / 97) + 1);
    expect(calls.flatMap((p) => (p.users as Params[]).map((u) => u.username))).toHaveLength(60);
    expect(calls.every((p) => (p.users as unknown[]).length <= 50)).toBe(true);
  });

  it('fails a row that cannot fit the variable budget even alone, without calling Moodle for it', async () => {
    const moodle = new FakeMoodle();
    const big = person(1, {}, { customfields: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'x'])) });
    const outcomes = await apply([action('create', big), action('create', person(2))], moodle, undefined, { maxInputVars: 30 });
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', errorcode: 'too-many-fields' });
    expect(outcomes[1].outcome).toBe('ok');
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(1);
  });

  it('sends the password only when asked and the row has one; otherwise createpassword for internal auths; email from the template', async () => {
    const moodle = new FakeMoodle();
    await apply(
      [
        action('create', person(1, { password: 'Passw0rd!' }), { sendPassword: true }),
        action('create', person(2, { password: 'Passw0rd!' })),
        action('create', person(3, { auth: 'ldap', email: undefined })),
      ],
      moodle,
    );
    const users = moodle.callsOf('core_user_create_users')[0].users as Params[];
    expect(users[0]).toMatchObject({ password: 'Passw0rd!' });
    expect(users[0].createpassword).toBeUndefined();
    expect(users[1]).toMatchObject({ createpassword: 1 });
    expect(users[1].password).toBeUndefined();
    expect(users[2]).toMatchObject({ auth: 'ldap', email: 'user3@example.invalid' });
    expect(users[2].createpassword).toBeUndefined();
  });

  it('a suspended create is a create followed by update suspended=1', async () => {
    const moodle = new FakeMoodle();
    const ledger = new FakeLedger();
    const outcomes = await apply([action('create', person(1), { suspended: true, status: 'active' }), action('create', person(2))], moodle, ledger);
    expect(outcomes.map((o) => o.outcome)).toEqual(['ok', 'ok']);
    expect(moodle.calls.map((c) => c.fn)).toEqual(['core_user_create_users', 'core_user_update_users']);
    expect((moodle.callsOf('core_user_create_users')[0].users as Params[])[0].suspended).toBeUndefined();
    expect(moodle.callsOf('core_user_update_users')[0]).toEqual({ users: [{ id: outcomes[0].moodleId, suspended: 1 }] });
    expect(moodle.users.get(outcomes[0].moodleId!)?.suspended).toBe(true);
    expect(moodle.users.get(outcomes[1].moodleId!)?.suspended).toBe(false);
    // Linked first without a hash (crash safety), then with it once suspended.
    expect(ledger.writes.flat().filter((w) => w.key === 'K1').map((w) => w.hash)).toEqual([null, 'h-K1']);
  });

  it('retries transient failures with backoff and creates every row once', async () => {
    const moodle = new FakeMoodle();
    moodle.faults.push({ fn: 'core_user_create_users', mode: 'fail' }, { fn: 'core_user_create_users', mode: 'fail' });
    const outcomes = await apply(Array.from({ length: 5 }, (_, i) => action('create', person(i))), moodle);
    expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
    expect(moodle.users.size).toBe(5);
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(3);
  });

  it('after the last try the rows fail as transient, and nothing was created', async () => {
    const moodle = new FakeMoodle();
    for (let i = 0; i < 10; i++) moodle.faults.push({ fn: 'core_user_create_users', mode: 'fail' });
    const ledger = new FakeLedger();
    const outcomes = await apply([action('create', person(1)), action('create', person(2))], moodle, ledger, { retries: 3 });
    expect(outcomes.map((o) => [o.outcome, o.errorcode])).toEqual([
      ['failed', 'transient'],
      ['failed', 'transient'],
    ]);
    expect(outcomes[0].message).toMatch(/HTTP 503 \(gave up after 3 tries\)/);
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(3);
    expect(moodle.users.size).toBe(0);
    expect(ledger.links.size).toBe(0);
  });

  it('a site that stops answering: once nothing has gone through for a whole retry schedule, the rest fail at once', async () => {
    const moodle = new FakeMoodle();
    for (let i = 0; i < 1000; i++) moodle.faults.push({ fn: 'core_user_create_users', mode: 'fail' });
    // Each failing call takes a while (a hanging site), so the outage outlasts one retry schedule quickly.
    moodle.latencyMs = 15;
    const outcomes = await apply(Array.from({ length: 80 }, (_, i) => action('create', person(i))), moodle, new FakeLedger(), { retries: 4, batchSize: 5, concurrency: 1, backoffMs: 10 });
    expect(outcomes.every((o) => o.outcome === 'failed' && o.errorcode === 'transient')).toBe(true);
    expect(outcomes.filter((o) => /Moodle stopped answering/.test(o.message ?? '')).length).toBeGreaterThan(40);
    // Far fewer than 16 batches × 4 tries.
    expect(moodle.callsOf('core_user_create_users').length).toBeLessThan(16);
  });

  it('the circuit breaker: after breakerFailures transient failures in a row no call is sent, and every row not applied says circuit-open', async () => {
    const moodle = new FakeMoodle();
    for (let i = 0; i < 1000; i++) moodle.faults.push({ fn: 'core_user_create_users', mode: 'refused' });
    const outcomes = await apply(Array.from({ length: 60 }, (_, i) => action('create', person(i))), moodle, new FakeLedger(), { retries: 20, batchSize: 5, concurrency: 1, backoffMs: 0, breakerFailures: 3 });
    expect(outcomes.every((o) => o.outcome === 'failed' && o.errorcode === 'circuit-open')).toBe(true);
    expect(outcomes[0].message).toMatch(/^3 Moodle calls in a row failed \(moodle.breakerFailures = 3\), the last: connection failed \(ECONNREFUSED\); not sent$/);
    // The breaker's three calls and none after (20 tries of each of 12 batches without it).
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(3);
    expect(outcomes.at(-1)!.message).toMatch(/; not sent$/);
  });

  it('a writer lock lost before the run sends: no call goes out, every row says ledger-lock-lost, not sent', async () => {
    const moodle = new FakeMoodle();
    const outcomes = await apply(Array.from({ length: 20 }, (_, i) => action('create', person(i))), moodle, new LostLockLedger(0), { batchSize: 5, concurrency: 1 });
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(0);
    expect(outcomes.every((o) => o.outcome === 'failed' && o.errorcode === 'ledger-lock-lost')).toBe(true);
    expect(outcomes[0].message).toBe('The writer lock on the ledger :memory: was lost (the connection closed): this run stopped writing; another process may hold the lock now; not sent');
  });

  it('a writer lock lost in a write after a call: the rows Moodle took fail as unrecorded (for the tryback), no new call goes out', async () => {
    const moodle = new FakeMoodle();
    const outcomes = await apply(Array.from({ length: 40 }, (_, i) => action('create', person(i))), moodle, new LostLockLedger(1, true), { batchSize: 5, concurrency: 1 });
    // The first batch recorded; the calls already on their way when the second's write failed were answered but not
    // recorded; every other row was never sent.
    const calls = moodle.callsOf('core_user_create_users').length;
    const unrecorded = outcomes.filter((o) => o.errorcode === 'ledger-lock-lost' && /Moodle took this row, the ledger did not record it/.test(o.message ?? ''));
    const notSent = outcomes.filter((o) => o.errorcode === 'ledger-lock-lost' && /; not sent$/.test(o.message ?? ''));
    expect(outcomes.slice(0, 5).every((o) => o.outcome === 'ok')).toBe(true);
    expect(unrecorded.length).toBe(5 * (calls - 1));
    expect(unrecorded.every((o) => o.moodleId !== undefined)).toBe(true);
    expect(notSent.length).toBe(40 - 5 * calls);
    expect(notSent.length).toBeGreaterThan(0);
  });

  it('the breaker counts failures in a row only: a call that goes through starts the count again', async () => {
    const moodle = new FakeMoodle();
    // Two failures, then a call that goes through, six times over: never three in a row (whichever batch each call is).
    for (let i = 0; i < 6; i++) {
      moodle.faults.push({ fn: 'core_user_create_users', mode: 'refused' }, { fn: 'core_user_create_users', mode: 'refused' }, { fn: 'core_user_create_users', mode: 'pass' });
    }
    const outcomes = await apply(Array.from({ length: 12 }, (_, i) => action('create', person(i))), moodle, new FakeLedger(), { retries: 20, batchSize: 2, concurrency: 1, backoffMs: 0, breakerFailures: 3 });
    expect(outcomes.filter((o) => o.outcome !== 'ok')).toEqual([]);
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(18);
  });

  it('a call that committed and then timed out creates each row exactly once (usernames looked up before resending)', async () => {
    const moodle = new FakeMoodle();
    moodle.faults.push({ fn: 'core_user_create_users', mode: 'commit-then-timeout' }, { fn: 'core_user_create_users', mode: 'commit-then-timeout' });
    const ledger = new FakeLedger();
    const actions = Array.from({ length: 30 }, (_, i) => action('create', person(i)));
    const outcomes = await apply(actions, moodle, ledger, { batchSize: 10 });
    expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
    expect(moodle.users.size).toBe(30);
    const sent = moodle.callsOf('core_user_create_users').flatMap((p) => (p.users as Params[]).map((u) => u.username));
    expect(sent).toHaveLength(30);
    expect(new Set(sent).size).toBe(30);
    for (const o of outcomes) expect(moodle.users.get(o.moodleId!)?.username).toBe(`user${o.key.slice(1)}`);
    expect(moodle.callsOf('core_user_get_users_by_field').length).toBeGreaterThanOrEqual(2);
    expect(ledger.links.size).toBe(30);
  });

  it('a reply shorter than the request (input cut by the site) keeps what landed and re-sends only the rest', async () => {
    const moodle = new FakeMoodle();
    moodle.faults.push({ fn: 'core_user_create_users', mode: 'truncate' });
    const outcomes = await apply(Array.from({ length: 10 }, (_, i) => action('create', person(i))), moodle);
    expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
    expect(moodle.users.size).toBe(10);
    const sent = moodle.callsOf('core_user_create_users').slice(1).flatMap((p) => (p.users as Params[]).map((u) => u.username));
    expect(sent.sort()).toEqual(['user5', 'user6', 'user7', 'user8', 'user9']);
  });

  it('a create keyed by username (no idnumber) whose username Moodle has adopts that account, whatever its idnumber', async () => {
    const moodle = new FakeMoodle();
    const taken = moodle.addUser({ username: 'user1', idnumber: 'SET-BY-ANOTHER-TOOL' });
    const byUsername = (n: number): PersonRecord => ({ ...person(n, { idnumber: undefined, city: 'York' }), key: `user${n}` });
    const outcomes = await apply([action('create', byUsername(1)), action('create', byUsername(2))], moodle);
    expect(outcomes.map((o) => [o.key, o.outcome, o.errorcode])).toEqual([
      ['user1', 'ok', undefined],
      ['user2', 'ok', undefined],
    ]);
    expect(outcomes[0]).toMatchObject({ moodleId: taken.id, message: `adopted Moodle user ${taken.id} (found by username)` });
    expect(moodle.users.get(taken.id)).toMatchObject({ city: 'York', idnumber: 'SET-BY-ANOTHER-TOOL' });
    expect([...moodle.users.values()].filter((u) => u.username === 'user1')).toHaveLength(1);
  });

  it('retries site maintenance and transient update failures', async () => {
    const moodle = new FakeMoodle();
    const u = moodle.addUser({ username: 'user1' });
    moodle.faults.push({ fn: 'core_user_update_users', mode: 'maintenance' }, { fn: 'core_user_update_users', mode: 'commit-then-timeout' });
    const outcomes = await apply([action('update', person(1, { city: 'York' }), { moodleId: u.id })], moodle);
    expect(outcomes[0]).toMatchObject({ outcome: 'ok', moodleId: u.id });
    expect(moodle.callsOf('core_user_update_users')).toHaveLength(3);
    expect(moodle.users.get(u.id)?.city).toBe('York');
  });

  it('a database error that persists through every try is bisected down to the record that causes it', async () => {
    const moodle = new FakeMoodle();
    const actions = Array.from({ length: 8 }, (_, i) => action('create', person(i, i === 5 ? { city: 'Leeds 😀' } : {})));
    const outcomes = await apply(actions, moodle, undefined, { retries: 2 });
    expect(outcomes.filter((o) => o.outcome === 'failed').map((o) => [o.key, o.errorcode])).toEqual([['K5', 'dmlwriteexception']]);
    expect(moodle.users.size).toBe(7);
  });

  it('never reports a password, even when Moodle quotes it', async () => {
    const moodle = new FakeMoodle();
    const outcomes = await apply([action('create', person(1, { password: 'weak' }), { sendPassword: true })], moodle);
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', errorcode: '<div>Too weak</div>' });
    expect(JSON.stringify(outcomes)).not.toContain('"weak"');
    expect(outcomes[0].message).toContain('********');
  });

  it('a value longer than its Moodle column fails its row before sending; the batch goes without it', async () => {
    const moodle = new FakeMoodle();
    const actions = Array.from({ length: 4 }, (_, i) => action('create', person(i, i === 2 ? { city: 'x'.repeat(121) } : {})));
    const outcomes = await apply(actions, moodle);
    expect(outcomes.filter((o) => o.outcome === 'failed')).toEqual([
      { line: 2, type: 'persons', key: 'K2', action: 'create', outcome: 'failed', errorcode: 'field-too-long', message: 'city is 121 characters; Moodle allows at most 120' },
    ]);
    expect(moodle.users.size).toBe(3);
    expect(moodle.callsOf('core_user_create_users')).toHaveLength(1);
  });

  it('fails rows the planner could not build locally, without calling Moodle', async () => {
    const moodle = new FakeMoodle();
    const outcomes = await apply([action('create', person(1, { lastname: undefined })), action('create', person(2, { password: undefined }))], moodle, undefined, {
      createPasswordWhenMissing: false,
    });
    expect(outcomes.map((o) => o.errorcode)).toEqual(['missing-value', 'missing-password']);
    expect(moodle.calls).toHaveLength(0);
  });
});

describe('applyPlan: updates, relinks, deletes', () => {
  it('maps per-record warnings back to rows by id; only confirmed rows are linked', async () => {
    const moodle = new FakeMoodle();
    const ledger = new FakeLedger();
    const a = moodle.addUser({ username: 'user1' });
    const b = moodle.addUser({ username: 'user2' });
    const outcomes = await apply(
      [
        action('update', person(1, { city: 'York' }), { moodleId: a.id }),
        action('update', person(2, { email: 'bad-email' }), { moodleId: b.id }),
        action('disable', undefined, { key: 'K9', moodleId: a.id, status: 'disabled', hash: undefined }),
      ],
      moodle,
      ledger,
    );
    expect(outcomes.map((o) => [o.outcome, o.errorcode])).toEqual([
      ['ok', undefined],
      ['failed', 'useremailinvalid'],
      ['ok', undefined],
    ]);
    const sent = moodle.callsOf('core_user_update_users')[0].users as Params[];
    expect(sent[0]).toMatchObject({ id: a.id, username: 'user1', city: 'York' });
    expect(sent[0].password).toBeUndefined();
    expect(sent[2]).toEqual({ id: a.id, suspended: 1 });
    expect([...ledger.links.keys()].sort()).toEqual(['persons/K1', 'persons/K9']);
    expect(ledger.links.get('persons/K9')).toMatchObject({ status: 'disabled', hash: null });
  });

  it('relinks stale links: re-adopts an account found again, re-creates a missing one, refuses to re-create a MOODLE_ID row', async () => {
    const moodle = new FakeMoodle();
    const ledger = new FakeLedger();
    const again = moodle.addUser({ username: 'user1', idnumber: 'K1' });
    const outcomes = await apply(
      [
        action('update', person(1, { city: 'Hull' }), { moodleId: 9001 }),
        action('enable', person(2), { moodleId: 9002, suspended: false }),
        action('update', person(3, {}, { moodleId: 9003 }), { moodleId: 9003 }),
        action('disable', undefined, { key: 'K4', moodleId: 9004, status: 'disabled' }),
      ],
      moodle,
      ledger,
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['relinked', 'relinked', 'failed', 'ok']);
    expect(outcomes[0].moodleId).toBe(again.id);
    expect(moodle.users.get(again.id)?.city).toBe('Hull');
    const recreated = moodle.users.get(outcomes[1].moodleId!);
    expect(recreated?.username).toBe('user2');
    expect(outcomes[2]).toMatchObject({
      errorcode: 'invaliduserid',
      message: "Moodle user 9003 no longer exists: clear the SIS's Moodle id to have the account re-created",
    });
    expect(outcomes[3].message).toMatch(/no longer exists; link dropped/);
    expect(ledger.dropped.sort()).toEqual(['K1', 'K2', 'K3', 'K4']);
    expect(ledger.links.get('persons/K1')?.moodleId).toBe(again.id);
    expect(ledger.links.get('persons/K2')?.moodleId).toBe(recreated?.id);
    expect(ledger.links.has('persons/K3')).toBe(false);
  });

  it('deletes in all-or-nothing batches, isolates the refused id and drops the deleted links', async () => {
    const moodle = new FakeMoodle();
    const ledger = new FakeLedger();
    const users = Array.from({ length: 6 }, (_, i) => moodle.addUser({ username: `user${i}` }));
    await ledger.writeLinks(users.map((u, i) => ({ entity: 'persons', key: `K${i}`, moodleId: u.id, dataSource: null, hash: null, status: 'active', runId: 'r0' })));
    const actions = users.map((u, i) => action('delete', undefined, { key: `K${i}`, moodleId: u.id }));
    actions.splice(3, 0, action('delete', undefined, { key: 'ADMIN', moodleId: 2 }), action('delete', undefined, { key: 'GONE', moodleId: 4242 }));
    const outcomes = await apply(actions, moodle, ledger);
    expect(outcomes.map((o) => `${o.key}:${o.outcome}:${o.errorcode ?? ''}`)).toEqual([
      'K0:ok:',
      'K1:ok:',
      'K2:ok:',
      'ADMIN:failed:useradminodelete',
      'GONE:ok:',
      'K3:ok:',
      'K4:ok:',
      'K5:ok:',
    ]);
    expect(moodle.users.size).toBe(0);
    expect(ledger.links.size).toBe(0);
  });

  it('marks unchanged rows as seen and reports planned failures without calling Moodle', async () => {
    const moodle = new FakeMoodle();
    const ledger = new FakeLedger();
    const progress: ApplyProgress[] = [];
    const outcomes = await apply(
      [action('unchanged', person(1), { moodleId: 7 }), action('fail', person(2), { error: { code: 'duplicate-key', message: 'Key K2 is also on line 3' } })],
      moodle,
      ledger,
      {},
      { onProgress: (p) => progress.push(p) },
    );
    expect(outcomes).toEqual([
      { line: 2, type: 'persons', key: 'K1', action: 'unchanged', outcome: 'unchanged', moodleId: 7 },
      { line: 2, type: 'persons', key: 'K2', action: 'fail', outcome: 'failed', errorcode: 'duplicate-key', message: 'Key K2 is also on line 3' },
    ]);
    expect(ledger.seen).toEqual(['K1']);
    expect(moodle.calls).toHaveLength(0);
    expect(progress.at(-1)).toEqual({ done: 2, total: 2, failed: 1 });
  });
});

describe('applyPlan: outcomes to a sink', () => {
  it('with onOutcome, the outcomes a return would give go there one by one in the plan order (a read-back warning too), and none is returned', async () => {
    const plan = (): Action[] => [
      action('unchanged', person(0), { moodleId: 7 }),
      ...Array.from({ length: 12 }, (_, i) => action('create', person(i + 1))),
      action('fail', person(20), { error: { code: 'duplicate-key', message: 'Key K20 is also on line 3' } }),
      action('create', person(21, { email: 'not-an-email' })),
    ];
    const timedOut = (): FakeMoodle => {
      const moodle = new FakeMoodle();
      moodle.faults.push({ fn: 'core_user_create_users', mode: 'commit-then-timeout' });
      return moodle;
    };
    const returned = await apply(plan(), timedOut(), new FakeLedger(), { batchSize: 5 });
    const sunk: Outcome[] = [];
    let waited = 0;
    const none = await applyPlan(
      { actions: plan() },
      {
        client: timedOut(),
        ledger: new FakeLedger(),
        runId: 'r1',
        options: { ...DEFAULT_APPLY_OPTIONS, backoffMs: 1, batchSize: 5 },
        // Every third outcome asks to wait, as rows.csv does when its stream is full.
        onOutcome: (o) => {
          sunk.push(o);
          return sunk.length % 3 === 0 ? new Promise<void>((r) => setTimeout(() => r(void waited++), 1)) : undefined;
        },
      },
    );
    expect(none).toEqual([]);
    expect(sunk).toEqual(returned);
    expect(sunk.map((o) => o.key)).toEqual(plan().map((a) => a.key));
    expect(sunk.some((o) => o.outcome === 'ok' && o.message?.includes('saved in Moodle (read back)'))).toBe(true);
    expect(sunk.map((o) => o.outcome)).toEqual(['unchanged', ...Array(12).fill('ok'), 'failed', 'failed']);
    expect(waited).toBe(5);
  });
});

describe('applyPlan: concurrency, progress, stopping', () => {
  it('under a rate limit (whose wait lengthens every call) concurrency stays at the cap instead of shrinking on latency', async () => {
    const inFlightAfterSlowdown = async (options: Partial<ApplyOptions>): Promise<number> => {
      const moodle = new FakeMoodle();
      moodle.latencyMs = 1;
      let measuring = false;
      const outcomes = await apply(Array.from({ length: 200 }, (_, i) => action('create', person(i))), moodle, undefined, { batchSize: 5, concurrency: 4, ...options }, {
        onProgress: (p) => {
          // After the first batches, each call takes far longer, the more so the more calls are in flight: what a
          // call waiting for the rate looks like, or a site overloaded. The limiter has had several slow calls to
          // react to by the time half the rows are in: measured from there.
          if (p.done >= 20) moodle.latencyWith = (n) => 20 * n * n;
          if (!measuring && p.done >= 100) {
            measuring = true;
            moodle.maxInFlight = moodle.inFlight;
          }
        },
      });
      expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
      return moodle.maxInFlight;
    };
    expect(await inFlightAfterSlowdown({ maxRequestsPerSecond: 50 })).toBe(4);
    // Without a rate limit the same slowdown is the site's: the limiter backs off.
    expect(await inFlightAfterSlowdown({})).toBeLessThan(4);
  });

  it.each([1, 3])('adaptive concurrency never exceeds the cap (%i)', async (cap) => {
    const moodle = new FakeMoodle();
    moodle.latencyMs = 3;
    const progress: ApplyProgress[] = [];
    const outcomes = await apply(
      Array.from({ length: 300 }, (_, i) => action('create', person(i))),
      moodle,
      undefined,
      { batchSize: 10, concurrency: cap },
      { onProgress: (p) => progress.push(p) },
    );
    expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
    expect(moodle.maxInFlight).toBeLessThanOrEqual(cap);
    expect(moodle.maxInFlight).toBeGreaterThanOrEqual(Math.min(cap, 2));
    expect(progress.at(-1)).toEqual({ done: 300, total: 300, failed: 0 });
    expect(progress.length).toBeGreaterThanOrEqual(30);
  });

  it('stops calling Moodle after a token or service error and fails every row with it', async () => {
    const moodle = new FakeMoodle();
    moodle.call = async () => {
      moodle.calls.push({ fn: 'x', params: {} });
      throw moodleError('invalidtoken', 'Invalid token - token not found');
    };
    const outcomes = await apply(Array.from({ length: 200 }, (_, i) => action('create', person(i))), moodle, undefined, { concurrency: 1 });
    expect(outcomes.every((o) => o.outcome === 'failed' && o.errorcode === 'invalidtoken')).toBe(true);
    expect(moodle.calls).toHaveLength(1);
  });

  it('an aborted run sends nothing more and fails the rest as aborted', async () => {
    const moodle = new FakeMoodle();
    const ctl = new AbortController();
    ctl.abort();
    const outcomes = await apply([action('create', person(1))], moodle, undefined, {}, { signal: ctl.signal });
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', errorcode: 'aborted' });
    expect(moodle.calls).toHaveLength(0);
  });
});

// ── resolvePersons ────────────────────────────────────────────────────────────────────────────────────────────

describe('resolvePersons', () => {
  it('matches by MOODLE_ID, then idnumber, then username; flags missing ids and ambiguous idnumbers', async () => {
    const moodle = new FakeMoodle();
    const byId = moodle.addUser({ username: 'a', idnumber: 'X1', suspended: true });
    const byIdnumber = moodle.addUser({ username: 'old-b', idnumber: 'K2' });
    moodle.addUser({ username: 'c1', idnumber: 'K3' });
    moodle.addUser({ username: 'c2', idnumber: 'K3' });
    const byUsername = moodle.addUser({ username: 'user4' });
    const records = [
      person(1, {}, { moodleId: byId.id }),
      person(2),
      person(3),
      person(4),
      person(5),
      person(6, {}, { moodleId: 999999 }),
    ];
    const result = await resolvePersons(moodle, records);
    expect(result.get('K1')).toEqual({ match: { id: byId.id, suspended: true, via: 'moodle-id' } });
    expect(result.get('K2')).toEqual({ match: { id: byIdnumber.id, suspended: false, via: 'idnumber' } });
    expect(result.get('K3')?.ambiguous).toMatch(/idnumber K3 belongs to 2 Moodle users/);
    expect(result.get('K4')).toEqual({ match: { id: byUsername.id, suspended: false, via: 'username' } });
    expect(result.get('K5')).toEqual({});
    expect(result.get('K6')).toEqual({ moodleIdMissing: true });
    // One call per field: ids, idnumbers, then usernames only for the unresolved.
    expect(moodle.callsOf('core_user_get_users_by_field')).toEqual([
      { field: 'id', values: [String(byId.id), '999999'] },
      { field: 'idnumber', values: ['K2', 'K3', 'K4', 'K5'] },
      { field: 'username', values: ['user4', 'user5'] },
    ]);
  });

  it('does not let one username Moodle refuses to clean fail the lookup of the others', async () => {
    const moodle = new FakeMoodle();
    const ok = moodle.addUser({ username: 'user1' });
    const records = [person(1), person(2, { username: 'Upper' }), person(3, { username: 'has space' }), person(4, { username: 'bad#char' })];
    const result = await resolvePersons(moodle, records.map((r) => ({ ...r, fields: { ...r.fields, idnumber: undefined } })));
    expect(result.get('K1')?.match?.id).toBe(ok.id);
    expect(result.get('K4')).toEqual({});
    const sent = moodle.callsOf('core_user_get_users_by_field').flatMap((p) => p.values as string[]);
    // Upper case and spaces are never sent; the odd character is isolated by splitting the refused call.
    expect(sent).not.toContain('Upper');
    expect(sent).not.toContain('has space');
    expect(moodle.callsOf('core_user_get_users_by_field').at(-1)).toEqual({ field: 'username', values: ['bad#char'] });
  });

  it('looks rows keyed by username (no idnumber) up by username even when usernames are left to the applier', async () => {
    const moodle = new FakeMoodle();
    const jdoe = moodle.addUser({ username: 'jdoe', idnumber: 'S1001' });
    moodle.addUser({ username: 'user2' });
    const keyedByUsername: PersonRecord = { key: 'jdoe', fields: { username: 'jdoe', firstname: 'Jane', lastname: 'Doe' } };
    const result = await resolvePersons(moodle, [keyedByUsername, person(2)], { byUsername: false });
    expect(result.get('jdoe')).toEqual({ match: { id: jdoe.id, suspended: false, via: 'username' } });
    // A row with an idnumber Moodle lacks is still left to the applier's create.
    expect(result.get('K2')).toEqual({});
    expect(moodle.callsOf('core_user_get_users_by_field')).toEqual([
      { field: 'idnumber', values: ['K2'] },
      { field: 'username', values: ['jdoe'] },
    ]);
  });

  it('retries a transient lookup failure', async () => {
    const moodle = new FakeMoodle();
    moodle.addUser({ username: 'user1', idnumber: 'K1' });
    moodle.faults.push({ fn: 'core_user_get_users_by_field', mode: 'fail' });
    const result = await resolvePersons(moodle, [person(1)], { backoffMs: 1 });
    expect(result.get('K1')?.match?.via).toBe('idnumber');
  });

  it('throws errors that are not about a value (bad token)', async () => {
    const moodle = new FakeMoodle();
    moodle.call = () => Promise.reject(moodleError('invalidtoken', 'Invalid token - token not found'));
    await expect(resolvePersons(moodle, [person(1)])).rejects.toMatchObject({ errorcode: 'invalidtoken' });
  });
});
