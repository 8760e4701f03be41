import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLedger } from '../../ledger/index.js';
import { MoodleError, TransientError } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { Action } from '../../plan/types.js';
import { DEFAULT_APPLY_OPTIONS, applyPlan } from '../../apply/index.js';

type Params = Record<string, unknown>;
interface FakeCategory {
  id: number;
  name: string;
  idnumber: string;
  parent: number;
  description: string;
}

const unknowcategory = () => new MoodleError('fake', { exception: 'moodle_exception', errorcode: 'unknowcategory', message: 'Category not known!' });
/** What update_categories answers for an unknown category or parent (core_course_category::get; contract 2026-12/146). */
const unknowncategory = (id: unknown) =>
  new MoodleError('fake', { exception: 'moodle_exception', errorcode: 'unknowncategory', message: `Unknown category with category ID number "${String(id)}"` });

/** core_course_*_categories as Moodle runs them: create and update in one transaction each, unique idnumbers. */
class FakeMoodle implements MoodleCaller {
  readonly cats = new Map<number, FakeCategory>();
  readonly calls: { fn: string; params: Params }[] = [];
  /** The next create commits, then the answer is lost. */
  loseNextCreateReply = false;
  private nextId = 10;

  add(c: Omit<FakeCategory, 'id' | 'description'>): FakeCategory {
    const cat = { id: this.nextId++, description: '', ...c };
    this.cats.set(cat.id, cat);
    return cat;
  }

  byIdnumber(idnumber: string): FakeCategory | undefined {
    return [...this.cats.values()].find((c) => c.idnumber === idnumber);
  }

  async call<T>(fn: string, params: Params): Promise<T> {
    this.calls.push({ fn, params: structuredClone(params) });
    if (fn === 'core_course_get_categories') {
      const criteria = params.criteria as { key: string; value: string | number }[];
      return [...this.cats.values()].filter((c) => criteria.every(({ key, value }) => String(c[key as 'id' | 'idnumber']) === String(value))) as T;
    }
    const copy = new Map([...this.cats].map(([id, c]) => [id, { ...c }]));
    const nextId = this.nextId;
    try {
      if (fn === 'core_course_create_categories') {
        const out = (params.categories as Params[]).map((c) => {
          const parent = (c.parent as number | undefined) ?? 0;
          if (parent !== 0 && !this.cats.has(parent)) throw unknowcategory();
          if (c.idnumber && this.byIdnumber(c.idnumber as string)) {
            throw new MoodleError('fake', { exception: 'moodle_exception', errorcode: 'categoryidnumbertaken', message: 'ID number is already used for another category' });
          }
          const cat = this.add({ name: c.name as string, idnumber: (c.idnumber as string) ?? '', parent });
          return { id: cat.id, name: cat.name };
        });
        if (this.loseNextCreateReply) {
          this.loseNextCreateReply = false;
          throw new TransientError('timeout', 'no answer in time');
        }
        return out as T;
      }
      if (fn === 'core_course_update_categories') {
        for (const c of params.categories as Params[]) {
          const cat = this.cats.get(c.id as number);
          if (!cat) throw unknowncategory(c.id);
          if (c.parent !== undefined && c.parent !== 0 && !this.cats.has(c.parent as number)) throw unknowncategory(c.parent);
          Object.assign(cat, Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'id')));
        }
        return null as T;
      }
      throw new Error(`unexpected ${fn}`);
    } catch (err) {
      if (err instanceof TransientError) throw err;
      // All or nothing: a refused call leaves nothing behind.
      this.cats.clear();
      for (const [id, c] of copy) this.cats.set(id, c);
      this.nextId = nextId;
      throw err;
    }
  }

  count(fn: string): number {
    return this.calls.filter((c) => c.fn === fn).length;
  }
}

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function ledger(): SqliteLedger {
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-catapply-'));
  return SqliteLedger.open(join(dir, 'ledger.db'));
}

function act(kind: Action['kind'], key: string, name: string | undefined, parent?: { key: string; id?: number }, more: Partial<Action<'categories'>> = {}): Action<'categories'> {
  const fields = { ...(name === undefined ? {} : { name }), ...(parent ? { parent: parent.key } : {}) };
  return { kind, entity: 'categories', key, line: 2, record: { key, fields }, dataSource: 'SIS', reason: 'test', hash: `h-${key}`, status: 'active', ...(parent ? { parent } : {}), ...more };
}

