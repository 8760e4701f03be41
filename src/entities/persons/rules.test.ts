import { describe, expect, it } from '@jest/globals';
import { ACTION_KINDS, defaultPlanOptions, emptyCounts, summarizePlan } from '../../plan/index.js';
import { PersonPlanner, planPersons } from './rules.js';
import { personContentHash } from './hash.js';
import type { Op, Plan, PlanOptions } from '../../plan/index.js';
import type { PersonAction, RowContext } from './rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { PersonRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────
const TS = '2026-01-01T00:00:00.000Z';

/** A SIS-dialect record as the feed makes it: the key in idnumber, availability Y unless the row says N. */
function person(key: string, username: string, first: string, last: string, extra: Partial<PersonRecord> = {}): PersonRecord {
  return { key, fields: { username, password: 'changeme', firstname: first, lastname: last, idnumber: key }, available: true, ...extra };
}

const alpha = () => person('testPerson1', 'aanderson_test', 'Alpha', 'Anderson');
const beta = () => person('testPerson2', 'bbrown_test', 'Beta', 'Brown');
const gamma = () => person('testPerson3', 'gcarlin_test', 'Gamma', 'Carlin');
const delta = () => person('testPerson4', 'ddarling_test', 'Delta', 'Darling');

function link(key: string, over: Partial<LedgerLink> = {}): LedgerLink {
  return { entity: 'persons', key, moodleId: 100, dataSource: 'SIS', hash: 'old', status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

/** The ledger after applying a plan (what apply/ would write), to chain the guide's examples. */
class FakeLedger {
  links = new Map<string, LedgerLink>();
  private nextId = 1000;
  ctx(r: PersonRecord): RowContext {
    const l = this.links.get(r.key);
    return l ? { link: l } : {};
  }
  active(ds: string | null): LedgerLink[] {
    return [...this.links.values()].filter((l) => l.status === 'active' && (ds === null || l.dataSource === ds));
  }
  apply(plan: Plan): void {
    for (const a of plan.actions) {
      if (a.kind === 'fail' || a.kind === 'unchanged') continue;
      if (a.kind === 'delete') {
        this.links.delete(a.key);
        continue;
      }
      const prev = this.links.get(a.key);
      this.links.set(a.key, link(a.key, {
        moodleId: a.moodleId ?? prev?.moodleId ?? this.nextId++,
        dataSource: a.dataSource,
        hash: a.hash ?? prev?.hash ?? null,
        status: a.status ?? 'active',
      }));
    }
  }
  plan(records: PersonRecord[], op: Op, options: Partial<PlanOptions<'persons'>> = {}): Plan {
    const o = defaultPlanOptions({ op, ...options });
    const scope = op === 'refresh-ds' ? o.dataSource : null;
    const plan = planPersons(records.map((r, i) => ({ item: { line: i + 2, record: r }, ctx: this.ctx(r) })), this.active(scope), o);
    this.apply(plan);
    return plan;
  }
}

const item = (record: PersonRecord, line = 2): FeedItem => ({ line, record });
const kinds = (plan: Plan) => plan.actions.map((a) => `${a.key}:${a.kind}`);
function one(record: PersonRecord, ctx: RowContext = {}, options: Partial<PlanOptions<'persons'>> & { op?: Op } = {}): PersonAction {
  const p = new PersonPlanner(defaultPlanOptions({ op: 'store', dataSource: 'SIS', ...options }));
  return p.add(item(record), ctx);
}

// ── options ─────────────────────────────────────────────────────────────────────────────────────────────────
describe('defaultPlanOptions', () => {
  it('fills the defaults and keeps what is given', () => {
    expect(defaultPlanOptions({ op: 'store' })).toEqual({
      entity: 'persons',
      op: 'store',
      dataSource: null,
      full: false,
      passwords: 'create-only',
      disable: 'suspend',
      guard: { maxPercent: 10, maxCount: 1000 },
      force: false,
    });
    const o = defaultPlanOptions({ op: 'refresh-ds', dataSource: 'SIS', full: true, guard: { maxPercent: 5, maxCount: 20 }, force: true });
    expect(o).toMatchObject({ op: 'refresh-ds', dataSource: 'SIS', full: true, guard: { maxPercent: 5, maxCount: 20 }, force: true });
  });

  it('emptyCounts has every kind at zero', () => {
    expect(emptyCounts()).toEqual(Object.fromEntries(ACTION_KINDS.map((k) => [k, 0])));
  });
});

// ── store rows ──────────────────────────────────────────────────────────────────────────────────────────────
describe('store: enabled rows', () => {
  it('creates a new person with its password, active, in the run data source', () => {
    const r = alpha();
    const a = one(r);
    expect(a).toEqual({
      kind: 'create',
      entity: 'persons',
      key: 'testPerson1',
      line: 2,
      dataSource: 'SIS',
      record: r,
      suspended: false,
      sendPassword: true,
      hash: personContentHash(r, 'create-only'),
      status: 'active',
      reason: 'new person',
    });
  });

  it('a create without a password does not send one; the row data source wins over the run one', () => {
    const r = alpha();
    delete r.fields.password;
    r.dataSource = 'HR';
    expect(one(r)).toMatchObject({ kind: 'create', sendPassword: false, dataSource: 'HR' });
  });

  it('a create needs username, firstname and lastname (not email)', () => {
    const r = person('k', 'u', 'F', 'L');
    delete r.fields.firstname;
    delete r.fields.lastname;
    const a = one(r);
    expect(a.kind).toBe('fail');
    expect(a.error).toEqual({ code: 'missing-value', message: 'firstname, lastname are empty: a new account needs username, firstname and lastname' });
    const noUser = person('k', 'u', 'F', 'L');
    delete noUser.fields.username;
    expect(one(noUser).error?.message).toMatch(/^username is empty/);
    expect(one(person('k', 'u', 'F', 'L')).kind).toBe('create');
  });

  it('AVAILABLE_IND=N creates suspended, without disabling', () => {
    const a = one({ ...alpha(), available: false });
    expect(a).toMatchObject({ kind: 'create', suspended: true, status: 'active' });
    expect(one({ ...alpha(), available: true })).toMatchObject({ suspended: false });
  });

  it('linked, same hash → unchanged; different → update; --full → update', () => {
    const r = alpha();
    const h = personContentHash(r, 'create-only');
    expect(one(r, { link: link(r.key, { hash: h, moodleId: 7 }) })).toEqual({
      kind: 'unchanged',
      entity: 'persons',
      key: r.key,
      line: 2,
      dataSource: 'SIS',
      moodleId: 7,
      reason: 'same content',
    });
    expect(one(r, { link: link(r.key, { hash: 'other' }) })).toMatchObject({ kind: 'update', reason: 'content changed', moodleId: 100, record: r, hash: h, status: 'active', sendPassword: false });
    expect(one(r, { link: link(r.key, { hash: null }) })).toMatchObject({ kind: 'update', reason: 'no content hash in the ledger' });
    expect(one(r, { link: link(r.key, { hash: h }) }, { full: true })).toMatchObject({ kind: 'update', reason: 'full re-send' });
  });

  it('a person owned by another data source is refused (data-source-mismatch); one linked without a data source is claimed; a row without one keeps the link’s', () => {
    const r = { ...alpha(), dataSource: 'HR' };
    const h = personContentHash(r, 'create-only');
    expect(one(r, { link: link(r.key, { hash: h, dataSource: 'SIS' }) })).toMatchObject({ kind: 'fail', error: { code: 'data-source-mismatch' } });
    expect(one(r, { link: link(r.key, { hash: h, dataSource: null }) })).toMatchObject({ kind: 'update', dataSource: 'HR', reason: 'data source changed (none → HR)' });
    const plain = alpha();
    expect(one(plain, { link: link(plain.key, { hash: h, dataSource: 'HR' }) }, { dataSource: null })).toMatchObject({ kind: 'unchanged', dataSource: 'HR' });
  });

  it('passwords: always re-sends the password on update/adopt/enable and counts it in the hash', () => {
    const r = alpha();
    const always = { passwords: 'always' as const, passwordKey: Buffer.alloc(32, 7) };
    const ha = personContentHash(r, 'always', always.passwordKey);
    expect(one(r, { link: link(r.key, { hash: ha }) }, always).kind).toBe('unchanged');
    expect(one(r, { link: link(r.key) }, always)).toMatchObject({ kind: 'update', sendPassword: true, hash: ha });
    expect(one(r, { match: { id: 5, suspended: false, via: 'username' } }, always)).toMatchObject({ kind: 'adopt', sendPassword: true });
    expect(one(r, { link: link(r.key, { status: 'disabled' }) }, always)).toMatchObject({ kind: 'enable', sendPassword: true });
    expect(one(r, { match: { id: 5, suspended: false, via: 'username' } })).toMatchObject({ kind: 'adopt', sendPassword: false });
  });

  it('linked and disabled → enable (suspended follows AVAILABLE_IND)', () => {
    const r = alpha();
    expect(one(r, { link: link(r.key, { status: 'disabled', moodleId: 9 }) })).toMatchObject({
      kind: 'enable',
      moodleId: 9,
      suspended: false,
      status: 'active',
      sendPassword: false,
      reason: 're-enable: back in the file',
    });
    expect(one({ ...r, available: false }, { link: link(r.key, { status: 'disabled' }) })).toMatchObject({ kind: 'enable', suspended: true });
  });

  it('not linked but found in Moodle → adopt, saying how it was found', () => {
    const adopted = one({ ...alpha(), available: undefined }, { match: { id: 55, suspended: false, via: 'idnumber' } });
    expect(adopted).toMatchObject({
      kind: 'adopt',
      moodleId: 55,
      status: 'active',
      reason: 'found in Moodle by idnumber (user 55): adopt',
    });
    // The row says nothing about availability (no AVAILABLE_IND / suspended column): the account's state is kept.
    expect(adopted.suspended).toBeUndefined();
    expect(one(alpha(), { match: { id: 55, suspended: true, via: 'idnumber' } }).suspended).toBe(false);
    expect(one({ ...alpha(), moodleId: 77 }, { match: { id: 77, suspended: true, via: 'moodle-id' } })).toMatchObject({
      kind: 'adopt',
      moodleId: 77,
      reason: 'found in Moodle by MOODLE_ID (user 77, suspended): adopt',
    });
  });

  it('a MOODLE_ID Moodle lacks fails the row, never a silent re-create', () => {
    const msg = "Moodle user 123 no longer exists: clear the SIS's Moodle id to have the account re-created";
    expect(one({ ...alpha(), moodleId: 123 }, { moodleIdMissing: true })).toMatchObject({ kind: 'fail', error: { code: 'moodle-id-missing', message: msg } });
    // No lookup result at all for a row with MOODLE_ID: same answer.
    expect(one({ ...alpha(), moodleId: 123 }, {})).toMatchObject({ kind: 'fail', error: { code: 'moodle-id-missing' } });
    // Under ROW_STATUS=disabled it would otherwise be created: same failure.
    expect(one({ ...alpha(), moodleId: 123, rowStatus: 'disabled' }, { moodleIdMissing: true })).toMatchObject({ error: { code: 'moodle-id-missing' } });
  });

  it('a MOODLE_ID that disagrees with the ledger link fails the row', () => {
    const a = one({ ...alpha(), moodleId: 5 }, { link: link('testPerson1', { moodleId: 6 }) });
    expect(a).toMatchObject({ kind: 'fail', moodleId: 6, error: { code: 'moodle-id-conflict' } });
    expect(a.error?.message).toContain('5 differs from Moodle user 6');
    expect(one({ ...alpha(), moodleId: 6 }, { link: link('testPerson1', { moodleId: 6 }) }).kind).toBe('update');
  });

  it("a MOODLE_ID linked to another key fails the row: two keys never share one account", () => {
    const a = one({ ...alpha(), moodleId: 5 }, { moodleIdLinkedTo: 'otherPerson', match: { id: 5, suspended: false, via: 'moodle-id' } });
    expect(a).toMatchObject({ kind: 'fail', error: { code: 'moodle-id-conflict' } });
    expect(a.error?.message).toBe("the file's Moodle id 5 is linked to the key otherPerson (Moodle user 5): nothing was changed; correct the SIS's Moodle id, or leave the cell empty");
  });

  it('a MOODLE_ID other than the record a look-up found by idnumber fails the row', () => {
    const a = one({ ...alpha(), moodleId: 5 }, { match: { id: 9, suspended: false, via: 'idnumber' } });
    expect(a).toMatchObject({ kind: 'fail', error: { code: 'moodle-id-conflict' } });
    expect(a.error?.message).toContain("the file's Moodle id 5 is not the account found in Moodle by idnumber (user 9)");
  });

  it('a row that confirms its link is unchanged, whatever its content hash; --full, a disabled link or another data source plan it as any row', () => {
    const confirmed = { link: link('testPerson1', { moodleId: 100 }), confirmed: true };
    expect(one({ ...alpha(), moodleId: 100 }, confirmed)).toMatchObject({
      kind: 'unchanged',
      moodleId: 100,
      reason: 'link confirmed: the row carries only its key, name and Moodle id',
    });
    expect(one({ ...alpha(), moodleId: 100 }, confirmed, { full: true }).kind).toBe('update');
    expect(one({ ...alpha(), moodleId: 100 }, { ...confirmed, link: link('testPerson1', { status: 'disabled' }) }).kind).toBe('enable');
    // A link without a data source that the row's DATA_SOURCE_KEY would own is re-owned: sent.
    expect(one({ ...alpha(), moodleId: 100, dataSource: 'HR' }, { ...confirmed, link: link('testPerson1', { dataSource: null }) }, { dataSource: null })).toMatchObject({ kind: 'update', reason: 'content changed' });
    // Without the confirmation the same row is content: its hash differs from the ledger's, so it is sent.
    expect(one({ ...alpha(), moodleId: 100 }, { link: link('testPerson1') }).kind).toBe('update');
    // A row that disables is never a confirmation.
    expect(one({ ...alpha(), moodleId: 100, rowStatus: 'disabled' }, confirmed).kind).toBe('disable');
  });

  it('an ambiguous lookup fails the row with the caller’s words', () => {
    expect(one(alpha(), { ambiguous: '2 Moodle users have idnumber testPerson1' })).toMatchObject({
      kind: 'fail',
      error: { code: 'ambiguous-match', message: '2 Moodle users have idnumber testPerson1' },
    });
  });
});

describe('store: ROW_STATUS disabled / deleted', () => {
  const disabled = () => ({ ...gamma(), rowStatus: 'disabled' as const });

  it('linked active → disable', () => {
    const r = disabled();
    expect(one(r, { link: link(r.key, { moodleId: 3 }) })).toMatchObject({
      kind: 'disable',
      moodleId: 3,
      suspended: true,
      status: 'disabled',
      record: r,
      hash: personContentHash(r, 'create-only'),
      reason: 'ROW_STATUS=disabled',
    });
  });

  it('linked disabled → unchanged (already disabled)', () => {
    const r = disabled();
    expect(one(r, { link: link(r.key, { status: 'disabled' }) })).toMatchObject({ kind: 'unchanged', reason: 'already disabled (ROW_STATUS=disabled)' });
  });

  it('not linked but matched → disable that Moodle user (it becomes owned)', () => {
    expect(one(disabled(), { match: { id: 31, suspended: false, via: 'username' } })).toMatchObject({
      kind: 'disable',
      moodleId: 31,
      status: 'disabled',
      suspended: true,
      reason: 'ROW_STATUS=disabled; found in Moodle by username (user 31)',
    });
  });

  it('not linked, not in Moodle → created disabled', () => {
    expect(one(disabled())).toMatchObject({ kind: 'create', suspended: true, status: 'disabled', sendPassword: true, reason: 'new person, created disabled (ROW_STATUS=disabled)' });
    const r = disabled();
    delete r.fields.lastname;
    expect(one(r)).toMatchObject({ kind: 'fail', error: { code: 'missing-value' } });
  });

  it('ROW_STATUS=deleted under store only disables, even with disable: delete', () => {
    const r = { ...gamma(), rowStatus: 'deleted' as const };
    expect(one(r, { link: link(r.key) }, { disable: 'delete' })).toMatchObject({ kind: 'disable', reason: 'ROW_STATUS=deleted (a store only disables)' });
  });
});

describe('delete rows', () => {
  it('disables linked or matched persons (suspend by default)', () => {
    const r = alpha();
    expect(one(r, { link: link(r.key, { moodleId: 4, hash: 'h' }) }, { op: 'delete' })).toMatchObject({
      kind: 'disable',
      moodleId: 4,
      suspended: true,
      status: 'disabled',
      hash: 'h',
      reason: 'delete',
    });
    expect(one(r, { match: { id: 8, suspended: false, via: 'idnumber' } }, { op: 'delete' })).toMatchObject({
      kind: 'disable',
      moodleId: 8,
      status: 'disabled',
      reason: 'delete; found in Moodle by idnumber (user 8)',
    });
    expect(one(r, { link: link(r.key, { status: 'disabled' }) }, { op: 'delete' })).toMatchObject({ kind: 'unchanged', reason: 'already disabled (delete)' });
  });

  it('not in Moodle → unchanged; a vanished MOODLE_ID → unchanged', () => {
    expect(one(alpha(), {}, { op: 'delete' })).toMatchObject({ kind: 'unchanged', reason: 'not in Moodle: nothing to disable' });
    expect(one({ ...alpha(), moodleId: 12 }, { moodleIdMissing: true }, { op: 'delete' })).toMatchObject({
      kind: 'unchanged',
      reason: 'Moodle user 12 no longer exists: nothing to disable',
    });
    expect(one(alpha(), { ambiguous: '2 Moodle users have username x' }, { op: 'delete' })).toMatchObject({ kind: 'fail', error: { code: 'ambiguous-match' } });
  });

  it('hard deletes with disable: delete (also an already disabled person), without a ledger status', () => {
    const r = alpha();
    const a = one(r, { link: link(r.key, { moodleId: 4 }) }, { op: 'delete', disable: 'delete' });
    expect(a).toMatchObject({ kind: 'delete', moodleId: 4, reason: 'delete (disable: delete configured)' });
    expect(a.status).toBeUndefined();
    expect(one(r, { link: link(r.key, { status: 'disabled' }) }, { op: 'delete', disable: 'delete' }).kind).toBe('delete');
    expect(one(r, { match: { id: 8, suspended: true, via: 'username' } }, { op: 'delete', disable: 'delete' })).toMatchObject({ kind: 'delete', moodleId: 8 });
    expect(one(r, {}, { op: 'delete', disable: 'delete' }).kind).toBe('unchanged');
  });

  it('ROW_STATUS is irrelevant under delete; ACTION=delete in a store file is an explicit delete', () => {
    const r = { ...alpha(), rowStatus: 'enabled' as const };
    expect(one(r, { link: link(r.key) }, { op: 'delete' }).kind).toBe('disable');
    const cmd = { ...alpha(), command: 'delete' as const };
    expect(one(cmd, { link: link(cmd.key) })).toMatchObject({ kind: 'disable', reason: 'ACTION=delete' });
    expect(one(cmd, { link: link(cmd.key) }, { disable: 'delete' }).kind).toBe('delete');
    // ACTION=store in a delete file stores.
    expect(one({ ...alpha(), command: 'store' }, {}, { op: 'delete' }).kind).toBe('create');
  });

  it('a refresh never hard-deletes, even for ACTION=delete rows', () => {
    const cmd = { ...alpha(), command: 'delete' as const };
    for (const op of ['refresh', 'refresh-ds'] as const) {
      expect(one(cmd, { link: link(cmd.key) }, { op, disable: 'delete' })).toMatchObject({ kind: 'disable', reason: 'ACTION=delete' });
    }
  });
});

describe('row errors and duplicate keys', () => {
  it('a row error becomes a fail with its code and message', () => {
    const p = new PersonPlanner(defaultPlanOptions({ op: 'store', dataSource: 'SIS' }));
    const a = p.add({ line: 7, error: { line: 7, key: 'k', code: 'short-row', message: 'the row has 4 cells, the header 5' } }, {});
    expect(a).toEqual({
      kind: 'fail',
      entity: 'persons',
      key: 'k',
      line: 7,
      dataSource: 'SIS',
      reason: 'the row has 4 cells, the header 5',
      error: { code: 'short-row', message: 'the row has 4 cells, the header 5' },
    });
    expect(p.add({ line: 8, error: { line: 8, code: 'invalid-encoding', message: 'bad bytes' } }, {}).key).toBe('');
  });

  it('the first occurrence of a key wins; later ones fail duplicate-key', () => {
    const plan = planPersons(
      [
        { item: item(alpha(), 2), ctx: {} },
        { item: item(beta(), 3), ctx: {} },
        { item: item({ ...alpha(), fields: { ...alpha().fields, email: 'x@y' } }, 4), ctx: {} },
        { item: { line: 5, error: { line: 5, key: 'testPerson3', code: 'short-row', message: 'short' } }, ctx: {} },
        { item: item(gamma(), 6), ctx: {} },
      ],
      [],
      defaultPlanOptions({ op: 'store' }),
    );
    expect(kinds(plan)).toEqual(['testPerson1:create', 'testPerson2:create', 'testPerson1:fail', 'testPerson3:fail', 'testPerson3:fail']);
    expect(plan.actions[2].error).toEqual({ code: 'duplicate-key', message: 'duplicate key, first seen on line 2' });
    expect(plan.actions[4].error).toEqual({ code: 'duplicate-key', message: 'duplicate key, first seen on line 5' });
    expect(plan.counts).toMatchObject({ create: 2, fail: 3 });
    expect(plan.rows).toBe(5);
  });
});

describe('refresh with rows that could not be read into a key', () => {
  const owned = ['k1', 'k2', 'k3', 'k4'].map((k) => link(k));
  const rows = (): { item: FeedItem; ctx: RowContext }[] => [
    { item: item({ key: 'k1', fields: { username: 'u1' } }, 2), ctx: { link: owned[0] } },
    { item: { line: 3, error: { line: 3, code: 'short-row', message: 'one value', keyUnread: true } }, ctx: {} },
    { item: { line: 5, error: { line: 5, code: 'unterminated-quote', message: 'never closed', keyUnread: true, endLine: 9 } }, ctx: {} },
  ];
  const guard = { maxPercent: 100, maxCount: 1000 };

  it('disables nothing and says why, for refresh and refresh-ds', () => {
    for (const op of ['refresh', 'refresh-ds'] as const) {
      const plan = planPersons(rows(), owned, defaultPlanOptions({ op, dataSource: 'SIS', guard }));
      expect(plan.actions.map((a) => a.kind)).not.toContain('disable');
      expect(plan.guard).toMatchObject({ owned: 4, toDisable: 3, refused: false, disablesSkipped: true, unreadable: { rows: 2, lines: '3, 5-9' } });
      expect(plan.guard?.message).toMatch(/^refresh disables nothing: 2 row\(s\) of the file could not be read into a key \(lines 3, 5-9\)/);
    }
  });

  it('--force disables them and the verdict says what it risked', () => {
    const plan = planPersons(rows(), owned, defaultPlanOptions({ op: 'refresh', dataSource: 'SIS', guard, force: true }));
    expect(plan.actions.filter((a) => a.kind === 'disable').map((a) => a.key)).toEqual(['k2', 'k3', 'k4']);
    expect(plan.guard).toMatchObject({ toDisable: 3, refused: false, forced: true, disablesSkipped: false });
    expect(plan.guard?.message).toMatch(/--force: disabled although 2 row\(s\) .* any of the 3 disabled may have been in those rows/);
  });

  it('a row error whose key was read does not stop the disables; a store ignores unread rows', () => {
    const keyed = [rows()[0], { item: { line: 3, error: { line: 3, key: 'k2', code: 'short-row' as const, message: 'short' } }, ctx: {} }];
    const plan = planPersons(keyed, owned, defaultPlanOptions({ op: 'refresh', dataSource: 'SIS', guard }));
    expect(plan.actions.filter((a) => a.kind === 'disable').map((a) => a.key)).toEqual(['k3', 'k4']);
    expect(plan.guard?.disablesSkipped).toBeUndefined();
    expect(planPersons(rows(), owned, defaultPlanOptions({ op: 'store', dataSource: 'SIS' })).guard).toBeNull();
  });
});

// ── the guide's examples as sequences ───────────────────────────────────────────────────────────────────────
describe('the snapshot guide’s person examples', () => {
  it('store creates three; a later store with one email leaves the others alone', () => {
    const ledger = new FakeLedger();
    const first = ledger.plan([alpha(), beta(), gamma()], 'store', { dataSource: 'SIS' });
    expect(kinds(first)).toEqual(['testPerson1:create', 'testPerson2:create', 'testPerson3:create']);
    expect(first.guard).toBeNull();

    const withEmail = alpha();
    withEmail.fields.email = 'aanderson@test.com';
    const second = ledger.plan([withEmail], 'store', { dataSource: 'SIS' });
    expect(kinds(second)).toEqual(['testPerson1:update']);
    expect(second.actions[0]).toMatchObject({ reason: 'content changed', sendPassword: false });
    expect(ledger.links.get('testPerson2')!.status).toBe('active');
    expect(ledger.links.get('testPerson3')!.status).toBe('active');

    // The same file again: nothing to send.
    expect(kinds(ledger.plan([withEmail, beta(), gamma()], 'store', { dataSource: 'SIS' }))).toEqual([
      'testPerson1:unchanged',
      'testPerson2:unchanged',
      'testPerson3:unchanged',
    ]);
  });

  it('refresh without gcarlin disables only gcarlin', () => {
    const ledger = new FakeLedger();
    ledger.plan([alpha(), beta(), gamma()], 'store', { dataSource: 'SIS' });
    const plan = ledger.plan([alpha(), beta()], 'refresh', { dataSource: 'SIS', guard: { maxPercent: 50, maxCount: 1000 } });
    expect(kinds(plan)).toEqual(['testPerson1:unchanged', 'testPerson2:unchanged', 'testPerson3:disable']);
    expect(plan.actions[2]).toMatchObject({ line: null, suspended: true, status: 'disabled', dataSource: 'SIS', reason: 'missing from the refresh (all data sources)' });
    expect(plan.guard).toMatchObject({ owned: 3, toDisable: 1, limit: 1, refused: false, forced: false, dataSource: null });
    expect(ledger.links.get('testPerson3')!.status).toBe('disabled');
  });

  it('refresh-ds with two data sources disables only in its own', () => {
    const ledger = new FakeLedger();
    ledger.plan([alpha(), beta()], 'store', { dataSource: 'SIS' });
    ledger.plan([gamma(), delta()], 'store', { dataSource: 'HR' });
    const guard = { maxPercent: 100, maxCount: 1000 };
    const plan = ledger.plan([alpha()], 'refresh-ds', { dataSource: 'SIS', guard });
    expect(kinds(plan)).toEqual(['testPerson1:unchanged', 'testPerson2:disable']);
    expect(plan.actions[1].reason).toBe('missing from the refresh (data source SIS)');
    expect(plan.guard).toMatchObject({ dataSource: 'SIS', owned: 2, toDisable: 1 });
    expect(ledger.links.get('testPerson3')!.status).toBe('active');
    expect(ledger.links.get('testPerson4')!.status).toBe('active');

    // A plain refresh of the same file would disable across data sources.
    const all = ledger.plan([alpha()], 'refresh', { dataSource: 'SIS', guard });
    expect(kinds(all)).toEqual(['testPerson1:unchanged', 'testPerson3:disable', 'testPerson4:disable']);
  });

  it('refresh-ds ignores links of other data sources even when the caller passes them', () => {
    const plan = planPersons([], [link('a', { dataSource: 'HR' }), link('b', { dataSource: 'SIS' }), link('c', { status: 'disabled' })], defaultPlanOptions({ op: 'refresh-ds', dataSource: 'SIS', force: true }));
    expect(kinds(plan)).toEqual(['b:disable']);
  });

  it('AVAILABLE_IND=N suspends without disabling; ROW_STATUS=disabled disables; a later store re-enables', () => {
    const ledger = new FakeLedger();
    ledger.plan([alpha(), beta(), gamma()], 'store', { dataSource: 'SIS' });
    const avail = ledger.plan(
      [{ ...alpha(), available: true }, { ...beta(), available: true }, { ...gamma(), available: false }, { ...delta(), available: true }],
      'store',
      { dataSource: 'SIS' },
    );
    expect(kinds(avail)).toEqual(['testPerson1:unchanged', 'testPerson2:unchanged', 'testPerson3:update', 'testPerson4:create']);
    expect(avail.actions[2]).toMatchObject({ suspended: true, status: 'active' });

    const rows = ledger.plan(
      [{ ...alpha(), rowStatus: 'enabled' }, { ...beta(), rowStatus: 'enabled' }, { ...gamma(), rowStatus: 'disabled' }, { ...delta(), rowStatus: 'enabled' }],
      'store',
      { dataSource: 'SIS' },
    );
    expect(kinds(rows)).toEqual(['testPerson1:unchanged', 'testPerson2:unchanged', 'testPerson3:disable', 'testPerson4:unchanged']);
    expect(ledger.links.get('testPerson3')!.status).toBe('disabled');

    const back = ledger.plan([gamma()], 'store', { dataSource: 'SIS' });
    expect(kinds(back)).toEqual(['testPerson3:enable']);
    expect(back.actions[0]).toMatchObject({ suspended: false, status: 'active' });
    expect(ledger.links.get('testPerson3')!.status).toBe('active');
  });
});

// ── refresh and guard ───────────────────────────────────────────────────────────────────────────────────────
describe('refresh guard', () => {
  const owned50 = () => Array.from({ length: 50 }, (_, i) => link(`p${i}`, { moodleId: i + 1 }));
  const row0 = () => person('p0', 'u0', 'F', 'L');

  it('refuses a one-row refresh against 50 owned persons', () => {
    const plan = planPersons([{ item: item(row0()), ctx: { link: owned50()[0] } }], owned50(), defaultPlanOptions({ op: 'refresh-ds', dataSource: 'SIS' }));
    expect(plan.guard).toEqual({
      entity: 'persons',
      dataSource: 'SIS',
      owned: 50,
      toDisable: 49,
      limit: 5,
      refused: true,
      forced: false,
      message: 'refresh would disable 49 of 50 persons owned in data source SIS (limit 5): refused; check the file or pass --force',
    });
    // The actions stay as computed; the caller does not apply a refused plan.
    expect(plan.counts.disable).toBe(49);
    expect(plan.actions).toHaveLength(50);
    expect(summarizePlan(plan)).toContain('nothing will be applied');
  });

  it('--force passes it', () => {
    const plan = planPersons([{ item: item(row0()), ctx: { link: owned50()[0] } }], owned50(), defaultPlanOptions({ op: 'refresh', force: true }));
    expect(plan.guard).toMatchObject({ refused: false, forced: true, toDisable: 49, limit: 5 });
    expect(plan.guard!.message).toBe('refresh would disable 49 of 50 persons owned in all data sources (limit 5): over the limit, allowed by --force');
  });

  it('an empty file is refused whatever the percentages', () => {
    const plan = planPersons([], owned50(), defaultPlanOptions({ op: 'refresh', guard: { maxPercent: 100, maxCount: 1e9 } }));
    expect(plan.guard).toMatchObject({ owned: 50, toDisable: 50, limit: 0, refused: true });
    expect(plan.guard!.message).toBe('refresh would disable 50 of 50 persons owned in all data sources (limit 0: the file has no data rows): refused; check the file or pass --force');
    expect(plan.rows).toBe(0);
    // Nothing owned: nothing to refuse.
    expect(planPersons([], [], defaultPlanOptions({ op: 'refresh' })).guard).toMatchObject({ owned: 0, toDisable: 0, refused: false });
  });

  it('maxCount caps the limit; within the limit is allowed', () => {
    const owned = Array.from({ length: 1000 }, (_, i) => link(`p${i}`));
    const items = owned.slice(0, 950).map((l, i) => ({ item: item(person(l.key, `u${i}`, 'F', 'L'), i + 2), ctx: { link: l } }));
    const capped = planPersons(items, owned, defaultPlanOptions({ op: 'refresh', guard: { maxPercent: 10, maxCount: 20 } }));
    expect(capped.guard).toMatchObject({ owned: 1000, toDisable: 50, limit: 20, refused: true });
    const ok = planPersons(items, owned, defaultPlanOptions({ op: 'refresh' }));
    expect(ok.guard).toMatchObject({ toDisable: 50, limit: 100, refused: false, forced: false });
    expect(ok.guard!.message).toMatch(/: within the limit$/);
  });

  it('keys present only as failed rows (typos, duplicates) are never disabled', () => {
    const owned = [link('a'), link('b'), link('c')];
    const plan = planPersons(
      [
        { item: { line: 2, error: { line: 2, key: 'a', code: 'invalid-value', message: 'bad AVAILABLE_IND' } }, ctx: {} },
        { item: item({ key: 'b', fields: {} }, 3), ctx: { link: owned[1] } },
      ],
      owned,
      defaultPlanOptions({ op: 'refresh', force: true }),
    );
    expect(kinds(plan)).toEqual(['a:fail', 'b:update', 'c:disable']);
  });

  it('never hard-deletes in a refresh, whatever disable says', () => {
    const plan = planPersons([{ item: item(alpha()), ctx: {} }], [link('gone')], defaultPlanOptions({ op: 'refresh', disable: 'delete', force: true }));
    expect(plan.counts.delete).toBe(0);
    expect(plan.actions[1]).toMatchObject({ kind: 'disable', key: 'gone', line: null, moodleId: 100, hash: 'old' });
  });

  it('store and delete have no guard and ignore ownedActive', () => {
    for (const op of ['store', 'delete'] as const) {
      const plan = planPersons([], [link('x')], defaultPlanOptions({ op }));
      expect(plan.guard).toBeNull();
      expect(plan.actions).toEqual([]);
    }
  });

  it('refresh-ds without a data source is a usage error', () => {
    expect(() => new PersonPlanner(defaultPlanOptions({ op: 'refresh-ds' }))).toThrow('refresh-ds needs a data source: pass --datasource KEY (or set datasource in the config).');
    expect(() => new PersonPlanner(defaultPlanOptions({ op: 'sync' as Op }))).toThrow(/Unknown operation "sync"/);
  });
});

describe('PersonPlanner as a fold', () => {
  it('add returns the action it records; finish once; no add after finish', () => {
    const p = new PersonPlanner(defaultPlanOptions({ op: 'store' }));
    const a = p.add(item(alpha()), {});
    const plan = p.finish([]);
    expect(plan.actions[0]).toBe(a);
    expect(plan.options.op).toBe('store');
    expect(() => p.add(item(beta()), {})).toThrow(/after finish/);
    expect(() => p.finish([])).toThrow(/twice/);
  });

  it('counts every kind over all actions', () => {
    const p = new PersonPlanner(defaultPlanOptions({ op: 'refresh', force: true }));
    p.add(item(alpha(), 2), {});
    p.add(item(alpha(), 3), {});
    p.add(item(beta(), 4), { link: link('testPerson2', { status: 'disabled' }) });
    const plan = p.finish([link('x'), link('testPerson1')]);
    expect(plan.counts).toEqual({ ...emptyCounts(), create: 1, fail: 1, enable: 1, disable: 1 });
    expect(plan.rows).toBe(3);
  });
});

describe('summarizePlan', () => {
  it('prints scope, counts per kind and the guard verdict', () => {
    const plan = planPersons([{ item: item(alpha()), ctx: {} }], [link('gone')], defaultPlanOptions({ op: 'refresh-ds', dataSource: 'SIS', force: true }));
    expect(summarizePlan(plan)).toBe(
      [
        'persons, op refresh-ds (data source SIS): 1 row read, 2 actions',
        'create 1, adopt 0, update 0, enable 0, disable 1, delete 0, unchanged 0, fail 0',
        'guard: refresh would disable 1 of 1 persons owned in data source SIS (limit 0): over the limit, allowed by --force',
      ].join('\n'),
    );
    const store = planPersons([], [], defaultPlanOptions({ op: 'store' }));
    expect(summarizePlan(store)).toBe('persons, op store: 0 rows read, 0 actions\ncreate 0, adopt 0, update 0, enable 0, disable 0, delete 0, unchanged 0, fail 0');
  });
});

describe('streaming into a sink', () => {
  it('actions go to the sink in file order and the plan keeps none; counts and guard are the same', () => {
    const opts = defaultPlanOptions({ op: 'store' });
    const seen: string[] = [];
    const planner = new PersonPlanner(opts, (a) => seen.push(`${a.line}:${a.kind}`));
    const rec = (key: string): PersonRecord => ({ key, fields: { username: key.toLowerCase(), firstname: 'F', lastname: 'L', idnumber: key } });
    planner.add({ line: 2, record: rec('A') }, {});
    planner.add({ line: 3, record: rec('A') }, {});
    planner.add({ line: 4, error: { line: 4, code: 'short-row', message: 'short' } }, {});
    const plan = planner.finish([]);
    expect(seen).toEqual(['2:create', '3:fail', '4:fail']);
    expect(plan.actions).toEqual([]);
    expect(plan.counts).toMatchObject({ create: 1, fail: 2 });
  });
});

describe('ACTION=block|unblock|password rows (the account lifecycle as a feed row)', () => {
  const step = (lifecycle: PersonRecord['lifecycle'], extra: Partial<PersonRecord> = {}): PersonRecord => ({ ...alpha(), command: 'store', lifecycle, ...extra });
  const planOne = (r: PersonRecord, ctx: RowContext, options: Partial<PlanOptions<'persons'>> = {}) => new PersonPlanner(defaultPlanOptions({ op: 'store', ...options })).add(item(r), ctx);

  it('block suspends a linked account without rewriting its link (no hash, no status), whatever the row says', () => {
    const a = planOne(step('block'), { link: link('testPerson1', { moodleId: 7 }) });
    expect(a).toMatchObject({ kind: 'disable', moodleId: 7, suspended: true, key: 'testPerson1' });
    expect(a.hash).toBeUndefined();
    expect(a.status).toBeUndefined();
    expect(a.reason).toContain('ACTION=block');
  });

  it('unblock reactivates; an account found in Moodle by idnumber is acted on too', () => {
    const a = planOne(step('unblock'), { match: { id: 9, suspended: true, via: 'idnumber' } });
    expect(a).toMatchObject({ kind: 'enable', moodleId: 9, suspended: false });
  });

  it('a lifecycle row for a person Moodle does not have fails (never creates an account)', () => {
    expect(planOne(step('block'), {})).toMatchObject({ kind: 'fail', error: { code: 'unknown-person' } });
    expect(planOne(step('password'), {}).error?.message).toContain('person testPerson1 is unknown');
  });

  it('password sends the password even under passwords: create-only, and needs one', () => {
    const a = planOne(step('password', { usernameFromEmail: true }), { link: link('testPerson1') }, { passwords: 'create-only' });
    expect(a).toMatchObject({ kind: 'update', sendPassword: true });
    expect(a.reason).toBe('ACTION=password: set the password; username = email');
    const none = planOne(step('password', { fields: { idnumber: 'testPerson1' } }), { link: link('testPerson1') });
    expect(none).toMatchObject({ kind: 'fail', error: { code: 'missing-value' } });
  });

  it('the row op decides nothing: a block row under --op delete or with ROW_STATUS=disabled still only blocks', () => {
    expect(planOne(step('block'), { link: link('testPerson1') }, { op: 'delete' }).kind).toBe('disable');
    const viaDisable = planOne(step('unblock', { rowStatus: 'disabled' }), { link: link('testPerson1') });
    expect(viaDisable).toMatchObject({ kind: 'enable', suspended: false });
  });

  it('a refresh counts a lifecycle row as present (it is not disabled as missing)', () => {
    const p = new PersonPlanner(defaultPlanOptions({ op: 'refresh' }));
    p.add(item(step('block')), { link: link('testPerson1') });
    const plan = p.finish([link('testPerson1'), link('testPerson2')]);
    expect(plan.actions.map((a) => `${a.key}:${a.kind}`)).toEqual(['testPerson1:disable', 'testPerson2:disable']);
    expect(plan.actions[1].reason).toContain('missing from the refresh');
  });
});

// ── Upload users' upload types (UPLOAD_TYPE) ────────────────────────────────────────────────────────────────
describe('upload types', () => {
  const found = { match: { id: 55, suspended: false, via: 'username' as const } };

  it('addnew: an account that exists (linked or found) is left unchanged and says why; a new one is created', () => {
    const r = { ...alpha(), uploadType: 'addnew' as const };
    expect(one(r, found)).toMatchObject({ kind: 'unchanged', moodleId: 55, reason: expect.stringContaining('"add new only" leaves it and the rest of its line unchanged'), skipsLine: true });
    expect(one(r, { link: link('testPerson1', { moodleId: 9 }) })).toMatchObject({ kind: 'unchanged', moodleId: 9 });
    expect(one(r)).toMatchObject({ kind: 'create' });
  });

  it('update: a row whose account does not exist fails; one that exists is adopted or updated', () => {
    const r = { ...alpha(), uploadType: 'update' as const };
    expect(one(r)).toMatchObject({ kind: 'fail', error: { code: 'unknown-person', message: 'no Moodle account has idnumber testPerson1 or username aanderson_test: upload type "update existing users only" creates none' } });
    expect(one(r, found)).toMatchObject({ kind: 'adopt', moodleId: 55 });
    expect(one(r, { link: link('testPerson1') })).toMatchObject({ kind: 'update' });
  });
});
