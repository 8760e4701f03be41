/**
 * The core_cohort_* functions, with Moodle 4.5's parameter and return descriptions and the checks, in order, of
 * cohort/externallib.php and cohort/lib.php. Cohorts live in the system context (categoryid 0) or a category's.
 */
import { codingException, invalidParameter, missingRecord } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { multiple, phpTrim, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, warningsDesc } from './params.js';
import { CONTEXT_COURSE, CONTEXT_COURSECAT, CONTEXT_SYSTEM } from './accesslib.js';
import type { CohortRow, CourseStore } from './course-store.js';

const now = () => Math.floor(Date.now() / 1000);
const cs = (ctx: FunctionContext): CourseStore => ctx.store.courses;
/** The system context's id (the only context id the sandbox addresses by number). */
const SYSTEM_CONTEXT_ID = 1;

const cohortMustExist = (ctx: FunctionContext, id: number): CohortRow => {
  const c = cs(ctx).cohort(id);
  if (!c) throw missingRecord('cohort', 'SELECT * FROM {cohort} WHERE id = ?', [id]);
  return c;
};

/** $DB->get_field('course_categories', 'id', [type => value]): the first match (IGNORE_MISSING takes the first). */
function categoryByType(ctx: FunctionContext, type: string, v: string): number | undefined {
  if (type === 'id' && !/^-?\d+$/.test(phpTrim(v))) return undefined;
  const row = ctx.store.db
    .prepare(`SELECT id FROM course_categories WHERE ${type === 'id' ? 'id' : 'idnumber'} = ? ORDER BY id`)
    .get(type === 'id' ? Number(v) : v) as { id: number } | undefined;
  return row?.id;
}

function checkCategoryType(type: string): void {
  if (!['idnumber', 'id', 'system'].includes(type)) {
    throw invalidParameter(`category type must be id, idnumber or system:${type}`);
  }
}

/** The external shape; format_string/format_text leave the sandbox's plain values as they are. */
function cohortOut(c: CohortRow, withCustomfields: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: c.id, name: c.name, idnumber: c.idnumber, description: c.description, descriptionformat: c.descriptionformat,
    visible: c.visible === 1,
    // allowcohortthemes is off: get/search answer null (left out), create echoes what it stored.
    theme: withCustomfields ? (c.theme === '' ? '' : undefined) : c.theme,
  };
  if (withCustomfields) out.customfields = [];
  return out;
}

function createCohorts(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  return ctx.store.transaction(() => {
    const out: Record<string, unknown>[] = [];
    for (const c of params.cohorts as Record<string, unknown>[]) {
      const ct = c.categorytype as { type: string; value: string };
      checkCategoryType(ct.type);
      let categoryid = 0;
      if (ct.type !== 'system') {
        const id = categoryByType(ctx, ct.type, ct.value);
        if (id === undefined) throw invalidParameter(`category not exists: category ${ct.type} = ${ct.value}`);
        categoryid = id;
      }
      // Global, '' included.
      if (ctx.store.db.prepare('SELECT 1 FROM cohort WHERE idnumber = ?').get(c.idnumber)) {
        throw invalidParameter(`record already exists: idnumber=${String(c.idnumber)}`);
      }
      const t = now();
      const row = {
        categoryid, name: c.name as string, idnumber: c.idnumber as string, description: (c.description as string) ?? '',
        descriptionformat: c.descriptionformat as number, visible: c.visible === undefined || c.visible ? 1 : 0,
        component: '', timecreated: t, timemodified: t, theme: (c.theme as string | undefined) ?? '',
      };
      const id = cs(ctx).insert('cohort', row);
      out.push(cohortOut({ id, ...row }, false));
    }
    return out;
  });
}

