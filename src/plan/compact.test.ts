import { describe, expect, it } from '@jest/globals';
import { CompactActions, arraySlots, picked } from './compact.js';
import { EnrolmentPlanner, DEFAULT_ENROLMENT_SETTINGS, type EnrolmentContext } from '../entities/enrolments/rules.js';
import type { EnrolmentRecord } from '../entities/enrolments/record.js';
import type { FeedItem } from '../feed/types.js';
import { defaultPlanOptions } from './fold.js';
import type { Action } from './types.js';

const create = (key: string, line: number | null, moodleId: number | undefined, courseId = 7): Action =>
  ({
    kind: 'create',
    entity: 'enrolments',
    key,
    line,
    dataSource: 'SIS',
    moodleId,
    state: 'e1;role=student;start=0;end=0;suspend=0',
    status: 'active',
    enrolment: { call: 'enrol', courseId, roleId: 5, role: 'student', timestart: 0, timeend: 0, suspend: false },
    reason: 'new enrolment as student',
  }) as Action;

/** The same values with the same property order, nested objects included (JSON keeps the order). */
const same = (a: unknown, b: unknown): void => {
  expect(a).toStrictEqual(b);
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
};

describe('CompactActions', () => {
  it('gives back every action as it was given, in order, whether kept whole or by a shared template', () => {
    const given: Action[] = [
      create('C1|P1', 2, 40),
      create('C1|P2', 3, 41),
      create('C2|P1', 4, 40, 8),
      create('C1|P3', null, undefined),
      { kind: 'fail', entity: 'enrolments', key: 'C9|P9', line: 5, dataSource: 'SIS', reason: 'unknown course C9', error: { code: 'unknown-course', message: 'unknown course C9' } },
      { kind: 'create', entity: 'persons', key: 'P7', line: 6, dataSource: null, reason: 'new person', record: { key: 'P7', fields: { email: 'a@x' } } } as Action,
      { kind: 'unchanged', entity: 'enrolments', key: 'C1|P4', line: 7, dataSource: 'SIS', moodleId: 43, reason: 'unchanged' },
      { kind: 'unchanged', entity: 'enrolments', key: 'C1|P5', line: 8, dataSource: 'SIS', moodleId: 44, reason: 'unchanged' },
    ];
    const list = new CompactActions<Action>();
    for (const a of given) list.push(a);
    expect(list.length).toBe(given.length);
    given.forEach((a, i) => same(list.at(i), a));
    same([...list], given);
    expect(list.at(-1)).toBeUndefined();
    expect(list.at(given.length)).toBeUndefined();
  });

  it('keeps whole what it cannot make again exactly (a record, an error, a value that is not plain)', () => {
    const dated = { ...create('C1|P1', 2, 40), when: new Date(0) } as unknown as Action;
    const listed = { ...create('C1|P2', 3, 41), parts: [1, 2] } as unknown as Action;
    const withRecord = { ...create('C1|P3', 4, 42), record: { key: 'C1|P3', fields: { course: 'C1', person: 'P3' } } } as Action;
    // A Moodle id of null, a line left undefined: NaN could not tell them from undefined and null.
    const nullId = { ...create('C1|P4', 5, 40), moodleId: null } as unknown as Action;
    const noLine = { ...create('C1|P5', 6, 40), line: undefined } as unknown as Action;
    const list = new CompactActions<Action>();
    const given = [dated, listed, withRecord, nullId, noLine];
    for (const a of [create('C1|P0', 1, 39), ...given]) list.push(a);
    // Kept whole: the very objects come back.
    given.forEach((a, i) => expect(list.at(i + 1)).toBe(a));
  });

  it('tells apart values that print alike (a string and a number, an absent and an undefined property)', () => {
    const a = create('C1|P1', 2, 40);
    const b = { ...create('C1|P2', 3, 41), dataSource: '5' } as Action;
    const c = { ...create('C1|P3', 4, 42), dataSource: 5 } as unknown as Action;
    const d = { ...create('C1|P4', 5, 43), hash: undefined } as Action;
    const zero = create('C1|P6', 7, 45);
    const minusZero = { ...zero, key: 'C1|P7', line: 8, enrolment: { ...(zero as { enrolment: object }).enrolment, timestart: -0 } } as Action;
    const list = new CompactActions<Action>();
    for (const x of [a, b, c, d, zero, minusZero]) list.push(x);
    same(list.at(1), b);
    same(list.at(2), c);
    expect(Object.is((list.at(5) as { enrolment: { timestart: number } }).enrolment.timestart, -0)).toBe(true);
    expect(Object.is((list.at(4) as { enrolment: { timestart: number } }).enrolment.timestart, 0)).toBe(true);
    expect(Object.keys(list.at(3)!)).toEqual(Object.keys(d));
    expect(Object.keys(list.at(0)!)).not.toContain('hash');
  });

  it('keeps every action whole when told its entity shares no templates', () => {
    const given = [create('C1|P1', 2, 40), create('C1|P2', 3, 41)];
    const list = new CompactActions<Action>(false);
    for (const a of given) list.push(a);
    given.forEach((a, i) => expect(list.at(i)).toBe(a));
    // Shared by template: equal, not the same object.
    const shared = new CompactActions<Action>();
    for (const a of given) shared.push(a);
    expect(shared.at(1)).not.toBe(given[1]);
    same(shared.at(1), given[1]);
  });

  it('replaces an action in place (the resolve step)', () => {
    const list = new CompactActions<Action>();
    list.push(create('C1|P1', 2, 40));
    list.push(create('C1|P2', 3, 41));
    const placed = create('C1|P2', 3, 41, 99);
    list.set(1, placed);
    expect(list.at(1)).toBe(placed);
    same(list.at(0), create('C1|P1', 2, 40));
    expect(() => list.set(2, placed)).toThrow(RangeError);
  });

  it('gives the same object for a row asked twice in a row, as an array would; a replaced row gives its replacement', () => {
    const list = new CompactActions<Action>();
    list.push(create('C1|P1', 2, 40));
    list.push(create('C1|P2', 3, 41));
    const first = list.at(1);
    expect(list.at(1)).toBe(first);
    same(list.at(0), create('C1|P1', 2, 40));
    expect(list.at(1)).not.toBe(first);
    same(list.at(1), first);
    list.at(1);
    const placed = create('C1|P2', 3, 41, 99);
    list.set(1, placed);
    expect(list.at(1)).toBe(placed);
  });

  it('picks the actions a test names with their places, from an array as from a compact list', () => {
    const given = [create('C1|P1', 2, 40), create('C2|P2', 3, 41, 8), create('C1|P3', 4, 42)];
    const list = new CompactActions<Action>();
    for (const a of given) list.push(a);
    const inC1 = (a: Action): a is Action => a.key.startsWith('C1|');
    expect(picked(list, inC1).map((p) => [p.index, p.action.key])).toEqual([[0, 'C1|P1'], [2, 'C1|P3']]);
    const slots = arraySlots([...given]);
    expect(picked(slots, inC1).map((p) => p.index)).toEqual([0, 2]);
    slots.set(1, given[0]);
    expect(slots.at(1)).toBe(given[0]);
  });
});

