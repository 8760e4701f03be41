/**
 * The planner's update guard (guard.maxUpdatePercent) and additions-only windows (guard.additionsOnly): what is held,
 * what is counted, and the verdict's words. The planner is pure: "now" comes in through the options.
 */
import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from './fold.js';
import { ANY_FIELD, type PlanOptions } from './types.js';
import { activeWindow, windowProblem, windowSpan } from './windows.js';
import { PersonPlanner } from '../entities/persons/rules.js';
import { personContentHash } from '../entities/persons/hash.js';
import type { PersonRecord } from '../entities/persons/record.js';
import { DEFAULT_ENROLMENT_SETTINGS, EnrolmentPlanner, changedEnrolmentFields, enrolmentState } from '../entities/enrolments/rules.js';
import type { EnrolmentContext } from '../entities/enrolments/rules.js';
import type { EnrolmentRecord } from '../entities/enrolments/record.js';
import { changedGroupFields, groupState } from '../entities/groups/rules.js';
import type { FeedItem } from '../feed/types.js';
import type { LedgerLink } from '../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';
/** The config's defaults (the planner's own default is no update guard). */
const G = { maxPercent: 10, maxCount: 1000, maxUpdatePercent: 25, updateMinOwned: 100 };

function person(i: number, email = `p${i}@old.example`): PersonRecord {
  const key = `P${i}`;
  return { key, fields: { username: `p${i}`, firstname: 'A', lastname: 'B', idnumber: key, email }, available: true };
}

