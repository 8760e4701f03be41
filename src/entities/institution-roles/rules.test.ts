import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/fold.js';
import { InstitutionRolePlanner, holdState, parseHoldState, type InstitutionRoleAction, type InstitutionRoleContext, type InstitutionRoleSettings } from './rules.js';
import { ObserverPlanner, observerState, parseObserverState, type ObserverAction, type ObserverContext } from '../observers/rules.js';
import type { Op } from '../../plan/types.js';
import type { FeedItem } from '../../feed/types.js';
import type { InstitutionRoleRecord } from './record.js';
import type { ObserverRecord } from '../observers/record.js';
import type { LedgerLink } from '../../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';
const lnk = (entity: string, key: string, over: Partial<LedgerLink> = {}): LedgerLink => ({
  entity, key, moodleId: 20, dataSource: 'SIS', hash: null, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over,
});

const ir = (person: string, role: string, extra: Partial<InstitutionRoleRecord> = {}): InstitutionRoleRecord => ({ key: `${person}|${role}`, fields: { person, role }, dataSource: 'SIS', ...extra });
const ob = (observer: string, user: string, extra: Partial<ObserverRecord> = {}): ObserverRecord => ({ key: `${observer}|${user}`, fields: { observer, user }, dataSource: 'SIS', ...extra });

function planRoles(rows: { record: InstitutionRoleRecord; ctx?: InstitutionRoleContext }[], op: Op = 'store', owned: LedgerLink[] = [], settings?: InstitutionRoleSettings, ds = 'SIS') {
  const p = new InstitutionRolePlanner(defaultPlanOptions({ op, entity: 'institution-roles', dataSource: ds, force: true }), settings);
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<InstitutionRoleRecord>, ctx ?? { userId: 20 }));
  const plan = p.finish(owned);
  return { actions: plan.actions as InstitutionRoleAction[], guard: plan.guard };
}

function planObservers(rows: { record: ObserverRecord; ctx?: ObserverContext }[], op: Op = 'store', owned: LedgerLink[] = [], ds = 'SIS') {
  const p = new ObserverPlanner(defaultPlanOptions({ op, entity: 'observers', dataSource: ds, force: true }));
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<ObserverRecord>, ctx ?? { observerId: 29, userId: 26 }));
  return p.finish(owned).actions as ObserverAction[];
}

const SYSTEM: InstitutionRoleSettings = { mode: 'system-role', roleMap: { Engineering_Faculty: 'manager' }, roleIds: { manager: 1 } };

