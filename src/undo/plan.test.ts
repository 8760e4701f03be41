/** The undo plan: each entity's reversal of a before-image, what changed since is left, and the guard. */
import { describe, expect, it } from '@jest/globals';
import { entity } from '../entities/index.js';
import { DEFAULT_ENROLMENT_SETTINGS } from '../entities/enrolments/rules.js';
import { SqliteLedger } from '../ledger/sqlite.js';
import type { BeforeImage, LinkImage } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/types.js';
import { planUndoPart, undoGuard } from './plan.js';

const ctx = { settings: { enrolments: DEFAULT_ENROLMENT_SETTINGS }, includingCreates: false };
const link = (over: Partial<LinkImage> = {}): LinkImage => ({ moodleId: 7, dataSource: 'SIS', status: 'active', hash: 'h1', state: null, fields: null, ...over });
const image = (entityType: string, key: string, before: LinkImage | null, after: BeforeImage['after']): BeforeImage => ({ runId: 'r1', entity: entityType, key, before, after });
const guard = { maxPercent: 10, maxCount: 1000, maxUpdatePercent: 25, updateMinOwned: 100 };

describe('persons', () => {
  const reverse = (i: BeforeImage, including = false, fields: string | null = null) => entity('persons').undo!.reverse(i, { ...ctx, includingCreates: including }, fields);

  it('a disable is re-enabled as the file last said: available, or unavailable (AVAILABLE_IND=N) and so still suspended', () => {
    expect(reverse(image('persons', 'P1', link({ fields: '{"email":"a@x","suspended":"0"}' }), link({ status: 'disabled' })))).toMatchObject({ kind: 'enable', moodleId: 7, suspended: false, hash: 'h1', status: 'active' });
    expect(reverse(image('persons', 'P1', link({ fields: '{"suspended":"1"}' }), link({ status: 'disabled' })))).toMatchObject({ kind: 'enable', suspended: true });
  });

  it('an update sends the values from before (never a password); a field with no value known before is named and left', () => {
    const a = reverse(image('persons', 'P1', link({ fields: '{"email":"a@x","firstname":"Ann","profile_field_house":"Red"}' }), link({ hash: 'h2' })), false, '{"email":"b@x","firstname":"Ann","city":"Oslo"}');
    expect(a).toMatchObject({ kind: 'update', hash: 'h1', sendPassword: false, record: { key: 'P1', fields: { email: 'a@x', firstname: 'Ann' }, customfields: { house: 'Red' } } });
    expect((a as { reason: string }).reason).toMatch(/city: no value known from before the run, left as the run set it/);
    expect(reverse(image('persons', 'P1', link(), link({ hash: 'h2' })))).toEqual({ left: expect.stringMatching(/kept no values from before it/) });
  });

  it('a create is left unless --including-creates, which suspends it; an adoption is always left', () => {
    const made = image('persons', 'P9', null, { ...link({ hash: 'h9' }), action: 'create' });
    expect(reverse(made)).toEqual({ left: 'created by the run: left (--including-creates suspends it)' });
    expect(reverse(made, true)).toMatchObject({ kind: 'disable', suspended: true, status: 'disabled', hash: 'h9' });
    expect(reverse(image('persons', 'P9', null, { ...link(), action: 'adopt' }), true)).toEqual({ left: expect.stringMatching(/^adopted by the run/) });
  });
});

describe('enrolments', () => {
  const reverse = (i: BeforeImage, including = false) => entity('enrolments').undo!.reverse(i, { ...ctx, includingCreates: including }, null);
  const state = 'e1;role=editingteacher;start=100;end=200;suspend=0';

  it('an unenrolment is enrolled again with the same role, dates and suspension', () => {
    expect(reverse(image('enrolments', 'C1|P1', link({ hash: null, state }), link({ hash: null, state, status: 'disabled' })))).toMatchObject({
      kind: 'enable',
      state,
      status: 'active',
      enrolment: { call: 'enrol', role: 'editingteacher', roleId: 3, timestart: 100, timeend: 200, suspend: false },
    });
  });

  it('a role change gets the old role back and takes back the one the run gave', () => {
    const a = reverse(image('enrolments', 'C1|P1', link({ hash: null, state }), link({ hash: null, state: 'e1;role=student;start=100;end=200;suspend=0' })));
    expect(a).toMatchObject({ kind: 'update', state, enrolment: { roleId: 3, unassign: { roleId: 5, role: 'student' } } });
  });

  it('an enrolment the run made is suspended with --including-creates, never removed', () => {
    const made = image('enrolments', 'C1|P1', null, link({ hash: null, state: 'e1;role=student;start=0;end=0;suspend=0' }));
    expect(reverse(made)).toEqual({ left: expect.stringMatching(/--including-creates/) });
    expect(reverse(made, true)).toMatchObject({ kind: 'disable', status: 'disabled', state: 'e1;role=student;start=0;end=0;suspend=1', enrolment: { call: 'enrol', suspend: true, roleId: 5 } });
  });
});

