/**
 * core_course's category functions (create, get, update), with Moodle 4.5's parameter and return descriptions and
 * the checks, in order, of course/externallib.php and core_course_category.
 */
import { moodleException, MoodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { cleanParam, formatParam, multiple, phpTrim, single, value, VALUE_DEFAULT, VALUE_OPTIONAL } from './params.js';
import type { CategoryRow, CourseStore } from './course-store.js';

const now = () => Math.floor(Date.now() / 1000);
const cs = (ctx: FunctionContext): CourseStore => ctx.store.courses;

/** core_text::strlen(): length in characters, not UTF-16 units. */
function textLength(s: string): number {
  return [...s].length;
}

function categoryPath(ctx: FunctionContext, parent: number, id: number): { depth: number; path: string } {
  if (parent === 0) return { depth: 1, path: `/${id}` };
  const p = cs(ctx).category(parent) as CategoryRow;
  return { depth: p.depth + 1, path: `${p.path}/${id}` };
}

function checkCategoryName(name: string): void {
  if (phpTrim(name) === '') throw moodleException('categorynamerequired', 'A category name is required');
  if (textLength(name) > 255) throw moodleException('categorytoolong', 'Category name too long');
}

function checkCategoryIdnumber(ctx: FunctionContext, idnumber: string, exceptId = 0): void {
  if (textLength(idnumber) > 100) throw moodleException('idnumbertoolong', 'ID number is too long');
  if (idnumber !== '' &&
    ctx.store.db.prepare('SELECT 1 FROM course_categories WHERE idnumber = ? AND id <> ?').get(idnumber, exceptId)) {
    throw moodleException('categoryidnumbertaken', 'ID number is already used for another category');
  }
}

function unknownCategory(): MoodleException {
  return moodleException('unknowcategory', 'Category not known!');
}

/** A new category goes last among its siblings (fixSortorder() then gives it its place). */
const MAX_SORT = Number.MAX_SAFE_INTEGER;

function createCategories(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const out: { id: number; name: string }[] = [];
  ctx.store.transaction(() => {
    for (const c of params.categories as Record<string, unknown>[]) {
      const parent = c.parent as number;
      if (parent && !cs(ctx).category(parent)) throw unknownCategory();
      const name = c.name as string;
      checkCategoryName(name);
      const idnumber = (c.idnumber as string | undefined) ?? '';
      checkCategoryIdnumber(ctx, idnumber);
      const id = cs(ctx).insert('course_categories', {
        name,
        idnumber,
        description: (c.description as string | undefined) ?? '',
        descriptionformat: c.descriptionformat,
        parent,
        sortorder: MAX_SORT,
        theme: (c.theme as string | undefined) ?? '',
        timemodified: now(),
      });
      cs(ctx).update('course_categories', id, categoryPath(ctx, parent, id));
      cs(ctx).fixSortorder();
      out.push({ id, name });
    }
  });
  return out;
}
function descendants(ctx: FunctionContext, id: number): CategoryRow[] {
  const path = (cs(ctx).category(id) as CategoryRow).path;
  return cs(ctx).categories().filter((c) => c.path.startsWith(path + '/'));
}

function updateCategories(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const c of params.categories as Record<string, unknown>[]) {
      const id = c.id as number;
      const cat = cs(ctx).category(id);
      if (!cat) throw unknownCategory();
      const changes: Record<string, unknown> = {};
      if (c.name !== undefined) {
        checkCategoryName(c.name as string);
        changes.name = c.name;
      }
      if (c.idnumber !== undefined && c.idnumber !== cat.idnumber) {
        checkCategoryIdnumber(ctx, c.idnumber as string, id);
        changes.idnumber = c.idnumber;
      }
      for (const k of ['description', 'descriptionformat', 'theme']) if (c[k] !== undefined) changes[k] = c[k];
      if (c.parent !== undefined && c.parent !== cat.parent) {
        const parent = c.parent as number;
        if (parent !== 0 && !cs(ctx).category(parent)) throw unknownCategory();
        if (parent === id || descendants(ctx, id).some((d) => d.id === parent)) {
          throw moodleException('cannotmovecategory', 'Cannot move category');
        }
        changes.parent = parent;
        changes.sortorder = MAX_SORT;
      }
      changes.timemodified = now();
      cs(ctx).update('course_categories', id, changes);
      if (changes.parent !== undefined) {
        const moved = [cat, ...descendants(ctx, id)].sort((a, b) => a.depth - b.depth);
        for (const m of moved) {
          const row = cs(ctx).category(m.id) as CategoryRow;
          cs(ctx).update('course_categories', m.id, categoryPath(ctx, row.parent, m.id));
        }
        cs(ctx).fixSortorder();
      }
    }
  });
  return null;
}

