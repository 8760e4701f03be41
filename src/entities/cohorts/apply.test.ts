import { describe, expect, it } from '@jest/globals';
import type { CohortRecord } from './record.js';
import type { CohortMemberRecord } from '../cohort-members/record.js';
import type { LedgerStore } from '../../ledger/types.js';
import { MoodleError } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { DELETED_STATE, type CohortAction } from './rules.js';
import { cohortMemberState, type CohortMemberAction } from '../cohort-members/rules.js';
import type { AnyAction } from '../../plan/types.js';
import { mapAddWarnings } from './apply.js';
import { DEFAULT_APPLY_OPTIONS, applyPlan } from '../../apply/index.js';
import { FakeLedger } from '../../../test/fake-ledger.js';

type Params = Record<string, unknown>;
const invalidrecord = (): MoodleError => new MoodleError('fake', { exception: 'dml_missing_record_exception', errorcode: 'invalidrecord', message: "Can't find data record in database table cohort." });

/** Cohorts as cohort/externallib.php treats them: add by ids with warnings 2/3, the rest all or nothing. */
class FakeCohortMoodle implements MoodleCaller {
  readonly cohorts = new Map<number, { id: number; idnumber: string; name: string; members: Set<number> }>();
  readonly users = new Set<number>();
  readonly calls: { fn: string; params: Params }[] = [];
  private nextId = 50;

  count(fn: string): number {
    return this.calls.filter((c) => c.fn === fn).length;
  }

  async call<T>(fn: string, params: Params): Promise<T> {
    this.calls.push({ fn, params: structuredClone(params) });
    return this.handle(fn, params) as T;
  }

