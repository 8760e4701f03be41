/**
 * A plan's actions kept compact: a large run holds every planned action until the plan is applied, and most of them
 * differ only in their key, line and Moodle id (500k enrolments: a few thousand distinct courses, roles, dates, link
 * states and reasons). Such an action is kept as its key, line, Moodle id and the index of a shared template (an
 * earlier action with the same other values); `at(i)` makes it again, equal to the action given, with its properties
 * in the same order. An action that carries the file's record or an error, or anything but plain values, is kept as
 * it is.
 */
import type { EntityType } from '../feed/types.js';
import type { Action, ActionBase, Plan } from './types.js';

/** A plan whose actions are kept compact until applied (EntityPlanner.keepCompact): `mdlsync run`'s. */
export type CompactPlan<T extends EntityType = EntityType> = Omit<Plan<T>, 'actions'> & { actions: CompactActions<Action<T>> };

/** What reading a plan's actions needs: an array is one, and so is CompactActions. */
export interface ActionList<A extends ActionBase = Action> extends Iterable<A> {
  readonly length: number;
  at(index: number): A | undefined;
}

/** An action list whose actions the resolve step may replace (EntityLookup.complete). */
export interface ActionSlots<A extends ActionBase = Action> extends ActionList<A> {
  set(index: number, action: A): void;
}

/** An array as ActionSlots. */
export function arraySlots<A extends ActionBase>(actions: A[]): ActionSlots<A> {
  return {
    get length() {
      return actions.length;
    },
    at: (index) => actions[index],
    set: (index, action) => void (actions[index] = action),
    [Symbol.iterator]: () => actions[Symbol.iterator](),
  };
}

/** Distinct templates kept at most: far more than a file's courses × roles × dates; beyond, actions are kept whole. */
const MAX_TEMPLATES = 16384;
const WHOLE = -1;

export class CompactActions<A extends ActionBase = Action> implements ActionSlots<A> {
  /**
   * @param sharesTemplates whether actions are kept by template at all: an entity whose actions carry their records
   * (persons, courses) would only pay for the comparisons (EntityRules.sharesTemplates).
   */
  constructor(readonly sharesTemplates = true) {}

  private count = 0;
  /** Per action: its template's index, or WHOLE (the action is in `whole`). */
  private templateOf = new Int32Array(1024);
  private lines = new Float64Array(1024);
  private ids = new Float64Array(1024);
  private readonly keys: string[] = [];
  private readonly whole: (A | undefined)[] = [];
  private readonly templates: A[] = [];
  private readonly bySignature = new Map<string, number>();
  /** The action at() made last: asked for the same row twice in a row, it gives the same object, as an array would. */
  private made: { index: number; action: A } | null = null;
  /** The template the last action took, and its property names in order. */
  private last = WHOLE;
  private lastKeys: string[] = [];

  get length(): number {
    return this.count;
  }

  push(action: A): void {
    const i = this.count++;
    if (i === this.templateOf.length) this.grow();
    const t = this.templateFor(action);
    this.templateOf[i] = t;
    if (t === WHOLE) {
      this.keys.push('');
      this.whole.push(action);
      return;
    }
    this.keys.push(action.key);
    this.whole.push(undefined);
    this.lines[i] = action.line ?? NaN;
    this.ids[i] = action.moodleId ?? NaN;
  }

  at(index: number): A | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const t = this.templateOf[index];
    if (t === WHOLE) return this.whole[index];
    // Asked again for the same row (the apply sorts a row, then settles it): the same action, made once.
    if (this.made?.index === index) return this.made.action;
    // The spread keeps the template's property order; key, line and moodleId are among its own properties.
    const a = { ...this.templates[t] };
    a.key = this.keys[index];
    const line = this.lines[index];
    a.line = Number.isNaN(line) ? null : line;
    if ('moodleId' in a) {
      const id = this.ids[index];
      a.moodleId = Number.isNaN(id) ? undefined : id;
    }
    this.made = { index, action: a };
    return a;
  }

  /** Replaces an action (the resolve step placing a course): kept whole. */
  set(index: number, action: A): void {
    if (index < 0 || index >= this.count) throw new RangeError(`CompactActions.set: no action ${index}`);
    this.templateOf[index] = WHOLE;
    this.keys[index] = '';
    this.whole[index] = action;
  }

  *[Symbol.iterator](): Iterator<A> {
    for (let i = 0; i < this.count; i++) yield this.at(i)!;
  }

  private grow(): void {
    const size = this.templateOf.length * 2;
    const copy = <C extends Int32Array | Float64Array>(from: C, to: C): C => (to.set(from), to);
    this.templateOf = copy(this.templateOf, new Int32Array(size));
    this.lines = copy(this.lines, new Float64Array(size));
    this.ids = copy(this.ids, new Float64Array(size));
  }

  private templateFor(action: A): number {
    if (!this.sharesTemplates || action.record !== undefined || action.error !== undefined) return WHOLE;
    // Rows in a row mostly share one template (a re-run's unchanged rows): compared first, no signature made.
    if (this.last !== WHOLE && sameTemplate(action, this.templates[this.last], this.lastKeys)) return this.last;
    const sig = signature(action);
    if (sig === undefined) return WHOLE;
    let t = this.bySignature.get(sig);
    if (t === undefined) {
      if (this.templates.length >= MAX_TEMPLATES) return WHOLE;
      t = this.templates.push(action) - 1;
      this.bySignature.set(sig, t);
    }
    this.last = t;
    this.lastKeys = Object.keys(this.templates[t]);
    return t;
  }
}