describe('institution roles planner, cohort mode', () => {
  it('adds to the role cohort, created first when Moodle lacks it', () => {
    const { actions } = planRoles([{ record: ir('p1', 'eng') }, { record: ir('p2', 'eng'), ctx: { userId: 21, cohortId: 4 } }]);
    expect(actions[0]).toMatchObject({ kind: 'create', moodleId: 20, state: undefined, target: { call: 'add', to: { kind: 'cohort', id: undefined, idnumber: 'role:eng', name: 'eng' } } });
    expect(actions[1]).toMatchObject({ kind: 'create', moodleId: 21, state: holdState({ kind: 'cohort', id: 4 }), target: { call: 'add', to: { id: 4 } } });
  });

  it('an unknown person fails with its key; a linked row with the same cohort is unchanged', () => {
    const link = lnk('institution-roles', 'p1|eng', { state: 'ir1;cohort=4' });
    const { actions } = planRoles([{ record: ir('nobody', 'eng'), ctx: {} }, { record: ir('p1', 'eng'), ctx: { userId: 20, cohortId: 4, link } }]);
    expect(actions[0]).toMatchObject({ kind: 'fail', error: { code: 'unknown-person', message: 'unknown person nobody' } });
    expect(actions[1]).toMatchObject({ kind: 'unchanged', moodleId: 20 });
    expect(actions[1]).not.toHaveProperty('target');
  });

  it('a link to another cohort (re-made by hand, or the mode switched) is replaced: leave the old, join the new', () => {
    const link = lnk('institution-roles', 'p1|eng', { state: 'ir1;role=1' });
    const { actions } = planRoles([{ record: ir('p1', 'eng'), ctx: { userId: 20, cohortId: 4, link } }]);
    expect(actions[0]).toMatchObject({ kind: 'update', target: { call: 'add', to: { id: 4 }, from: { kind: 'role', id: 1, userId: 20 } } });
  });

  it('ROW_STATUS=disabled and delete remove only what a link holds; a disabled link comes back as enable', () => {
    const link = lnk('institution-roles', 'p1|eng', { state: 'ir1;cohort=4' });
    const { actions } = planRoles([
      { record: ir('p1', 'eng', { rowStatus: 'disabled' }), ctx: { userId: 20, cohortId: 4, link } },
      { record: ir('p2', 'eng', { rowStatus: 'disabled' }), ctx: { userId: 21, cohortId: 4, match: { id: 21, via: 'idnumber' } } },
    ]);
    expect(actions[0]).toMatchObject({ kind: 'disable', status: 'disabled', target: { call: 'remove', from: { kind: 'cohort', id: 4, userId: 20 } } });
    expect(actions[1]).toMatchObject({ kind: 'unchanged', reason: 'not given by mdlsync: nothing to remove (ROW_STATUS=disabled)' });
    const del = planRoles([{ record: ir('p2', 'eng'), ctx: { userId: 21, match: { id: 21, via: 'idnumber' } } }], 'delete').actions;
    expect(del[0]).toMatchObject({ kind: 'unchanged', reason: 'not given by mdlsync: nothing to remove (delete)' });
    const back = planRoles([{ record: ir('p1', 'eng'), ctx: { userId: 20, cohortId: 4, link: { ...link, status: 'disabled' } } }]).actions;
    expect(back[0]).toMatchObject({ kind: 'enable', target: { call: 'add' } });
  });

  it('refresh removes the owned links the file lacks; refresh-ds only those of its data source', () => {
    const owned = [lnk('institution-roles', 'p1|eng', { state: 'ir1;cohort=4' }), lnk('institution-roles', 'p2|eng', { state: 'ir1;cohort=4', moodleId: 21 }), lnk('institution-roles', 'p3|eng', { state: 'ir1;cohort=4', moodleId: 22, dataSource: 'OTHER' })];
    const rows = [{ record: ir('p1', 'eng'), ctx: { userId: 20, cohortId: 4, link: owned[0] } }];
    const r = planRoles(rows, 'refresh', owned);
    expect(r.actions.map((a) => `${a.key}:${a.kind}`)).toEqual(['p1|eng:unchanged', 'p2|eng:disable', 'p3|eng:disable']);
    expect(r.actions[1]).toMatchObject({ line: null, target: { call: 'remove', from: { kind: 'cohort', id: 4, userId: 21 } } });
    const ds = planRoles(rows, 'refresh-ds', owned.filter((l) => l.dataSource === 'SIS'));
    expect(ds.actions.map((a) => `${a.key}:${a.kind}`)).toEqual(['p1|eng:unchanged', 'p2|eng:disable']);
    expect(ds.guard).toMatchObject({ dataSource: 'SIS', owned: 2, toDisable: 1 });
  });
});

describe('institution roles planner, system-role mode', () => {
  it('maps ROLE_ID (case-insensitive) to a shortname and its id: assign at system context', () => {
    const { actions } = planRoles([{ record: ir('p1', 'engineering_faculty') }], 'store', [], SYSTEM);
    expect(actions[0]).toMatchObject({ kind: 'create', state: 'ir1;role=1', target: { call: 'add', to: { kind: 'role', id: 1 } } });
  });

  it('a ROLE_ID the map lacks, or a shortname without id, fails naming the config key to set', () => {
    const { actions } = planRoles([{ record: ir('p1', 'eng') }, { record: ir('p2', 'x') }], 'store', [], { ...SYSTEM, roleMap: { ...SYSTEM.roleMap, x: 'dean' } });
    expect(actions[0].error?.message).toBe('ROLE_ID eng has no Moodle role: set institutionRoles.roleMap["eng"] to a Moodle role shortname (institutionRoles.mode is system-role)');
    expect(actions[1].error?.message).toBe('role "dean" (ROLE_ID x) has no id: set enrolments.roleIds["dean"] to its Moodle role id');
  });

  it('hashes round-trip', () => {
    expect(parseHoldState(holdState({ kind: 'role', id: 3 }))).toEqual({ kind: 'role', id: 3 });
    expect(parseHoldState('junk')).toBeUndefined();
    expect(parseObserverState(observerState(26, 9))).toEqual({ userId: 26, roleId: 9 });
  });
});

