/**
 * core_course's older course lists: core_course_get_courses (options[ids]) and core_course_search_courses, with
 * Moodle 4.5's parameter and return descriptions and the behaviour of course/externallib.php,
 * core_course_category::search_courses() and get_courses_search() (course/lib.php), as the site admin sees them.
 */
import { invalidParameter } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { cleanParam, multiple, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, warningsDesc, nullable } from './params.js';
import { CONTEXT_COURSE } from './accesslib.js';
import { type CourseRow, ENROL_INSTANCE_ENABLED, ENROL_USER_ACTIVE, SITEID } from './course-store.js';
import { fullCourse, fullCourseDesc } from './courses.js';
import type { UserRow } from './user-store.js';

/** course_get_format($course)->get_format_options() for the formats a 4.5 site ships (values as PHP holds them). */
function formatOptions(c: CourseRow): { name: string; value: number | string }[] {
  if (c.format === 'topics') return [{ name: 'hiddensections', value: c.hiddensections }, { name: 'coursedisplay', value: 0 }];
  if (c.format === 'weeks') {
    return [{ name: 'hiddensections', value: c.hiddensections }, { name: 'coursedisplay', value: 0 },
      { name: 'automaticenddate', value: 1 }];
  }
  return [];
}

/** core_course_external::get_courses()'s course, with the fields only a user with moodle/course:update gets. */
function courseInfo(ctx: FunctionContext, c: CourseRow): Record<string, unknown> {
  return {
    id: c.id, shortname: c.shortname, categoryid: c.category, categorysortorder: c.sortorder, fullname: c.fullname,
    displayname: c.fullname, idnumber: c.idnumber, summary: c.summary, summaryformat: c.summaryformat, format: c.format,
    showgrades: c.showgrades, newsitems: c.newsitems, startdate: c.startdate, enddate: c.enddate,
    // "Return numsections for backward-compatibility": the format's last section number.
    numsections: ctx.store.content.lastSectionNumber(c.id), maxbytes: c.maxbytes, showreports: c.showreports,
    visible: c.visible, hiddensections: c.hiddensections, groupmode: c.groupmode, groupmodeforce: c.groupmodeforce,
    defaultgroupingid: c.defaultgroupingid, timecreated: c.timecreated, timemodified: c.timemodified,
    enablecompletion: c.enablecompletion, completionnotify: c.completionnotify, lang: cleanParam(c.lang, 'lang'),
    forcetheme: cleanParam(c.theme, 'theme'), courseformatoptions: formatOptions(c), showactivitydates: true,
    // create_course() leaves showcompletionconditions NULL when completion is off (case 178, course 5).
    showcompletionconditions: c.enablecompletion ? true : null,
  };
}

function getCourses(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const ids = (params.options as { ids?: number[] }).ids ?? [];
  const store = ctx.store.courses;
  if (ids.length === 0) return store.courses().map((c) => courseInfo(ctx, c));
  // get_records_list(): the rows come back as PostgreSQL reads them, which for the recorded site was the order of
  // the list (case 178: 9, 10, 5); a repeated id counts once, an unknown one is left out.
  return [...new Set(ids)].map((id) => store.course(id)).filter((c) => c !== undefined).map((c) => courseInfo(ctx, c));
}

/** $CFG->coursecontact's default: the editing teacher. */
const COURSE_CONTACT_ROLE = 3;

/** core_course_list_element::get_course_contacts(): the course's editing teachers with an active enrolment. */
export function courseContacts(ctx: FunctionContext, courseid: number): { id: number; fullname: string }[] {
  const rows = ctx.store.db.prepare(`SELECT DISTINCT u.* FROM role_assignments ra JOIN user u ON u.id = ra.userid
    JOIN user_enrolments ue ON ue.userid = u.id JOIN enrol e ON e.id = ue.enrolid AND e.courseid = ra.instanceid
    WHERE ra.roleid = ? AND ra.contextlevel = ? AND ra.instanceid = ? AND u.deleted = 0 AND ue.status = ?
    AND e.status = ? ORDER BY u.lastname, u.firstname, u.id`)
    .all(COURSE_CONTACT_ROLE, CONTEXT_COURSE, courseid, ENROL_USER_ACTIVE, ENROL_INSTANCE_ENABLED) as UserRow[];
  return rows.map((u) => ({ id: u.id, fullname: `${u.firstname} ${u.lastname}` }));
}

