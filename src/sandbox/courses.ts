/**
 * The course category, course, enrolment and group functions, with Moodle 4.5's parameter and return
 * descriptions and the checks, in order, of course/externallib.php, enrol/manual/externallib.php,
 * enrol/externallib.php, group/externallib.php and the library functions they call.
 */
import {
  invalidParameter,
  missingRecord,
  MoodleException,
  moodleException,
} from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { userDescription, userDetails } from './users.js';
import {
  cleanParam,
  INSTALLED_LANGS,
  INSTALLED_THEMES,
  multiple,
  phpTrim,
  single,
  SingleDesc,
  value,
  VALUE_DEFAULT,
  VALUE_OPTIONAL,
  warningsDesc,
} from './params.js';
import {
  assignableInCourse,
  CategoryRow,
  CONTEXT_COURSE,
  CourseRow,
  CourseStore,
  ENROL_INSTANCE_ENABLED,
  ENROL_USER_ACTIVE,
  ENROL_USER_SUSPENDED,
  EnrolRow,
  GroupRow,
  ROLES,
  SITEID,
} from './course-store.js';
import type { UserRow } from './user-store.js';

const GUEST_ID = 1;
const YEAR = 365 * 24 * 3600;
const now = () => Math.floor(Date.now() / 1000);
const midnight = (t: number) => t - (t % 86400);
/** The filters a 4.5 site has enabled by default, as course listings report them. */
const DEFAULT_FILTERS = ['displayh5p', 'activitynames', 'mathjaxloader', 'emoticon', 'urltolink', 'mediaplugin'];
const COURSE_FORMATS = ['topics', 'weeks', 'singleactivity', 'social', 'site'];

function cs(ctx: FunctionContext): CourseStore {
  return ctx.store.courses;
}

function textLength(s: string): number {
  return [...s].length;
}

/** validate_context() on a missing context. */
function noContext(): MoodleException {
  return invalidParameter('Context does not exist');
}

function courseContextError(courseid: number): MoodleException {
  return moodleException(
    'errorcoursecontextnotvalid',
    `You cannot execute functions in the course context (course id:${courseid}). ` +
      'The context error message was: Invalid parameter value detected',
  );
}

/** context_course::instance($id) (MUST_EXIST). */
function courseMustExist(ctx: FunctionContext, id: number): CourseRow {
  const c = cs(ctx).course(id);
  if (!c) throw missingRecord('course', 'SELECT id,category FROM {course} WHERE id = ?', [id]);
  return c;
}

/** core_user::require_active_user() with its default flags (suspended accounts pass). */
function requireActiveUser(u: UserRow): void {
  if (u.deleted) throw moodleException('userdeleted');
  if (!u.confirmed) throw moodleException('usernotconfirmed', `Could not confirm ${u.username}`);
  if (u.id === GUEST_ID) throw moodleException('guestsarenotallowed', 'The guest user is not allowed to do this');
}

function userMustExist(ctx: FunctionContext, id: number): UserRow {
  const u = ctx.store.get(id);
  if (!u) throw missingRecord('user', 'SELECT * FROM {user} WHERE id = ?', [id]);
  return u;
}

// ---------------------------------------------------------------------------------------------------------------
// Categories

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
/** A new category goes last among its siblings. */
const MAX_SORT = Number.MAX_SAFE_INTEGER;

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

// ---------------------------------------------------------------------------------------------------------------
// Courses

function errorInvalidParam(name: string): MoodleException {
  return moodleException('errorinvalidparam', `The param "${name}" is invalid.`);
}

function checkCourseUnique(ctx: FunctionContext, shortname: string | undefined, idnumber: string | undefined,
  exceptId: number): void {
  const db = ctx.store.db;
  if (shortname && db.prepare('SELECT 1 FROM course WHERE shortname = ? AND id <> ?').get(shortname, exceptId)) {
    throw moodleException('shortnametaken', `Short name is already used for another course (${shortname})`);
  }
  if (idnumber && db.prepare('SELECT 1 FROM course WHERE idnumber = ? AND id <> ?').get(idnumber, exceptId)) {
    throw moodleException('courseidnumbertaken', `ID number is already used for another course (${idnumber})`);
  }
}

/** The instances enrol_course_updated() adds to a new course (guest and self disabled, as on a default site). */
function addDefaultInstances(ctx: FunctionContext, courseid: number): void {
  cs(ctx).insert('enrol', { enrol: 'manual', courseid, status: ENROL_INSTANCE_ENABLED, roleid: 5, sortorder: 0 });
  cs(ctx).insert('enrol', { enrol: 'guest', courseid, status: 1, roleid: 0, sortorder: 1 });
  cs(ctx).insert('enrol', { enrol: 'self', courseid, status: 1, roleid: 5, sortorder: 2 });
}

const COURSE_COLUMNS = [
  'fullname', 'shortname', 'idnumber', 'summary', 'summaryformat', 'format', 'showgrades', 'newsitems', 'startdate',
  'enddate', 'numsections', 'hiddensections', 'maxbytes', 'showreports', 'visible', 'groupmode', 'groupmodeforce',
  'defaultgroupingid', 'lang', 'theme', 'enablecompletion', 'completionnotify',
];

