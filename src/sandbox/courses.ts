/**
 * core_course's course functions (create, update, get by field, delete, duplicate), with Moodle 4.5's parameter and
 * return descriptions and the checks, in order, of course/externallib.php and create_course(), update_course() and
 * delete_course() in course/lib.php.
 */
import { invalidParameter, missingRecord, MoodleException, moodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import {
  cleanParam,
  fileDesc,
  INSTALLED_LANGS,
  INSTALLED_THEMES,
  multiple,
  phpTrim,
  single,
  type SingleDesc,
  value,
  VALUE_DEFAULT,
  VALUE_OPTIONAL,
  warningsDesc,
} from './params.js';
import { type CourseRow, type CourseStore, ENROL_INSTANCE_ENABLED, SITEID } from './course-store.js';
import { courseContextId } from './accesslib.js';

const YEAR = 365 * 24 * 3600;
const now = () => Math.floor(Date.now() / 1000);
const midnight = (t: number) => t - (t % 86400);
const cs = (ctx: FunctionContext): CourseStore => ctx.store.courses;
/** The filters a 4.5 site has enabled by default, as course listings report them. */
const DEFAULT_FILTERS = ['displayh5p', 'activitynames', 'mathjaxloader', 'emoticon', 'urltolink', 'mediaplugin'];
const COURSE_FORMATS = ['topics', 'weeks', 'singleactivity', 'social', 'site'];

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

/**
 * The instances enrol_course_updated() adds to a new course (guest and self disabled, as on a default site). Kept
 * with create_course(), its one caller: enrol.ts reads courses, so the edge runs from enrol to courses only.
 */
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
  ctx.store.content.createSections(id, typeof data.numsections === 'number' ? data.numsections : 0, t);
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
    // Restore recreates the source's sections (its content is not copied: the sandbox does not back modules up).
    data.numsections = ctx.store.content.lastSectionNumber(course.id);
    id = createCourse(ctx, data);
  });
  return { id, shortname };
}

/** course_summary_exporter::get_course_image(): a course without an image gets the generated pattern. */
export function courseImage(ctx: FunctionContext, c: CourseRow): string {
  return `${ctx.siteUrl}/pluginfile.php/${courseContextId(c.id)}/course/generated/course.svg`;
}

function formatOptions(c: CourseRow): { name: string; value: string | number }[] {
  if (c.format === 'site') return [];
  return [{ name: 'hiddensections', value: c.hiddensections }, { name: 'coursedisplay', value: 0 },
    { name: 'indentation', value: '1' }];
}

/** core_course_external::get_courses_by_field()'s course structure, as the site admin sees it. */
export function fullCourse(ctx: FunctionContext, c: CourseRow): Record<string, unknown> {
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
    case 'sectionid': {
      // The course holding that section.
      const section = ctx.store.db.prepare('SELECT course FROM course_sections WHERE id = ?')
        .get(cleanParam(v, 'int')) as { course: number } | undefined;
      courses = section ? cs(ctx).coursesWhere('id', section.course) : [];
      break;
    }
    default:
      throw invalidParameter('Invalid field name');
  }
  return { courses: courses.map((c) => fullCourse(ctx, c)), warnings: [] };
}

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

export const fullCourseDesc = single({
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

export const COURSE_FUNCTIONS: WsFunction[] = [
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
];