function updateCohorts(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const c of params.cohorts as Record<string, unknown>[]) {
      if (phpTrim(c.name as string) === '') throw invalidParameter('Invalid cohort name');
      cohortMustExist(ctx, c.id as number);
      const ct = c.categorytype as { type: string; value: string };
      checkCategoryType(ct.type);
      let categoryid = 0;
      if (ct.type !== 'system') {
        const id = categoryByType(ctx, ct.type, ct.value);
        if (id === undefined) throw invalidParameter(`category not exists: category=${ct.value}`);
        categoryid = id;
      }
      // cohort_update_cohort(): no idnumber uniqueness check; only the fields sent change.
      const changes: Record<string, unknown> = { categoryid, name: c.name, idnumber: c.idnumber, timemodified: now() };
      if (c.description !== undefined) changes.description = c.description;
      if (c.description !== undefined && c.description !== '') changes.descriptionformat = c.descriptionformat;
      if (c.visible !== undefined) changes.visible = c.visible ? 1 : 0;
      if (c.theme !== undefined) changes.theme = c.theme;
      cs(ctx).update('cohort', c.id as number, changes);
    }
  });
  return null;
}

function deleteCohorts(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const id of params.cohortids as number[]) {
      cohortMustExist(ctx, id);
      cs(ctx).deleteCohort(id);
    }
  });
  return null;
}

function getCohorts(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const ids = params.cohortids as number[];
  // Empty means all; unknown ids are skipped. The sandbox answers in id order.
  const rows = ids.length === 0 ? cs(ctx).cohorts() : cs(ctx).cohorts().filter((c) => ids.includes(c.id));
  return rows.map((c) => cohortOut(c, true));
}

/** The category ids from the root down to `id` (its path). */
function categoryPath(ctx: FunctionContext, id: number): number[] {
  const cat = cs(ctx).category(id);
  return cat ? cat.path.split('/').filter(Boolean).map(Number) : [];
}

/** get_context_from_params() + validate_context(): {level, instance} of an existing context, else 'Context does not exist'. */
function searchContext(ctx: FunctionContext, p: { contextid: number; contextlevel: string; instanceid: number }):
  { level: number; instanceid: number } {
  let found: { level: number; instanceid: number } | undefined;
  if (p.contextid) {
    if (p.contextid === SYSTEM_CONTEXT_ID) found = { level: CONTEXT_SYSTEM, instanceid: 0 };
  } else if (p.contextlevel !== '') {
    const level = ({ system: CONTEXT_SYSTEM, coursecat: CONTEXT_COURSECAT, course: CONTEXT_COURSE, user: 30, module: 70,
      block: 80 } as Record<string, number>)[p.contextlevel];
    if (level === undefined) throw invalidParameter(`Invalid context level = ${p.contextlevel}`);
    if (level === CONTEXT_SYSTEM) found = { level, instanceid: 0 };
    else if (level === CONTEXT_COURSECAT && cs(ctx).category(p.instanceid)) found = { level, instanceid: p.instanceid };
    else if (level === CONTEXT_COURSE && cs(ctx).course(p.instanceid)) found = { level, instanceid: p.instanceid };
    else if (level === 30 && ctx.store.get(p.instanceid)?.deleted === 0) found = { level, instanceid: p.instanceid };
  } else {
    throw invalidParameter('Missing parameters, please provide either context level with instance id or contextid');
  }
  if (!found) throw invalidParameter('Context does not exist');
  return found;
}

/** cohort_get_search_query(): case-insensitive substring of name, idnumber or description. */
const matches = (c: CohortRow, q: string): boolean =>
  q === '' || [c.name, c.idnumber, c.description].some((f) => f.toLowerCase().includes(q.toLowerCase()));
const byName = (a: CohortRow, b: CohortRow): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.idnumber < b.idnumber ? -1 : a.idnumber > b.idnumber ? 1 : 0;