/** create_course(): uniqueness, dates, insert at the top of the category, default enrolment instances. */
function createCourse(ctx: FunctionContext, data: Record<string, unknown>): number {
  checkCourseUnique(ctx, data.shortname as string, data.idnumber as string | undefined, 0);
  const t = now();
  const row: Record<string, unknown> = { category: data.category, sortorder: 0, timecreated: t, timemodified: t,
    cacherev: t };
  for (const k of COURSE_COLUMNS) if (data[k] !== undefined) row[k] = data[k];
  if (row.startdate === undefined) row.startdate = midnight(t);
  if (row.enddate === undefined) row.enddate = (row.startdate as number) + YEAR;
  if ((row.enddate as number) > 0 && (row.enddate as number) < (row.startdate as number)) {
    throw moodleException('enddatebeforestartdate', 'The course end date must be after the start date.');
  }
  const id = cs(ctx).insert('course', row);
  cs(ctx).fixSortorder();
  addDefaultInstances(ctx, id);
  return id;
}

function courseFields(c: Record<string, unknown>, out: Record<string, unknown>): void {
  if (c.forcetheme !== undefined) out.theme = c.forcetheme;
  for (const o of (c.courseformatoptions as { name: string; value: string }[] | undefined) ?? []) {
    if (o.name === 'hiddensections' || o.name === 'numsections') out[o.name] = Number(cleanParam(o.value, 'int'));
  }
}

function createCourses(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const out: { id: number; shortname: string }[] = [];
  ctx.store.transaction(() => {
    for (const c of params.courses as Record<string, unknown>[]) {
      const categoryid = c.categoryid as number;
      const category = cs(ctx).category(categoryid);
      if (!category) {
        throw moodleException('errorcatcontextnotvalid',
          `You cannot execute functions in the category context (category id:${categoryid}). ` +
          'The context error message was: Invalid parameter value detected');
      }
      if (phpTrim(c.fullname as string) === '') throw errorInvalidParam('fullname');
      if (phpTrim(c.shortname as string) === '') throw errorInvalidParam('shortname');
      if (c.lang !== undefined && !INSTALLED_LANGS.includes(c.lang as string)) throw errorInvalidParam('lang');
      if (c.forcetheme !== undefined && !INSTALLED_THEMES.includes(c.forcetheme as string)) {
        throw errorInvalidParam('forcetheme');
      }
      const data: Record<string, unknown> = { ...c, category: categoryid };
      if (data.enablecompletion === undefined) data.enablecompletion = 1;
      if (!COURSE_FORMATS.includes(data.format as string)) data.format = 'topics';
      courseFields(c, data);
      out.push({ id: createCourse(ctx, data), shortname: c.shortname as string });
    }
  });
  return out;
}

function updateOneCourse(ctx: FunctionContext, c: Record<string, unknown>): void {
  const id = c.id as number;
  const old = cs(ctx).course(id);
  if (!old) throw missingRecord('course', 'SELECT id,category FROM {course} WHERE id = ?', [id]);
  const changes: Record<string, unknown> = {};
  if (c.categoryid !== undefined && c.categoryid !== old.category) {
    if (!cs(ctx).category(c.categoryid as number)) {
      throw missingRecord('course_categories', 'SELECT * FROM {course_categories} WHERE id = ?', [c.categoryid as number]);
    }
    changes.category = c.categoryid;
    changes.sortorder = 0;
  }
  if (c.fullname !== undefined && phpTrim(c.fullname as string) === '') throw errorInvalidParam('fullname');
  if (c.shortname !== undefined && phpTrim(c.shortname as string) === '') throw errorInvalidParam('shortname');
  if (c.lang !== undefined && c.lang !== '' && !INSTALLED_LANGS.includes(c.lang as string)) throw errorInvalidParam('lang');
  if (c.forcetheme !== undefined && c.forcetheme !== '' && !INSTALLED_THEMES.includes(c.forcetheme as string)) {
    throw errorInvalidParam('forcetheme');
  }
  for (const k of COURSE_COLUMNS) if (c[k] !== undefined) changes[k] = c[k];
  courseFields(c, changes);
  checkCourseUnique(ctx, changes.shortname as string | undefined, changes.idnumber as string | undefined, id);
  const start = (changes.startdate ?? old.startdate) as number;
  const end = (changes.enddate ?? old.enddate) as number;
  if (end > 0 && end < start) throw moodleException('enddatebeforestartdate', 'The course end date must be after the start date.');
  changes.timemodified = now();
  cs(ctx).update('course', id, changes);
  if (changes.category !== undefined) cs(ctx).fixSortorder();
}

function updateCourses(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const warnings: Record<string, unknown>[] = [];
  for (const c of params.courses as Record<string, unknown>[]) {
    try {
      // No transaction: each record is tried on its own.
      ctx.store.transaction(() => updateOneCourse(ctx, c));
    } catch (e) {
      if (!(e instanceof MoodleException)) throw e;
      warnings.push({ item: 'course', itemid: c.id, warningcode: e.errorcode, message: e.message });
    }
  }
  return { warnings };
}

function deleteCourses(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const warnings: Record<string, unknown>[] = [];
  for (const courseid of params.courseids as number[]) {
    const course = cs(ctx).course(courseid);
    if (!course) {
      warnings.push({ item: 'course', itemid: courseid, warningcode: 'unknowncourseidnumber',
        message: `Unknown course ID ${courseid}` });
      continue;
    }
    if (courseid === SITEID) {
      // delete_course() refuses the site course by returning false.
      warnings.push({ item: 'course', itemid: courseid, warningcode: 'cannotdeletecategorycourse',
        message: `Course ${courseid} failed to be deleted` });
      continue;
    }
    ctx.store.transaction(() => {
      cs(ctx).deleteCourse(courseid);
      cs(ctx).fixSortorder();
    });
  }
  return { warnings };
}

