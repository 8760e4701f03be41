/**
 * Moodle Upload courses files (https://docs.moodle.org/en/Upload_courses), run as they are against the sandbox: a
 * UTF-8 BOM, CRLF, quoted commas, accents, optional columns left empty, category paths written `A / B`, dates as
 * d.m.Y, m/d/Y and Unix time, a template course, settings columns, and columns mdlsync only warns about.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCategories, createCourses, getCoursesByField } from '../../src/moodle/index.js';
import { workspace, type Workspace } from '../helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const config = (w: Workspace, extra: Record<string, unknown> = {}): void =>
  writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, dialects: { timezone: 'UTC' }, ...extra }));

async function setup(): Promise<{ w: Workspace; client: MoodleClient; arts: number }> {
  const w = await workspace();
  ws = w;
  config(w);
  const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
  const [arts] = await createCategories(client, [{ name: 'Arts', idnumber: 'ARTS' }]);
  await createCourses(client, [{ fullname: 'Template', shortname: 'TPL', categoryid: arts.id, summary: 'From the template' }]);
  return { w, client, arts: arts.id };
}

const utc = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 1000;
const rowsCsv = (w: Workspace): string => readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8');

const HEADER =
  'shortname,fullname,idnumber,summary,category_path,category_idnumber,format,numsections,groupmode,lang,theme,hiddensections,showgrades,newsitems,visible,startdate,enddate,templatecourse,tags,role_student';
const FILE =
  `\uFEFF${HEADER}\r\n` +
  'SCI101,"Biology, first year",BIO-1,<p>Cells</p>,Faculty / Science,,weeks,10,1,en,boost,0,0,3,1,01.09.2026,30.06.2027,,"bio, cells",Learner\r\n' +
  'ART1,Éducation artistique,,,,ARTS,topics,,,,,,,,0,09/15/2026,1790812800,,,\r\n' +
  'CPY,Copy of the template,,,,ARTS,,,,,,,,,,,,TPL,,\r\n' +
  'BAD,Bad dates,,,,ARTS,,,,,,,,,,next week,,,,\r\n' +
  'FR1,Français,,,,ARTS,,,,fr,,,,,,,,,,\r\n';

describe('Upload courses dialect', () => {
  test('a documented file creates what the tool creates; its settings land; a re-run is unchanged; the failed lines come back as written', async () => {
    const { w, client, arts } = await setup();
    const r = await w.cli(['run', w.write('courses.csv', FILE)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('format: Moodle Upload courses file → courses');
    const s = w.lastSummary();
    expect(s).toMatchObject({ format: { dialect: 'moodle-uploadcourse', entities: ['courses'] }, outcomes: { ok: 3, failed: 2 } });
    expect(s.warnings).toEqual([expect.stringMatching(/^tags: not set/), expect.stringMatching(/^role_student: course role names are not set/)]);

    // The path's levels are created (the tool would refuse a path Moodle lacks), the course placed in the last.
    const faculty = w.sandbox.categories.list().find((c) => c.name === 'Faculty');
    const science = w.sandbox.categories.list().find((c) => c.name === 'Science');
    expect(faculty).toMatchObject({ parent: 0 });
    expect(science).toMatchObject({ parent: faculty!.id });
    const sci = w.sandbox.courses.byShortname('SCI101');
    expect(sci).toMatchObject({ idnumber: 'BIO-1', fullname: 'Biology, first year', summary: '<p>Cells</p>', format: 'weeks', categoryid: science!.id, visible: true, startdate: utc(2026, 9, 1), enddate: utc(2027, 6, 30) });
    const [sent] = (await getCoursesByField(client, 'id', sci!.id)).courses;
    expect(sent).toMatchObject({ groupmode: 1, lang: 'en', theme: 'boost', showgrades: 0, newsitems: 3 });
    expect(sent.courseformatoptions).toContainEqual({ name: 'hiddensections', value: 0 });

    // No idnumber in the file: found by short name, which mdlsync also writes as the idnumber (its key).
    expect(w.sandbox.courses.byShortname('ART1')).toMatchObject({ idnumber: 'ART1', fullname: 'Éducation artistique', categoryid: arts, visible: false, startdate: utc(2026, 9, 15), enddate: 1790812800 });
    // templatecourse: a copy of TPL, with its summary.
    expect(w.sandbox.courses.byShortname('CPY')).toMatchObject({ fullname: 'Copy of the template', categoryid: arts, summary: 'From the template' });
    expect(w.sandbox.courses.byShortname('BAD')).toBeUndefined();
    // A language Moodle has not installed is refused by Moodle, for that course only.
    expect(w.sandbox.courses.byShortname('FR1')).toBeUndefined();
    const rows = rowsCsv(w);
    expect(rows).toMatch(/^5,BAD,.*invalid-value,.*next week/m);
    expect(rows).toMatch(/^6,FR1,.*failed/m);
    expect(readFileSync(s.tryback as string, 'utf8')).toMatch(
      /^\uFEFF?shortname,fullname,idnumber,.*\r\n# line 5: invalid-value: .*\r\nBAD,Bad dates,,,,ARTS,,,,,,,,,,next week,,,,\r\n# line 6: .*\r\nFR1,Français,,,,ARTS,,,,fr,,,,,,,,,,\r\n$/,
    );

    w.sandbox.stats.reset();
    const again = FILE.split('\r\n').slice(0, 4).join('\r\n') + '\r\n';
    expect((await w.cli(['run', w.write('again.csv', again)])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 3, failed: 0 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);
  });

  test('delete=1 hides the course, or deletes it with courses.disable "delete"; rename fails its row; --date-order dmy', async () => {
    const { w } = await setup();
    const base = 'shortname,fullname,category_idnumber,startdate,delete,rename\n';
    expect((await w.cli(['run', w.write('a.csv', `${base}K1,Keep,ARTS,03/04/2026,0,\nK2,Gone,ARTS,,0,\n`)])).code).toBe(0);
    expect(w.sandbox.courses.byShortname('K1')).toMatchObject({ startdate: utc(2026, 3, 4) });

    const r = await w.cli(['run', w.write('b.csv', `${base}K2,Gone,ARTS,,1,\nK1,Keep,ARTS,03/04/2026,0,K1-NEW\n`)]);
    expect(r.code).toBe(2);
    expect(w.sandbox.courses.byShortname('K2')).toMatchObject({ visible: false });
    expect(rowsCsv(w)).toMatch(/^2,K2,disable,ok,.*hidden in Moodle/m);
    expect(rowsCsv(w)).toMatch(/^3,K1,.*failed.*does not rename/m);
    expect(w.sandbox.courses.byShortname('K1')).toBeDefined();
    expect(w.sandbox.courses.byShortname('K1-NEW')).toBeUndefined();

    config(w, { courses: { disable: 'delete' }, dialects: { timezone: 'UTC' } });
    expect((await w.cli(['run', '--date-order', 'dmy', w.write('c.csv', `${base}K2,Gone,ARTS,,1,\nK3,Day first,ARTS,03/04/2026,,\n`)])).code).toBe(0);
    expect(w.sandbox.courses.byShortname('K2')).toBeUndefined();
    expect(w.sandbox.courses.byShortname('K3')).toMatchObject({ startdate: utc(2026, 4, 3) });
  });
});
