import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/index.js';
import { CategoryPlanner, categoryContentHash } from './rules.js';
import type { Action, Op, PlanOptions } from '../../plan/index.js';
import type { CategoryContext } from './rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { CategoryRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';

function cat(key: string, name: string, parent?: string, extra: Partial<CategoryRecord> = {}): CategoryRecord {
  return { key, fields: parent === undefined ? { name } : { name, parent }, ...extra };
}

function link(key: string, over: Partial<LedgerLink> = {}): LedgerLink {
  return { entity: 'categories', key, moodleId: 50, dataSource: 'SIS', hash: 'old', status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

function planner(op: Op = 'store', options: Partial<PlanOptions<'categories'>> = {}): CategoryPlanner {
  return new CategoryPlanner(defaultPlanOptions({ op, entity: 'categories', dataSource: 'SIS', ...options }));
}

function plan(rows: { record: CategoryRecord; ctx?: CategoryContext }[], op: Op = 'store', owned: LedgerLink[] = [], options: Partial<PlanOptions<'categories'>> = {}) {
  const p = planner(op, options);
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<CategoryRecord>, ctx ?? {}));
  return p.finish(owned);
}

const summary = (actions: Action<'categories'>[]) => actions.map((a) => `${a.key}:${a.kind}${a.error ? `(${a.error.code})` : ''}`);

describe('categories: store', () => {
  it('a three-level tree given children-first: every row is a create, the parents resolved from the file', () => {
    const p = plan([{ record: cat('MORNING', 'Morning', 'SEP') }, { record: cat('SEP', 'September', 'Y2026') }, { record: cat('Y2026', '2026') }]);
    expect(summary(p.actions)).toEqual(['MORNING:create', 'SEP:create', 'Y2026:create']);
    expect(p.actions[0]).toMatchObject({ entity: 'categories', parent: { key: 'SEP' }, status: 'active', reason: 'new category under SEP' });
    expect(p.actions[0].parent?.id).toBeUndefined(); // the applier creates SEP first
    expect(p.actions[2].parent).toBeUndefined();
    expect(p.counts.create).toBe(3);
  });

  it('same content as the ledger: unchanged; a rename: update with the new hash', () => {
    const r = cat('Y2026', '2026');
    const same = plan([{ record: r, ctx: { link: link('Y2026', { hash: categoryContentHash(r) }) } }]);
    expect(same.actions[0]).toMatchObject({ kind: 'unchanged', moodleId: 50, reason: 'same content' });
    const renamed = cat('Y2026', 'Year 2026');
    const upd = plan([{ record: renamed, ctx: { link: link('Y2026', { hash: categoryContentHash(r) }) } }]);
    expect(upd.actions[0]).toMatchObject({ kind: 'update', moodleId: 50, hash: categoryContentHash(renamed), reason: 'content changed' });
  });

  it('found in Moodle by idnumber: adopt; a parent found by the caller carries its id', () => {
    const p = plan([{ record: cat('SEP', 'September', 'Y2026'), ctx: { match: { id: 7, via: 'idnumber' }, parentId: 3 } }]);
    expect(p.actions[0]).toMatchObject({ kind: 'adopt', moodleId: 7, parent: { key: 'Y2026', id: 3 }, reason: 'found in Moodle by idnumber (category 7): adopt' });
  });

  it('an unknown parent fails only its row (and the rows under it)', () => {
    const p = plan([{ record: cat('A', 'A', 'NOPE') }, { record: cat('B', 'B', 'A') }, { record: cat('C', 'C') }]);
    expect(summary(p.actions)).toEqual(['A:fail(unknown-parent)', 'B:fail(parent-failed)', 'C:create']);
    expect(p.actions[0].error?.message).toBe('unknown parent category NOPE');
    expect(p.actions[1].error?.message).toMatch(/^parent category A \(line 2\) fails: unknown parent category NOPE/);
    expect(p.counts).toMatchObject({ fail: 2, create: 1 });
  });

  it('a parent that is linked or adopted in the same file gives its Moodle id', () => {
    const p = plan([{ record: cat('KID', 'Kid', 'TOP') }, { record: cat('TOP', 'Top'), ctx: { match: { id: 9, via: 'idnumber' } } }]);
    expect(p.actions[0]).toMatchObject({ kind: 'create', parent: { key: 'TOP', id: 9 } });
  });

  it('cycles and self-parents fail', () => {
    const p = plan([{ record: cat('A', 'A', 'B') }, { record: cat('B', 'B', 'A') }, { record: cat('S', 'S', 'S') }]);
    expect(summary(p.actions)).toEqual(['A:fail(parent-cycle)', 'B:fail(parent-failed)', 'S:fail(invalid-parent)']);
    expect(p.actions[0].error?.message).toBe('the parent categories form a cycle (A → B → A): a category cannot be under itself');
  });

  it('a new category needs a name; duplicates are reported with the first line', () => {
    const p = plan([{ record: { key: 'X', fields: {} } }, { record: cat('Y', 'Y') }, { record: cat('Y', 'Y again') }]);
    expect(summary(p.actions)).toEqual(['X:fail(missing-value)', 'Y:create', 'Y:fail(duplicate-key)']);
    expect(p.actions[2].error?.message).toBe('duplicate key, first seen on line 3');
  });

  it('MOODLE_ID that Moodle lacks fails the row', () => {
    const p = plan([{ record: cat('A', 'A', undefined, { moodleId: 44 }), ctx: { moodleIdMissing: true } }]);
    expect(p.actions[0].error).toEqual({ code: 'moodle-id-missing', message: "Moodle category 44 no longer exists: clear the SIS's Moodle id to have the category re-created" });
  });
});