const DUPLICATE_OPTIONS = [
  'activities', 'blocks', 'filters', 'users', 'enrolments', 'role_assignments', 'comments', 'userscompletion', 'logs',
  'grade_histories', 'keep_roles_and_enrolments', 'keep_groups_and_groupings',
];

function duplicateCourse(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const course = cs(ctx).course(params.courseid as number);
  if (!course) throw moodleException('invalidcourseid', 'You are trying to use an invalid course ID');
  const categoryid = params.categoryid as number;
  if (!cs(ctx).category(categoryid)) {
    throw missingRecord('course_categories', 'SELECT id,parent FROM {course_categories} WHERE id = ?', [categoryid]);
  }
  for (const o of params.options as { name: string; value: string }[]) {
    if (!['0', '1'].includes(o.value) || !DUPLICATE_OPTIONS.includes(o.name)) {
      throw moodleException('invalidextparam', `Invalid external api parameter: ${o.name}`);
    }
  }
  const shortname = params.shortname as string;
  const found = cs(ctx).coursesWhere('shortname', shortname);
  if (found.length > 0) {
    const names = found.map((f) => f.fullname).join(',');
    throw moodleException('shortnametaken', `Short name is already used for another course (${names})`);
  }
  let id = 0;
  ctx.store.transaction(() => {
    const data: Record<string, unknown> = {};
    for (const k of COURSE_COLUMNS) data[k] = course[k as keyof CourseRow];
    // Restore keeps the idnumber only when no other course uses it: the source still does.
    data.idnumber = '';
    data.fullname = params.fullname;
    data.shortname = shortname;
    data.category = categoryid;
    data.visible = params.visible;
    id = createCourse(ctx, data);
  });
  return { id, shortname };
}

function courseImage(ctx: FunctionContext, c: CourseRow): string {
  return `${ctx.siteUrl}/pluginfile.php/${c.id + 40}/course/generated/course.svg`;
}

function formatOptions(c: CourseRow): { name: string; value: string | number }[] {
  if (c.format === 'site') return [];
  return [{ name: 'hiddensections', value: c.hiddensections }, { name: 'coursedisplay', value: 0 },
    { name: 'indentation', value: '1' }];
}

/** core_course_external::get_courses_by_field()'s course structure, as the site admin sees it. */
function fullCourse(ctx: FunctionContext, c: CourseRow): Record<string, unknown> {
  const category = cs(ctx).category(c.category);
  return {
    id: c.id, fullname: c.fullname, displayname: c.fullname, shortname: c.shortname, courseimage: courseImage(ctx, c),
    categoryid: c.category, categoryname: category?.name ?? '', sortorder: c.sortorder, summary: c.summary,
    summaryformat: c.summaryformat, summaryfiles: [], overviewfiles: [], showactivitydates: true,
    showcompletionconditions: true, contacts: [],
    enrollmentmethods: cs(ctx).instances(c.id).filter((e) => e.status === ENROL_INSTANCE_ENABLED).map((e) => e.enrol),
    idnumber: c.idnumber, format: c.format, showgrades: c.showgrades, newsitems: c.newsitems, startdate: c.startdate,
    enddate: c.enddate, maxbytes: c.maxbytes, showreports: c.showreports, visible: c.visible, groupmode: c.groupmode,
    groupmodeforce: c.groupmodeforce, defaultgroupingid: c.defaultgroupingid, enablecompletion: c.enablecompletion,
    completionnotify: c.completionnotify, lang: c.lang, theme: c.theme, marker: 0, legacyfiles: 0,
    calendartype: c.calendartype, timecreated: c.timecreated, timemodified: c.timemodified, requested: 0,
    cacherev: c.cacherev,
    filters: DEFAULT_FILTERS.map((filter) => ({ filter, localstate: 0, inheritedstate: 1 })),
    courseformatoptions: formatOptions(c),
  };
}

function getCoursesByField(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const field = params.field as string;
  const v = params.value as string;
  let courses: CourseRow[];
  switch (field) {
    case '':
      courses = cs(ctx).courses();
      break;
    case 'id':
    case 'category':
      courses = cs(ctx).coursesWhere(field, Number(cleanParam(v, 'int')));
      break;
    case 'ids': {
      const ids = v.split(',').filter((x) => /^\d+$/.test(x)).map(Number);
      courses = cs(ctx).courses().filter((c) => ids.includes(c.id));
      break;
    }
    case 'shortname':
      courses = cs(ctx).coursesWhere('shortname', String(cleanParam(v, 'text')));
      break;
    case 'idnumber':
      courses = cs(ctx).coursesWhere('idnumber', v);
      break;
    case 'sectionid':
      courses = []; // Course sections are not modelled.
      break;
    default:
      throw invalidParameter('Invalid field name');
  }
  return { courses: courses.map((c) => fullCourse(ctx, c)), warnings: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Enrolments

function noInstance(courseid: number): MoodleException {
  return moodleException('wsnoinstance',
    `Manual enrolment plugin instance doesn't exist or is disabled for the course (id = ${courseid})`);
}

function enrolUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const e of params.enrolments as Record<string, number | undefined>[]) {
      const courseid = e.courseid as number;
      const userid = e.userid as number;
      const roleid = e.roleid as number;
      if (!cs(ctx).course(courseid)) throw noContext();
      requireActiveUser(userMustExist(ctx, userid));
      if (!assignableInCourse(roleid)) {
        throw moodleException('wsusercannotassign',
          `You don't have the permission to assign this role (${roleid}) to this user (${userid}) in this course (${courseid}).`);
      }
      const instance = cs(ctx).instances(courseid)
        .find((i) => i.enrol === 'manual' && i.status === ENROL_INSTANCE_ENABLED);
      if (!instance) {
        throw noInstance(courseid);
      }
      const timestart = e.timestart ?? 0;
      const timeend = e.timeend ?? 0;
      const status = e.suspend ? ENROL_USER_SUSPENDED : ENROL_USER_ACTIVE;
      enrolUser(ctx, instance, userid, roleid, timestart, timeend, status);
    }
  });
  sendWelcomeMessages(ctx, params.enrolments as { courseid: number }[]);
  return null;
}

