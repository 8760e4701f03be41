/**
 * core_course's category functions (create, get, update, delete), with Moodle 4.5's parameter and return descriptions and
 * the checks, in order, of course/externallib.php and core_course_category.
 */
import { moodleException, MoodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { cleanParam, formatParam, multiple, phpTrim, single, value, VALUE_DEFAULT, VALUE_OPTIONAL } from './params.js';
import { CONTEXT_COURSECAT } from './accesslib.js';
import { MAX_COURSES_IN_CATEGORY, type CategoryRow, type CourseStore } from './course-store.js';

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

/** core_course_category::get($id, MUST_EXIST): the lang string says "ID number" although $a is the id (case 146). */
function unknownCategoryId(id: number): MoodleException {
  return moodleException('unknowncategory', `Unknown category with category ID number "${id}"`);
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

/** context::update_moved(): once `cat` has its new parent, it and its subtree get their new path and depth. */
function movePaths(ctx: FunctionContext, cat: CategoryRow): void {
  const moved = [cat, ...descendants(ctx, cat.id)].sort((a, b) => a.depth - b.depth);
  for (const m of moved) {
    const row = cs(ctx).category(m.id) as CategoryRow;
    cs(ctx).update('course_categories', m.id, categoryPath(ctx, row.parent, m.id));
  }
}

/** change_parent_raw(): last among its new siblings (fix_course_sortorder() then numbers it), subtree paths follow. */
function changeParentRaw(ctx: FunctionContext, cat: CategoryRow, parent: number): void {
  cs(ctx).update('course_categories', cat.id, { parent, sortorder: MAX_SORT });
  movePaths(ctx, cat);
}

/** cohort_delete_category(): the category's cohorts go up to its parent's context, or the system's at the top. */
function liftCohorts(ctx: FunctionContext, cat: CategoryRow): void {
  const to = cat.parent && cs(ctx).category(cat.parent) ? cat.parent : 0;
  ctx.store.db.prepare('UPDATE cohort SET categoryid = ? WHERE categoryid = ?').run(to, cat.id);
}

/** The end of delete_full() and delete_move(): cohorts lifted, the category's context (its role assignments) and row gone. */
function dropCategory(ctx: FunctionContext, cat: CategoryRow): void {
  liftCohorts(ctx, cat);
  ctx.store.db.prepare(`DELETE FROM role_assignments WHERE contextlevel = ${CONTEXT_COURSECAT} AND instanceid = ?`).run(cat.id);
  ctx.store.db.prepare('DELETE FROM course_categories WHERE id = ?').run(cat.id);
}

const childrenOf = (ctx: FunctionContext, id: number): CategoryRow[] => cs(ctx).categories().filter((c) => c.parent === id);

/** core_course_category::delete_full(): subcategories first (depth first), then the courses (delete_course()). */
function deleteFull(ctx: FunctionContext, cat: CategoryRow): void {
  for (const child of childrenOf(ctx, cat.id)) deleteFull(ctx, child);
  for (const course of cs(ctx).coursesWhere('category', cat.id).sort((a, b) => a.sortorder - b.sortorder)) {
    cs(ctx).deleteCourse(course.id);
  }
  dropCategory(ctx, cat);
}

/**
 * core_course_category::delete_move(): the subcategories move under `target` (change_parent_raw refuses a target
 * inside the category: cannotmovecategory), then the courses (move_courses() puts them at the end of the target).
 */
function deleteMove(ctx: FunctionContext, cat: CategoryRow, target: CategoryRow): void {
  const children = childrenOf(ctx, cat.id);
  // Moodle would move the children under the doomed category itself and leave them orphaned: refused here instead.
  if (target.id === cat.id || descendants(ctx, cat.id).some((d) => d.id === target.id)) {
    throw moodleException('cannotmovecategory', 'Cannot move category');
  }
  for (const child of children) changeParentRaw(ctx, child, target.id);
  if (children.length > 0) cs(ctx).fixSortorder();
  const base = (cs(ctx).category(target.id) as CategoryRow).sortorder;
  const courses = cs(ctx).coursesWhere('category', cat.id).sort((a, b) => a.sortorder - b.sortorder);
  courses.forEach((course, i) => {
    cs(ctx).update('course', course.id, { category: target.id, sortorder: base + MAX_COURSES_IN_CATEGORY - (i + 1) });
  });
  dropCategory(ctx, cat);
}

function deleteCategories(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const c of params.categories as { id: number; newparent?: number; recursive: boolean }[]) {
      const cat = cs(ctx).category(c.id);
      if (!cat) throw unknownCategoryId(c.id);
      if (c.recursive) {
        deleteFull(ctx, cat);
      } else {
        // No newparent (or 0): the contents go to the category's parent; never to the top level.
        const targetId = c.newparent ? c.newparent : cat.parent;
        if (!targetId) {
          throw moodleException('movecatcontentstoroot',
            'Moving the category content to root is not allowed. You must move the contents to an existing category!');
        }
        const target = cs(ctx).category(targetId);
        if (!target) throw unknownCategoryId(targetId);
        deleteMove(ctx, cat, target);
      }
      cs(ctx).fixSortorder();
    }
  });
  return null;
}

function updateCategories(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const c of params.categories as Record<string, unknown>[]) {
      const id = c.id as number;
      // core_course_category::get($id) (MUST_EXIST), as delete_categories does (case 146), not create's unknowcategory.
      const cat = cs(ctx).category(id);
      if (!cat) throw unknownCategoryId(id);
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
        if (parent !== 0 && !cs(ctx).category(parent)) throw unknownCategoryId(parent);
        if (parent === id || descendants(ctx, id).some((d) => d.id === parent)) {
          throw moodleException('cannotmovecategory', 'Cannot move category');
        }
        changes.parent = parent;
        changes.sortorder = MAX_SORT;
      }
      changes.timemodified = now();
      cs(ctx).update('course_categories', id, changes);
      if (changes.parent !== undefined) {
        movePaths(ctx, cat);
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
    name: 'core_course_delete_categories',
    params: single({ categories: multiple(single({
      id: value('int'), newparent: value('int', VALUE_OPTIONAL), recursive: value('bool', VALUE_DEFAULT, 0),
    })) }),
    returns: null,
    write: true,
    run: deleteCategories,
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