const OPTIONS = { ...DEFAULT_APPLY_OPTIONS, backoffMs: 1 };

describe('categories applier', () => {
  it('creates children after their parents (one call per level) and links every category', async () => {
    const moodle = new FakeMoodle();
    const l = ledger();
    const actions = [act('create', 'C', 'Morning', { key: 'B' }), act('create', 'B', 'September', { key: 'A' }), act('create', 'A', '2026'), act('create', 'D', 'Other')];
    const out = await applyPlan({ actions }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out.map((o) => o.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const [a, b, c] = ['A', 'B', 'C'].map((k) => moodle.byIdnumber(k)!);
    expect([a.parent, b.parent, c.parent]).toEqual([0, a.id, b.id]);
    expect(moodle.count('core_course_create_categories')).toBe(3);
    expect((await l.getLinks('categories', ['A', 'B', 'C', 'D'])).get('C')).toMatchObject({ moodleId: c.id, status: 'active', hash: 'h-C' });
    await l.close();
  });

  it("a bad record is isolated by bisection; its children fail with the parent's reason, the rest land", async () => {
    const moodle = new FakeMoodle();
    moodle.add({ name: 'Taken', idnumber: 'TAKEN', parent: 0 });
    const l = ledger();
    const actions = [act('create', 'OK1', 'One'), act('create', 'TAKEN', 'Dup'), act('create', 'OK2', 'Two'), act('create', 'KID', 'Kid', { key: 'TAKEN' })];
    const out = await applyPlan({ actions }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out.map((o) => `${o.key}:${o.outcome}:${o.errorcode ?? ''}`)).toEqual(['OK1:ok:', 'TAKEN:failed:categoryidnumbertaken', 'OK2:ok:', 'KID:failed:parent-failed']);
    expect(out[3].message).toBe('parent category TAKEN was not created, so this category cannot be placed');
    expect(moodle.byIdnumber('OK2')).toBeDefined();
    await l.close();
  });

  it('a create whose reply was lost is found by idnumber, not sent twice', async () => {
    const moodle = new FakeMoodle();
    moodle.loseNextCreateReply = true;
    const l = ledger();
    const out = await applyPlan({ actions: [act('create', 'A', 'A')] }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out[0]).toMatchObject({ outcome: 'ok', moodleId: moodle.byIdnumber('A')!.id });
    expect([...moodle.cats.values()].filter((c) => c.idnumber === 'A')).toHaveLength(1);
    await l.close();
  });

  it('updates move under a category created by the same run; a disable sends nothing and keeps the category', async () => {
    const moodle = new FakeMoodle();
    const old = moodle.add({ name: 'Old', idnumber: 'OLD', parent: 0 });
    const l = ledger();
    const actions = [
      act('update', 'OLD', 'Renamed', { key: 'NEW' }, { moodleId: old.id }),
      act('create', 'NEW', 'New'),
      act('disable', 'GONE', undefined, undefined, { moodleId: 99, status: 'disabled' }),
    ];
    const out = await applyPlan({ actions }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out.map((o) => o.outcome)).toEqual(['ok', 'ok', 'ok']);
    expect(moodle.cats.get(old.id)).toMatchObject({ name: 'Renamed', parent: moodle.byIdnumber('NEW')!.id });
    expect(out[2]).toMatchObject({ moodleId: 99, message: 'kept in Moodle (categories are not hidden or deleted by mdlsync)' });
    expect((await l.getLinks('categories', ['GONE'])).get('GONE')?.status).toBe('disabled');
    expect(moodle.calls.every((c) => !JSON.stringify(c.params).includes('GONE'))).toBe(true);
    await l.close();
  });

  it('a category deleted in Moodle by hand is re-created and reported as relinked', async () => {
    const moodle = new FakeMoodle();
    const l = ledger();
    const out = await applyPlan({ actions: [act('update', 'A', 'A', undefined, { moodleId: 77 })] }, { client: moodle, ledger: l, runId: 'r1', options: OPTIONS });
    expect(out[0]).toMatchObject({ outcome: 'relinked', moodleId: moodle.byIdnumber('A')!.id, message: 'Moodle category 77 no longer existed; re-created' });
    await l.close();
  });
});
