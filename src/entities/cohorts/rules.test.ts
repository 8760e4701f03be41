import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/fold.js';
import type { Op } from '../../plan/types.js';
import { CohortPlanner, DELETED_STATE, cohortHash, membersOfCohorts, type CohortAction, type CohortContext } from './rules.js';
import { CohortMemberPlanner, cohortMemberState, parseCohortMemberState, type CohortMemberAction, type CohortMemberContext } from '../cohort-members/rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { CohortRecord } from './record.js';
import type { CohortMemberRecord } from '../cohort-members/record.js';
import type { LedgerLink } from '../../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';

function lnk(entity: string, key: string, over: Partial<LedgerLink> = {}): LedgerLink {
  return { entity, key, moodleId: 9, dataSource: 'SIS', hash: null, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

function coh(key: string, fields: CohortRecord['fields'] = { name: `Cohort ${key}` }, extra: Partial<CohortRecord> = {}): CohortRecord {
  return { key, fields, dataSource: 'SIS', ...extra };
}

function planCohorts(rows: { record: CohortRecord; ctx?: CohortContext }[], op: Op = 'store', opts: { owned?: LedgerLink[]; disable?: 'delete' | 'suspend'; dataSource?: string } = {}) {
  const p = new CohortPlanner(defaultPlanOptions({ op, entity: 'cohorts', dataSource: opts.dataSource ?? 'SIS', force: true, disable: opts.disable ?? 'delete' }));
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<CohortRecord>, ctx ?? {}));
  return p.finish(opts.owned ?? []).actions as CohortAction[];
}