describe('group members', () => {
  const reverse = (i: BeforeImage, including = false) => entity('group-members').undo!.reverse(i, { ...ctx, includingCreates: including }, null);
  it('a removal is added back to the same group; an addition is removed only with --including-creates', () => {
    expect(reverse(image('group-members', 'C1|A|P1', link({ hash: null, state: 'm1;group=12' }), link({ hash: null, state: 'm1;group=12', status: 'disabled' })))).toMatchObject({
      kind: 'enable',
      status: 'active',
      member: { call: 'add', groupId: 12, leave: [] },
    });
    const added = image('group-members', 'C1|A|P1', null, link({ hash: null, state: 'm1;group=12' }));
    expect(reverse(added)).toEqual({ left: expect.stringMatching(/--including-creates/) });
    expect(reverse(added, true)).toMatchObject({ kind: 'disable', member: { call: 'remove', groupId: 12 } });
  });
});

describe('cohort members', () => {
  const reverse = (i: BeforeImage, including = false) => entity('cohort-members').undo!.reverse(i, { ...ctx, includingCreates: including }, null);
  const state = 'cm1;cohort=5';
  it('a removal is added back to the same cohort; one added again is removed again; an addition is removed only with --including-creates', () => {
    expect(reverse(image('cohort-members', 'K1|P1', link({ hash: null, state }), link({ hash: null, state, status: 'disabled' })))).toMatchObject({
      kind: 'enable',
      moodleId: 7,
      state,
      status: 'active',
      member: { call: 'add', cohortId: 5 },
      reason: 'undo: removed by the run, added back to cohort K1',
    });
    expect(reverse(image('cohort-members', 'K1|P1', link({ hash: null, state, status: 'disabled' }), link({ hash: null, state })))).toMatchObject({
      kind: 'disable',
      status: 'disabled',
      member: { call: 'remove', cohortId: 5 },
      reason: 'undo: added again by the run, removed from cohort K1 again',
    });
    const added = image('cohort-members', 'K1|P1', null, link({ hash: null, state }));
    expect(reverse(added)).toEqual({ left: 'added by the run: left (--including-creates removes it from the cohort)' });
    expect(reverse(added, true)).toMatchObject({ kind: 'disable', status: 'disabled', member: { call: 'remove', cohortId: 5 } });
  });

  it('leaves what it cannot put back: no cohort kept, a move to another cohort, nothing changed', () => {
    expect(reverse(image('cohort-members', 'K1|P1', link({ hash: null, state: null }), link({ hash: null, state: null, status: 'disabled' })))).toEqual({ left: 'the ledger kept no cohort from before the run' });
    expect(reverse(image('cohort-members', 'K1|P1', link({ hash: null, state }), link({ hash: null, state: 'cm1;cohort=6' })))).toEqual({ left: expect.stringMatching(/^moved to another Moodle cohort/) });
    expect(reverse(image('cohort-members', 'K1|P1', link({ hash: null, state }), link({ hash: null, state })))).toEqual({ left: 'the run changed nothing mdlsync can put back' });
  });
});

describe('planUndoPart', () => {
  it('leaves a record a later run wrote, and one Moodle no longer shows as the run left it', async () => {
    const ledger = SqliteLedger.open(':memory:');
    try {
      const w = (key: string, moodleId: number, status: 'active' | 'disabled', runId: string) => ({ entity: 'persons', key, moodleId, dataSource: 'SIS', hash: 'h', status, runId });
      await ledger.writeLinks([w('P1', 1, 'active', 'r0'), w('P2', 2, 'active', 'r0'), w('P3', 3, 'active', 'r0')]);
      await ledger.writeLinks([w('P1', 1, 'disabled', 'r1'), w('P2', 2, 'disabled', 'r1'), w('P3', 3, 'disabled', 'r1')]);
      // A later run re-enabled P2; P3 was re-activated in Moodle by hand.
      await ledger.writeLinks([w('P2', 2, 'active', 'r2')]);
      const users = [
        { id: 1, username: 'u1', email: 'u1@x', idnumber: 'P1', suspended: true },
        { id: 3, username: 'u3', email: 'u3@x', idnumber: 'P3', suspended: false },
      ];
      const client: MoodleCaller = { call: async <T>(fn: string) => (fn === 'core_user_get_users_by_field' ? users : []) as T };
      const part = await planUndoPart('persons', await ledger.images.forRun('r1'), ledger, client, { settings: {}, includingCreates: false, reads: { retries: 1, backoffMs: 1, chunkSize: 100 }, guard, force: false });
      expect(part.plan.actions.map((a) => [a.key, a.kind, a.reason])).toEqual([
        ['P1', 'enable', 'undo: disabled by the run, re-enabled'],
        ['P2', 'unchanged', 'left: changed since the run: active now (the run left it disabled)'],
        ['P3', 'unchanged', 'left: changed since the run: the account is not suspended any more (by hand or by another tool)'],
      ]);
      expect(part.plan.counts).toMatchObject({ enable: 1, unchanged: 2 });
      expect(part.plan.guard).toBeNull();
    } finally {
      await ledger.close();
    }
  });
});

