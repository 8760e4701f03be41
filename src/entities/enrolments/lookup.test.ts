import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { EnrolmentRecord } from './record.js';
import { DEFAULT_ENROLMENT_SETTINGS, EnrolmentPlanner, enrolmentState, type EnrolmentAction } from './rules.js';
import { enrolmentLookup } from './lookup.js';
import { SqliteLedger } from '../../ledger/index.js';
import type { LinkWrite } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { DEFAULT_APPLY_OPTIONS, applyPlan } from '../../apply/index.js';
import { planChunks, planChunksCompact } from '../../plan/chunks.js';
import { defaultPlanOptions } from '../../plan/index.js';
import type { AnyAction, Op } from '../../plan/types.js';
import type { FeedItem } from '../../feed/types.js';

/** Courses C2 (id 8) and two courses TWIN; users by idnumber P1..P4 (ids 40..43); unenrols always taken. */
class FakeMoodle implements MoodleCaller {
  readonly calls: { fn: string; value?: unknown }[] = [];
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    this.calls.push({ fn, value: params.value });
    switch (fn) {
      case 'core_course_get_courses_by_field': {
        const all = [
          { id: 8, idnumber: 'C2', shortname: 'S2' },
          { id: 11, idnumber: 'TWIN', shortname: 'T1' },
          { id: 12, idnumber: 'TWIN', shortname: 'T2' },
        ];
        const field = params.field as 'idnumber' | 'shortname' | 'id';
        return { courses: all.filter((c) => String(c[field]) === String(params.value)), warnings: [] } as T;
      }
      case 'core_user_get_users_by_field':
        if (params.field === 'username') return (params.values as string[]).flatMap((v) => (/^p[1-4]$/.test(v) ? [{ id: 39 + Number(v.slice(1)), username: v, idnumber: v.toUpperCase() }] : [])) as T;
        return (params.values as string[]).flatMap((v) => (/^P[1-4]$/.test(v) ? [{ id: 39 + Number(v.slice(1)), username: v.toLowerCase(), idnumber: v }] : [])) as T;
      case 'enrol_manual_enrol_users':
        return null as T;
      case 'enrol_manual_unenrol_users':
        return null as T;
      default:
        throw new Error(`unexpected ${fn}`);
    }
  }
  count(fn: string): number {
    return this.calls.filter((c) => c.fn === fn).length;
  }
}

const HASH = enrolmentState({ role: 'student', start: 0, end: 0, suspend: false });
const enrolment = (key: string, moodleId: number): LinkWrite => ({ entity: 'enrolments', key, moodleId, dataSource: null, hash: null, state: HASH, status: 'active', runId: 'r0' });
const rec = (course: string, person: string): EnrolmentRecord => ({ key: `${course}|${person}`, fields: { course, person } });
const feed = (records: EnrolmentRecord[]) => ({
  async *items(): AsyncIterable<FeedItem<EnrolmentRecord>> {
    let line = 2;
    for (const record of records) yield { line: line++, record };
  },
});