describe('EntityPlanner.keepCompact', () => {
  const rows = (n: number): FeedItem<EnrolmentRecord>[] =>
    Array.from({ length: n }, (_, i) => ({ line: i + 2, record: { key: `C${i % 3}|P${i}`, fields: { course: `C${i % 3}`, person: `P${i}`, role: i % 2 ? 'Instructor' : undefined } } }));
  const ctx = (i: number): EnrolmentContext => (i === 4 ? {} : { courseId: 7 + (i % 3), userId: 40 + i, match: { id: 40 + i, via: 'idnumber' } });
  const planner = () => new EnrolmentPlanner(defaultPlanOptions({ op: 'store', entity: 'enrolments', dataSource: 'SIS' }), DEFAULT_ENROLMENT_SETTINGS);

  it('plans the same actions, counts and verdict as an array of actions', () => {
    const plain = planner();
    const compact = planner();
    compact.keepCompact();
    rows(12).forEach((item, i) => {
      plain.add(item, ctx(i));
      compact.add(item, ctx(i));
    });
    const a = plain.finish();
    const b = compact.finishCompact();
    same([...b.actions], a.actions);
    expect(b.counts).toEqual(a.counts);
    expect(b.guard).toEqual(a.guard);
    expect(a.counts.fail).toBe(1);
    expect(() => planner().finishCompact()).toThrow(/keepCompact/);
    expect(() => compact.finish()).toThrow(/compact/);
  });
});
