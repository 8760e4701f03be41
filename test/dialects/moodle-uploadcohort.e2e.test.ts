/**
 * Moodle Upload cohorts files (https://docs.moodle.org/en/Upload_cohorts), run as they are against the sandbox: a
 * UTF-8 BOM, CRLF, quoted commas, accents, `name` alone, cohorts without idnumber, a category by idnumber, visible
 * as the upload page reads it, and columns mdlsync only warns about.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCategories } from '../../src/moodle/index.js';
import { workspace, type Workspace } from '../helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

async function setup(): Promise<{ w: Workspace; arts: number }> {
  const w = await workspace();
  ws = w;
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const [arts] = await createCategories(client, [{ name: 'Arts', idnumber: 'ARTS' }]);
  await client.close();
  return { w, arts: arts.id };
}

const named = (w: Workspace, name: string) => w.sandbox.cohorts.list().filter((c) => c.name === name);

describe('Upload cohorts dialect', () => {
  test('cohorts with and without idnumber, in the system or a category; a re-run is unchanged; a bad line comes back as written', async () => {
    const { w, arts } = await setup();
    const file =
      '\uFEFFname,idnumber,description,visible,category_idnumber,descriptionformat\r\n' +
      'Year 7,,"All pupils, year 7",,,1\r\n' +
      'Club théâtre,CLUB-TH,Drama,no,ARTS,1\r\n' +
      ',NONAME,Nobody,,,1\r\n' +
      'Choir,CHOIR,,0,NOWHERE,1\r\n';
    const r = await w.cli(['run', w.write('cohorts.csv', file)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('format: Moodle Upload cohorts file → cohorts');
    const s = w.lastSummary();
    expect(s).toMatchObject({ format: { dialect: 'moodle-uploadcohort', entities: ['cohorts'] }, outcomes: { ok: 2, failed: 2 } });
    expect(s.warnings).toEqual([expect.stringMatching(/^descriptionformat: not set/)]);
    // No idnumber: keyed by its name, which becomes its idnumber; the system context; visible (empty = yes).
    expect(named(w, 'Year 7')).toEqual([expect.objectContaining({ idnumber: 'Year 7', description: 'All pupils, year 7', categoryid: 0, visible: true })]);
    expect(w.sandbox.cohorts.byIdnumber('CLUB-TH')).toMatchObject({ name: 'Club théâtre', categoryid: arts, visible: false });
    expect(w.sandbox.cohorts.byIdnumber('NONAME')).toBeUndefined();
    // A category Moodle lacks: the upload page would put the cohort in the default context; mdlsync fails the line.
    expect(w.sandbox.cohorts.byIdnumber('CHOIR')).toBeUndefined();
    const tryback = readFileSync(s.tryback as string, 'utf8');
    expect(tryback).toContain('# line 4: missing-value: name is empty');
    expect(tryback).toContain('\r\n,NONAME,Nobody,,,1\r\n');
    expect(tryback).toContain('\r\nChoir,CHOIR,,0,NOWHERE,1\r\n');

    w.sandbox.stats.reset();
    const again = file.split('\r\n').slice(0, 3).join('\r\n') + '\r\n';
    expect((await w.cli(['run', w.write('again.csv', again)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 2, failed: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('a file of names alone is a cohorts file, not a categories feed; a category path fails its line with what to give', async () => {
    const { w, arts } = await setup();
    expect((await w.cli(['run', w.write('names.csv', 'name\nStaff\nGovernors\n')])).code).toBe(0);
    expect(named(w, 'Staff')).toEqual([expect.objectContaining({ idnumber: 'Staff', categoryid: 0 })]);
    expect(named(w, 'Governors')).toHaveLength(1);
    expect(w.sandbox.categories.list().map((c) => c.name)).not.toContain('Staff');

    const r = await w.cli(['run', w.write('path.csv', 'name,idnumber,category_path,category\nPainters,PAINT,Arts,\nSculptors,SCULPT,,ARTS\n')]);
    expect(r.code).toBe(2);
    expect(w.sandbox.cohorts.byIdnumber('PAINT')).toBeUndefined();
    expect(w.sandbox.cohorts.byIdnumber('SCULPT')).toMatchObject({ categoryid: arts });
    expect(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8')).toMatch(/^2,PAINT,.*does not find cohort categories by path; give category_idnumber or category_id/m);
  });
});