function personLink(i: number, over: Partial<LedgerLink> = {}): LedgerLink {
  const hash = personContentHash(person(i), 'create-only');
  return { entity: 'persons', key: `P${i}`, moodleId: 100 + i, dataSource: 'SIS', hash, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

/** `n` owned persons; the file changes the email of the first `changed` of them (and leaves out the last `missing`). */
function planPersons(n: number, changed: number, options: Partial<PlanOptions<'persons'>> & Pick<PlanOptions<'persons'>, 'op'>, missing = 0, extra: PersonRecord[] = [], owned?: number) {
  const planner = new PersonPlanner(defaultPlanOptions({ dataSource: 'SIS', ...options, guard: { ...G, ...options.guard } }));
  const links = Array.from({ length: n }, (_, i) => personLink(i));
  for (let i = 0; i < n - missing; i++) planner.add({ line: i + 2, record: i < changed ? person(i, `p${i}@new.example`) : person(i) }, { link: links[i] });
  extra.forEach((r, j) => planner.add({ line: n + 2 + j, record: r }, { link: links.find((l) => l.key === r.key) }));
  if (planner.updatesNeedOwned()) planner.setOwnedForUpdates(owned ?? n);
  return planner.finish(options.op === 'refresh' || options.op === 'refresh-ds' ? links : []);
}

describe('the update guard', () => {
  it('refuses a store that changes the content of more than 25% of 200 owned persons, naming no field it cannot know', () => {
    const plan = planPersons(200, 51, { op: 'store' });
    expect(plan.counts.update).toBe(51);
    expect(plan.guard).toMatchObject({ kind: 'update', entity: 'persons', owned: 200, limit: 50, refused: true, forced: false, updates: { field: ANY_FIELD, count: 51 } });
    expect(plan.guard?.message).toBe(
      'store would change the content (the ledger keeps a content hash of these, not their fields: which field is not known) of 51 of 200 persons owned (limit 50: 25% of owned, guard.maxUpdatePercent): refused; check the file or pass --force',
    );
  });

  it('lets 50 of 200 through (no verdict for a store), and --force over the limit', () => {
    expect(planPersons(200, 50, { op: 'store' }).guard).toBeNull();
    expect(planPersons(200, 51, { op: 'store', force: true }).guard).toMatchObject({ kind: 'update', refused: false, forced: true });
  });

  it('applies from guard.updateMinOwned owned records on; null (the planner default) switches it off', () => {
    expect(planPersons(200, 200, { op: 'store', guard: { maxPercent: 10, maxCount: 1000, maxUpdatePercent: undefined } }).guard).toBeNull();
    expect(planPersons(99, 99, { op: 'store' }).guard).toBeNull();
    expect(planPersons(10, 10, { op: 'store', guard: { maxPercent: 10, maxCount: 1000, updateMinOwned: 10 } }).guard?.refused).toBe(true);
    expect(planPersons(200, 200, { op: 'store', guard: { maxPercent: 10, maxCount: 1000, maxUpdatePercent: null } }).guard).toBeNull();
  });

  it('asks the caller for the owned count only when the updates could be over the limit', () => {
    const planner = new PersonPlanner(defaultPlanOptions({ op: 'store', dataSource: 'SIS', guard: G }));
    for (let i = 0; i < 25; i++) planner.add({ line: i + 2, record: person(i, 'x@new.example') }, { link: personLink(i) });
    expect(planner.updatesNeedOwned()).toBe(false);
    planner.add({ line: 99, record: person(25, 'x@new.example') }, { link: personLink(25) });
    expect(planner.updatesNeedOwned()).toBe(true);
    // Without a count (a caller that gives none), no verdict: the guard never guesses the owned records.
    expect(planner.finish().guard).toBeNull();
  });

  it('counts neither --full re-sends nor a link without a hash', () => {
    const full = planPersons(200, 0, { op: 'store', full: true });
    expect(full.counts.update).toBe(200);
    expect(full.guard).toBeNull();
    const planner = new PersonPlanner(defaultPlanOptions({ op: 'store', dataSource: 'SIS', guard: G }));
    for (let i = 0; i < 200; i++) planner.add({ line: i + 2, record: person(i) }, { link: personLink(i, { hash: null }) });
    expect(planner.updatesNeedOwned()).toBe(false);
  });

  it('guards a refresh too: the update verdict leads, the disable verdict follows', () => {
    const plan = planPersons(200, 60, { op: 'refresh' }, 1);
    expect(plan.guard).toMatchObject({ kind: 'update', owned: 200, toDisable: 1, refused: true, updates: { count: 60 } });
    expect(plan.guard?.message).toMatch(/^refresh would change the content .* of 60 of 200 persons owned \(limit 50.*refused; check the file or pass --force; refresh would disable 1 of 200 persons owned in all data sources \(limit 20\): within the limit$/);
  });

  it('does not guard updates of an explicit delete', () => {
    expect(planPersons(200, 200, { op: 'delete' }).guard).toBeNull();
  });
});

describe('fields the ledger keeps: enrolments and groups', () => {
  const state = (over: Partial<{ role: string; start: number; end: number; suspend: boolean }> = {}) => enrolmentState({ role: 'student', start: 0, end: 0, suspend: false, ...over });
  const eLink = (s: string): LedgerLink => ({ entity: 'enrolments', key: 'C|P', moodleId: 40, dataSource: 'SIS', hash: null, state: s, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null });

  it('names the changed enrolment fields', () => {
    expect(changedEnrolmentFields(eLink(state()), { state: state({ start: 100 }) })).toEqual(['start date']);
    expect(changedEnrolmentFields(eLink(state()), { state: state({ role: 'editingteacher', suspend: true }) })).toEqual(['role', 'suspend']);
    expect(changedEnrolmentFields(eLink('junk'), { state: state({ start: 100 }) })).toEqual([]);
  });

  it('names the changed group fields', () => {
    const g = (s: string): LedgerLink => ({ ...eLink(s), entity: 'groups' });
    expect(changedGroupFields(g(groupState('A', 'd')), { state: groupState('B', 'd') })).toEqual(['name']);
    expect(changedGroupFields(g(groupState('A', 'd')), { state: groupState('A', 'e') })).toEqual(['description']);
  });

  it('refuses a store that shifts the start date of every enrolment, naming the field', () => {
    const ctx: EnrolmentContext = { courseId: 7, userId: 40, match: { id: 40, via: 'idnumber' } };
    const p = new EnrolmentPlanner(defaultPlanOptions({ op: 'store', entity: 'enrolments', dataSource: 'SIS', guard: G }), DEFAULT_ENROLMENT_SETTINGS);
    for (let i = 0; i < 120; i++) {
      const record: EnrolmentRecord = { key: `C${i}|P`, fields: { course: `C${i}`, person: 'P', role: 'student', start: 86_400 } };
      p.add({ line: i + 2, record } as FeedItem<EnrolmentRecord>, { ...ctx, link: { ...eLink(state()), key: record.key } });
    }
    expect(p.updatesNeedOwned()).toBe(true);
    p.setOwnedForUpdates(120);
    const plan = p.finish();
    expect(plan.counts.update).toBe(120);
    expect(plan.guard).toMatchObject({ kind: 'update', refused: true, updates: { field: 'start date', count: 120, byField: { 'start date': 120 } } });
    expect(plan.guard?.message).toMatch(/^store would change the start date of 120 of 120 enrolments owned \(limit 30/);
  });
});

describe('additions-only windows', () => {
  const windows = [{ from: '2026-08-15', to: '2026-09-15' }];
  const at = (iso: string) => Date.parse(iso);

  it('spans whole days in the time zone, both ends inclusive; ISO date-times are instants', () => {
    expect(activeWindow(windows, at('2026-08-14T23:59:59Z'), 'UTC')).toBeUndefined();
    expect(activeWindow(windows, at('2026-08-15T00:00:00Z'), 'UTC')).toEqual(windows[0]);
    expect(activeWindow(windows, at('2026-09-15T23:59:59Z'), 'UTC')).toEqual(windows[0]);
    expect(activeWindow(windows, at('2026-09-16T00:00:00Z'), 'UTC')).toBeUndefined();
    // Paris is UTC+2 in summer: its 15 August starts at 22:00 UTC the day before.
    expect(activeWindow(windows, at('2026-08-14T22:30:00Z'), 'Europe/Paris')).toEqual(windows[0]);
    expect(activeWindow(windows, at('2026-09-15T22:30:00Z'), 'Europe/Paris')).toBeUndefined();
    expect(windowSpan({ from: '2026-08-15T06:00+02:00', to: '2026-08-15T07:00:00Z' })).toEqual({ start: at('2026-08-15T04:00:00Z'), end: at('2026-08-15T07:00:01Z') });
    expect(activeWindow(windows, undefined, 'UTC')).toBeUndefined();
  });

  it('names an unreadable or reversed window', () => {
    expect(windowProblem({ from: '15/08/2026', to: '2026-09-15' })).toMatch(/give dates as YYYY-MM-DD/);
    expect(windowProblem({ from: '2026-09-15', to: '2026-08-15' })).toMatch(/ends before it starts/);
    expect(windowProblem(windows[0])).toBeUndefined();
  });

  const guard = { maxPercent: 10, maxCount: 1000, additionsOnly: windows, timezone: 'UTC' };

  it('inside a window a refresh stores, and holds the disables of missing records and of its rows', () => {
    const disabledRow: PersonRecord = { ...person(19), rowStatus: 'disabled' };
    const plan = planPersons(20, 2, { op: 'refresh', guard, now: at('2026-08-20T10:00:00Z') }, 5, [disabledRow]);
    expect(plan.counts).toMatchObject({ update: 2, disable: 0, fail: 1 });
    const held = plan.actions.filter((a) => a.kind === 'fail');
    expect(held.map((a) => [a.key, a.line, a.error?.code])).toEqual([['P19', 22, 'held-additions-only']]);
    expect(held[0].error?.message).toMatch(/^held: the additions-only window 2026-08-15 … 2026-09-15 \(config guard.additionsOnly\) holds every disable of a refresh \(ROW_STATUS=disabled\)/);
    expect(plan.guard).toMatchObject({ kind: 'additions-only', owned: 20, toDisable: 5, heldRows: 1, refused: false, disablesHeld: true, window: windows[0] });
    expect(plan.guard?.message).toBe(
      'additions-only window 2026-08-15 … 2026-09-15: the refresh stores and holds every disable; 4 of 20 persons owned in all data sources missing from the file and 1 disable row(s) of the file (in the tryback file) were not disabled',
    );
  });

  it('outside the window, and for a store or an explicit delete, disables go ahead as before', () => {
    const after = planPersons(20, 0, { op: 'refresh', guard, now: at('2026-09-16T00:00:00Z') }, 1);
    expect(after.counts.disable).toBe(1);
    expect(after.guard?.kind).toBeUndefined();
    const store = planPersons(20, 0, { op: 'store', guard, now: at('2026-08-20T10:00:00Z') }, 1, [{ ...person(19), rowStatus: 'disabled' }]);
    expect(store.counts.disable).toBe(1);
    const del = planPersons(3, 0, { op: 'delete', guard, now: at('2026-08-20T10:00:00Z') });
    expect(del.counts.disable).toBe(3);
  });
});
