import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/index.js';
import { CoursePlanner, courseContentHash } from './rules.js';
import type { Action, Op, PlanOptions } from '../../plan/index.js';
import type { CourseContext } from './rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { CourseRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';
const PATH = { path: ['2026', 'September', 'Morning'] };

function course(key: string, over: Partial<CourseRecord['fields']> = {}, extra: Partial<CourseRecord> = {}): CourseRecord {
  return { key, fields: { shortname: key.toLowerCase(), fullname: `Course ${key}`, category: PATH, startdate: 1_788_213_600, ...over }, ...extra };
}

function link(key: string, over: Partial<LedgerLink> = {}): LedgerLink {
  return { entity: 'courses', key, moodleId: 70, dataSource: 'SIS', hash: 'old', status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

const NEW_PATH: CourseContext = { category: { createPath: { levels: PATH.path, existing: 1, parentId: 5 } } };

function plan(rows: { record: CourseRecord; ctx?: CourseContext }[], op: Op = 'store', owned: LedgerLink[] = [], options: Partial<PlanOptions<'courses'>> = {}) {
  const p = new CoursePlanner(defaultPlanOptions({ op, entity: 'courses', dataSource: 'SIS', ...options }));
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<CourseRecord>, ctx ?? { category: { categoryId: 9 } }));
  return p.finish(owned);
}

const summary = (actions: Action<'courses'>[]) => actions.map((a) => `${a.key}:${a.kind}${a.error ? `(${a.error.code})` : ''}`);

describe('courses: store', () => {
  it('a new course in a path with missing levels: a create that carries the levels to make', () => {
    const p = plan([{ record: course('C1'), ctx: NEW_PATH }]);
    expect(summary(p.actions)).toEqual(['C1:create']);
    expect(p.actions[0]).toMatchObject({ entity: 'courses', status: 'active', course: NEW_PATH.category, reason: 'new course; creates categories September, Morning' });
  });

  it('same content: unchanged; a date change: update; AVAILABLE_IND=N: update too', () => {
    const r = course('C1');
    const h = courseContentHash(r);
    const later = course('C1', { enddate: 1_800_000_000 });
    const hidden = course('C1', {}, { available: false });
    expect(courseContentHash(later)).not.toBe(h);
    expect(courseContentHash(hidden)).not.toBe(h);
    expect(summary(plan([{ record: r, ctx: { link: link('C1', { hash: h }), category: { categoryId: 9 } } }]).actions)).toEqual(['C1:unchanged']);
    const p = plan([{ record: later, ctx: { link: link('C1', { hash: h }), category: { categoryId: 9 } } }]);
    expect(p.actions[0]).toMatchObject({ kind: 'update', moodleId: 70, reason: 'content changed', course: { categoryId: 9 } });
  });

  it('found by idnumber: adopt; a disabled link back in the file: enable', () => {
    expect(summary(plan([{ record: course('C1'), ctx: { match: { id: 3, via: 'idnumber' }, category: { categoryId: 9 } } }]).actions)).toEqual(['C1:adopt']);
    expect(summary(plan([{ record: course('C1'), ctx: { link: link('C1', { status: 'disabled' }), category: { categoryId: 9 } } }]).actions)).toEqual(['C1:enable']);
  });

  it('an unknown category, a missing template, a new course without a category: the row fails', () => {
    const p = plan([
      { record: course('A'), ctx: { category: { error: { code: 'unknown-category', message: 'unknown category NOPE' } } } },
      { record: course('B', { template: 'TPL' }), ctx: { category: { categoryId: 9 }, template: { error: { code: 'unknown-template', message: 'unknown template course TPL' } } } },
      { record: course('C', { category: undefined }), ctx: {} },
      { record: course('D', { template: 'TPL' }), ctx: { category: { categoryId: 9 }, template: { id: 44 } } },
    ]);
    expect(summary(p.actions)).toEqual(['A:fail(unknown-category)', 'B:fail(unknown-template)', 'C:fail(missing-value)', 'D:create']);
    expect(p.actions[0].reason).toBe('unknown category NOPE');
    expect(p.actions[3].course).toEqual({ categoryId: 9, templateId: 44 });
  });
});

describe('courses: disable and delete', () => {
  it('ROW_STATUS=disabled hides a linked course; an unknown one is left alone', () => {
    const p = plan([{ record: course('C1', {}, { rowStatus: 'disabled' }), ctx: { link: link('C1') } }, { record: course('C2', {}, { rowStatus: 'disabled' }), ctx: {} }]);
    expect(summary(p.actions)).toEqual(['C1:disable', 'C2:unchanged']);
    expect(p.actions[0]).toMatchObject({ status: 'disabled', moodleId: 70, reason: 'ROW_STATUS=disabled: hidden in Moodle (visible=0)' });
  });

  it('an explicit delete hides by default, deletes with disable: delete; a refresh only ever hides', () => {
    expect(summary(plan([{ record: course('C1'), ctx: { link: link('C1') } }], 'delete').actions)).toEqual(['C1:disable']);
    expect(summary(plan([{ record: course('C1'), ctx: { link: link('C1') } }], 'delete', [], { disable: 'delete' }).actions)).toEqual(['C1:delete']);
    const owned = [link('C1'), link('GONE', { moodleId: 71 })];
    const r = course('C1');
    const p = plan([{ record: r, ctx: { link: link('C1', { hash: courseContentHash(r) }) } }], 'refresh', owned, { disable: 'delete', force: true });
    expect(summary(p.actions)).toEqual(['C1:unchanged', 'GONE:disable']);
    expect(p.actions[1]).toMatchObject({ moodleId: 71, line: null, status: 'disabled' });
  });

  it('refresh-ds only hides its own data source', () => {
    const owned = [link('A1', { dataSource: 'A' }), link('A2', { dataSource: 'A', moodleId: 72 }), link('B1', { dataSource: 'B', moodleId: 73 })];
    const r = course('A1', {}, { dataSource: 'A' });
    const p = plan([{ record: r, ctx: { link: link('A1', { dataSource: 'A', hash: courseContentHash(r) }) } }], 'refresh-ds', owned, { dataSource: 'A', force: true });
    expect(summary(p.actions)).toEqual(['A1:unchanged', 'A2:disable']);
  });
});
