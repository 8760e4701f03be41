/**
 * The grade report functions: gradereport_user_get_grade_items (grade/report/user/classes/external/user.php and the
 * user report's gradeitemsdata, grade/report/user/classes/report/user.php) and gradereport_overview_get_course_grades
 * (grade/report/overview/classes/external.php), over the gradebook of grade-store.ts. The user report's columns are
 * Moodle's defaults (weight, grade, range, percentage, feedback; the letter column when the course's
 * report_user_showlettergrade setting is on), grades formatted in the course's display type (real by default).
 */
import { missingRecord, MoodleException, moodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { multiple, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, warningsDesc, nullable } from './params.js';
import { type CourseRow, ENROL_INSTANCE_ENABLED, ENROL_USER_ACTIVE, SITEID } from './course-store.js';
import type { UserRow } from './user-store.js';
import {
  formatFloat, formatGrade, GRADE_DISPLAY_TYPE_LETTER, GRADE_DISPLAY_TYPE_PERCENTAGE, GRADE_DISPLAY_TYPE_REAL,
  type GradeItemRow, type UserItemGrade,
} from './grade-store.js';
import { TOKEN_USER_ID } from './users.js';

const STUDENT_ROLE = 5;
const now = () => Math.floor(Date.now() / 1000);

/** get_course(): the course or dml_missing_record_exception. */
export function getCourse(ctx: FunctionContext, id: number): CourseRow {
  const c = ctx.store.courses.course(id);
  if (!c) throw missingRecord('course', 'SELECT * FROM {course} WHERE id = ?', [id]);
  return c;
}

/** core_user::get_user($id, $fields, MUST_EXIST). */
export function getUser(ctx: FunctionContext, id: number, fields = '*'): UserRow {
  const u = ctx.store.get(id);
  if (!u) throw missingRecord('user', `SELECT ${fields} FROM {user} WHERE id = ?`, [id]);
  return u;
}

/** core_user::require_active_user() with its default flags. */
function requireActiveUser(u: UserRow): void {
  if (u.deleted) throw moodleException('userdeleted');
  if (!u.confirmed) throw moodleException('usernotconfirmed', `Could not confirm ${u.username}`);
  if (u.id === 1) throw moodleException('guestsarenotallowed', 'The guest user is not allowed to do this');
}

/** Names of the capabilities the sandbox can prohibit, as get_capability_string() gives them. */
const CAPABILITY_NAMES: Record<string, string> = {
  'moodle/grade:viewall': 'View grades of other users',
  'gradereport/user:view': 'View your own grade report',
  'report/progress:view': 'View activity completion reports',
  'report/completion:view': 'View course completion report',
};

/** require_capability() for the token user in a course: the site admin passes unless a Prohibit override says no. */
export function requireCapability(ctx: FunctionContext, courseid: number, capability: string): void {
  if (!ctx.store.grades.prohibited(courseid, capability)) return;
  throw new MoodleException('core\\exception\\required_capability_exception', 'nopermissions',
    `Sorry, but you do not currently have permissions to do that (${CAPABILITY_NAMES[capability] ?? capability}).`);
}

/**
 * graded_users_iterator with require_active_enrolment (grade_report_showonlyactiveenrol, on by default): users with
 * a gradebook role (student) in the course and an active enrolment, by last name, first name.
 */
export function activeStudents(ctx: FunctionContext, courseid: number, onlyUser?: number): UserRow[] {
  const t = now();
  const one = onlyUser === undefined ? '' : `AND u.id = ${Math.trunc(onlyUser)}`;
  return ctx.store.db.prepare(`SELECT DISTINCT u.* FROM user u
      JOIN role_assignments ra ON ra.userid = u.id AND ra.contextlevel = 50 AND ra.instanceid = ? AND ra.roleid = ${STUDENT_ROLE}
      JOIN user_enrolments ue ON ue.userid = u.id JOIN enrol e ON e.id = ue.enrolid AND e.courseid = ?
     WHERE u.deleted = 0 AND ue.status = ${ENROL_USER_ACTIVE} AND e.status = ${ENROL_INSTANCE_ENABLED}
       AND ue.timestart <= ? AND (ue.timeend = 0 OR ue.timeend > ?) ${one}
     ORDER BY u.lastname, u.firstname, u.id`).all(courseid, courseid, t, t) as UserRow[];
}

function displayType(ctx: FunctionContext, courseid: number): number {
  return Number(ctx.store.grades.setting(courseid, 'displaytype') ?? GRADE_DISPLAY_TYPE_REAL);
}

/** The course's report settings: its display type and whether the letter column shows. */
interface ReportSettings {
  display: number;
  letters: boolean;
}
function reportSettings(ctx: FunctionContext, courseid: number): ReportSettings {
  return { display: displayType(ctx, courseid), letters: ctx.store.grades.setting(courseid, 'report_user_showlettergrade') === '1' };
}

/** One row of gradeitemsdata. */
function gradeItemData(settings: ReportSettings, g: UserItemGrade): Record<string, unknown> {
  const { item } = g;
  const mod = item.itemtype === 'mod';
  const d: Record<string, unknown> = {
    id: item.id, itemname: item.itemname, itemtype: item.itemtype, itemmodule: item.itemmodule,
    iteminstance: item.iteminstance, itemnumber: mod ? 0 : null, idnumber: item.idnumber, categoryid: item.categoryid,
    outcomeid: null, scaleid: null, locked: false,
  };
  if (mod) d.cmid = item.cmid;
  if (g.hint) {
    d.weightraw = g.hint.weight;
    d.weightformatted = `${formatFloat(g.hint.weight * 100, 2)} %`;
    if (g.hint.status !== 'used') d.status = g.hint.status;
  }
  const { display } = settings;
  Object.assign(d, {
    graderaw: g.value, gradedatesubmitted: null, gradedategraded: g.dategraded, gradehiddenbydate: false,
    gradeneedsupdate: false, gradeishidden: false, gradeislocked: false, gradeisoverridden: false,
    gradeformatted: formatGrade(g.value, item.grademin, g.grademax, display),
    grademin: item.grademin, grademax: g.grademax,
    rangeformatted: `${formatFloat(item.grademin, 0)}&ndash;${formatFloat(g.grademax, 0)}`,
    percentageformatted: formatGrade(g.value, item.grademin, g.grademax, GRADE_DISPLAY_TYPE_PERCENTAGE),
  });
  if (settings.letters) {
    d.lettergradeformatted = formatGrade(g.value, item.grademin, g.grademax, GRADE_DISPLAY_TYPE_LETTER);
  }
  d.feedback = g.grade?.feedback ?? '';
  d.feedbackformat = g.grade?.feedbackformat ?? 0;
  return d;
}

function userGrades(ctx: FunctionContext, course: CourseRow, u: UserRow, items: GradeItemRow[], settings: ReportSettings):
  Record<string, unknown> {
  return {
    courseid: course.id, courseidnumber: course.idnumber, userid: u.id, userfullname: `${u.firstname} ${u.lastname}`,
    useridnumber: u.idnumber, maxdepth: 2,
    gradeitems: ctx.store.grades.userReport(course.id, u.id, items).map((g) => gradeItemData(settings, g)),
  };
}

/** check_report_access() then get_report_data(): one user, or every active student when userid is 0. */
function getGradeItems(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const course = getCourse(ctx, params.courseid as number);
  requireCapability(ctx, course.id, 'gradereport/user:view');
  const userid = params.userid as number;
  let user: UserRow | null = null;
  if (!userid) {
    requireCapability(ctx, course.id, 'moodle/grade:viewall');
  } else {
    user = getUser(ctx, userid);
    requireActiveUser(user);
  }
  // has_capability('moodle/grade:viewall'), or viewing one's own grades.
  if (ctx.store.grades.prohibited(course.id, 'moodle/grade:viewall') && userid !== TOKEN_USER_ID) {
    throw moodleException('nopermissiontoviewgrades', 'Can not view grades.');
  }
  const users = user ? [user] : activeStudents(ctx, course.id);
  // Regraded once for the call (grade_regrade_final_grades), then each user's report.
  const { items } = ctx.store.grades.sync(course.id);
  const settings = reportSettings(ctx, course.id);
  return { usergrades: users.map((u) => userGrades(ctx, course, u, items, settings)), warnings: [] };
}

/** grade_report_overview::setup_courses_data(): every course of the user that shows grades, its course total. */
function getCourseGrades(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const userid = (params.userid as number) || TOKEN_USER_ID;
  if (userid !== TOKEN_USER_ID) requireActiveUser(getUser(ctx, userid));
  const cs = ctx.store.courses;
  const courses = cs.coursesOfUser(userid, false).filter((id) => id !== SITEID)
    .map((id) => cs.course(id) as CourseRow)
    .filter((c) => c.showgrades === 1)
    .sort((a, b) => b.visible - a.visible || a.sortorder - b.sortorder || a.id - b.id);
  const grades = courses.map((c) => {
    const total = ctx.store.grades.courseTotal(c.id, userid);
    return {
      courseid: c.id,
      grade: formatGrade(total.value, total.item.grademin, total.grademax, displayType(ctx, c.id)),
      // grade_grades.finalgrade as the database gives it: DECIMAL(10,5), a string.
      rawgrade: total.value === null ? null : total.value.toFixed(5),
    };
  });
  return { grades, warnings: [] };
}

const gradeItemDesc = single({
  id: value('int'), itemname: nullable(value('raw')), itemtype: value('alpha'), itemmodule: nullable(value('plugin')),
  iteminstance: value('int'), itemnumber: nullable(value('int')), idnumber: nullable(value('text')),
  categoryid: nullable(value('int')), outcomeid: nullable(value('int')), scaleid: nullable(value('int')),
  locked: value('bool', VALUE_OPTIONAL), cmid: value('int', VALUE_OPTIONAL), weightraw: value('float', VALUE_OPTIONAL),
  weightformatted: value('notags', VALUE_OPTIONAL), status: value('alpha', VALUE_OPTIONAL),
  graderaw: nullable(value('float', VALUE_OPTIONAL)), gradedatesubmitted: nullable(value('int', VALUE_OPTIONAL)),
  gradedategraded: nullable(value('int', VALUE_OPTIONAL)), gradehiddenbydate: value('bool', VALUE_OPTIONAL),
  gradeneedsupdate: value('bool', VALUE_OPTIONAL), gradeishidden: value('bool', VALUE_OPTIONAL),
  gradeislocked: value('bool', VALUE_OPTIONAL), gradeisoverridden: value('bool', VALUE_OPTIONAL),
  gradeformatted: value('raw', VALUE_OPTIONAL), grademin: value('float', VALUE_OPTIONAL),
  grademax: value('float', VALUE_OPTIONAL), rangeformatted: value('notags', VALUE_OPTIONAL),
  percentageformatted: value('notags', VALUE_OPTIONAL), lettergradeformatted: value('notags', VALUE_OPTIONAL),
  rank: value('int', VALUE_OPTIONAL), numusers: value('int', VALUE_OPTIONAL),
  averageformatted: value('notags', VALUE_OPTIONAL), feedback: value('raw', VALUE_OPTIONAL),
  feedbackformat: value('int', VALUE_OPTIONAL),
});

export const GRADE_FUNCTIONS: WsFunction[] = [
  {
    name: 'gradereport_user_get_grade_items',
    params: single({
      courseid: value('int'), userid: value('int', VALUE_DEFAULT, 0), groupid: value('int', VALUE_DEFAULT, 0),
    }),
    returns: single({
      usergrades: multiple(single({
        courseid: value('int'), courseidnumber: value('text'), userid: value('int'), userfullname: value('text'),
        useridnumber: value('raw'), maxdepth: value('int'), gradeitems: multiple(gradeItemDesc),
      })),
      warnings: warningsDesc,
    }),
    write: false,
    run: getGradeItems,
  },
  {
    name: 'gradereport_overview_get_course_grades',
    params: single({ userid: value('int', VALUE_DEFAULT, 0) }),
    returns: single({
      grades: multiple(single({
        courseid: value('int'), grade: value('raw'), rawgrade: nullable(value('raw')), rank: value('int', VALUE_OPTIONAL),
      })),
      warnings: warningsDesc,
    }),
    write: false,
    run: getCourseGrades,
  },
];