describe('the enrolments resolve step: a disable the fold could not place gets its course before the apply', () => {
  let ledger: SqliteLedger;
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
    await ledger.writeLinks([
      { entity: 'courses', key: 'C1', moodleId: 7, dataSource: null, hash: null, status: 'active', runId: 'r0' },
      enrolment('C1|P1', 40),
      enrolment('C2|P2', 41),
      enrolment('GONE|P3', 42),
      enrolment('TWIN|P4', 43),
    ]);
  });
  afterEach(async () => await ledger.close());

  const planRefresh = async (moodle: FakeMoodle, op: Op = 'refresh', force = true) => {
    const planner = new EnrolmentPlanner(defaultPlanOptions({ op, entity: 'enrolments', force }), DEFAULT_ENROLMENT_SETTINGS);
    return planChunks(feed([rec('C1', 'P1')]), planner, ledger, enrolmentLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
  };

  it('the plan says which course, that the course is gone, or why it is unknown; the applier only sends', async () => {
    const moodle = new FakeMoodle();
    const plan = await planRefresh(moodle);
    const byKey = new Map((plan.actions as EnrolmentAction[]).map((a) => [a.key, a]));
    // Disables keep their kind (and the plan its counts): only their target is completed.
    expect(plan.counts.disable).toBe(3);
    expect(byKey.get('C2|P2')?.enrolment).toEqual({ call: 'unenrol', courseId: 8 });
    expect(byKey.get('GONE|P3')?.enrolment).toEqual({ call: 'unenrol', gone: 'course GONE is no longer in Moodle: nothing to disable' });
    expect(byKey.get('TWIN|P4')?.enrolment).toEqual({ call: 'unenrol', unplaced: { code: 'lookup-failed', message: 'could not look up course TWIN in Moodle: 2 Moodle courses have idnumber TWIN' } });
    // C1 came from the ledger; each other course was asked once.
    expect(moodle.calls.filter((c) => c.fn === 'core_course_get_courses_by_field').map((c) => c.value).sort()).toEqual(['C2', 'GONE', 'TWIN']);

    const before = moodle.calls.length;
    const out = await applyPlan({ actions: plan.actions as AnyAction[] }, { client: moodle, ledger, runId: 'r1', options: DEFAULT_APPLY_OPTIONS });
    const outcome = new Map(out.map((o) => [o.key, o]));
    expect(outcome.get('C2|P2')).toMatchObject({ outcome: 'ok', moodleId: 41 });
    expect(outcome.get('GONE|P3')).toMatchObject({ outcome: 'ok', moodleId: 42, message: 'course GONE is no longer in Moodle: nothing to disable' });
    expect(outcome.get('TWIN|P4')).toMatchObject({ outcome: 'failed', errorcode: 'lookup-failed', moodleId: 43, message: 'could not look up course TWIN in Moodle: 2 Moodle courses have idnumber TWIN' });
    // The applier looked nothing up: its only call is the unenrol.
    expect(moodle.calls.slice(before).map((c) => c.fn)).toEqual(['enrol_manual_unenrol_users']);
    expect((await ledger.getLinks('enrolments', ['GONE|P3'])).get('GONE|P3')?.status).toBe('disabled');
    expect((await ledger.getLinks('enrolments', ['TWIN|P4'])).get('TWIN|P4')?.status).toBe('active');
  });

  it('a plan kept compact (mdlsync run) places the same courses with the same calls, and applies with the same calls, outcomes and links', async () => {
    const rows = [rec('C1', 'P1'), rec('C2', 'P2'), rec('C2', 'P1'), rec('C1', 'P4'), rec('NONE', 'P1')];
    const refresh = () => new EnrolmentPlanner(defaultPlanOptions({ op: 'refresh', entity: 'enrolments', force: true }), DEFAULT_ENROLMENT_SETTINGS);
    const arrayMoodle = new FakeMoodle();
    const asArray = await planChunks(feed(rows), refresh(), ledger, enrolmentLookup(arrayMoodle, ledger, { retries: 1, backoffMs: 1 }));
    const other = SqliteLedger.open(':memory:');
    try {
      await other.writeLinks([
        { entity: 'courses', key: 'C1', moodleId: 7, dataSource: null, hash: null, status: 'active', runId: 'r0' },
        enrolment('C1|P1', 40),
        enrolment('C2|P2', 41),
        enrolment('GONE|P3', 42),
        enrolment('TWIN|P4', 43),
      ]);
      const compactMoodle = new FakeMoodle();
      const compact = await planChunksCompact(feed(rows.map((r) => ({ ...r, fields: { ...r.fields } }))), refresh(), other, enrolmentLookup(compactMoodle, other, { retries: 1, backoffMs: 1 }));
      expect([...compact.actions]).toStrictEqual(asArray.actions);
      expect(JSON.stringify([...compact.actions])).toBe(JSON.stringify(asArray.actions));
      expect(compact.counts).toEqual(asArray.counts);
      expect(compactMoodle.calls).toEqual(arrayMoodle.calls);
      // Creates, unchanged rows, a row that fails, disables of a course gone and of one that could not be placed.
      expect(asArray.counts).toMatchObject({ create: 2, unchanged: 2, fail: 1, disable: 2 });

      const arrayFrom = arrayMoodle.calls.length;
      const compactFrom = compactMoodle.calls.length;
      const a = await applyPlan({ actions: asArray.actions as AnyAction[] }, { client: arrayMoodle, ledger, runId: 'r1', options: DEFAULT_APPLY_OPTIONS });
      const b = await applyPlan(compact, { client: compactMoodle, ledger: other, runId: 'r1', options: DEFAULT_APPLY_OPTIONS });
      expect(b).toEqual(a);
      expect(a.map((o) => `${o.key}:${o.outcome}`)).toEqual(['C1|P1:unchanged', 'C2|P2:unchanged', 'C2|P1:ok', 'C1|P4:ok', 'NONE|P1:failed', 'GONE|P3:ok', 'TWIN|P4:failed']);
      expect(compactMoodle.calls.slice(compactFrom)).toEqual(arrayMoodle.calls.slice(arrayFrom));
      const keys = ['C1|P1', 'C2|P2', 'C2|P1', 'C1|P4', 'GONE|P3', 'TWIN|P4'];
      const strip = (links: Map<string, object>) => [...links].map(([k, l]) => [k, { ...l, firstSeen: '', lastSeen: '', disabledAt: null }]);
      expect(strip(await other.getLinks('enrolments', keys))).toEqual(strip(await ledger.getLinks('enrolments', keys)));
    } finally {
      await other.close();
    }
  });

  it('a refused refresh asks Moodle nothing about the courses of the disables it will not apply', async () => {
    const moodle = new FakeMoodle();
    const plan = await planRefresh(moodle, 'refresh', false);
    expect(plan.guard?.refused).toBe(true);
    expect(moodle.count('core_course_get_courses_by_field')).toBe(0);
  });

  it('a row-driven disable reuses the course the chunk look-up placed: no second call', async () => {
    const moodle = new FakeMoodle();
    const planner = new EnrolmentPlanner(defaultPlanOptions({ op: 'store', entity: 'enrolments' }), DEFAULT_ENROLMENT_SETTINGS);
    const plan = await planChunks(feed([{ ...rec('GONE', 'P3'), rowStatus: 'disabled' }]), planner, ledger, enrolmentLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    expect((plan.actions[0] as EnrolmentAction).enrolment).toEqual({ call: 'unenrol', gone: 'course GONE is no longer in Moodle: nothing to disable' });
    expect(moodle.count('core_course_get_courses_by_field')).toBe(1);
  });

  it('by course shortname and username: placed in Moodle only; the enrol records the course id, which a later refresh disable uses', async () => {
    const moodle = new FakeMoodle();
    const byName = (course: string, person: string): EnrolmentRecord => ({ key: `${course}|${person}`, fields: { course, person, courseBy: 'shortname', personBy: 'username' } });
    const store = new EnrolmentPlanner(defaultPlanOptions({ op: 'store', entity: 'enrolments' }), DEFAULT_ENROLMENT_SETTINGS);
    const plan = await planChunks(feed([byName('S2', 'p1'), byName('C2', 'p2'), byName('S2', 'nobody')]), store, ledger, enrolmentLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    const byKey = new Map((plan.actions as EnrolmentAction[]).map((a) => [a.key, a]));
    expect(byKey.get('S2|p1')).toMatchObject({ kind: 'create', moodleId: 40, enrolment: { call: 'enrol', courseId: 8, courseBy: 'shortname' } });
    // C2 is an idnumber (and a ledger key of none here), not a shortname.
    expect(byKey.get('C2|p2')).toMatchObject({ kind: 'fail', error: { code: 'unknown-course', message: 'no Moodle course has shortname C2' } });
    expect(byKey.get('S2|nobody')).toMatchObject({ kind: 'fail', error: { code: 'unknown-person' } });
    expect(moodle.calls.filter((c) => c.fn === 'core_course_get_courses_by_field').map((c) => c.value).sort()).toEqual(['C2', 'S2']);

    const out = await applyPlan({ actions: plan.actions as AnyAction[] }, { client: moodle, ledger, runId: 'r1', options: DEFAULT_APPLY_OPTIONS });
    expect(out.find((o) => o.key === 'S2|p1')).toMatchObject({ outcome: 'ok', moodleId: 40 });
    expect(JSON.parse((await ledger.getLinks('enrolments', ['S2|p1'])).get('S2|p1')!.data!)).toMatchObject({ courseBy: 'shortname', courseId: 8 });

    // A link whose course is gone since: the refresh disables the link without a call.
    await ledger.writeLinks([{ ...enrolment('SGONE|p3', 42), data: JSON.stringify({ roleId: 5, timestart: 0, timeend: 0, suspend: false, courseBy: 'shortname', courseId: 99 }) }]);
    const refresh = new EnrolmentPlanner(defaultPlanOptions({ op: 'refresh', entity: 'enrolments', force: true }), DEFAULT_ENROLMENT_SETTINGS);
    const again = await planChunks(feed([rec('C1', 'P1')]), refresh, ledger, enrolmentLookup(moodle, ledger, { retries: 1, backoffMs: 1 }));
    const disables = new Map((again.actions as EnrolmentAction[]).map((a) => [a.key, a]));
    expect(disables.get('S2|p1')?.enrolment).toMatchObject({ call: 'unenrol', courseId: 8, courseById: 8 });
    expect(disables.get('SGONE|p3')?.enrolment).toMatchObject({ call: 'unenrol', gone: 'course SGONE is no longer in Moodle: nothing to disable' });
    // Each course asked once by its Moodle id (the shortname may have changed since; the id does not).
    expect(moodle.calls.filter((c) => c.fn === 'core_course_get_courses_by_field' && /^\d+$/.test(String(c.value))).map((c) => String(c.value)).sort()).toEqual(['8', '99']);
  });
});