/** PHP preg_quote() for the | delimiter, then a whole-word pattern, as get_courses_search() builds for +word / -word. */
function wordPattern(term: string): RegExp {
  const quoted = term.replace(/[.\\+*?[^\]$(){}=!<>|:#/-]/g, '\\$&');
  return new RegExp(`(^|[^a-zA-Z0-9])${quoted}([^a-zA-Z0-9]|$)`);
}

/**
 * get_courses_search(): every term must match the summary, fullname, idnumber and shortname put together (case
 * insensitive LIKE %term%; +term a whole word, -term not that word); never the site course; by sortorder.
 */
function searchByText(ctx: FunctionContext, text: string): CourseRow[] {
  const terms = text.trim().split(/\s+/).filter(Boolean);
  const tests = terms.map((term) => {
    if (term.startsWith('+')) {
      const re = wordPattern(term.replace(/^[+-]+|[+-]+$/g, ''));
      return (s: string) => re.test(s);
    }
    if (term.startsWith('-') && term.length > 1) {
      const re = wordPattern(term.replace(/^[+-]+|[+-]+$/g, ''));
      return (s: string) => !re.test(s);
    }
    const lower = term.toLowerCase();
    return (s: string) => s.toLowerCase().includes(lower);
  });
  return ctx.store.db.prepare('SELECT * FROM course WHERE id <> ? ORDER BY sortorder, id').all(SITEID)
    .map((c) => c as CourseRow)
    .filter((c) => tests.every((t) => t(`${c.summary} ${c.fullname} ${c.idnumber} ${c.shortname}`)));
}

/** core_course_category::search_courses(['modulelist' => …]): courses holding a module of that type. */
function searchByModule(ctx: FunctionContext, modname: string): CourseRow[] {
  return ctx.store.db.prepare(`SELECT * FROM course WHERE id IN (SELECT course FROM course_modules WHERE modname = ?)
    ORDER BY sortorder, id`).all(modname) as CourseRow[];
}

const CRITERIA = ['search', 'modulelist', 'blocklist', 'tagid'];
/** The keys of get_course_public_information() (course_summary_exporter's public part). */
const PUBLIC_KEYS = [
  'id', 'fullname', 'displayname', 'shortname', 'courseimage', 'categoryid', 'categoryname', 'sortorder', 'summary',
  'summaryformat', 'summaryfiles', 'overviewfiles', 'showactivitydates', 'showcompletionconditions', 'contacts',
  'enrollmentmethods',
];

function searchCourses(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const name = params.criterianame as string;
  if (!CRITERIA.includes(name)) {
    throw invalidParameter(`Invalid value for criterianame parameter (value: ${name}),allowed values are: ${CRITERIA.join(',')}`);
  }
  const raw = params.criteriavalue as string;
  let found: CourseRow[];
  if (name === 'search') found = searchByText(ctx, raw);
  else if (name === 'modulelist') found = searchByModule(ctx, String(cleanParam(raw, 'plugin')));
  // The sandbox has no blocks or tags: no course holds one.
  else found = [];
  const perpage = params.perpage as number;
  const page = params.page as number;
  const shown = perpage !== 0 ? found.slice(page * perpage, page * perpage + perpage) : found;
  const courses = shown.map((c) => {
    const full = fullCourse(ctx, c);
    full.contacts = courseContacts(ctx, c.id);
    full.showcompletionconditions = c.enablecompletion ? true : null;
    return Object.fromEntries(PUBLIC_KEYS.map((k) => [k, full[k]]));
  });
  return { total: found.length, courses, warnings: [] };
}

export const COURSE_LIST_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_course_get_courses',
    params: single({
      options: single({ ids: multiple(value('int'), VALUE_OPTIONAL) }, VALUE_DEFAULT, []),
    }),
    returns: multiple(single({
      id: value('int'), shortname: value('raw'), categoryid: value('int'), categorysortorder: value('int', VALUE_OPTIONAL),
      fullname: value('raw'), displayname: value('raw'), idnumber: value('raw', VALUE_OPTIONAL), summary: value('raw'),
      summaryformat: value('int', VALUE_DEFAULT, 1), format: value('plugin'), showgrades: value('int', VALUE_OPTIONAL),
      newsitems: value('int', VALUE_OPTIONAL), startdate: value('int'), enddate: value('int'),
      numsections: value('int', VALUE_OPTIONAL), maxbytes: value('int', VALUE_OPTIONAL),
      showreports: value('int', VALUE_OPTIONAL), visible: value('int', VALUE_OPTIONAL),
      hiddensections: value('int', VALUE_OPTIONAL), groupmode: value('int', VALUE_OPTIONAL),
      groupmodeforce: value('int', VALUE_OPTIONAL), defaultgroupingid: value('int', VALUE_OPTIONAL),
      timecreated: value('int', VALUE_OPTIONAL), timemodified: value('int', VALUE_OPTIONAL),
      enablecompletion: value('int', VALUE_OPTIONAL), completionnotify: value('int', VALUE_OPTIONAL),
      lang: value('safedir', VALUE_OPTIONAL), forcetheme: value('plugin', VALUE_OPTIONAL),
      courseformatoptions: multiple(single({ name: value('alphanumext'), value: value('rawvalue') }), VALUE_OPTIONAL),
      showactivitydates: nullable(value('bool')),
      showcompletionconditions: nullable(value('bool')),
    })),
    write: false,
    run: getCourses,
  },
  {
    name: 'core_course_search_courses',
    params: single({
      criterianame: value('alpha'), criteriavalue: value('raw'), page: value('int', VALUE_DEFAULT, 0),
      perpage: value('int', VALUE_DEFAULT, 0), requiredcapabilities: multiple(value('text'), VALUE_DEFAULT, []),
      limittoenrolled: value('bool', VALUE_DEFAULT, false), onlywithcompletion: value('bool', VALUE_DEFAULT, false),
    }),
    returns: single({
      total: value('int'),
      courses: multiple(single(Object.fromEntries(fullCourseDesc.keys.filter(([k]) => PUBLIC_KEYS.includes(k))
        .map(([k, d]) => [k, k === 'showcompletionconditions' ? { ...d, allowNull: true } : d])))),
      warnings: warningsDesc,
    }),
    write: false,
    run: searchCourses,
  },
];