describe('categories: disable, delete and refresh only mark the ledger', () => {
  it('ROW_STATUS=disabled of a linked category: disable, kept in Moodle; not in Moodle: nothing to do', () => {
    const p = plan([{ record: cat('A', 'A', undefined, { rowStatus: 'disabled' }), ctx: { link: link('A') } }, { record: cat('B', 'B', undefined, { rowStatus: 'disabled' }) }]);
    expect(p.actions[0]).toMatchObject({ kind: 'disable', moodleId: 50, status: 'disabled' });
    expect(p.actions[0].reason).toContain('kept in Moodle (categories are not hidden or deleted by mdlsync)');
    expect((p.actions[0] as { suspended?: boolean }).suspended).toBeUndefined();
    expect(p.actions[1]).toMatchObject({ kind: 'unchanged', reason: 'not in Moodle: nothing to disable (ROW_STATUS=disabled)' });
  });

  it('delete never hard-deletes, even with disable: delete configured', () => {
    const p = plan([{ record: cat('A', 'A'), ctx: { link: link('A') } }], 'delete', [], { disable: 'delete' });
    expect(p.actions[0]).toMatchObject({ kind: 'disable', moodleId: 50, status: 'disabled' });
  });

  it('a refresh disables the owned categories the file lacks, behind the guard', () => {
    const owned = Array.from({ length: 10 }, (_, i) => link(`K${i}`, { moodleId: 60 + i }));
    const p = plan([{ record: cat('K0', 'K0'), ctx: { link: owned[0] } }], 'refresh', owned, { force: true });
    expect(p.actions.filter((a) => a.kind === 'disable')).toHaveLength(9);
    expect(p.guard).toMatchObject({ entity: 'categories', owned: 10, toDisable: 9, forced: true });
    expect(p.guard?.message).toMatch(/refresh would disable 9 of 10 categories owned in all data sources/);
  });

  it('a re-enabled category comes back as enable', () => {
    const r = cat('A', 'A');
    const p = plan([{ record: r, ctx: { link: link('A', { status: 'disabled', hash: categoryContentHash(r) }) } }]);
    expect(p.actions[0]).toMatchObject({ kind: 'enable', moodleId: 50, status: 'active', reason: 're-enable: back in the file' });
  });

  it('with a sink, settled actions are streamed at finish and counted once', () => {
    const seen: Action<'categories'>[] = [];
    const p = new CategoryPlanner(defaultPlanOptions({ op: 'store', entity: 'categories' }), (a) => seen.push(a));
    p.add({ line: 2, record: cat('KID', 'Kid', 'TOP') }, {});
    p.add({ line: 3, record: cat('TOP', 'Top') }, {});
    expect(seen).toHaveLength(0);
    const done = p.finish([]);
    expect(done.actions).toHaveLength(0);
    expect(seen.map((a) => a.kind)).toEqual(['create', 'create']);
    expect(done.counts.create).toBe(2);
  });
});