function searchCohorts(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const query = params.query as string;
  const includes = params.includes as string;
  const limitfrom = params.limitfrom as number;
  const limitnum = params.limitnum as number;
  const context = searchContext(ctx, params.context as { contextid: number; contextlevel: string; instanceid: number });
  const all = cs(ctx).cohorts().filter((c) => matches(c, query)).sort(byName);
  // cohort_get_cohorts() and cohort_get_all_cohorts() take limitfrom as a PAGE: offset = limitfrom × limitnum.
  const page = (rows: CohortRow[]) => rows.slice(limitfrom * limitnum, limitnum > 0 ? limitfrom * limitnum + limitnum : undefined);
  const own = (c: CohortRow) =>
    context.level === CONTEXT_SYSTEM ? c.categoryid === 0 : context.level === CONTEXT_COURSECAT && c.categoryid === context.instanceid;
  let results: CohortRow[];
  if (includes === 'self') {
    results = page(all.filter(own));
  } else if (includes === 'parents') {
    results = page(all.filter(own));
    if (context.level !== CONTEXT_SYSTEM) {
      // cohort_get_available_cohorts(): the parent contexts' cohorts (system and ancestor categories), offset-based.
      const cats = context.level === CONTEXT_COURSECAT ? categoryPath(ctx, context.instanceid)
        : context.level === CONTEXT_COURSE ? categoryPath(ctx, cs(ctx).course(context.instanceid)?.category ?? 0) : [];
      const available = all.filter((c) => c.categoryid === 0 || cats.includes(c.categoryid))
        .slice(limitfrom, limitnum > 0 ? limitfrom + limitnum : undefined);
      for (const c of available) if (!results.some((r) => r.id === c.id)) results.push(c);
    }
  } else if (includes === 'all') {
    results = page(all);
  } else {
    throw codingException("Invalid parameter value for 'includes'.");
  }
  return { cohorts: results.map((c) => cohortOut(c, true)) };
}

type TypedValue = { type: string; value: string };

function addCohortMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  return ctx.store.transaction(() => {
    const warnings: { warningcode: string; message: string }[] = [];
    for (const m of params.members as { cohorttype: TypedValue; usertype: TypedValue }[]) {
      const { cohorttype: ct, usertype: ut } = m;
      if (ct.type !== 'id' && ct.type !== 'idnumber') {
        warnings.push({ warningcode: '1', message: `invalid parameter: cohortype=${ct.type}` });
        continue;
      }
      if (ut.type !== 'id' && ut.type !== 'username') {
        warnings.push({ warningcode: '1', message: `invalid parameter: usertype=${ut.type}` });
        continue;
      }
      const cohort = ctx.store.db
        .prepare(`SELECT id FROM cohort WHERE ${ct.type} = ? ORDER BY id`)
        .get(ct.type === 'id' ? (/^\d+$/.test(ct.value) ? Number(ct.value) : -1) : ct.value) as { id: number } | undefined;
      if (!cohort) {
        warnings.push({ warningcode: '2', message: `cohort ${ct.type}=${ct.value} not exists` });
        continue;
      }
      const user = ctx.store.db
        .prepare(`SELECT id FROM user WHERE ${ut.type} = ? AND deleted = 0`)
        .get(ut.type === 'id' ? (/^\d+$/.test(ut.value) ? Number(ut.value) : -1) : ut.value) as { id: number } | undefined;
      if (!user) {
        warnings.push({ warningcode: '2', message: `user ${ut.type}=${ut.value} not exists` });
        continue;
      }
      if (ctx.store.db.prepare('SELECT 1 FROM cohort_members WHERE cohortid = ? AND userid = ?').get(cohort.id, user.id)) {
        warnings.push({ warningcode: '3', message: `record already exists: cohort(${ct.type}=${ct.value} ${ut.type}=${ut.value})` });
        continue;
      }
      cs(ctx).insert('cohort_members', { cohortid: cohort.id, userid: user.id, timeadded: now() });
    }
    return { warnings };
  });
}

function deleteCohortMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const m of params.members as { cohortid: number; userid: number }[]) {
      cohortMustExist(ctx, m.cohortid);
      const u = ctx.store.get(m.userid);
      if (!u || u.deleted) {
        throw missingRecord('user', 'SELECT * FROM {user} WHERE id = ? AND deleted = ? AND mnethostid = ?', [m.userid, 0, '1']);
      }
      // cohort_remove_member(): a non-member is nothing to do.
      ctx.store.db.prepare('DELETE FROM cohort_members WHERE cohortid = ? AND userid = ?').run(m.cohortid, m.userid);
    }
  });
  return null;
}

function getCohortMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  return (params.cohortids as number[]).map((id) => {
    cohortMustExist(ctx, id);
    // ORDER BY lastname ASC, firstname ASC, as cohort/externallib.php sorts them.
    const rows = ctx.store.db
      .prepare(`SELECT u.id FROM user u JOIN cohort_members cm ON cm.userid = u.id WHERE cm.cohortid = ?
        ORDER BY u.lastname ASC, u.firstname ASC, u.id ASC`)
      .all(id) as { id: number }[];
    return { cohortid: id, userids: rows.map((r) => r.id) };
  });
}

const categoryType = single({ type: value('text'), value: value('raw') });
const customfieldsParam = multiple(single({ shortname: value('alphanumext'), value: value('raw') }), VALUE_OPTIONAL);
const cohortFields = {
  categorytype: categoryType,
  name: value('raw'),
  idnumber: value('raw'),
  description: value('raw', VALUE_OPTIONAL),
  descriptionformat: value('int', VALUE_DEFAULT, 1),
  visible: value('bool', VALUE_OPTIONAL),
  theme: value('theme', VALUE_OPTIONAL),
  customfields: customfieldsParam,
};
const customfieldsReturn = multiple(single({
  name: value('raw'), shortname: value('raw'), type: value('alphanumext'), valueraw: value('raw'), value: value('raw'),
}), VALUE_OPTIONAL);
const cohortReturn = {
  id: value('int'), name: value('raw'), idnumber: value('raw'), description: value('raw'), descriptionformat: value('int'),
  visible: value('bool'), theme: value('theme', VALUE_OPTIONAL),
};
const typedValue = (type: 'alphanumext') => single({ type: value(type), value: value('raw') });

export const COHORT_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_cohort_create_cohorts',
    params: single({ cohorts: multiple(single(cohortFields)) }),
    returns: multiple(single(cohortReturn)),
    write: true,
    run: createCohorts,
  },
  {
    name: 'core_cohort_update_cohorts',
    params: single({ cohorts: multiple(single({ id: value('int'), ...cohortFields,
      descriptionformat: value('int', VALUE_DEFAULT, 1) })) }),
    returns: null,
    write: true,
    run: updateCohorts,
  },
  {
    name: 'core_cohort_delete_cohorts',
    params: single({ cohortids: multiple(value('int')) }),
    returns: null,
    write: true,
    run: deleteCohorts,
  },
  {
    name: 'core_cohort_get_cohorts',
    params: single({ cohortids: multiple(value('int'), VALUE_DEFAULT, []) }),
    returns: multiple(single({ ...cohortReturn, customfields: customfieldsReturn })),
    write: false,
    run: getCohorts,
  },
  {
    name: 'core_cohort_search_cohorts',
    params: single({
      query: value('raw'),
      context: single({
        contextid: value('int', VALUE_DEFAULT, 0), contextlevel: value('alpha', VALUE_DEFAULT, ''),
        instanceid: value('int', VALUE_DEFAULT, 0),
      }),
      includes: value('alpha', VALUE_DEFAULT, 'parents'),
      limitfrom: value('int', VALUE_DEFAULT, 0),
      limitnum: value('int', VALUE_DEFAULT, 25),
    }),
    returns: single({ cohorts: multiple(single({ ...cohortReturn, customfields: customfieldsReturn })) }),
    write: false,
    run: searchCohorts,
  },
  {
    name: 'core_cohort_add_cohort_members',
    params: single({ members: multiple(single({ cohorttype: typedValue('alphanumext'), usertype: typedValue('alphanumext') })) }),
    returns: single({ warnings: warningsDesc }),
    write: true,
    run: addCohortMembers,
  },
  {
    name: 'core_cohort_delete_cohort_members',
    params: single({ members: multiple(single({ cohortid: value('int'), userid: value('int') })) }),
    returns: null,
    write: true,
    run: deleteCohortMembers,
  },
  {
    name: 'core_cohort_get_cohort_members',
    params: single({ cohortids: multiple(value('int')) }),
    returns: multiple(single({ cohortid: value('int'), userids: multiple(value('int')) })),
    write: false,
    run: getCohortMembers,
  },
];
