/**
 * One Moodle category, whichever feed meets it first: a category a course's category_path created is adopted by the
 * categories feed (its idnumber becomes the SIS key), and a category the categories feed made is found by a course's
 * path (ledger, then idnumber, then the same name under the same parent). Real CLI against the sandbox over HTTP.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteLedger } from '../src/ledger/index.js';
import { sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const CATS = ['EXTERNAL_CATEGORY_KEY', 'NAME', 'PARENT_KEY'];
const COURSE_HEAD = 'idnumber,shortname,fullname,category_path';

const named = (w: Workspace, name: string) => w.sandbox.categories.list().filter((c) => c.name === name);
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');
const categoryLinks = async (w: Workspace) => {
  const ledger = SqliteLedger.open(join(w.dir, '.mdlsync', 'ledger.db'));
  try {
    return (await ledger.listLinks({ entity: 'categories', limit: 100, offset: 0 })).map((l) => ({ key: l.key, moodleId: l.moodleId }));
  } finally {
    await ledger.close();
  }
};

describe('a category made by a course path, then the categories feed', () => {
  test('top level: the categories row adopts "Science" (idnumber becomes SCI), and the course file still finds it', async () => {
    ws = await workspace();
    const courses = ws.write('courses.csv', `${COURSE_HEAD}\nBIO101,bio101,Biology,Science\n`);
    expect((await ws.cli(['run', courses])).code).toBe(0);
    const [made] = named(ws, 'Science');
    expect(made).toMatchObject({ parent: 0, idnumber: 'path:Science' });

    const plan = await ws.cli(['plan', ws.write('cats.txt', sisFile(CATS, [['SCI', 'Science', '']]))]);
    expect(plan.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { adopt: 1, create: 0 } });

    const r = await ws.cli(['run', ws.write('cats.txt', sisFile(CATS, [['SCI', 'Science', '']]))]);
    expect(r.code).toBe(0);
    expect(named(ws, 'Science')).toHaveLength(1);
    expect(named(ws, 'Science')[0]).toMatchObject({ id: made.id, parent: 0, idnumber: 'SCI' });
    expect(rowsCsv(ws)).toMatch(new RegExp(`^2,SCI,adopt,ok,${made.id},`, 'm'));
    // One link for the one category: the SIS key's.
    expect((await categoryLinks(ws)).filter((l) => l.moodleId === made.id)).toEqual([{ key: 'SCI', moodleId: made.id }]);

    // The course file again, and a new course in the same path: no second "Science".
    ws.sandbox.stats.reset();
    const again = await ws.cli(['run', ws.write('courses2.csv', `${COURSE_HEAD}\nBIO101,bio101,Biology,Science\nCHE101,che101,Chemistry,Science\n`)]);
    expect(again.code).toBe(0);
    expect(ws.sandbox.stats.byFunction.core_course_create_categories ?? 0).toBe(0);
    expect(named(ws, 'Science')).toHaveLength(1);
    expect(ws.sandbox.courses.byIdnumber('CHE101')).toMatchObject({ categoryid: made.id });
    expect(ws.sandbox.courses.byIdnumber('BIO101')).toMatchObject({ categoryid: made.id });
  });

  test('nested: 2026/Science made by a path is adopted level by level by Y2026 and SCI26 (parent given in the same file)', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('courses.csv', `${COURSE_HEAD}\nBIO26,bio26,Biology 2026,2026/Science\n`)])).code).toBe(0);
    const year = named(ws, '2026')[0];
    const sci = named(ws, 'Science')[0];
    expect(sci).toMatchObject({ parent: year.id, idnumber: 'path:2026/Science' });

    const r = await ws.cli(['run', ws.write('cats.txt', sisFile(CATS, [['SCI26', 'Science', 'Y2026'], ['Y2026', '2026', '']]))]);
    expect(r.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { adopt: 2, create: 0 } });
    expect(ws.sandbox.categories.list().filter((c) => c.name === '2026' || c.name === 'Science')).toHaveLength(2);
    expect(ws.sandbox.categories.list().find((c) => c.id === year.id)).toMatchObject({ idnumber: 'Y2026', parent: 0 });
    expect(ws.sandbox.categories.list().find((c) => c.id === sci.id)).toMatchObject({ idnumber: 'SCI26', parent: year.id });

    ws.sandbox.stats.reset();
    expect((await ws.cli(['run', ws.write('courses2.csv', `${COURSE_HEAD}\nCHE26,che26,Chemistry 2026,2026/Science\n`)])).code).toBe(0);
    expect(ws.sandbox.stats.byFunction.core_course_create_categories ?? 0).toBe(0);
    expect(ws.sandbox.courses.byIdnumber('CHE26')).toMatchObject({ categoryid: sci.id });
  });

  test('a category that already carries another SIS key is not taken: a second top-level row of the same name creates its own', async () => {
    ws = await workspace();
    const r = await ws.cli(['run', ws.write('cats.txt', sisFile(CATS, [['SCI', 'Science', '']]))]);
    expect(r.code).toBe(0);
    const again = await ws.cli(['run', ws.write('cats2.txt', sisFile(CATS, [['SCI', 'Science', ''], ['SCI-B', 'Science', '']]))]);
    expect(again.code).toBe(0);
    expect(named(ws, 'Science').map((c) => c.idnumber).sort()).toEqual(['SCI', 'SCI-B']);
  });
});

describe('a category made by the categories feed, then a course path', () => {
  test('the course path finds SCI by name under its parent: no second "Science", and the categories feed stays unchanged', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('cats.txt', sisFile(CATS, [['Y2026', '2026', ''], ['SCI', 'Science', ''], ['SCI26', 'Science', 'Y2026']]))])).code).toBe(0);
    const sci = ws.sandbox.categories.list().find((c) => c.idnumber === 'SCI')!;
    const sci26 = ws.sandbox.categories.list().find((c) => c.idnumber === 'SCI26')!;

    ws.sandbox.stats.reset();
    const r = await ws.cli(['run', ws.write('courses.csv', `${COURSE_HEAD}\nBIO101,bio101,Biology,Science\nBIO26,bio26,Biology 2026,2026/Science\n`)]);
    expect(r.code).toBe(0);
    expect(ws.sandbox.stats.byFunction.core_course_create_categories ?? 0).toBe(0);
    expect(named(ws, 'Science')).toHaveLength(2);
    expect(ws.sandbox.courses.byIdnumber('BIO101')).toMatchObject({ categoryid: sci.id });
    expect(ws.sandbox.courses.byIdnumber('BIO26')).toMatchObject({ categoryid: sci26.id });
    expect(ws.sandbox.categories.list().find((c) => c.id === sci.id)?.idnumber).toBe('SCI');

    const cats = await ws.cli(['run', ws.write('cats2.txt', sisFile(CATS, [['Y2026', '2026', ''], ['SCI', 'Science', ''], ['SCI26', 'Science', 'Y2026']]))]);
    expect(cats.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { unchanged: 3 } });
    expect(named(ws, 'Science')).toHaveLength(2);
  });
});
