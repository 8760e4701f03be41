/**
 * Replays the recorded category cases of contract/2026-12/ (140–146 update and delete, then 148 get_courses_by_field
 * idnumber) against the sandbox. They are a sequence on one production-mode site (recorded with debugging off): top
 * category 11 "R2 Contract" holding 12 "R2 Cat A" (with child 14), 13 "R2 Cat B", 15 (empty), 16 (course
 * R2-DELMOVE-C1 and subcategory 17), 18 (course R2-DELREC-C1 and subcategory 19) and course R2-BIO201, made by
 * unrecorded calls. Each case is checked against the recorded answer (null, or the error object exactly) and the
 * rows the recording read back afterwards (ids mapped; sortorder and times, which depend on the site, by type).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { postRaw, rewriteRecorded, type RecordedCall } from '../../test/moodle-contract.js';
import { MoodleClient, createCategories, createCourses, getCategories } from '../moodle/index.js';
import { startSandbox, type SandboxHandle } from './server.js';

const DIR = fileURLToPath(new URL('../../contract/2026-12/', import.meta.url));

type Row = Record<string, unknown>;
interface Case extends RecordedCall {
  after?: {
    get_categories?: { call: string; params: { criteria: { key: string; value: number }[] }; response: Row[] };
    categories?: { sql: string; rows: Row[] };
    course?: { sql: string; rows: Row[] };
  };
}
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Case;

let sb: SandboxHandle;
let client: MoodleClient;
/** Recorded id → sandbox id, for categories and courses (separate id spaces); unknown ids (999999) stay as they are. */
const catIds = new Map<number, number>();
const catBack = new Map<number, number>();
const courseIds = new Map<number, number>();
const courseBack = new Map<number, number>();

/** The recorded categories, parents first: recorded id, name, idnumber, recorded parent. */
const CATEGORIES: [number, string, string, number][] = [
  [11, 'R2 Contract', 'R2-CONTRACT', 0],
  [12, 'R2 Cat A', 'R2-CATA', 11],
  [13, 'R2 Cat B', 'R2-CATB', 11],
  [14, 'R2 Cat A child', 'R2-CATA-CHILD', 12],
  [15, 'R2 Del empty', 'R2-DEL-EMPTY', 11],
  [16, 'R2 Del move', 'R2-DEL-MOVE', 11],
  [17, 'R2 Del move sub', 'R2-DEL-MOVE-SUB', 16],
  [18, 'R2 Del rec', 'R2-DEL-REC', 11],
  [19, 'R2 Del rec sub', 'R2-DEL-REC-SUB', 18],
];

beforeAll(async () => {
  sb = await startSandbox({ debug: false });
  client = new MoodleClient({ url: sb.url, token: sb.token });
  for (const [recorded, name, idnumber, parent] of CATEGORIES) {
    const [made] = await createCategories(client, [{ name, idnumber, parent: parent ? catIds.get(parent)! : 0 }]);
    catIds.set(recorded, made.id);
    catBack.set(made.id, recorded);
  }
  // Course 9 as case 148 recorded it; 11 and 12 are the delete cases' courses.
  const bio = load('148_get_courses_by_field_idnumber_r2').response as { courses: Row[] };
  const c9 = bio.courses[0];
  const made = await createCourses(client, [
    {
      fullname: c9.fullname as string, shortname: c9.shortname as string, idnumber: c9.idnumber as string,
      categoryid: catIds.get(11)!, summary: c9.summary as string, summaryformat: 1, format: 'topics',
      startdate: c9.startdate as number, enddate: c9.enddate as number, enablecompletion: 1,
    },
    { fullname: 'R2 Del move C1', shortname: 'R2-DELMOVE-C1', categoryid: catIds.get(16)! },
    { fullname: 'R2 Del rec C1', shortname: 'R2-DELREC-C1', categoryid: catIds.get(18)! },
  ]);
  [9, 11, 12].forEach((recorded, i) => {
    courseIds.set(recorded, made[i].id);
    courseBack.set(made[i].id, recorded);
  });
});

afterAll(async () => {
  await client.close();
  await sb.close();
});