describe('cohorts planner', () => {
  it('creates a system cohort, or a category cohort by ledger id, else by idnumber', () => {
    const a = planCohorts([
      { record: coh('Y1', { name: 'Year 1', description: 'd', visible: false }) },
      { record: coh('Y2', { name: 'Year 2', category: 'FAC' }), ctx: { categoryId: 12 } },
      { record: coh('Y3', { name: 'Year 3', category: 'FAC' }) },
    ]);
    expect(a.map((x) => x.kind)).toEqual(['create', 'create', 'create']);
    expect(a[0].cohort).toEqual({ call: 'create', input: { categorytype: { type: 'system', value: '' }, name: 'Year 1', idnumber: 'Y1', description: 'd', visible: 0 } });
    expect(a[1].cohort?.input?.categorytype).toEqual({ type: 'id', value: '12' });
    expect(a[2].cohort?.input?.categorytype).toEqual({ type: 'idnumber', value: 'FAC' });
    expect(a[0].hash).toBe(cohortHash(coh('Y1', { name: 'Year 1', description: 'd', visible: false })));
  });

  it('leaves an unchanged row alone and sends the full record when something changed', () => {
    const r = coh('Y1', { name: 'Year 1' });
    const same = planCohorts([{ record: r, ctx: { link: lnk('cohorts', 'Y1', { hash: cohortHash(r) }) } }]);
    expect(same[0]).toMatchObject({ kind: 'unchanged', moodleId: 9 });
    const changed = planCohorts([{ record: coh('Y1', { name: 'Year One' }), ctx: { link: lnk('cohorts', 'Y1', { hash: cohortHash(r) }) } }]);
    expect(changed[0]).toMatchObject({ kind: 'update', moodleId: 9, cohort: { call: 'update', input: { name: 'Year One', idnumber: 'Y1', categorytype: { type: 'system', value: '' } } } });
    // Linked without a data source: the row's data source claims it, nothing to send. Another data source's: refused.
    const claimed = planCohorts([{ record: r, ctx: { link: lnk('cohorts', 'Y1', { hash: cohortHash(r), dataSource: null }) } }]);
    expect(claimed[0]).toMatchObject({ kind: 'update', cohort: { call: 'none' } });
    const foreign = planCohorts([{ record: r, ctx: { link: lnk('cohorts', 'Y1', { hash: cohortHash(r), dataSource: 'OTHER' }) } }]);
    expect(foreign[0]).toMatchObject({ kind: 'fail', error: { code: 'data-source-mismatch' } });
  });

  it('adopts a cohort found by idnumber and sends the row to it', () => {
    const [a] = planCohorts([{ record: coh('Y1'), ctx: { match: { id: 4, via: 'idnumber' } } }]);
    expect(a).toMatchObject({ kind: 'adopt', moodleId: 4, cohort: { call: 'update' } });
    expect(a.reason).toContain('found in Moodle by idnumber (cohort 4)');
  });

  it('fails a role: cohort, an ambiguous idnumber and a store without a name', () => {
    const a = planCohorts([
      { record: coh('role:TEACHER'), ctx: { match: { id: 5, via: 'idnumber' } } },
      { record: coh('Y2'), ctx: { ambiguous: '2 Moodle cohorts have idnumber Y2' } },
      { record: coh('Y3', {}) },
      { record: coh('role:X', { name: 'x' }, { command: 'delete' }), ctx: { link: lnk('cohorts', 'role:X') } },
    ]);
    expect(a.map((x) => x.error?.code)).toEqual(['reserved-cohort', 'ambiguous-match', 'missing-value', 'reserved-cohort']);
    expect(a[0].reason).toContain('belong to institution roles');
  });

  it('deletes by default on an explicit delete or ROW_STATUS, empties with disable: empty', () => {
    const link = lnk('cohorts', 'Y1', { hash: 'h' });
    const del = planCohorts([{ record: coh('Y1'), ctx: { link } }], 'delete');
    expect(del[0]).toMatchObject({ kind: 'delete', moodleId: 9, state: DELETED_STATE, status: 'disabled', cohort: { call: 'delete' } });
    const st = planCohorts([{ record: coh('Y1', { name: 'x' }, { rowStatus: 'deleted' }), ctx: { link } }]);
    expect(st[0]).toMatchObject({ kind: 'delete', cohort: { call: 'delete' } });
    const empty = planCohorts([{ record: coh('Y1'), ctx: { link } }], 'delete', { disable: 'suspend' });
    expect(empty[0]).toMatchObject({ kind: 'disable', hash: 'h', status: 'disabled', cohort: { call: 'empty' } });
    const notThere = planCohorts([{ record: coh('Y9') }], 'delete');
    expect(notThere[0]).toMatchObject({ kind: 'unchanged' });
  });

  it('re-creates a cohort mdlsync deleted, and re-sends one it emptied', () => {
    const r = coh('Y1');
    const a = planCohorts([
      { record: r, ctx: { link: lnk('cohorts', 'Y1', { status: 'disabled', state: DELETED_STATE }) } },
      { record: coh('Y2'), ctx: { link: lnk('cohorts', 'Y2', { status: 'disabled', hash: cohortHash(coh('Y2')) }) } },
    ]);
    expect(a[0]).toMatchObject({ kind: 'enable', cohort: { call: 'create' } });
    expect(a[1]).toMatchObject({ kind: 'enable', moodleId: 9, cohort: { call: 'update' } });
  });

  it('a refresh empties (never deletes) only owned cohorts the file lacks, in the run\'s scope', () => {
    const owned = [lnk('cohorts', 'Y1'), lnk('cohorts', 'Y2', { hash: 'h2' }), lnk('cohorts', 'Z1', { dataSource: 'OTHER' })];
    const all = planCohorts([{ record: coh('Y1'), ctx: { link: owned[0] } }], 'refresh', { owned });
    expect(all.filter((x) => x.line === null).map((x) => [x.key, x.kind, x.cohort?.call])).toEqual([
      ['Y2', 'disable', 'empty'],
      ['Z1', 'disable', 'empty'],
    ]);
    const ds = planCohorts([{ record: coh('Y1'), ctx: { link: owned[0] } }], 'refresh-ds', { owned, dataSource: 'SIS' });
    expect(ds.filter((x) => x.line === null).map((x) => x.key)).toEqual(['Y2']);
  });
});

function mem(cohort: string, person: string, extra: Partial<CohortMemberRecord> = {}): CohortMemberRecord {
  return { key: `${cohort}|${person}`, fields: { cohort, person }, dataSource: 'SIS', ...extra };
}