const CATEGORY_CRITERIA: Record<string, 'int' | 'sequence' | 'text' | 'raw' | 'theme'> = {
  id: 'int', ids: 'sequence', name: 'text', parent: 'int', idnumber: 'raw', visible: 'int', theme: 'theme',
};

function getCategories(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  let cats = cs(ctx).categories();
  const criteria = params.criteria as { key: string; value: string }[];
  for (const { key, value: v } of criteria) {
    const type = CATEGORY_CRITERIA[key];
    if (!type) {
      throw moodleException('criteriaerror', 'Missing permissions to search on a criterion.',
        `You can not search on this criteria: ${key}`);
    }
    if (type === 'sequence') {
      const ids = v.split(',').map((x) => Number(cleanParam(x, 'int')));
      cats = cats.filter((c) => ids.includes(c.id));
    } else if (type === 'int') {
      const n = Number(cleanParam(v, 'int'));
      cats = cats.filter((c) => c[key as 'id' | 'parent' | 'visible'] === n);
    } else {
      const s = String(cleanParam(v, type));
      cats = cats.filter((c) => c[key as 'name' | 'idnumber' | 'theme'] === s);
    }
  }
  if (criteria.length > 0 && params.addsubcategories) {
    const found = new Set(cats.map((c) => c.id));
    const all = cs(ctx).categories();
    cats = all.filter((c) => found.has(c.id) || c.path.split('/').slice(1, -1).some((p) => found.has(Number(p))));
  }
  return cats.map((c) => ({
    id: c.id, name: c.name, idnumber: c.idnumber, description: c.description, descriptionformat: c.descriptionformat,
    parent: c.parent, sortorder: c.sortorder, coursecount: c.coursecount, visible: c.visible, visibleold: c.visibleold,
    timemodified: c.timemodified, depth: c.depth, path: c.path, theme: c.theme,
  }));
}

const categoryReturn = single({
  id: value('int'), name: value('text'), idnumber: value('raw', VALUE_OPTIONAL), description: value('raw'),
  descriptionformat: value('int'), parent: value('int'), sortorder: value('int'), coursecount: value('int'),
  visible: value('int', VALUE_OPTIONAL), visibleold: value('int', VALUE_OPTIONAL),
  timemodified: value('int', VALUE_OPTIONAL), depth: value('int'), path: value('text'),
  theme: value('theme', VALUE_OPTIONAL),
});

export const CATEGORY_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_course_create_categories',
    params: single({ categories: multiple(single({
      name: value('text'), parent: value('int', VALUE_DEFAULT, 0), idnumber: value('raw', VALUE_OPTIONAL),
      description: value('raw', VALUE_OPTIONAL), descriptionformat: formatParam(), theme: value('theme', VALUE_OPTIONAL),
    })) }),
    returns: multiple(single({ id: value('int'), name: value('text') })),
    write: true,
    run: createCategories,
  },
  {
    name: 'core_course_get_categories',
    params: single({
      criteria: multiple(single({ key: value('alpha'), value: value('raw') }), VALUE_DEFAULT, []),
      addsubcategories: value('bool', VALUE_DEFAULT, true),
    }),
    returns: multiple(categoryReturn),
    write: false,
    run: getCategories,
  },
  {
    name: 'core_course_update_categories',
    params: single({ categories: multiple(single({
      id: value('int'), name: value('text', VALUE_OPTIONAL), idnumber: value('raw', VALUE_OPTIONAL),
      parent: value('int', VALUE_OPTIONAL), description: value('raw', VALUE_OPTIONAL),
      descriptionformat: value('int', VALUE_OPTIONAL), theme: value('theme', VALUE_OPTIONAL),
    })) }),
    returns: null,
    write: true,
    run: updateCategories,
  },
];