describe('observers planner', () => {
  it('assigns the parent role to the observer in the observed user context', () => {
    const [a] = planObservers([{ record: ob('o100', 's100') }]);
    expect(a).toMatchObject({ kind: 'create', moodleId: 29, state: 'ob1;user=26;role=9', target: { call: 'add', assignment: { roleId: 9, observerId: 29, userId: 26 } } });
  });

  it('unknown observer or observed person fail with which column; oneself is refused', () => {
    const a = planObservers([
      { record: ob('ghost', 's100'), ctx: { userId: 26 } },
      { record: ob('o100', 'ghost'), ctx: { observerId: 29 } },
      { record: ob('o100', 'o100b'), ctx: { observerId: 29, userId: 29 } },
    ]);
    expect(a.map((x) => x.error?.message)).toEqual([
      'unknown person ghost (EXTERNAL_OBSERVER_KEY)',
      'unknown person ghost (EXTERNAL_USER_KEY)',
      'o100 and o100b are the same Moodle user 29: a person cannot observe themselves',
    ]);
  });

  it('a role the role ids lack fails every store row, naming enrolments.roleIds', () => {
    const p = new ObserverPlanner(defaultPlanOptions({ op: 'store', entity: 'observers' }), { role: 'mentor', roleIds: { parent: 9 } });
    p.add({ line: 2, record: ob('o', 'u') }, { observerId: 1, userId: 2 });
    expect(p.finish([]).actions[0].error?.message).toMatch(/the observer role "mentor" has no id: set enrolments.roleIds\["mentor"\]/);
  });

  it('same link is unchanged; the observed person relinked to another id unassigns the old context first', () => {
    const link = lnk('observers', 'o100|s100', { moodleId: 29, state: observerState(26, 9) });
    expect(planObservers([{ record: ob('o100', 's100'), ctx: { observerId: 29, userId: 26, link } }])[0].kind).toBe('unchanged');
    const [u] = planObservers([{ record: ob('o100', 's100'), ctx: { observerId: 29, userId: 27, link } }]);
    expect(u).toMatchObject({ kind: 'update', target: { call: 'add', assignment: { userId: 27 }, previous: { roleId: 9, observerId: 29, userId: 26 } } });
  });

  it("the guide's example 2 and 3: the new pair is stored; delete and refresh unassign the old one from its link", () => {
    const old = lnk('observers', 'o200|s100', { moodleId: 30, state: observerState(26, 9) });
    const store = planObservers([{ record: ob('o200', 's200'), ctx: { observerId: 30, userId: 31 } }]);
    expect(store[0]).toMatchObject({ kind: 'create', target: { assignment: { observerId: 30, userId: 31 } } });
    const [d] = planObservers([{ record: ob('o200', 's100'), ctx: { observerId: 30, userId: 26, link: old } }], 'delete');
    expect(d).toMatchObject({ kind: 'disable', status: 'disabled', target: { call: 'remove', assignment: { roleId: 9, observerId: 30, userId: 26 } } });
    const r = planObservers([{ record: ob('o200', 's200'), ctx: { observerId: 30, userId: 31 } }], 'refresh', [old]);
    expect(r.map((x) => `${x.key}:${x.kind}`)).toEqual(['o200|s200:create', 'o200|s100:disable']);
  });

  it('removals of both rule sets say what they undo, or why nothing', () => {
    const held = lnk('observers', 'o2|u', { moodleId: 30, state: observerState(26, 9) });
    const o = planObservers([
      { record: ob('o1', 'u', { rowStatus: 'disabled' }), ctx: { observerId: 30, userId: 26, link: lnk('observers', 'o1|u', { moodleId: 30 }) } },
      { record: ob('o2', 'u', { rowStatus: 'deleted' }), ctx: { observerId: 30, userId: 26, link: held } },
      { record: ob('o3', 'u', { rowStatus: 'disabled' }), ctx: { observerId: 31, userId: 26 } },
      { record: ob('o4', 'u', { rowStatus: 'disabled' }), ctx: { observerId: 32, userId: 26, link: { ...held, key: 'o4|u', status: 'disabled' } } },
    ]);
    expect(o.map((a) => [a.kind, a.reason, a.target])).toEqual([
      ['disable', 'ROW_STATUS=disabled: the link does not say what mdlsync assigned, nothing removed', { call: 'none' }],
      ['disable', 'ROW_STATUS=deleted: unassign role 9 in the context of user 26', { call: 'remove', assignment: { roleId: 9, observerId: 30, userId: 26 } }],
      ['unchanged', 'not linked by mdlsync: nothing to remove (ROW_STATUS=disabled)', undefined],
      ['unchanged', 'already removed (ROW_STATUS=disabled)', undefined],
    ]);
    const owned = [lnk('institution-roles', 'p1|eng'), lnk('institution-roles', 'p2|eng', { state: 'ir1;role=1', moodleId: 21 })];
    const r = planRoles([], 'refresh', owned, SYSTEM).actions;
    expect(r.map((a) => [a.kind, a.line, a.target])).toEqual([
      ['disable', null, { call: 'none' }],
      ['disable', null, { call: 'remove', from: { kind: 'role', id: 1, userId: 21 } }],
    ]);
    expect(r[0].reason).toMatch(/: the link does not say what mdlsync gave, nothing removed$/);
    expect(r[1].reason).toMatch(/: unassign role 1 \(system\)$/);
  });
});
