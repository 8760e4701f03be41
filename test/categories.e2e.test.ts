/** Categories through the real CLI against the sandbox over HTTP: a tree in one file, idempotence, rename, adoption, bad parents, order of files. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCategories } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const H = ['EXTERNAL_CATEGORY_KEY', 'NAME', 'PARENT_KEY', 'DESCRIPTION'];
/** A three-level tree, children first. */
const TREE = [
  ['MORNING', 'Morning', 'SEP2026', 'Morning shift'],
  ['SEP2026', 'September', 'Y2026', ''],
  ['Y2026', '2026', '', 'School year 2026'],
];

const byIdnumber = (w: Workspace, idnumber: string) => w.sandbox.categories.list().find((c) => c.idnumber === idnumber);

describe('categories feed', () => {
  test('a three-level tree given children-first is created parents-first; a re-run makes no write call', async () => {
    ws = await workspace();
    const file = ws.write('cats.txt', sisFile(H, TREE));
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    const year = byIdnumber(ws, 'Y2026');
    const sep = byIdnumber(ws, 'SEP2026');
    const morning = byIdnumber(ws, 'MORNING');
    expect(year).toMatchObject({ name: '2026', parent: 0, description: 'School year 2026' });
    expect(sep).toMatchObject({ name: 'September', parent: year?.id });
    expect(morning).toMatchObject({ name: 'Morning', parent: sep?.id, description: 'Morning shift' });
    const summary = ws.lastSummary();
    expect(summary).toMatchObject({ type: 'categories', planned: { create: 3 }, outcomes: { ok: 3, failed: 0 } });

    ws.sandbox.stats.reset();
    const again = await ws.cli(['run', ws.write('cats2.txt', sisFile(H, TREE))]);
    expect(again.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { unchanged: 3 } });
    expect(ws.sandbox.stats.writeCalls).toBe(0);
  });

  test('a rename is an update; a move under another parent too', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('cats.txt', sisFile(H, TREE))])).code).toBe(0);
    const id = byIdnumber(ws, 'SEP2026')?.id;
    ws.sandbox.stats.reset();
    const renamed = TREE.map((row) => (row[0] === 'SEP2026' ? ['SEP2026', 'Sept.', 'Y2026', ''] : row));
    renamed.push(['Y2027', '2027', '', '']);
    renamed[0] = ['MORNING', 'Morning', 'Y2027', 'Morning shift'];
    const r = await ws.cli(['run', ws.write('renamed.txt', sisFile(H, renamed))]);
    expect(r.code).toBe(0);
    expect(byIdnumber(ws, 'SEP2026')).toMatchObject({ id, name: 'Sept.' });
    expect(byIdnumber(ws, 'MORNING')?.parent).toBe(byIdnumber(ws, 'Y2027')?.id);
    expect(ws.lastSummary()).toMatchObject({ planned: { update: 2, create: 1, unchanged: 1 }, outcomes: { ok: 3, unchanged: 1 } });
    expect(ws.sandbox.stats.byFunction.core_course_update_categories).toBeGreaterThan(0);
  });

  test('an existing category found by idnumber is adopted, not duplicated (Moodle dialect)', async () => {
    ws = await workspace();
    const client = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    const [made] = await createCategories(client, [{ name: 'Made by hand', idnumber: 'HAND' }]);
    await client.close();
    const file = ws.write('cats.csv', 'idnumber,name,parent,description\nHAND,Faculty,,\nCHILD,Child,HAND,\n');
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(ws.sandbox.categories.list().filter((c) => c.idnumber === 'HAND')).toHaveLength(1);
    expect(byIdnumber(ws, 'HAND')).toMatchObject({ id: made.id, name: 'Faculty' });
    expect(byIdnumber(ws, 'CHILD')?.parent).toBe(made.id);
    const rows = readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8');
    expect(rows).toMatch(new RegExp(`^2,HAND,adopt,ok,${made.id},`, 'm'));
  });

  test('an unknown parent fails only its row, with a tryback that retries it', async () => {
    ws = await workspace();
    const rows = [...TREE, ['LOST', 'Lost', 'NOWHERE', '']];
    const r = await ws.cli(['run', ws.write('cats.txt', sisFile(H, rows))]);
    expect(r.code).toBe(2);
    expect(ws.sandbox.categories.list().map((c) => c.idnumber).sort()).toEqual(['', 'MORNING', 'SEP2026', 'Y2026']);
    const summary = ws.lastSummary();
    expect(summary).toMatchObject({ outcomes: { ok: 3, failed: 1 } });
    const rowsCsv = readFileSync(join(summary.reportDir, 'rows.csv'), 'utf8');
    expect(rowsCsv).toMatch(/^5,LOST,fail,failed,,unknown-parent,unknown parent category NOWHERE,categories,/m);
    expect(readFileSync(summary.tryback as string, 'utf8')).toContain('# line 5: unknown-parent: unknown parent category NOWHERE');
  });

  test('a move under its own descendant fails only its row (Moodle: cannotmovecategory) and changes nothing', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('cats.txt', sisFile(H, TREE))])).code).toBe(0);
    const before = ws.sandbox.categories.list();
    const r = await ws.cli(['run', ws.write('cycle.txt', sisFile(H, [['Y2026', '2026', 'MORNING', ''], ['Y2027', '2027', '', '']]))]);
    expect(r.code).toBe(2);
    const summary = ws.lastSummary();
    expect(summary).toMatchObject({ outcomes: { ok: 1, failed: 1 } });
    const rowsCsv = readFileSync(join(summary.reportDir, 'rows.csv'), 'utf8');
    expect(rowsCsv).toMatch(/^2,Y2026,update,failed,\d+,cannotmovecategory,Cannot move category,categories,"Moodle cannot move the category there: the new parent does not exist, or is the category itself or one of its subcategories/m);
    expect(readFileSync(summary.tryback as string, 'utf8')).toContain('# line 2: cannotmovecategory: Cannot move category');
    expect(ws.sandbox.categories.list().filter((c) => c.idnumber !== 'Y2027')).toEqual(before);
  });

  test('a disable keeps the category in Moodle and says so', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('cats.txt', sisFile(H, TREE))])).code).toBe(0);
    ws.sandbox.stats.reset();
    const r = await ws.cli(['run', ws.write('del.txt', sisFile(['EXTERNAL_CATEGORY_KEY'], [['MORNING']])), '--op', 'delete']);
    expect(r.code).toBe(0);
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(byIdnumber(ws, 'MORNING')).toBeDefined();
    const rows = readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8');
    expect(rows).toContain('kept in Moodle (categories are not hidden or deleted by mdlsync)');
  });

  test('several files run in dependency order whatever the order given', async () => {
    ws = await workspace();
    const people = ws.write('people.txt', sisFile(SIS_HEADER, persons(2)));
    const cats = ws.write('cats.txt', sisFile(H, TREE));
    const r = await ws.cli(['run', people, cats]);
    expect(r.code).toBe(0);
    const order = [...r.stdout.matchAll(/: (categories|persons) store from /g)].map((m) => m[1]);
    expect(order).toEqual(['categories', 'persons']);
    expect(byIdnumber(ws, 'MORNING')).toBeDefined();
    expect(ws.sandbox.users.byUsername('puser0002')).toBeDefined();
  });
});
