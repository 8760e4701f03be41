/** The institution-roles and observers appliers against a scripted Moodle: warnings mapped back to rows, cohorts made once, gone cohorts. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstitutionRoleRecord } from './record.js';
import type { ObserverRecord } from '../observers/record.js';
import { SqliteLedger } from '../../ledger/index.js';
import { MoodleError } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { InstitutionRoleAction, InstitutionRoleTarget } from './rules.js';
import type { ObserverAction } from '../observers/rules.js';
import { DEFAULT_APPLY_OPTIONS, applyPlan } from '../../apply/index.js';

type Params = Record<string, unknown>;

/** Answers each wsfunction with the handler given; records every call. */
class Scripted implements MoodleCaller {
  readonly calls: { fn: string; params: Params }[] = [];
  constructor(private readonly handlers: Record<string, (p: Params) => unknown>) {}
  async call<T>(fn: string, params: Params): Promise<T> {
    this.calls.push({ fn, params: structuredClone(params) });
    const h = this.handlers[fn];
    if (!h) throw new Error(`unexpected call ${fn}`);
    return h(params) as T;
  }
  of(fn: string): Params[] {
    return this.calls.filter((c) => c.fn === fn).map((c) => c.params);
  }
}

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});
function ledger(): SqliteLedger {
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-rolesapply-'));
  return SqliteLedger.open(join(dir, 'ledger.db'));
}

const OPTIONS = { ...DEFAULT_APPLY_OPTIONS, backoffMs: 1 };

function ir(kind: InstitutionRoleAction['kind'], person: string, userId: number, target: InstitutionRoleTarget, more: Partial<InstitutionRoleAction> = {}): InstitutionRoleAction {
  const record: InstitutionRoleRecord = { key: `${person}|eng`, fields: { person, role: 'eng' } };
  return { kind, entity: 'institution-roles', key: record.key, line: 2, record, moodleId: userId, dataSource: 'SIS', reason: 'test', status: kind === 'disable' ? 'disabled' : 'active', target, ...more };
}

describe('institution roles applier', () => {
  it('creates the role cohort once, maps add warnings back by ids: already a member is ok, a missing user fails', async () => {
    const moodle = new Scripted({
      core_cohort_create_cohorts: () => [{ id: 7, name: 'eng', idnumber: 'role:eng', description: '', descriptionformat: 1, visible: true, theme: '' }],
      core_cohort_add_cohort_members: () => ({
        warnings: [
          { warningcode: '3', message: 'record already exists: cohort(id=7 id=11)' },
          { warningcode: '2', message: 'user id=12 not exists' },
        ],
      }),
    });
    const to = { kind: 'cohort' as const, idnumber: 'role:eng', name: 'eng' };
    const actions = [ir('create', 'p10', 10, { call: 'add', to }), ir('create', 'p11', 11, { call: 'add', to }), ir('create', 'p12', 12, { call: 'add', to })];
    const l = ledger();
    const out = await applyPlan({ actions }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(moodle.of('core_cohort_create_cohorts')).toEqual([{ cohorts: [expect.objectContaining({ idnumber: 'role:eng', categorytype: { type: 'system', value: '' } })] }]);
    expect(out.map((o) => [o.outcome, o.message])).toEqual([
      ['ok', undefined],
      ['ok', 'already a member'],
      ['failed', 'person p12: Moodle user 12 does not exist (deleted in Moodle?): user id=12 not exists'],
    ]);
    const links = await l.getLinks('institution-roles', ['p10|eng', 'p11|eng', 'p12|eng']);
    expect([...links.values()].map((x) => [x.key, x.moodleId, x.state])).toEqual([
      ['p10|eng', 10, 'ir1;cohort=7'],
      ['p11|eng', 11, 'ir1;cohort=7'],
    ]);
    await l.close();
  });

  it('removes: a gone cohort has nothing to remove, a deleted user neither; the rest leave their cohort', async () => {
    const moodle = new Scripted({
      core_cohort_get_cohorts: () => [{ id: 7, name: 'eng', idnumber: 'role:eng', description: '', descriptionformat: 1, visible: true, theme: '' }],
      core_cohort_delete_cohort_members: (p) => {
        const m = p.members as { userid: number }[];
        if (m.some((x) => x.userid === 13)) throw new MoodleError('core_cohort_delete_cohort_members', { exception: 'moodle_exception', errorcode: 'invaliduser', message: 'Invalid user' });
        return null;
      },
    });
    const from = (id: number, userId: number) => ({ kind: 'cohort' as const, id, userId });
    const actions = [
      ir('disable', 'p10', 10, { call: 'remove', from: from(7, 10) }, { state: 'ir1;cohort=7' }),
      ir('disable', 'p11', 11, { call: 'remove', from: from(8, 11) }, { state: 'ir1;cohort=8' }),
      ir('disable', 'p13', 13, { call: 'remove', from: from(7, 13) }, { state: 'ir1;cohort=7' }),
    ];
    const l = ledger();
    const out = await applyPlan({ actions }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out.map((o) => [o.outcome, o.message])).toEqual([
      ['ok', undefined],
      ['ok', 'cohort 8 no longer exists: nothing to remove'],
      ['ok', 'Moodle user 13 no longer exists: nothing to remove'],
    ]);
    expect(moodle.of('core_cohort_get_cohorts')).toEqual([{ cohortids: [7, 8] }]);
    expect([...(await l.getLinks('institution-roles', ['p10|eng', 'p11|eng', 'p13|eng'])).values()].every((x) => x.status === 'disabled')).toBe(true);
    await l.close();
  });
});

describe('observers applier', () => {
  it('a changed link unassigns the old context first, then assigns; a refused unassign stops that row', async () => {
    const moodle = new Scripted({
      core_role_unassign_roles: (p) => {
        const u = p.unassignments as { instanceid: number }[];
        if (u.some((x) => x.instanceid === 99)) throw new MoodleError('core_role_unassign_roles', { exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected' });
        return null;
      },
      core_role_assign_roles: () => null,
    });
    const rec = (o: string): ObserverRecord => ({ key: `${o}|kid`, fields: { observer: o, user: 'kid' } });
    const act = (o: string, id: number, prev: number): ObserverAction => ({
      kind: 'update', entity: 'observers', key: `${o}|kid`, line: 2, record: rec(o), moodleId: id, dataSource: null, reason: 't', status: 'active', state: 'ob1;user=27;role=9',
      target: { call: 'add', assignment: { roleId: 9, observerId: id, userId: 27 }, previous: { roleId: 9, observerId: id, userId: prev } },
    });
    const l = ledger();
    const out = await applyPlan({ actions: [act('a', 29, 26), act('b', 30, 99)] }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out.map((o) => o.outcome)).toEqual(['ok', 'failed']);
    expect(out[1].message).toMatch(/^could not remove what the link held before/);
    expect(moodle.of('core_role_assign_roles').flatMap((p) => p.assignments as unknown[])).toEqual([{ roleid: 9, userid: 29, contextlevel: 'user', instanceid: 27 }]);
    expect((await l.getLinks('observers', ['a|kid'])).get('a|kid')).toMatchObject({ moodleId: 29, state: 'ob1;user=27;role=9', status: 'active' });
    await l.close();
  });
});