/** $CFG->coursecontact's default: the editing teacher is the course contact welcome messages come from. */
const COURSE_CONTACT_ROLE = 3;

/**
 * enrol_manual's after_user_enrolled hook: every enrol_user() (a re-enrolment too) sends the welcome message from
 * the course contact, none when the course has no contact. Messages are buffered until the transaction commits,
 * so a failing mail transport answers "Message was not sent." with the whole call saved; the first failure stops
 * the rest (contract/2026-12 cases 173-176).
 */
function sendWelcomeMessages(ctx: FunctionContext, enrolments: { courseid: number }[]): void {
  for (const e of enrolments) {
    const [contact] = cs(ctx).roleAssignments({ roleid: COURSE_CONTACT_ROLE, contextlevel: CONTEXT_COURSE, instanceid: e.courseid });
    if (!contact) continue;
    if (ctx.mail.failing) throw moodleException('Message was not sent.');
    ctx.mail.sent++;
  }
}

/** enrol_plugin::enrol_user(): insert or update the enrolment, then role_assign() (never removes a role). */
function enrolUser(ctx: FunctionContext, instance: EnrolRow, userid: number, roleid: number, timestart: number,
  timeend: number, status: number): void {
  const db = ctx.store.db;
  const t = now();
  const ue = db.prepare('SELECT * FROM user_enrolments WHERE enrolid = ? AND userid = ?').get(instance.id, userid) as
    { id: number; status: number; timestart: number; timeend: number } | undefined;
  if (ue) {
    if (ue.timestart !== timestart || ue.timeend !== timeend || ue.status !== status) {
      cs(ctx).update('user_enrolments', ue.id, { status, timestart, timeend, timemodified: t });
    }
  } else {
    cs(ctx).insert('user_enrolments', { enrolid: instance.id, userid, status, timestart, timeend, timecreated: t,
      timemodified: t });
  }
  if (roleid && !db.prepare(`SELECT 1 FROM role_assignments WHERE roleid = ? AND contextlevel = ${CONTEXT_COURSE}
      AND instanceid = ? AND userid = ? AND component = '' AND itemid = 0`).get(roleid, instance.courseid, userid)) {
    cs(ctx).insert('role_assignments', { roleid, contextlevel: CONTEXT_COURSE, instanceid: instance.courseid, userid,
      timemodified: t });
  }
}

function unenrolUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const e of params.enrolments as Record<string, number | undefined>[]) {
      const courseid = e.courseid as number;
      courseMustExist(ctx, courseid);
      const instance = cs(ctx).manualInstance(courseid);
      if (!instance) {
        throw noInstance(courseid);
      }
      requireActiveUser(userMustExist(ctx, e.userid as number));
      // roleid only matters for the permission check: the whole enrolment goes.
      cs(ctx).unenrol(instance, e.userid as number);
    }
  });
  return null;
}

function getCourseEnrolmentMethods(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const id = params.courseid as number;
  if (!cs(ctx).course(id)) throw missingRecord('course', 'SELECT * FROM {course} WHERE id = ?', [id]);
  // Only enabled instances whose plugin has get_enrol_info() (self, guest, fee) are listed; manual has none, and
  // the sandbox's self and guest instances are disabled, as a new course's are.
  return [];
}

function isActive(ue: { status: number; timestart: number; timeend: number }, instanceStatus: number): boolean {
  const t = now();
  return ue.status === ENROL_USER_ACTIVE && instanceStatus === ENROL_INSTANCE_ENABLED && ue.timestart <= t &&
    (ue.timeend === 0 || ue.timeend > t);
}

function enrolledUserIds(ctx: FunctionContext, courseid: number, onlyActive: boolean, onlySuspended = false): number[] {
  const rows = ctx.store.db
    .prepare(`SELECT ue.userid, ue.status, ue.timestart, ue.timeend, e.status AS istatus FROM user_enrolments ue
      JOIN enrol e ON e.id = ue.enrolid JOIN user u ON u.id = ue.userid WHERE e.courseid = ? AND u.deleted = 0
      ORDER BY ue.userid`)
    .all(courseid) as { userid: number; status: number; timestart: number; timeend: number; istatus: number }[];
  const byUser = new Map<number, boolean>();
  for (const r of rows) byUser.set(r.userid, (byUser.get(r.userid) ?? false) || isActive(r, r.istatus));
  return [...byUser.entries()]
    .filter(([, active]) => (onlyActive ? active : onlySuspended ? !active : true))
    .map(([id]) => id);
}

function roleList(ctx: FunctionContext, courseid: number, userid: number) {
  return cs(ctx).roles(courseid, userid).map((roleid) => ({
    roleid, name: '', shortname: ROLES.find((r) => r.id === roleid)?.shortname ?? '', sortorder: 0,
  }));
}

function getEnrolledUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  let groupid = 0;
  let onlyActive = false;
  let onlySuspended = false;
  let userfields: string[] = [];
  let limitfrom = 0;
  let limitnumber = 0;
  let sortby = 'id';
  let sortdirection = 'ASC';
  for (const o of params.options as { name: string; value: string }[]) {
    switch (o.name) {
      case 'groupid': groupid = Number(cleanParam(o.value, 'int')); break;
      case 'onlyactive': onlyActive = !['', '0'].includes(o.value); break;
      case 'onlysuspended': onlySuspended = !['', '0'].includes(o.value); break;
      case 'userfields': userfields = o.value.split(',').map((f) => String(cleanParam(f, 'alphanumext'))); break;
      case 'limitfrom': limitfrom = Number(cleanParam(o.value, 'int')); break;
      case 'limitnumber': limitnumber = Number(cleanParam(o.value, 'int')); break;
      case 'sortby':
        if (!['id', 'firstname', 'lastname', 'siteorder'].includes(o.value)) {
          throw invalidParameter(`Invalid value for sortby parameter (value: ${o.value}),allowed values are: ` +
            'id,firstname,lastname,siteorder');
        }
        sortby = o.value;
        break;
      case 'sortdirection':
        sortdirection = o.value.toUpperCase();
        if (!['ASC', 'DESC'].includes(sortdirection)) {
          throw invalidParameter(`Invalid value for sortdirection parameter (value: ${sortdirection}),` +
            'allowed values are: ASC,DESC');
        }
        break;
      default:
        break;
    }
  }
  const courseid = params.courseid as number;
  if (!cs(ctx).course(courseid)) throw missingRecord('course', 'SELECT * FROM {course} WHERE id = ?', [courseid]);
  if (onlyActive && onlySuspended) {
    throw moodleException('bothonlyactiveandonlysuspended',
      'Both onlyactive and onlysuspended options cannot be set at the same time');
  }
  let ids = enrolledUserIds(ctx, courseid, onlyActive, onlySuspended);
  if (groupid) {
    const members = cs(ctx).members(groupid);
    ids = ids.filter((id) => members.includes(id));
  }
  let users = ids.map((id) => ctx.store.get(id) as UserRow);
  if (sortby === 'firstname' || sortby === 'lastname') {
    const other = sortby === 'firstname' ? 'lastname' : 'firstname';
    users.sort((a, b) => a[sortby].localeCompare(b[sortby]) || a[other].localeCompare(b[other]) || a.id - b.id);
  }
  if (sortdirection === 'DESC') users.reverse();
  if (limitfrom > 0 || limitnumber > 0) users = users.slice(limitfrom, limitnumber > 0 ? limitfrom + limitnumber : undefined);
  return users.map((u) => {
    const full: Record<string, unknown> = { ...userDetails(ctx, u) };
    const groups = cs(ctx).groups(courseid).filter((g) => cs(ctx).members(g.id).includes(u.id))
      .map((g) => ({ id: g.id, name: g.name, description: g.description ?? '', descriptionformat: g.descriptionformat }));
    full.groups = groups;
    full.roles = roleList(ctx, courseid, u.id);
    full.enrolledcourses = cs(ctx).coursesOfUser(u.id, true).map((cid) => {
      const c = cs(ctx).course(cid) as CourseRow;
      return { id: c.id, fullname: c.fullname, shortname: c.shortname };
    });
    if (userfields.length === 0) return full;
    const out: Record<string, unknown> = { id: u.id };
    for (const f of userfields) if (full[f] !== undefined) out[f] = full[f];
    out.fullname = full.fullname;
    return out;
  });
}