describe('planUndoPart of cohort members', () => {
  it('leaves a membership re-added by hand and one whose cohort is gone, never asking get_cohort_members for a gone cohort', async () => {
    const ledger = SqliteLedger.open(':memory:');
    try {
      const w = (key: string, moodleId: number, cohort: number, status: 'active' | 'disabled', runId: string) => ({ entity: 'cohort-members', key, moodleId, dataSource: 'SIS', hash: null, state: `cm1;cohort=${cohort}`, status, runId });
      const all = (status: 'active' | 'disabled', runId: string) => [w('K1|P1', 1, 5, status, runId), w('K1|P2', 2, 5, status, runId), w('K2|P3', 3, 6, status, runId)];
      await ledger.writeLinks(all('active', 'r0'));
      await ledger.writeLinks(all('disabled', 'r1'));
      // P2 was put back in cohort 5 by hand; cohort 6 was deleted in Moodle since.
      const asked: number[][] = [];
      const client: MoodleCaller = {
        call: async <T>(fn: string, params?: Record<string, unknown>) => {
          const ids = (params?.cohortids ?? []) as number[];
          if (fn === 'core_cohort_get_cohorts') return ids.filter((id) => id === 5).map((id) => ({ id, idnumber: 'K1', name: 'K1' })) as T;
          if (fn === 'core_cohort_get_cohort_members') {
            asked.push(ids);
            if (ids.some((id) => id !== 5)) throw new Error('invalidrecord');
            return [{ cohortid: 5, userids: [2, 9] }] as T;
          }
          return [] as T;
        },
      };
      const part = await planUndoPart('cohort-members', await ledger.images.forRun('r1'), ledger, client, { settings: {}, includingCreates: false, reads: { retries: 1, backoffMs: 1, chunkSize: 100 }, guard, force: false });
      expect(part.plan.actions.map((a) => [a.key, a.kind, a.reason])).toEqual([
        ['K1|P1', 'enable', 'undo: removed by the run, added back to cohort K1'],
        ['K1|P2', 'unchanged', 'left: changed since the run: a member of the cohort again (by hand or by another tool)'],
        ['K2|P3', 'unchanged', 'left: changed since the run: cohort 6 is no longer in Moodle'],
      ]);
      expect(part.plan.actions[0]).toMatchObject({ moodleId: 1, member: { call: 'add', cohortId: 5 } });
      expect(asked).toEqual([[5]]);
      expect(part.plan.guard).toBeNull();
    } finally {
      await ledger.close();
    }
  });
});

describe('undoGuard', () => {
  const counts = (disable: number, update = 0) => ({ create: 0, adopt: 0, update, enable: 0, disable, delete: 0, unchanged: 0, fail: 0 });
  it('refuses disabling or changing more of the owned records than a run may, unless forced; enables alone are not guarded', () => {
    expect(undoGuard('persons', counts(0), 100, guard, false)).toBeNull();
    expect(undoGuard('persons', counts(10), 100, guard, false)).toMatchObject({ refused: false, forced: false, toDisable: 10, limit: 10 });
    expect(undoGuard('persons', counts(11), 100, guard, false)).toMatchObject({ refused: true, message: expect.stringMatching(/^undo would disable 11 of 100 persons owned \(limit 10\): refused/) });
    expect(undoGuard('persons', counts(11), 100, guard, true)).toMatchObject({ refused: false, forced: true });
    expect(undoGuard('persons', counts(0, 26), 100, guard, false)).toMatchObject({ kind: 'update', refused: true, limit: 25 });
    // Below guard.updateMinOwned the updates are not guarded.
    expect(undoGuard('persons', counts(0, 26), 99, guard, false)).toMatchObject({ refused: false });
  });
});
