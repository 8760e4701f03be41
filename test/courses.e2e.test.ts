/** Courses through the real CLI against the sandbox over HTTP: category paths, idempotence, dates, visibility, refresh-ds, templates, bad rows, batch isolation. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteLedger } from '../src/ledger/index.js';
import { MoodleClient, createCategories, createCourses } from '../src/moodle/index.js';
import { sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const H = ['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY', 'START_DATE', 'END_DATE', 'AVAILABLE_IND', 'DATA_SOURCE_KEY'];
const PATH = '2026/September/Morning';
const course = (key: string, over: Partial<Record<'short' | 'name' | 'cat' | 'start' | 'end' | 'avail' | 'ds', string>> = {}): string[] => [
  key,
  over.short ?? key.toLowerCase(),
  over.name ?? `Course ${key}`,
  over.cat ?? PATH,
  over.start ?? '2026-09-01',
  over.end ?? '2027-06-30',
  over.avail ?? 'Y',
  over.ds ?? 'SIS',
];

async function setup(): Promise<Workspace> {
  const w = await workspace();
  writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, courses: { timezone: 'Europe/Paris' } }));
  return w;
}

async function hand(w: Workspace, fn: (c: MoodleClient) => Promise<unknown>): Promise<void> {
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  try {
    await fn(client);
  } finally {
    await client.close();
  }
}

const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
const paris = (y: number, m: number, d: number): number => (Date.UTC(y, m - 1, d) - 2 * 3600_000) / 1000; // CEST, summer dates only

describe('courses feed', () => {
  test('a course in a path that does not exist: the levels are created parents first, then the course, all linked; a re-run writes nothing', async () => {
    ws = await setup();
    const r = await ws.cli(['run', ws.write('courses.txt', sisFile(H, [course('C1')]))]);
    expect(r.code).toBe(0);
    const cats = ws.sandbox.categories.list();
    const year = cats.find((c) => c.name === '2026');
    const sep = cats.find((c) => c.name === 'September');
    const morning = cats.find((c) => c.name === 'Morning');
    expect(year).toMatchObject({ parent: 0, idnumber: 'path:2026' });
    expect(sep).toMatchObject({ parent: year?.id, idnumber: 'path:2026/September' });
    expect(morning).toMatchObject({ parent: sep?.id, idnumber: 'path:2026/September/Morning' });
    expect(year!.id).toBeLessThan(sep!.id);
    expect(sep!.id).toBeLessThan(morning!.id);
    const c1 = ws.sandbox.courses.byIdnumber('C1');
    expect(c1).toMatchObject({ shortname: 'c1', fullname: 'Course C1', categoryid: morning?.id, visible: true, startdate: paris(2026, 9, 1) });
    expect(ws.lastSummary()).toMatchObject({ type: 'courses', planned: { create: 1 }, outcomes: { ok: 1, failed: 0 } });

    const ledger = SqliteLedger.open(join(ws.dir, '.mdlsync', 'ledger.db'));
    try {
      const links = await ledger.getLinks('categories', ['path:2026', 'path:2026/September', 'path:2026/September/Morning']);
      expect([...links.values()].map((l) => l.moodleId)).toEqual([year?.id, sep?.id, morning?.id]);
      expect((await ledger.getLinks('courses', ['C1'])).get('C1')).toMatchObject({ moodleId: c1?.id, dataSource: 'SIS', status: 'active' });
    } finally {
      await ledger.close();
    }

    ws.sandbox.stats.reset();
    expect((await ws.cli(['run', ws.write('again.txt', sisFile(H, [course('C1')]))])).code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { unchanged: 1 } });
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.sandbox.categories.list()).toHaveLength(cats.length);
  });

  test('a date change is an update; AVAILABLE_IND=N hides; a second course in the same path reuses its categories', async () => {
    ws = await setup();
    expect((await ws.cli(['run', ws.write('a.txt', sisFile(H, [course('C1')]))])).code).toBe(0);
    const before = ws.sandbox.categories.list().length;
    ws.sandbox.stats.reset();
    const r = await ws.cli(['run', ws.write('b.txt', sisFile(H, [course('C1', { end: '2027-07-15' }), course('C2', { avail: 'N' })]))]);
    expect(r.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { update: 1, create: 1 }, outcomes: { ok: 2 } });
    expect(ws.sandbox.courses.byIdnumber('C1')?.enddate).toBe(paris(2027, 7, 15));
    expect(ws.sandbox.stats.byFunction.core_course_update_courses).toBe(1);
    expect(ws.sandbox.stats.byFunction.core_course_create_categories).toBeUndefined();
    expect(ws.sandbox.categories.list()).toHaveLength(before);
    expect(ws.sandbox.courses.byIdnumber('C2')?.visible).toBe(false);

    expect((await ws.cli(['run', ws.write('c.txt', sisFile(H, [course('C1', { end: '2027-07-15', avail: 'N' })]))])).code).toBe(0);
    expect(ws.sandbox.courses.byIdnumber('C1')?.visible).toBe(false);
  });

  test('refresh-ds hides only the missing courses of its own data source', async () => {
    ws = await setup();
    const rows = [course('A1', { ds: 'A' }), course('A2', { ds: 'A' }), course('B1', { ds: 'B' })];
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(H, rows))])).code).toBe(0);
    const r = await ws.cli(['run', ws.write('a.txt', sisFile(H, [course('A1', { ds: 'A' })])), '--op', 'refresh-ds', '--datasource', 'A', '--force']);
    expect(r.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { disable: 1, unchanged: 1 } });
    expect(ws.sandbox.courses.byIdnumber('A2')?.visible).toBe(false);
    expect(ws.sandbox.courses.byIdnumber('A1')?.visible).toBe(true);
    expect(ws.sandbox.courses.byIdnumber('B1')?.visible).toBe(true);
    expect(rowsCsv(ws)).toContain('hidden in Moodle (visible=0)');
  });

  test('an explicit delete hides by default; with courses.disable: delete it deletes the course', async () => {
    ws = await setup();
    expect((await ws.cli(['run', ws.write('a.txt', sisFile(H, [course('D1'), course('D2')]))])).code).toBe(0);
    expect((await ws.cli(['run', ws.write('d1.txt', sisFile(['EXTERNAL_COURSE_KEY', 'COURSE_ID'], [['D1', 'd1']])), '--op', 'delete'])).code).toBe(0);
    expect(ws.sandbox.courses.byIdnumber('D1')?.visible).toBe(false);
    writeFileSync(join(ws.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, courses: { disable: 'delete' } }));
    expect((await ws.cli(['run', ws.write('d2.txt', sisFile(['EXTERNAL_COURSE_KEY', 'COURSE_ID'], [['D2', 'd2']])), '--op', 'delete'])).code).toBe(0);
    expect(ws.sandbox.courses.byIdnumber('D2')).toBeUndefined();
    expect(ws.lastSummary()).toMatchObject({ planned: { delete: 1 }, outcomes: { ok: 1 } });
  });

  test('TEMPLATE: the new course is a copy of the template, then gets its idnumber and dates', async () => {
    ws = await setup();
    await hand(ws, async (c) => {
      const [cat] = await createCategories(c, [{ name: 'Templates' }]);
      await createCourses(c, [{ fullname: 'Template', shortname: 'TPL', categoryid: cat.id, summary: 'From the template' }]);
    });
    const TH = [...H, 'TEMPLATE'];
    const r = await ws.cli(['run', ws.write('t.txt', sisFile(TH, [[...course('C9'), 'TPL']]))]);
    expect(r.code).toBe(0);
    expect(ws.sandbox.stats.byFunction.core_course_duplicate_course).toBe(1);
    expect(ws.sandbox.courses.byIdnumber('C9')).toMatchObject({ shortname: 'c9', fullname: 'Course C9', summary: 'From the template', startdate: paris(2026, 9, 1) });
    expect(ws.sandbox.courses.byShortname('TPL')?.idnumber).toBe('');
  });

  test('bad rows fail alone: end before start, an empty path level, an unknown category key', async () => {
    ws = await setup();
    const rows = [
      course('OK1'),
      course('BADDATE', { start: '2026-09-01', end: '2026-08-01' }),
      course('BADPATH', { cat: '2026//Morning' }),
      course('BADKEY', { cat: 'NOPE' }),
    ];
    const r = await ws.cli(['run', ws.write('bad.txt', sisFile(H, rows))]);
    expect(r.code).toBe(2);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { ok: 1, failed: 3 } });
    const csv = rowsCsv(ws);
    expect(csv).toMatch(/^3,BADDATE,fail,failed,,invalid-value,the end date is before the start date,courses,/m);
    expect(csv).toMatch(/^4,BADPATH,fail,failed,,invalid-value,column CATEGORY: level 2 of the category path 2026\/\/Morning is empty,courses,/m);
    expect(csv).toMatch(/^5,BADKEY,fail,failed,,unknown-category,unknown category NOPE,courses,/m);
    expect(ws.sandbox.courses.byIdnumber('OK1')).toBeDefined();
    expect(readFileSync(ws.lastSummary().tryback as string, 'utf8').split('\n').filter((l) => /^(BAD)/.test(l))).toHaveLength(3);
  });

  test('batch isolation: 3 duplicate short names among 60 courses: 57 created, a tryback of 3', async () => {
    ws = await setup();
    const rows = Array.from({ length: 60 }, (_, i) => course(`K${String(i + 1).padStart(3, '0')}`));
    for (let i = 57; i < 60; i++) rows[i][1] = rows[i - 57][1];
    const r = await ws.cli(['run', ws.write('many.txt', sisFile(H, rows))]);
    expect(r.code).toBe(2);
    expect(ws.lastSummary()).toMatchObject({ planned: { create: 60 }, outcomes: { ok: 57, failed: 3 } });
    expect(ws.sandbox.courses.list().filter((c) => c.idnumber.startsWith('K'))).toHaveLength(57);
    const tryback = readFileSync(ws.lastSummary().tryback as string, 'utf8');
    expect(tryback.split('\n').filter((l) => /^K\d{3}\|/.test(l))).toHaveLength(3);
  });

  test('course updates with one bad record: the others are applied, the bad one fails with its warning', async () => {
    ws = await setup();
    expect((await ws.cli(['run', ws.write('a.txt', sisFile(H, [course('U1'), course('U2'), course('U3')]))])).code).toBe(0);
    const catId = ws.sandbox.courses.byIdnumber('U1')!.categoryid;
    await hand(ws, (c) => createCourses(c, [{ fullname: 'Taken', shortname: 'taken', categoryid: catId }]));
    ws.sandbox.stats.reset();
    const rows = [course('U1', { name: 'Renamed 1' }), course('U2', { short: 'taken' }), course('U3', { name: 'Renamed 3' })];
    const r = await ws.cli(['run', ws.write('b.txt', sisFile(H, rows))]);
    expect(r.code).toBe(2);
    expect(ws.lastSummary()).toMatchObject({ planned: { update: 3 }, outcomes: { ok: 2, failed: 1 } });
    expect(ws.sandbox.stats.byFunction.core_course_update_courses).toBe(1);
    expect(ws.sandbox.courses.byIdnumber('U1')?.fullname).toBe('Renamed 1');
    expect(ws.sandbox.courses.byIdnumber('U3')?.fullname).toBe('Renamed 3');
    expect(ws.sandbox.courses.byIdnumber('U2')?.shortname).toBe('u2');
    expect(rowsCsv(ws)).toMatch(/^3,U2,update,failed,\d+,shortnametaken,/m);
  });
});
