/**
 * Read-only look-ups for a courses feed: adoption of a course by idnumber (or MOODLE_ID), the row's category (an
 * id, a key from the ledger or Moodle's idnumbers, or a path of names found level by level), and its TEMPLATE.
 * Nothing is written: levels a path lacks are left to the applier, which creates them.
 */
import type { CourseRecord } from './record.js';
import type { LedgerLink, LedgerStore } from '../../ledger/types.js';
import { getCategories, getCoursesByField } from '../../moodle/index.js';
import type { CategoryCriteriaKey, MoodleCaller, MoodleCategory, MoodleCourse } from '../../moodle/types.js';
import { pathLevelKey } from './target.js';
import type { CourseContext } from './rules.js';
import { retrier } from '../../resolve/common.js';
import { categoriesNamed } from '../../resolve/categories.js';
import { coursesByIds } from '../../resolve/names.js';

const ONE_BY_ONE_MAX = 20;

type CategoryAnswer = NonNullable<CourseContext['category']>;
type TemplateAnswer = NonNullable<CourseContext['template']>;

export function courseLookup(
  c: MoodleCaller,
  ledger: LedgerStore,
  opts: { retries?: number; backoffMs?: number } = {},
): (unplaced: CourseRecord[], chunk: CourseRecord[]) => Promise<Map<string, Omit<CourseContext, 'link'>>> {
  const retry = retrier(opts);
  const cats = (criteria: { key: CategoryCriteriaKey; value: string | number }[]): Promise<MoodleCategory[]> => retry(() => getCategories(c, criteria, false));
  const courses = async (field: 'idnumber' | 'shortname' | '', value?: string | number[]): Promise<MoodleCourse[]> =>
    (await retry(() => getCoursesByField(c, field, value))).courses;

  // Answers kept for the whole file: many rows share a category or a template.
  /** The ledger's links of a chunk's path levels, read in one go (a read per level cost a whole IN list each). */
  let levelLinks = new Map<string, LedgerLink>();
  let levelsRead = new Set<string>();
  const byKey = new Map<string, CategoryAnswer>();
  const levelIds = new Map<string, number | null>();
  const byId = new Map<number, CategoryAnswer>();
  const templates = new Map<string, TemplateAnswer | undefined>();

  const categoryByKey = async (key: string): Promise<CategoryAnswer> => {
    let a = byKey.get(key);
    if (a) return a;
    const link = (await ledger.getLinks('categories', [key])).get(key);
    if (link) a = { categoryId: link.moodleId };
    else {
      const found = (await cats([{ key: 'idnumber', value: key }])).filter((x) => x.idnumber === key);
      a = found.length > 0 ? { categoryId: found[0].id } : { error: { code: 'unknown-category', message: `unknown category ${key}` } };
    }
    byKey.set(key, a);
    return a;
  };

  /** A level's id: ledger link of its path key, Moodle idnumber = path key, then by name under its parent. */
  const levelId = async (levels: string[], depth: number, parentId: number): Promise<number | null> => {
    const k = pathLevelKey(levels, depth);
    const known = levelIds.get(k);
    if (known !== undefined) return known;
    let id: number | null = null;
    const link = levelsRead.has(k) ? levelLinks.get(k) : (await ledger.getLinks('categories', [k])).get(k);
    if (link) id = link.moodleId;
    else {
      const byIdn = (await cats([{ key: 'idnumber', value: k }])).filter((x) => x.idnumber === k);
      if (byIdn.length > 0) id = byIdn[0].id;
      else {
        const name = levels[depth - 1];
        const named = await categoriesNamed(cats, name, parentId);
        if (named.length > 0) id = Math.min(...named.map((x) => x.id));
      }
    }
    levelIds.set(k, id);
    return id;
  };

  const categoryByPath = async (levels: string[]): Promise<CategoryAnswer> => {
    let parentId = 0;
    for (let depth = 1; depth <= levels.length; depth++) {
      const id = await levelId(levels, depth, parentId);
      if (id === null) return { createPath: { levels, existing: depth - 1, parentId } };
      parentId = id;
    }
    return { categoryId: parentId };
  };

  const categoryById = async (id: number): Promise<CategoryAnswer> => {
    let a = byId.get(id);
    if (a) return a;
    const found = await cats([{ key: 'id', value: id }]);
    a = found.length > 0 ? { categoryId: id } : { error: { code: 'unknown-category', message: `unknown category id ${id}` } };
    byId.set(id, a);
    return a;
  };

  const template = async (ref: string): Promise<TemplateAnswer | undefined> => {
    if (templates.has(ref)) return templates.get(ref);
    let a: TemplateAnswer | undefined;
    const link = (await ledger.getLinks('courses', [ref])).get(ref);
    if (link) a = { id: link.moodleId };
    else {
      const found = (await courses('idnumber', ref)).find((x) => x.idnumber === ref) ?? (await courses('shortname', ref)).find((x) => x.shortname === ref);
      a = found ? { id: found.id } : { error: { code: 'unknown-template', message: `unknown template course ${ref}: no course has that key or short name` } };
    }
    templates.set(ref, a);
    return a;
  };

  /**
   * Every course with an idnumber, by idnumber: listed once per file, when a chunk has more keys to adopt than are
   * worth asking one by one, and kept for the later chunks (planning writes nothing, so it cannot go stale before
   * the apply). Moodle lists one idnumber per call otherwise, so a listing per chunk cost a full-site listing each.
   */
  let listing: Map<string, { id: number; idnumber?: string }[]> | undefined;
  const listAll = async (): Promise<Map<string, { id: number; idnumber?: string }[]>> => {
    const m = new Map<string, { id: number; idnumber?: string }[]>();
    for (const x of await courses('')) {
      if (!x.idnumber) continue;
      const list = m.get(x.idnumber);
      // Only what adoption reads is kept: a large site's full course structures are not held for the whole file.
      if (list) list.push({ id: x.id, idnumber: x.idnumber });
      else m.set(x.idnumber, [{ id: x.id, idnumber: x.idnumber }]);
    }
    return m;
  };

  return async (unplaced, chunk) => {
    // Adoption: by MOODLE_ID, else by idnumber (one listing when many keys are asked).
    const ids = [...new Set(unplaced.flatMap((r) => (r.moodleId === undefined ? [] : [r.moodleId])))];
    const idnumbers = [...new Set(unplaced.filter((r) => r.moodleId === undefined).map((r) => r.key))];
    const byMoodleId = new Map<number, MoodleCourse>();
    const byIdnumber = new Map<string, { id: number }[]>();
    const addIdn = (x: { id: number; idnumber?: string }): void => {
      if (!x.idnumber) return;
      const list = byIdnumber.get(x.idnumber);
      if (list) list.push(x);
      else byIdnumber.set(x.idnumber, [x]);
    };
    // One MOODLE_ID Moodle lacks fails a whole `ids` call (contract 2026-12/150): coursesByIds splits the list.
    if (ids.length > 0) for (const x of await retry(() => coursesByIds(c, ids))) byMoodleId.set(x.id, x);
    if (!listing && idnumbers.length > ONE_BY_ONE_MAX) listing = await listAll();
    if (listing) {
      for (const idn of idnumbers) for (const x of listing.get(idn) ?? []) addIdn(x);
    } else {
      for (const idn of idnumbers) for (const x of await courses('idnumber', idn)) if (x.idnumber === idn) addIdn(x);
    }

    levelsRead = new Set<string>();
    for (const r of chunk) {
      const spec = r.fields.category;
      if (spec === undefined || !('path' in spec)) continue;
      for (let depth = 1; depth <= spec.path.length; depth++) {
        const k = pathLevelKey(spec.path, depth);
        if (!levelIds.has(k)) levelsRead.add(k);
      }
    }
    levelLinks = levelsRead.size > 0 ? await ledger.getLinks('categories', [...levelsRead]) : new Map();

    const isUnplaced = new Set(unplaced);
    const out = new Map<string, Omit<CourseContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<CourseContext, 'link'> = {};
      if (isUnplaced.has(r)) {
        if (r.moodleId !== undefined) {
          const x = byMoodleId.get(r.moodleId);
          if (x) ctx.match = { id: x.id, via: 'moodle-id' };
          else ctx.moodleIdMissing = true;
        } else {
          const found = byIdnumber.get(r.key) ?? [];
          if (found.length === 1) ctx.match = { id: found[0].id, via: 'idnumber' };
          else if (found.length > 1) ctx.ambiguous = `${found.length} Moodle courses have idnumber ${r.key}`;
          else if (r.keyedByShortname) {
            // Keyed by its short name (a file without idnumbers: Moodle's Upload courses, a tool_sync list): Moodle's
            // short names are unique, so the course of that short name is the row's; a store still refuses one whose
            // idnumber is another key (the rules say why), a hide or delete names it plainly.
            const x = (await courses('shortname', r.key)).find((c) => c.shortname === r.key);
            if (x) ctx.match = { id: x.id, via: 'shortname', ...(x.idnumber && x.idnumber !== r.key ? { otherIdnumber: x.idnumber } : {}) };
          }
        }
      }
      const spec = r.fields.category;
      if (spec !== undefined) {
        ctx.category = 'id' in spec ? await categoryById(spec.id) : 'key' in spec ? await categoryByKey(spec.key) : await categoryByPath(spec.path);
      }
      if (r.fields.template !== undefined && !ctx.match && isUnplaced.has(r)) {
        const t = await template(r.fields.template);
        if (t) ctx.template = t;
      }
      out.set(r.key, ctx);
    }
    return out;
  };
}