/** The recorded body with the sandbox's token and category ids (`[id]`, `[parent]`, `[newparent]`). */
const rewrite = (encoded: string) =>
  rewriteRecorded(encoded, sb.token, (name, v) => (/\[(id|parent|newparent)\]$/.test(name) ? catIds.get(Number(v)) : undefined));

const backPath = (path: string) => path.split('/').map((p) => (p === '' ? '' : String(catBack.get(Number(p))))).join('/');

/** The recorded mdl_course_categories columns of the sandbox's categories among `recordedIds`, recorded ids. */
function categoryRows(recordedIds: number[]): Row[] {
  const wanted = new Set(recordedIds.map((id) => catIds.get(id)));
  return sb.categories.list()
    .filter((c) => wanted.has(c.id))
    .map((c) => ({
      id: catBack.get(c.id), name: c.name, idnumber: c.idnumber, parent: catBack.get(c.parent), path: backPath(c.path),
      depth: c.depth, coursecount: c.coursecount,
    }))
    .sort((a, b) => (a.id as number) - (b.id as number));
}

/** The ids an `after` SQL query names in its `where id in (…)`. */
const idsOf = (sql: string) => (/id in \(([\d,]+)\)/.exec(sql) as RegExpExecArray)[1].split(',').map(Number);

function courseRows(sql: string): Row[] {
  const shortname = (/shortname='([^']+)'/.exec(sql) as RegExpExecArray)[1];
  const c = sb.courses.byShortname(shortname);
  return c ? [{ id: courseBack.get(c.id), shortname: c.shortname, category: catBack.get(c.categoryid) }] : [];
}

describe('recorded Moodle 4.5 category update and delete (contract/2026-12, a sequence)', () => {
  test.each([
    '140_update_categories_rename', '141_update_categories_move_under_other_parent',
    '142_update_categories_move_under_own_child', '143_delete_categories_empty',
    '144_delete_categories_move_contents_newparent', '145_delete_categories_recursive', '146_delete_categories_nonexistent',
  ])('%s', async (name) => {
    const rec = load(name);
    const r = await postRaw(sb, rewrite(rec.params.encoded));
    expect(r.status).toBe(rec.status);
    expect(r.contentType).toBe(rec.content_type);
    expect(JSON.parse(r.text)).toEqual(rec.response);

    const after = rec.after ?? {};
    if (after.get_categories) {
      expect(after.get_categories.call).toBe('core_course_get_categories');
      const [{ key, value }] = after.get_categories.params.criteria;
      const got = await getCategories(client, [{ key: key as 'id', value: catIds.get(value)! }], false);
      const want = after.get_categories.response;
      expect(got.map((c) => Object.keys(c).sort())).toEqual(want.map((c) => Object.keys(c).sort()));
      const comparable = (c: Row, id: (n: number) => number | undefined, path: (p: string) => string) => ({
        ...c, id: id(c.id as number), parent: id(c.parent as number), path: path(c.path as string),
        sortorder: typeof c.sortorder, timemodified: typeof c.timemodified,
      });
      expect(got.map((c) => comparable(c as unknown as Row, (n) => catBack.get(n), backPath)))
        .toEqual(want.map((c) => comparable(c, (n) => n, (p) => p)));
    }
    if (after.categories) expect(categoryRows(idsOf(after.categories.sql))).toEqual(after.categories.rows);
    if (after.course) expect(courseRows(after.course.sql)).toEqual(after.course.rows);
  });

  test('148_get_courses_by_field_idnumber_r2: the course as recorded, ids mapped, site-dependent values by type', async () => {
    const rec = load('148_get_courses_by_field_idnumber_r2');
    const r = await postRaw(sb, rewrite(rec.params.encoded));
    expect(r.status).toBe(rec.status);
    const got = JSON.parse(r.text) as { courses: Row[]; warnings: unknown[] };
    const want = rec.response as { courses: Row[]; warnings: unknown[] };
    expect(got.warnings).toEqual(want.warnings);
    expect(got.courses).toHaveLength(want.courses.length);
    // What depends on the site (its URL, its clock, the course's place among the site's courses) is compared by type.
    const bySite = ['courseimage', 'sortorder', 'timecreated', 'timemodified', 'cacherev'];
    const comparable = (c: Row, course: (n: number) => number | undefined, cat: (n: number) => number | undefined) => ({
      ...c, id: course(c.id as number), categoryid: cat(c.categoryid as number),
      ...Object.fromEntries(bySite.map((k) => [k, typeof c[k]])),
    });
    expect(comparable(got.courses[0], (n) => courseBack.get(n), (n) => catBack.get(n)))
      .toEqual(comparable(want.courses[0], (n) => n, (n) => n));
    expect(got.courses[0].courseimage).toMatch(/\/pluginfile\.php\/\d+\/course\/generated\/course\.svg$/);
  });
});

