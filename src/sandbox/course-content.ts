/**
 * core_course's content reads: core_course_get_contents (course/externallib.php get_course_contents()),
 * core_course_get_updates_since and core_course_check_updates (course_check_updates() and
 * course_check_module_updates_since() in course/lib.php, with the modules' own *_check_updates_since()), as the
 * site admin (the token user) sees them, from the content store.
 */
import { missingRecord, MoodleException, moodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { cleanParam, multiple, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, warningsDesc, nullable } from './params.js';
import { moduleContextId } from './accesslib.js';
import { moduleType } from './modules.js';
import type { CourseRow } from './course-store.js';
import type { InstanceRow, ModuleRow, SectionRow } from './content-store.js';


function errorInvalidParam(name: string): MoodleException {
  return moodleException('errorinvalidparam', `The param "${name}" is invalid.`);
}

/** get_course() / $DB->get_record('course', …, MUST_EXIST). */
function courseMustExist(ctx: FunctionContext, id: number): CourseRow {
  const c = ctx.store.courses.course(id);
  if (!c) throw missingRecord('course', 'SELECT * FROM {course} WHERE id = ?', [id]);
  return c;
}

const settingsOf = (inst: InstanceRow): Record<string, unknown> => JSON.parse(inst.settings) as Record<string, unknown>;

// core_course_get_contents

interface ContentsFilters {
  excludemodules?: boolean;
  excludecontents?: boolean;
  includestealthmodules?: boolean;
  sectionid?: number;
  sectionnumber?: number;
  cmid?: number;
  modid?: number;
  modname?: string;
}

/** The options loop of get_course_contents(): the first of a repeated name wins, unknown names are refused. */
function contentsFilters(options: { name: string; value: string }[]): ContentsFilters {
  const f: Record<string, unknown> = {};
  for (const o of options) {
    const name = o.name.trim();
    if (Object.hasOwn(f, name)) continue;
    switch (name) {
      case 'excludemodules': case 'excludecontents': case 'includestealthmodules':
        f[name] = cleanParam(o.value, 'bool') === 1;
        break;
      case 'sectionid': case 'sectionnumber': case 'cmid': case 'modid':
        // clean_param(PARAM_INT) always gives a number, so is_numeric() never refuses here.
        f[name] = cleanParam(o.value, 'int');
        break;
      case 'modname': {
        const v = cleanParam(o.value, 'plugin');
        if (!v) throw errorInvalidParam(name);
        f[name] = v;
        break;
      }
      default:
        throw errorInvalidParam(name);
    }
  }
  return f as ContentsFilters;
}

const DAY = 86400;
const WEEK = 7 * DAY;
const shortDate = (t: number) => new Date(t * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' });

/** get_section_name(): its own name, else the format's default (General; New section; a week's dates). */
function sectionName(course: CourseRow, s: SectionRow): string {
  if (s.name !== null && s.name !== '') return s.name;
  if (s.section === 0) return 'General';
  if (course.format === 'weeks') {
    // format_weeks::get_section_dates(): two hours past the start (the DST hack), a week per section, shown to the
    // day before the next week starts.
    const start = course.startdate + 7200 + WEEK * (s.section - 1);
    return `${shortDate(start)} - ${shortDate(start + WEEK - DAY)}`;
  }
  return 'New section';
}

/** The rule names and descriptions cm_completion_details lists for automatic completion, in its order. */
const COMPLETION_RULES: [string, string][] = [
  ['completionview', 'View'], ['completionusegrade', 'Receive a grade'], ['completionpassgrade', 'Receive a passing grade'],
  ['completionsubmit', 'Make a submission'],
];

/**
 * completion_info_exporter for the token user: the site admin is never enrolled, so never a tracked user (state
 * incomplete, as case 177 shows); automatic completion lists the module's rules.
 */
function completionData(cm: ModuleRow, settings: Record<string, unknown>): Record<string, unknown> {
  const automatic = cm.completion === 2;
  return {
    state: 0, timecompleted: 0, overrideby: null, valueused: false, hascompletion: true, isautomatic: automatic,
    istrackeduser: false, uservisible: true,
    details: automatic
      ? COMPLETION_RULES.filter(([rule]) => Number(settings[rule] ?? 0) > 0)
        .map(([rulename, description]) => ({ rulename, rulevalue: { status: 0, description } }))
      : [],
    isoverallcomplete: false,
  };
}

/** json_encode($cm->customdata) as each module's get_coursemodule_info() fills it; '""' when it sets nothing. */
function customData(cm: ModuleRow, settings: Record<string, unknown>): string {
  const data: Record<string, unknown> = {};
  if (cm.modname === 'forum') data.trackingtype = String(settings.trackingtype ?? 1);
  if (cm.modname === 'assign' && cm.completion === 2) {
    data.customcompletionrules = { completionsubmit: String(settings.completionsubmit ?? 0) };
  }
  for (const date of ({ assign: ['allowsubmissionsfromdate', 'duedate', 'cutoffdate'], quiz: ['timeopen', 'timeclose'] } as
    Record<string, string[]>)[cm.modname] ?? []) {
    if (settings[date]) data[date] = settings[date];
  }
  if (Object.keys(data).length === 0) return '""';
  // PHP's json_encode(): slashes and non-ASCII characters escaped.
  return JSON.stringify(data).replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** <modname>_export_contents(): a page's index.html, a URL's address; files the sandbox does not keep. */
function exportContents(ctx: FunctionContext, cm: ModuleRow, inst: InstanceRow): Record<string, unknown>[] | undefined {
  const settings = settingsOf(inst);
  const none = { timecreated: null, userid: null, author: null, license: null };
  if (cm.modname === 'page') {
    return [{
      type: 'file', filename: 'index.html', filepath: '/', filesize: 0,
      fileurl: `${ctx.siteUrl}/webservice/pluginfile.php/${moduleContextId(cm.id)}/mod_page/content/index.html?forcedownload=1`,
      ...none, timemodified: inst.timemodified, sortorder: 1,
    }];
  }
  if (cm.modname === 'url') {
    return [{
      type: 'url', filename: inst.name, filepath: null, filesize: 0, fileurl: String(settings.externalurl ?? ''), ...none,
      timemodified: inst.timemodified, sortorder: null,
    }];
  }
  // Types whose contents are their files: none are stored, so an empty list.
  if (['resource', 'folder', 'book', 'imscp'].includes(cm.modname)) return [];
  return undefined;
}

function moduleEntry(ctx: FunctionContext, course: CourseRow, cm: ModuleRow, f: ContentsFilters): Record<string, unknown> {
  const inst = ctx.store.content.instance(cm.modname, cm.instance)!;
  const settings = settingsOf(inst);
  const type = moduleType(cm.modname);
  const m: Record<string, unknown> = {
    id: cm.id, name: inst.name, instance: cm.instance, contextid: moduleContextId(cm.id), modname: cm.modname,
    purpose: type.purpose, branded: false, modplural: type.plural,
    modicon: `${ctx.siteUrl}/theme/image.php/boost/${cm.modname}/1/monologo?filtericon=1`, indent: cm.indent,
    onclick: '', afterlink: null,
    customdata: customData(cm, settings), completion: cm.completion, downloadcontent: 1,
    noviewlink: type.noviewlink === true, dates: [], groupmode: cm.groupmode,
  };
  // mod_forum's activity badge (unread posts): nothing unread, so PHP's empty array.
  if (cm.modname === 'forum') m.activitybadge = [];
  if (course.enablecompletion && cm.completion !== 0) m.completiondata = completionData(cm, settings);
  if (type.noviewlink) m.description = inst.intro;
  else m.url = `${ctx.siteUrl}/mod/${cm.modname}/view.php?id=${cm.id}`;
  m.visible = cm.visible;
  m.visibleoncoursepage = cm.visibleoncoursepage;
  m.uservisible = true;
  // $CFG->enableavailability and the admin may see hidden activities: the (empty) restrictions are given.
  m.availability = null;
  const contents = exportContents(ctx, cm, inst);
  if (contents) {
    const lastmodified = Math.max(0, ...contents.map((c) => Number(c.timemodified ?? 0)));
    m.contentsinfo = {
      filescount: contents.length, filessize: 0, lastmodified, mimetypes: [],
      ...(contents.length > 0 ? { repositorytype: '' } : {}),
    };
    m.contents = f.excludecontents ? [] : contents;
  }
  return m;
}

function getContents(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const f = contentsFilters(params.options as { name: string; value: string }[]);
  const course = courseMustExist(ctx, params.courseid as number);
  const content = ctx.store.content;
  const last = content.lastSectionNumber(course.id);
  const modules = new Map(content.modules(course.id).filter((m) => !m.deletioninprogress).map((m) => [m.id, m]));
  const out: Record<string, unknown>[] = [];
  for (const s of content.sections(course.id)) {
    if (f.sectionid && s.id !== f.sectionid) continue;
    if (f.sectionnumber !== undefined && s.section !== f.sectionnumber) continue;
    const entries: Record<string, unknown>[] = [];
    if (!f.excludemodules) {
      for (const cmid of s.sequence.split(',').filter(Boolean).map(Number)) {
        const cm = modules.get(cmid);
        if (!cm) continue;
        if (f.cmid && cmid !== f.cmid) continue;
        if (f.modname && (cm.modname !== f.modname || (f.modid && cm.instance !== f.modid))) continue;
        entries.push(moduleEntry(ctx, course, cm, f));
        // A filter that names one module stops at it.
        if (f.cmid || (f.modname && f.modid)) break;
      }
    }
    out.push({
      id: s.id, name: sectionName(course, s), visible: s.visible, summary: s.summary, summaryformat: s.summaryformat,
      section: s.section, hiddenbynumsections: s.section > last ? 1 : 0, uservisible: true, component: null, itemid: null,
      modules: entries,
    });
    if (f.sectionid || f.sectionnumber !== undefined) break;
  }
  return out;
}

const completionDesc = single({
  state: value('int'), timecompleted: value('int'), overrideby: nullable(value('int')), valueused: value('bool'),
  hascompletion: value('bool'), isautomatic: value('bool'), istrackeduser: value('bool'), uservisible: value('bool'),
  details: multiple(single({
    rulename: value('raw'),
    rulevalue: single({ status: value('int'), description: value('raw') }),
  })),
  isoverallcomplete: value('bool'),
}, VALUE_DEFAULT, []);

const contentsDesc = multiple(single({
  type: value('text'), filename: value('raw'), filepath: nullable(value('raw')), filesize: value('int'),
  fileurl: value('url', VALUE_OPTIONAL), content: value('raw', VALUE_OPTIONAL), timecreated: nullable(value('int')),
  timemodified: value('int'), sortorder: nullable(value('int')), mimetype: value('raw', VALUE_OPTIONAL),
  isexternalfile: value('bool', VALUE_OPTIONAL), repositorytype: value('plugin', VALUE_OPTIONAL),
  userid: nullable(value('int')), author: nullable(value('text')), license: nullable(value('text')),
}), VALUE_DEFAULT, []);

const moduleDesc = single({
  id: value('int'), url: value('url', VALUE_OPTIONAL), name: value('raw'), instance: value('int', VALUE_OPTIONAL),
  contextid: value('int', VALUE_OPTIONAL), description: value('raw', VALUE_OPTIONAL),
  visible: value('int', VALUE_OPTIONAL), uservisible: value('bool', VALUE_OPTIONAL),
  availabilityinfo: value('raw', VALUE_OPTIONAL), visibleoncoursepage: value('int', VALUE_OPTIONAL),
  modicon: value('url'), modname: value('plugin'), purpose: value('alpha'), branded: nullable(value('bool', VALUE_OPTIONAL)),
  modplural: value('text'), availability: nullable(value('raw', VALUE_OPTIONAL)), indent: value('int'),
  onclick: value('raw', VALUE_OPTIONAL), afterlink: nullable(value('raw', VALUE_OPTIONAL)),
  // An activity badge with nothing to show is PHP's empty array, which JSON writes as a list.
  activitybadge: multiple(value('raw'), VALUE_OPTIONAL),
  customdata: value('raw', VALUE_OPTIONAL), noviewlink: value('bool', VALUE_OPTIONAL),
  completion: value('int', VALUE_OPTIONAL), completiondata: completionDesc,
  downloadcontent: value('int', VALUE_OPTIONAL),
  dates: multiple(single({ label: value('text'), timestamp: value('int'), relativeto: value('int', VALUE_OPTIONAL),
    dataid: value('notags', VALUE_OPTIONAL) }), VALUE_DEFAULT, []),
  groupmode: value('int', VALUE_OPTIONAL), contents: contentsDesc,
  contentsinfo: single({
    filescount: value('int'), filessize: value('int'), lastmodified: value('int'), mimetypes: multiple(value('raw')),
    repositorytype: value('plugin', VALUE_OPTIONAL),
  }, VALUE_OPTIONAL),
});

const sectionDesc = single({
  id: value('int'), name: value('raw'), visible: value('int', VALUE_OPTIONAL), summary: value('raw'),
  summaryformat: value('int', VALUE_DEFAULT, 1), section: value('int', VALUE_OPTIONAL),
  hiddenbynumsections: value('int', VALUE_OPTIONAL), uservisible: value('bool', VALUE_OPTIONAL),
  availabilityinfo: value('raw', VALUE_OPTIONAL), component: nullable(value('raw', VALUE_OPTIONAL)),
  itemid: nullable(value('int', VALUE_OPTIONAL)), modules: multiple(moduleDesc),
});

// core_course_get_updates_since / core_course_check_updates

interface UpdatedArea {
  name: string;
  timeupdated?: number;
  itemids?: number[];
}

/**
 * <modname>_check_updates_since() for the areas the sandbox models, in the order the module lists them, only
 * those updated: the instance's configuration (course_check_module_updates_since()); an assignment's submissions
 * and grades (the admin's own: none; every user's: usersubmissions, usergrades); a quiz's questions created or
 * changed. Files, completion, grade items, outcomes, comments and ratings are the token user's (the admin's),
 * who has none of them, so they never show as updated.
 */
function moduleUpdates(ctx: FunctionContext, cm: ModuleRow, since: number, filter: string[]): UpdatedArea[] {
  const content = ctx.store.content;
  const inst = content.instance(cm.modname, cm.instance)!;
  const areas: UpdatedArea[] = [];
  if ((filter.length === 0 || filter.includes('configuration')) && inst.timemodified > since) {
    areas.push({ name: 'configuration', timeupdated: inst.timemodified });
  }
  const withItems = (name: string, itemids: number[]) => {
    if (itemids.length > 0) areas.push({ name, itemids });
  };
  if (cm.modname === 'assign') {
    withItems('usersubmissions', content.assignRowsSince('assign_submission', cm.instance, since));
    withItems('usergrades', content.assignRowsSince('assign_grades', cm.instance, since));
  }
  if (cm.modname === 'quiz') {
    withItems('questions', content.quizQuestions(cm.instance)
      .filter((q) => q.timemodified > since || q.timecreated > since).map((q) => q.id).sort((a, b) => a - b));
  }
  return areas;
}

interface ToCheck {
  contextlevel: string;
  id: number;
  since: number;
}

/** course_check_updates() and check_updates()' formatting: modules with no updated area are left out. */
function checkUpdates(ctx: FunctionContext, course: CourseRow, tocheck: ToCheck[], filter: string[]): unknown {
  const instances: Record<string, unknown>[] = [];
  const warnings: Record<string, unknown>[] = [];
  for (const t of tocheck) {
    if (t.contextlevel !== 'module') {
      warnings.push({ item: 'context', itemid: t.id, warningcode: 'contextlevelnotsupported',
        message: `Context level not yet supported ${t.contextlevel}` });
      continue;
    }
    const cm = ctx.store.content.module(t.id);
    if (!cm || cm.course !== course.id || cm.deletioninprogress) {
      warnings.push({ item: 'module', itemid: t.id, warningcode: 'cmidnotincourse',
        message: 'This module id does not belong to this course.' });
      continue;
    }
    if (!moduleType(cm.modname).completion) {
      // A type the sandbox does not know stands for a plugin without the callback.
      warnings.push({ item: 'module', itemid: t.id, warningcode: 'missingcallback',
        message: `This module does not implement the check_updates_since callback: ${t.contextlevel}` });
      continue;
    }
    const updates = moduleUpdates(ctx, cm, t.since, filter);
    if (updates.length > 0) instances.push({ contextlevel: t.contextlevel, id: t.id, updates });
  }
  return { instances, warnings };
}

function getUpdatesSince(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const course = courseMustExist(ctx, params.courseid as number);
  const since = params.since as number;
  // Every module the user can see (all of them, for the admin), in the course's order.
  const tocheck = ctx.store.content.modulesInOrder(course.id).filter((cm) => !cm.deletioninprogress)
    .map((cm) => ({ contextlevel: 'module', id: cm.id, since }));
  return checkUpdates(ctx, course, tocheck, params.filter as string[]);
}

function checkUpdatesCall(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const course = courseMustExist(ctx, params.courseid as number);
  return checkUpdates(ctx, course, params.tocheck as ToCheck[], params.filter as string[]);
}

const updatesDesc = single({
  instances: multiple(single({
    contextlevel: value('alphanumext'),
    id: value('int'),
    updates: multiple(single({
      name: value('alphanumext'), timeupdated: value('int', VALUE_OPTIONAL),
      itemids: multiple(value('int'), VALUE_OPTIONAL),
    })),
  })),
  warnings: warningsDesc,
});

export const CONTENT_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_course_get_contents',
    params: single({
      courseid: value('int'),
      options: multiple(single({ name: value('alphanum'), value: value('raw') }), VALUE_DEFAULT, []),
    }),
    returns: multiple(sectionDesc),
    write: false,
    run: getContents,
  },
  {
    name: 'core_course_get_updates_since',
    params: single({
      courseid: value('int'), since: value('int'), filter: multiple(value('alphanum'), VALUE_DEFAULT, []),
    }),
    returns: updatesDesc,
    write: false,
    run: getUpdatesSince,
  },
  {
    name: 'core_course_check_updates',
    params: single({
      courseid: value('int'),
      tocheck: multiple(single({ contextlevel: value('alpha'), id: value('int'), since: value('int') })),
      filter: multiple(value('alphanum'), VALUE_DEFAULT, []),
    }),
    returns: updatesDesc,
    write: false,
    run: checkUpdatesCall,
  },
];