function getUsersCourses(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const userid = params.userid as number;
  return cs(ctx).coursesOfUser(userid, true).filter((id) => id !== SITEID).map((id) => {
    const c = cs(ctx).course(id) as CourseRow;
    const r: Record<string, unknown> = { id: c.id, shortname: c.shortname, fullname: c.fullname, displayname: c.fullname };
    if (params.returnusercount) r.enrolledusercount = enrolledUserIds(ctx, c.id, true).length;
    Object.assign(r, {
      idnumber: c.idnumber, visible: c.visible, summary: c.summary, summaryformat: c.summaryformat, format: c.format,
      courseimage: courseImage(ctx, c), showgrades: c.showgrades === 1, lang: c.lang,
      enablecompletion: c.enablecompletion === 1, completionhascriteria: false,
      completionusertracked: c.enablecompletion === 1, category: c.category, progress: null, completed: false,
      startdate: c.startdate, enddate: c.enddate, marker: 0, lastaccess: null, isfavourite: false, hidden: false,
      overviewfiles: [], showactivitydates: true, showcompletionconditions: true, timemodified: c.timemodified,
    });
    return r;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Groups

function createGroups(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const out: Record<string, unknown>[] = [];
  ctx.store.transaction(() => {
    for (const g of params.groups as Record<string, unknown>[]) {
      const courseid = g.courseid as number;
      const name = g.name as string;
      if (phpTrim(name) === '') throw invalidParameter('Invalid group name');
      if (ctx.store.db.prepare('SELECT 1 FROM course_groups WHERE courseid = ? AND name = ?').get(courseid, name)) {
        throw invalidParameter('Group with the same name already exists in the course');
      }
      if (!cs(ctx).course(courseid)) throw courseContextError(courseid);
      if (![0, 1, 2, 3].includes(g.visibility as number)) throw invalidParameter('Invalid group visibility');
      const idnumber = (g.idnumber as string | undefined) ?? '';
      if (idnumber !== '' &&
        ctx.store.db.prepare('SELECT 1 FROM course_groups WHERE courseid = ? AND idnumber = ?').get(courseid, idnumber)) {
        throw moodleException('idnumbertaken', 'This ID number is already in use');
      }
      const t = now();
      const id = cs(ctx).insert('course_groups', {
        courseid, name, idnumber, description: g.description, descriptionformat: g.descriptionformat,
        enrolmentkey: g.enrolmentkey ?? null, visibility: g.visibility, participation: g.participation ? 1 : 0,
        timecreated: t, timemodified: t,
      });
      out.push({
        id, courseid, name, description: g.description, descriptionformat: g.descriptionformat,
        enrolmentkey: g.enrolmentkey ?? '', idnumber, visibility: g.visibility, participation: g.participation,
      });
    }
  });
  return out;
}

function groupRecord(g: GroupRow): Record<string, unknown> {
  return {
    id: g.id, courseid: g.courseid, name: g.name, description: g.description ?? '',
    descriptionformat: g.descriptionformat, enrolmentkey: g.enrolmentkey, idnumber: g.idnumber,
    visibility: g.visibility, participation: g.participation === 1,
  };
}

function getCourseGroups(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const courseid = params.courseid as number;
  if (!cs(ctx).course(courseid)) throw courseContextError(courseid);
  return cs(ctx).groups(courseid).map(groupRecord);
}

/** The lookups add and delete share: the group, the (not deleted) user, the course context. */
function memberTarget(ctx: FunctionContext, m: { groupid: number; userid: number }): { group: GroupRow; user: UserRow } {
  const group = cs(ctx).group(m.groupid);
  if (!group) throw missingRecord('groups', 'SELECT * FROM {groups} WHERE id = ?', [m.groupid]);
  const user = ctx.store.get(m.userid);
  if (!user || user.deleted) {
    throw missingRecord('user', 'SELECT * FROM {user} WHERE id = ? AND deleted = ? AND mnethostid = ?', [m.userid, 0, 1]);
  }
  if (!cs(ctx).course(group.courseid)) throw courseContextError(group.courseid);
  return { group, user };
}

function addGroupMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const m of params.members as { groupid: number; userid: number }[]) {
      const { group, user } = memberTarget(ctx, m);
      // is_enrolled() with onlyactive false: a suspended enrolment counts.
      if (!cs(ctx).isEnrolled(group.courseid, user.id)) {
        throw invalidParameter('Only enrolled users may be members of groups');
      }
      // groups_add_member(): already a member is no error.
      if (!cs(ctx).members(group.id).includes(user.id)) {
        cs(ctx).insert('groups_members', { groupid: group.id, userid: user.id, timeadded: now() });
      }
    }
  });
  return null;
}

function deleteGroupMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  ctx.store.transaction(() => {
    for (const m of params.members as { groupid: number; userid: number }[]) {
      const { group, user } = memberTarget(ctx, m);
      const row = ctx.store.db.prepare('SELECT component FROM groups_members WHERE groupid = ? AND userid = ?')
        .get(group.id, user.id) as { component: string } | undefined;
      if (row && row.component !== '') {
        throw moodleException('errorremovenotpermitted',
          `You are not allowed to remove automatically added member ${user.firstname} ${user.lastname}`);
      }
      ctx.store.db.prepare('DELETE FROM groups_members WHERE groupid = ? AND userid = ?').run(group.id, user.id);
    }
  });
  return null;
}