  private handle(fn: string, params: Params): unknown {
    switch (fn) {
      case 'core_cohort_get_cohorts': {
        const ids = (params.cohortids as number[]) ?? [];
        const all = [...this.cohorts.values()].filter((c) => ids.length === 0 || ids.includes(c.id));
        return all.map((c) => ({ id: c.id, idnumber: c.idnumber, name: c.name, description: '', descriptionformat: 1, visible: true, theme: '' }));
      }
      case 'core_cohort_create_cohorts': {
        const list = params.cohorts as { idnumber: string; name: string }[];
        for (const c of list) if ([...this.cohorts.values()].some((x) => x.idnumber === c.idnumber)) throw new MoodleError('fake', { exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected', debuginfo: `record already exists: idnumber=${c.idnumber}` });
        return list.map((c) => {
          const id = this.nextId++;
          this.cohorts.set(id, { id, idnumber: c.idnumber, name: c.name, members: new Set() });
          return { id, name: c.name, idnumber: c.idnumber, description: '', descriptionformat: 1, visible: true, theme: '' };
        });
      }
      case 'core_cohort_update_cohorts':
        for (const c of params.cohorts as { id: number }[]) if (!this.cohorts.has(c.id)) throw invalidrecord();
        for (const c of params.cohorts as { id: number; name: string }[]) this.cohorts.get(c.id)!.name = c.name;
        return null;
      case 'core_cohort_delete_cohorts':
        for (const id of params.cohortids as number[]) if (!this.cohorts.has(id)) throw invalidrecord();
        for (const id of params.cohortids as number[]) this.cohorts.delete(id);
        return null;
      case 'core_cohort_add_cohort_members': {
        const warnings: { warningcode: string; message: string }[] = [];
        for (const m of params.members as { cohorttype: { value: string }; usertype: { value: string } }[]) {
          const cid = Number(m.cohorttype.value);
          const uid = Number(m.usertype.value);
          const c = this.cohorts.get(cid);
          if (!c) warnings.push({ warningcode: '2', message: `cohort id=${cid} not exists` });
          else if (!this.users.has(uid)) warnings.push({ warningcode: '2', message: `user id=${uid} not exists` });
          else if (c.members.has(uid)) warnings.push({ warningcode: '3', message: `record already exists: cohort(id=${cid} id=${uid})` });
          else c.members.add(uid);
        }
        return { warnings };
      }
      case 'core_cohort_delete_cohort_members':
        for (const m of params.members as { cohortid: number }[]) if (!this.cohorts.has(m.cohortid)) throw invalidrecord();
        for (const m of params.members as { cohortid: number; userid: number }[]) this.cohorts.get(m.cohortid)!.members.delete(m.userid);
        return null;
      case 'core_cohort_get_cohort_members':
        return (params.cohortids as number[]).map((id) => {
          const c = this.cohorts.get(id);
          if (!c) throw invalidrecord();
          return { cohortid: id, userids: [...c.members] };
        });
      default:
        throw new Error(`unexpected ${fn}`);
    }
  }
}


const deps = (client: MoodleCaller, ledger: LedgerStore) => ({ client, ledger, runId: 'r1', options: { ...DEFAULT_APPLY_OPTIONS, backoffMs: 1 } });

function addAction(cohortId: number, userId: number, person: string): CohortMemberAction {
  const record: CohortMemberRecord = { key: `Y1|${person}`, fields: { cohort: 'Y1', person } };
  return { kind: 'create', entity: 'cohort-members', key: record.key, line: 2, moodleId: userId, record, state: cohortMemberState(cohortId), status: 'active', dataSource: 'SIS', reason: 'add', member: { call: 'add', cohortId } };
}

describe('add_cohort_members warnings', () => {
  const item = (cohortid: number, userid: number, person = `P${userid}`) => ({ row: { index: 0, action: addAction(cohortid, userid, person) as unknown as AnyAction }, input: { cohortid, userid } });

  it('maps each warning to its rows by ids: 3 → ok, 2 → that row fails', async () => {
    const items = [item(4, 26), item(4, 27), item(4, 28), item(5, 26, 'P26b')];
    const { ok, failed } = await mapAddWarnings(
      items as never,
      [
        { warningcode: '3', message: 'record already exists: cohort(id=4 id=27)' },
        { warningcode: '2', message: 'user id=28 not exists' },
      ],
      async () => {
        throw new Error('no verify needed');
      },
    );
    expect(ok.map((o) => [o.item.input.userid, o.note])).toEqual([
      [27, 'already a member'],
      [26, undefined],
      [26, undefined],
    ]);
    expect(failed.map((f) => [f.item.input.userid, f.code])).toEqual([[28, 'missing-user']]);
    expect(failed[0].message).toContain('person P28: Moodle user 28 does not exist');
  });

  it('asks Moodle who was added when a warning names no ids', async () => {
    const items = [item(4, 26), item(4, 27)];
    const { ok, failed } = await mapAddWarnings(items as never, [{ warningcode: '1', message: 'Invalid context: 30' }], async () => new Map([[4, new Set([26])]]));
    expect(ok.map((o) => o.item.input.userid)).toEqual([26]);
    expect(failed).toMatchObject([{ code: 'not-added', message: 'Moodle did not add the member: warning 1: Invalid context: 30' }]);
  });
});

describe('cohort-members applier', () => {
  it('a batch of 100 with one deleted user and one existing member: 98 added, 1 failed, 1 ok; 2 calls', async () => {
    const moodle = new FakeCohortMoodle();
    moodle.cohorts.set(4, { id: 4, idnumber: 'Y1', name: 'Y1', members: new Set([105]) });
    for (let u = 100; u < 200; u++) if (u !== 150) moodle.users.add(u);
    const ledger = new FakeLedger();
    const actions = Array.from({ length: 100 }, (_, i) => addAction(4, 100 + i, `P${100 + i}`));
    const out = await applyPlan({ actions: actions as unknown as AnyAction[] }, deps(moodle, ledger));
    expect(out.filter((o) => o.outcome === 'ok')).toHaveLength(99);
    expect(out.filter((o) => o.outcome === 'failed')).toMatchObject([{ key: 'Y1|P150', errorcode: 'missing-user' }]);
    expect(out.find((o) => o.key === 'Y1|P105')).toMatchObject({ outcome: 'ok', message: 'already a member' });
    expect(moodle.count('core_cohort_add_cohort_members')).toBe(2);
    expect(moodle.cohorts.get(4)!.members.size).toBe(99);
    expect(ledger.links.get('cohort-members/Y1|P105')?.status).toBe('active');
    expect(ledger.links.has('cohort-members/Y1|P150')).toBe(false);
  });

  it('removes members; a cohort gone from Moodle costs no failing call', async () => {
    const moodle = new FakeCohortMoodle();
    moodle.cohorts.set(4, { id: 4, idnumber: 'Y1', name: 'Y1', members: new Set([26, 27]) });
    const ledger = new FakeLedger();
    const rm = (cohortId: number, userId: number): CohortMemberAction => ({ ...addAction(cohortId, userId, `P${userId}`), key: `C${cohortId}|P${userId}`, kind: 'disable', status: 'disabled', member: { call: 'remove', cohortId } });
    const out = await applyPlan({ actions: [rm(4, 26), rm(99, 27)] as unknown as AnyAction[] }, deps(moodle, ledger));
    expect(out.map((o) => o.outcome)).toEqual(['ok', 'ok']);
    expect(out[1].message).toContain('cohort 99 is no longer in Moodle');
    expect([...moodle.cohorts.get(4)!.members]).toEqual([27]);
    expect(moodle.count('core_cohort_delete_cohort_members')).toBe(1);
  });
});

describe('cohorts applier', () => {
  const rec = (key: string): CohortRecord => ({ key, fields: { name: `N ${key}` } });
  const input = (key: string) => ({ categorytype: { type: 'system' as const, value: '' }, name: `N ${key}`, idnumber: key });

  it('creates, updates, re-creates a cohort deleted by hand, deletes (dropping its member links) and empties', async () => {
    const moodle = new FakeCohortMoodle();
    moodle.cohorts.set(4, { id: 4, idnumber: 'U', name: 'old', members: new Set() });
    moodle.cohorts.set(6, { id: 6, idnumber: 'D', name: 'D', members: new Set([1]) });
    moodle.cohorts.set(7, { id: 7, idnumber: 'E', name: 'E', members: new Set([1, 2, 3]) });
    const ledger = new FakeLedger();
    await ledger.writeLinks([
      { entity: 'cohort-members', key: 'D|P1', moodleId: 1, dataSource: 'SIS', hash: null, state: cohortMemberState(6), status: 'active', runId: 'r0' },
      { entity: 'cohort-members', key: 'E|P1', moodleId: 1, dataSource: 'SIS', hash: null, state: cohortMemberState(7), status: 'active', runId: 'r0' },
      { entity: 'cohort-members', key: 'DD|P1', moodleId: 1, dataSource: 'SIS', hash: null, state: cohortMemberState(8), status: 'active', runId: 'r0' },
    ]);
    const base = { entity: 'cohorts' as const, line: 2, dataSource: 'SIS', reason: 'x' };
    const actions: CohortAction[] = [
      { ...base, kind: 'create', key: 'N', record: rec('N'), hash: 'h', status: 'active', cohort: { call: 'create', input: input('N') } },
      { ...base, kind: 'update', key: 'U', moodleId: 4, record: rec('U'), hash: 'h', status: 'active', cohort: { call: 'update', input: input('U') } },
      { ...base, kind: 'update', key: 'G', moodleId: 5, record: rec('G'), hash: 'h', status: 'active', cohort: { call: 'update', input: input('G') } },
      { ...base, kind: 'delete', key: 'D', moodleId: 6, state: DELETED_STATE, status: 'disabled', cohort: { call: 'delete' } },
      { ...base, kind: 'disable', key: 'E', moodleId: 7, hash: 'h', status: 'disabled', cohort: { call: 'empty' } },
    ];
    const out = await applyPlan({ actions: actions as unknown as AnyAction[] }, deps(moodle, ledger));
    expect(out.map((o) => o.outcome)).toEqual(['ok', 'ok', 'relinked', 'ok', 'ok']);
    expect(moodle.cohorts.get(4)!.name).toBe('N U');
    expect([...moodle.cohorts.values()].map((c) => c.idnumber).sort()).toEqual(['E', 'G', 'N', 'U']);
    expect(moodle.cohorts.get(7)!.members.size).toBe(0);
    expect(ledger.links.get('cohorts/G')?.moodleId).toBe(out[2].moodleId);
    expect(ledger.links.get('cohorts/D')).toMatchObject({ status: 'disabled', state: DELETED_STATE });
    expect(ledger.links.get('cohort-members/D|P1')?.status).toBe('disabled');
    expect(ledger.links.get('cohort-members/E|P1')?.status).toBe('disabled');
    expect(ledger.links.get('cohort-members/DD|P1')?.status).toBe('active');
  });
});