/**
 * A key as one flat string: a key joined from two cells (`COURSE|PERSON`) is a chain that holds both cells, ~100
 * bytes where the flat string takes ~40 (JSON.parse makes a new flat string; the round trip keeps every string as it
 * was). A planner that keeps its plan compact flattens each row's key before it keeps it (seen keys, actions).
 */
export function flatKey(key: string): string {
  // V8 joins strings shorter than 13 characters into a flat one at once: nothing to do.
  return key.length < 13 ? key : (JSON.parse(JSON.stringify(key)) as string);
}

/**
 * The action's properties in order, with their values but for key, line and moodleId (only named): two actions with
 * one signature differ in those three at most. Undefined: a value that is not plain (a Date, an array, a class).
 */
function signature(action: ActionBase): string | undefined {
  let s = '';
  for (const k in action) {
    if (k === 'key' || k === 'line' || k === 'moodleId') {
      if (!keptApart(k, (action as unknown as Record<string, unknown>)[k])) return undefined;
      s += `${k};`;
      continue;
    }
    const v = plain((action as unknown as Record<string, unknown>)[k]);
    if (v === undefined) return undefined;
    s += `${k}=${v};`;
  }
  return s;
}

/** Whether key, line or moodleId can be kept in the typed arrays: a line a number or null, an id a number or undefined (NaN stands for those). */
function keptApart(k: 'key' | 'line' | 'moodleId', v: unknown): boolean {
  if (k === 'key') return typeof v === 'string';
  if (typeof v === 'number') return !Number.isNaN(v);
  return k === 'line' ? v === null : v === undefined;
}

/** Whether the action has the template's properties in its order, with the same values but for key, line and moodleId. */
function sameTemplate(action: ActionBase, template: ActionBase, keys: readonly string[]): boolean {
  const a = action as unknown as Record<string, unknown>;
  const t = template as unknown as Record<string, unknown>;
  let i = 0;
  for (const k in a) {
    if (k !== keys[i++]) return false;
    if (k === 'key' || k === 'line' || k === 'moodleId') {
      if (!keptApart(k, a[k])) return false;
    } else if (!samePlain(a[k], t[k])) return false;
  }
  return i === keys.length;
}

/** Plain values alike (what `plain` would print alike): primitives by Object.is, plain objects property by property in order. */
function samePlain(x: unknown, y: unknown): boolean {
  if (typeof x !== 'object' || x === null) return Object.is(x, y);
  if (typeof y !== 'object' || y === null || Object.getPrototypeOf(x) !== Object.prototype || Object.getPrototypeOf(y) !== Object.prototype) return false;
  const xs = Object.keys(x);
  const ys = Object.keys(y);
  if (xs.length !== ys.length) return false;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] !== ys[i] || !samePlain((x as Record<string, unknown>)[xs[i]], (y as Record<string, unknown>)[ys[i]])) return false;
  }
  return true;
}

/** A value as text that tells every plain value apart (typed, with its length); undefined when it is not plain. */
function plain(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'number':
      return Object.is(v, -0) ? 'n-0' : `n${v}`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'object': {
      if (v === null) return 'z';
      if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
      let s = '{';
      for (const k in v) {
        const inner = plain((v as Record<string, unknown>)[k]);
        if (inner === undefined) return undefined;
        s += `${k}=${inner},`;
      }
      return `${s}}`;
    }
    default:
      return undefined;
  }
}

/** The actions of a list that `test` picks, with their places, in order (one pass: a compact list makes each anew). */
export function picked<A extends ActionBase, P extends A>(actions: ActionList<A>, test: (a: A) => a is P): { index: number; action: P }[] {
  const out: { index: number; action: P }[] = [];
  for (let index = 0; index < actions.length; index++) {
    const action = actions.at(index)!;
    if (test(action)) out.push({ index, action });
  }
  return out;
}