function getGroupMembers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  return (params.groupids as number[]).map((groupid) => {
    const group = cs(ctx).group(groupid);
    if (!group) {
      throw missingRecord('groups', 'SELECT id, courseid, name, enrolmentkey FROM {groups} WHERE id = ?', [groupid]);
    }
    if (!cs(ctx).course(group.courseid)) throw courseContextError(group.courseid);
    const users = cs(ctx).members(groupid).map((id) => ctx.store.get(id) as UserRow);
    users.sort((a, b) => a.lastname.localeCompare(b.lastname) || a.firstname.localeCompare(b.firstname) || a.id - b.id);
    return { groupid, userids: users.map((u) => u.id) };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptions

const formatParam = (def = 1) => value('int', VALUE_DEFAULT, def);

const courseCreateFields = (forUpdate: boolean): SingleDesc => {
  const opt = VALUE_OPTIONAL;
  const d = (type: Parameters<typeof value>[0], def: unknown) =>
    forUpdate ? value(type, opt) : value(type, VALUE_DEFAULT, def);
  return single({
    ...(forUpdate ? { id: value('int') } : {}),
    fullname: forUpdate ? value('text', opt) : value('text'),
    shortname: forUpdate ? value('text', opt) : value('text'),
    categoryid: forUpdate ? value('int', opt) : value('int'),
    idnumber: value('raw', opt),
    summary: value('raw', opt),
    summaryformat: d('int', 1),
    format: d('plugin', 'topics'),
    showgrades: d('int', 1),
    newsitems: d('int', 5),
    startdate: value('int', opt),
    enddate: value('int', opt),
    numsections: value('int', opt),
    maxbytes: d('int', 0),
    showreports: d('int', 0),
    visible: value('int', opt),
    hiddensections: value('int', opt),
    groupmode: d('int', 0),
    groupmodeforce: d('int', 0),
    defaultgroupingid: d('int', 0),
    enablecompletion: value('int', opt),
    completionnotify: value('int', opt),
    lang: value('safedir', opt),
    forcetheme: value('plugin', opt),
    courseformatoptions: multiple(single({ name: value('alpha'), value: value('raw') }), opt),
    customfields: multiple(single({ shortname: value('alphanumext'), value: value('raw') }), opt),
  });
};

const fileDesc = single({
  filename: value('raw', VALUE_OPTIONAL), filepath: value('raw', VALUE_OPTIONAL), filesize: value('int', VALUE_OPTIONAL),
  fileurl: value('url', VALUE_OPTIONAL), timemodified: value('int', VALUE_OPTIONAL), mimetype: value('raw', VALUE_OPTIONAL),
  isexternalfile: value('bool', VALUE_OPTIONAL), repositorytype: value('plugin', VALUE_OPTIONAL),
});

const fullCourseDesc = single({
  id: value('int'), fullname: value('text'), displayname: value('text'), shortname: value('text'),
  courseimage: value('url', VALUE_OPTIONAL), categoryid: value('int'), categoryname: value('text'),
  sortorder: value('int', VALUE_OPTIONAL), summary: value('raw'), summaryformat: value('int'),
  summaryfiles: multiple(fileDesc, VALUE_OPTIONAL), overviewfiles: multiple(fileDesc),
  showactivitydates: value('bool'), showcompletionconditions: value('bool'),
  contacts: multiple(single({ id: value('int'), fullname: value('notags') })),
  enrollmentmethods: multiple(value('plugin')),
  customfields: multiple(single({ name: value('raw'), shortname: value('alphanumext'), type: value('alphanumext'),
    valueraw: value('raw'), value: value('raw') }), VALUE_OPTIONAL),
  idnumber: value('raw', VALUE_OPTIONAL), format: value('plugin', VALUE_OPTIONAL),
  showgrades: value('int', VALUE_OPTIONAL), newsitems: value('int', VALUE_OPTIONAL),
  startdate: value('int', VALUE_OPTIONAL), enddate: value('int', VALUE_OPTIONAL), maxbytes: value('int', VALUE_OPTIONAL),
  showreports: value('int', VALUE_OPTIONAL), visible: value('int', VALUE_OPTIONAL),
  groupmode: value('int', VALUE_OPTIONAL), groupmodeforce: value('int', VALUE_OPTIONAL),
  defaultgroupingid: value('int', VALUE_OPTIONAL), enablecompletion: value('int', VALUE_OPTIONAL),
  completionnotify: value('int', VALUE_OPTIONAL), lang: value('safedir', VALUE_OPTIONAL),
  theme: value('plugin', VALUE_OPTIONAL), marker: value('int', VALUE_OPTIONAL), legacyfiles: value('int', VALUE_OPTIONAL),
  calendartype: value('plugin', VALUE_OPTIONAL), timecreated: value('int', VALUE_OPTIONAL),
  timemodified: value('int', VALUE_OPTIONAL), requested: value('int', VALUE_OPTIONAL),
  cacherev: value('int', VALUE_OPTIONAL),
  filters: multiple(single({ filter: value('plugin'), localstate: value('int'), inheritedstate: value('int') }),
    VALUE_OPTIONAL),
  courseformatoptions: multiple(single({ name: value('alpha'), value: value('rawvalue') }), VALUE_OPTIONAL),
});

const usersCourseDesc = single({
  id: value('int'), shortname: value('raw'), fullname: value('raw'), displayname: value('raw', VALUE_OPTIONAL),
  enrolledusercount: value('int', VALUE_OPTIONAL), idnumber: value('raw'), visible: value('int'),
  summary: value('raw', VALUE_OPTIONAL), summaryformat: value('int', VALUE_OPTIONAL),
  format: value('plugin', VALUE_OPTIONAL), courseimage: value('url', VALUE_OPTIONAL),
  showgrades: value('bool', VALUE_OPTIONAL), lang: value('lang', VALUE_OPTIONAL),
  enablecompletion: value('bool', VALUE_OPTIONAL), completionhascriteria: value('bool', VALUE_OPTIONAL),
  completionusertracked: value('bool', VALUE_OPTIONAL), category: value('int', VALUE_OPTIONAL),
  progress: { ...value('rawvalue', VALUE_OPTIONAL), allowNull: true },
  completed: value('bool', VALUE_OPTIONAL), startdate: value('int', VALUE_OPTIONAL),
  enddate: value('int', VALUE_OPTIONAL), marker: value('int', VALUE_OPTIONAL),
  lastaccess: { ...value('int', VALUE_OPTIONAL), allowNull: true }, isfavourite: value('bool', VALUE_OPTIONAL),
  hidden: value('bool', VALUE_OPTIONAL), overviewfiles: multiple(fileDesc, VALUE_OPTIONAL),
  showactivitydates: value('bool'), showcompletionconditions: value('bool'),
  timemodified: value('int', VALUE_OPTIONAL),
});

/** user_description() plus groups, roles and enrolledcourses. */
const enrolledUserDesc = multiple(single({
  // core_enrol_external's own user structure: every key optional but id and fullname (userfields filters them).
  ...Object.fromEntries(userDescription.keys.map(([k, d]) =>
    [k, k === 'id' || k === 'fullname' ? d : { ...d, required: VALUE_OPTIONAL }])),
  groups: multiple(single({ id: value('int'), name: value('raw'), description: value('raw'),
    descriptionformat: value('int') }), VALUE_OPTIONAL),
  roles: multiple(single({ roleid: value('int'), name: value('raw'), shortname: value('alpha'),
    sortorder: value('int') }), VALUE_OPTIONAL),
  enrolledcourses: multiple(single({ id: value('int'), fullname: value('raw'), shortname: value('raw') }),
    VALUE_OPTIONAL),
}));

const groupDesc = single({
  id: value('int'), courseid: value('int'), name: value('text'), description: value('raw'),
  descriptionformat: value('int'), enrolmentkey: { ...value('raw'), allowNull: true }, idnumber: value('raw'),
  visibility: value('int'), participation: value('bool'),
  customfields: multiple(single({ shortname: value('alphanumext'), value: value('raw') }), VALUE_OPTIONAL),
});

const memberParam = multiple(single({ groupid: value('int'), userid: value('int') }));

const categoryReturn = single({
  id: value('int'), name: value('text'), idnumber: value('raw', VALUE_OPTIONAL), description: value('raw'),
  descriptionformat: value('int'), parent: value('int'), sortorder: value('int'), coursecount: value('int'),
  visible: value('int', VALUE_OPTIONAL), visibleold: value('int', VALUE_OPTIONAL),
  timemodified: value('int', VALUE_OPTIONAL), depth: value('int'), path: value('text'),
  theme: value('theme', VALUE_OPTIONAL),
});

export const COURSE_FUNCTIONS: WsFunction[] = [
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
  {
    name: 'core_course_create_courses',
    params: single({ courses: multiple(courseCreateFields(false)) }),
    returns: multiple(single({ id: value('int'), shortname: value('raw') })),
    write: true,
    run: createCourses,
  },
  {
    name: 'core_course_update_courses',
    params: single({ courses: multiple(courseCreateFields(true)) }),
    returns: single({ warnings: warningsDesc }),
    write: true,
    run: updateCourses,
  },
  {
    name: 'core_course_get_courses_by_field',
    params: single({ field: value('alpha', VALUE_DEFAULT, ''), value: value('raw', VALUE_DEFAULT, '') }),
    returns: single({ courses: multiple(fullCourseDesc), warnings: warningsDesc }),
    write: false,
    run: getCoursesByField,
  },
  {
    name: 'core_course_delete_courses',
    params: single({ courseids: multiple(value('int')) }),
    returns: single({ warnings: warningsDesc }),
    write: true,
    run: deleteCourses,
  },
  {
    name: 'core_course_duplicate_course',
    params: single({
      courseid: value('int'), fullname: value('text'), shortname: value('text'), categoryid: value('int'),
      visible: value('int', VALUE_DEFAULT, 1),
      options: multiple(single({ name: value('alpha'), value: value('raw') }), VALUE_DEFAULT, []),
    }),
    returns: single({ id: value('int'), shortname: value('raw') }),
    write: true,
    run: duplicateCourse,
  },
  {
    name: 'core_enrol_get_course_enrolment_methods',
    params: single({ courseid: value('int') }),
    returns: multiple(single({
      id: value('int'), courseid: value('int'), type: value('plugin'), name: value('raw'), status: value('raw'),
      wsfunction: value('alpha', VALUE_OPTIONAL),
    })),
    write: false,
    run: getCourseEnrolmentMethods,
  },
  {
    name: 'enrol_manual_enrol_users',
    params: single({ enrolments: multiple(single({
      roleid: value('int'), userid: value('int'), courseid: value('int'), timestart: value('int', VALUE_OPTIONAL),
      timeend: value('int', VALUE_OPTIONAL), suspend: value('int', VALUE_OPTIONAL),
    })) }),
    returns: null,
    write: true,
    run: enrolUsers,
  },
  {
    name: 'enrol_manual_unenrol_users',
    params: single({ enrolments: multiple(single({
      userid: value('int'), courseid: value('int'), roleid: value('int', VALUE_OPTIONAL),
    })) }),
    returns: null,
    write: true,
    run: unenrolUsers,
  },
  {
    name: 'core_enrol_get_enrolled_users',
    params: single({
      courseid: value('int'),
      options: multiple(single({ name: value('alphanumext'), value: value('raw') }), VALUE_DEFAULT, []),
    }),
    returns: enrolledUserDesc,
    write: false,
    run: getEnrolledUsers,
  },
  {
    name: 'core_enrol_get_users_courses',
    params: single({ userid: value('int'), returnusercount: value('bool', VALUE_DEFAULT, true) }),
    returns: multiple(usersCourseDesc),
    write: false,
    run: getUsersCourses,
  },
  {
    name: 'core_group_create_groups',
    params: single({ groups: multiple(single({
      courseid: value('int'), name: value('text'), description: value('raw'), descriptionformat: formatParam(),
      enrolmentkey: value('raw', VALUE_OPTIONAL), idnumber: value('raw', VALUE_OPTIONAL),
      visibility: value('int', VALUE_DEFAULT, 0), participation: value('bool', VALUE_DEFAULT, true),
      customfields: multiple(single({ shortname: value('alphanumext'), value: value('raw') }), VALUE_OPTIONAL),
    })) }),
    returns: multiple(groupDesc),
    write: true,
    run: createGroups,
  },
  {
    name: 'core_group_get_course_groups',
    params: single({ courseid: value('int') }),
    returns: multiple(groupDesc),
    write: false,
    run: getCourseGroups,
  },
  {
    name: 'core_group_add_group_members',
    params: single({ members: memberParam }),
    returns: null,
    write: true,
    run: addGroupMembers,
  },
  {
    name: 'core_group_delete_group_members',
    params: single({ members: memberParam }),
    returns: null,
    write: true,
    run: deleteGroupMembers,
  },
  {
    name: 'core_group_get_group_members',
    params: single({ groupids: multiple(value('int')) }),
    returns: multiple(single({ groupid: value('int'), userids: multiple(value('int')) })),
    write: false,
    run: getGroupMembers,
  },
];