function planMembers(rows: { record: CohortMemberRecord; ctx?: CohortMemberContext }[], op: Op = 'store', owned: LedgerLink[] = []) {
  const p = new CohortMemberPlanner(defaultPlanOptions({ op, entity: 'cohort-members', dataSource: 'SIS', force: true }));
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<CohortMemberRecord>, ctx ?? { cohortId: 4, userId: 26 }));
  return p.finish(owned).actions as CohortMemberAction[];
}

describe('cohort-members planner', () => {
  it('adds a new member by ids, and costs nothing when unchanged', () => {
    const [a] = planMembers([{ record: mem('Y1', 'P1') }]);
    expect(a).toMatchObject({ kind: 'create', moodleId: 26, state: cohortMemberState(4), member: { call: 'add', cohortId: 4 } });
    const [b] = planMembers([{ record: mem('Y1', 'P1'), ctx: { cohortId: 4, userId: 26, link: lnk('cohort-members', 'Y1|P1', { moodleId: 26, state: cohortMemberState(4) }) } }]);
    expect(b.kind).toBe('unchanged');
    const [c] = planMembers([{ record: mem('Y1', 'P1'), ctx: { cohortId: 5, userId: 26, link: lnk('cohort-members', 'Y1|P1', { moodleId: 26, state: cohortMemberState(4) }) } }]);
    expect(c).toMatchObject({ kind: 'update', member: { call: 'add', cohortId: 5 } });
  });

  it('fails an unknown person or cohort with its key, and a role: cohort', () => {
    const a = planMembers([
      { record: mem('Y1', 'NOBODY'), ctx: { cohortId: 4 } },
      { record: mem('NOPE', 'P1'), ctx: { userId: 26 } },
      { record: mem('role:T', 'P1') },
    ]);
    expect(a.map((x) => [x.error?.code, x.reason])).toEqual([
      ['unknown-person', 'unknown person NOBODY'],
      ['unknown-cohort', 'unknown cohort NOPE'],
      ['reserved-cohort', expect.stringContaining('reserved')],
    ]);
  });

  it('removes on delete, ROW_STATUS disabled and refresh; a refresh only knows the ledger\'s memberships', () => {
    const link = lnk('cohort-members', 'Y1|P1', { moodleId: 26, state: cohortMemberState(4) });
    const [d] = planMembers([{ record: mem('Y1', 'P1'), ctx: { link } }], 'delete');
    expect(d).toMatchObject({ kind: 'disable', moodleId: 26, member: { call: 'remove', cohortId: 4 } });
    const [s] = planMembers([{ record: mem('Y1', 'P2', { rowStatus: 'disabled' }), ctx: { cohortId: 4, userId: 27 } }]);
    expect(s).toMatchObject({ kind: 'disable', moodleId: 27, member: { call: 'remove', cohortId: 4 } });
    const owned = [link, lnk('cohort-members', 'Y1|P3', { moodleId: 28, state: cohortMemberState(4) })];
    const r = planMembers([{ record: mem('Y1', 'P1'), ctx: { cohortId: 4, userId: 26, link } }], 'refresh', owned);
    expect(r.map((x) => [x.key, x.kind])).toEqual([
      ['Y1|P1', 'unchanged'],
      ['Y1|P3', 'disable'],
    ]);
    expect(r[1].member).toEqual({ call: 'remove', cohortId: 4 });
  });

  it('reads its hash back and finds the member links of cohorts', () => {
    expect(parseCohortMemberState(cohortMemberState(12))).toBe(12);
    expect(parseCohortMemberState('m1;group=3')).toBeUndefined();
    const links = [lnk('cohort-members', 'Y1|P1'), lnk('cohort-members', 'Y10|P1'), lnk('cohort-members', 'Y2|P1')];
    expect(membersOfCohorts(links, new Set(['Y1', 'Y2'])).map((l) => l.key)).toEqual(['Y1|P1', 'Y2|P1']);
  });
});