describe('category delete beyond the recordings (course/externallib.php, core_course_category)', () => {
  test('recursive=0 at the top level is refused; a newparent inside the category cannot take its contents', async () => {
    const [top] = await createCategories(client, [{ name: 'Top alone', idnumber: 'TOP-ALONE' }]);
    const [sub] = await createCategories(client, [{ name: 'Top sub', idnumber: 'TOP-SUB', parent: top.id }]);
    await expect(client.call('core_course_delete_categories', { categories: [{ id: top.id }] }))
      .rejects.toMatchObject({ errorcode: 'movecatcontentstoroot' });
    await expect(client.call('core_course_delete_categories', { categories: [{ id: top.id, newparent: sub.id }] }))
      .rejects.toMatchObject({ errorcode: 'cannotmovecategory' });
    await expect(client.call('core_course_delete_categories', { categories: [{ id: sub.id, newparent: 999999 }] }))
      .rejects.toMatchObject({ errorcode: 'unknowncategory', message: 'Unknown category with category ID number "999999"' });
    expect(sb.categories.list().filter((c) => c.id === top.id || c.id === sub.id)).toHaveLength(2);
  });

  test('update_categories: an unknown category or parent is core_course_category::get()\'s unknowncategory', async () => {
    const [cat] = await createCategories(client, [{ name: 'Kept', idnumber: 'KEPT' }]);
    await expect(client.call('core_course_update_categories', { categories: [{ id: 999999, name: 'X' }] }))
      .rejects.toMatchObject({ errorcode: 'unknowncategory', message: 'Unknown category with category ID number "999999"' });
    await expect(client.call('core_course_update_categories', { categories: [{ id: cat.id, name: 'Renamed', parent: 999998 }] }))
      .rejects.toMatchObject({ errorcode: 'unknowncategory', message: 'Unknown category with category ID number "999998"' });
    expect(sb.categories.list().find((c) => c.id === cat.id)).toMatchObject({ name: 'Kept', parent: 0 });
  });

  test("a deleted category's cohorts go up to its parent's context; a batch with a bad entry changes nothing", async () => {
    const [parent] = await createCategories(client, [{ name: 'Cohort parent', idnumber: 'CO-PARENT' }]);
    const [child] = await createCategories(client, [{ name: 'Cohort child', idnumber: 'CO-CHILD', parent: parent.id }]);
    const [cohort] = await client.call<{ id: number }[]>('core_cohort_create_cohorts', {
      cohorts: [{ categorytype: { type: 'id', value: String(child.id) }, name: 'In child', idnumber: 'CO-IN-CHILD' }],
    });
    await expect(client.call('core_course_delete_categories', { categories: [{ id: child.id, recursive: 1 }, { id: 999999 }] }))
      .rejects.toMatchObject({ errorcode: 'unknowncategory' });
    expect(sb.categories.list().some((c) => c.id === child.id)).toBe(true);

    await client.call('core_course_delete_categories', { categories: [{ id: child.id, recursive: 1 }] });
    expect(sb.categories.list().some((c) => c.id === child.id)).toBe(false);
    expect(sb.cohorts.byIdnumber('CO-IN-CHILD')).toMatchObject({ id: cohort.id, categoryid: parent.id });
    // At the top level a cohort goes to the system context.
    await client.call('core_course_delete_categories', { categories: [{ id: parent.id, recursive: 1 }] });
    expect(sb.cohorts.byIdnumber('CO-IN-CHILD')).toMatchObject({ id: cohort.id, categoryid: 0 });
  });
});
