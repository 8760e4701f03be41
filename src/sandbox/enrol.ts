/**
 * The enrolment functions: enrol_manual's (enrol, unenrol) and core_enrol's (enrolment methods, enrolled users, a
 * user's courses), with Moodle 4.5's parameter and return descriptions and the checks, in order, of
 * enrol/manual/externallib.php, enrol/externallib.php and enrol_plugin in lib/enrollib.php. One module for both:
 * the manual plugin is the only enrolment the sandbox models, and core_enrol reads what it writes.
 */
import { invalidParameter, missingRecord, MoodleException, moodleException } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { TOKEN_USER_ID, userDescription, userDetails } from './users.js';
import { courseImage } from './courses.js';
import { cleanParam, fileDesc, multiple, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, nullable } from './params.js';
import { CONTEXT_COURSE, CONTEXT_COURSECAT, CONTEXT_SYSTEM, isAssignable, roleHasCapability, ROLES } from './accesslib.js';
import {
  type CourseRow,
  type CourseStore,
  ENROL_INSTANCE_ENABLED,
  ENROL_USER_ACTIVE,
  ENROL_USER_SUSPENDED,
  type EnrolRow,
  SITEID,
} from './course-store.js';
import type { UserRow } from './user-store.js';

const GUEST_ID = 1;
const now = () => Math.floor(Date.now() / 1000);
const cs = (ctx: FunctionContext): CourseStore => ctx.store.courses;

/** validate_context() on a missing context. */
function noContext(): MoodleException {
  return invalidParameter('Context does not exist');
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

// enrol_manual: enrol_manual_external and the enrol_plugin methods it calls.

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
      if (!isAssignable(roleid, CONTEXT_COURSE)) {
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

// core_enrol: core_enrol_external's reads.

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

/**
 * clean_param(PARAM_CAPABILITY): a capability that does not exist cleans to '' (no filter at all). The sandbox
 * knows the capabilities of accesslib's table; any other well-formed name is taken to exist but be granted to no
 * role the sandbox models (only the site admin has it).
 */
function cleanCapability(v: string): string {
  return /^[a-z]+\/[a-z0-9_]+:[a-z0-9_]+$/.test(v) ? v : '';
}

/**
 * has_capability() in the course context: the site admin has every capability; anyone else through a role held in
 * the course, one of its categories or the system context whose archetype allows it.
 */
function hasCourseCapability(ctx: FunctionContext, course: CourseRow, userid: number, capability: string): boolean {
  if (userid === TOKEN_USER_ID) return true;
  const categories = (cs(ctx).category(course.category)?.path ?? '').split('/').filter(Boolean).map(Number);
  const roles = ctx.store.db.prepare(`SELECT DISTINCT roleid FROM role_assignments WHERE userid = ? AND
    ((contextlevel = ${CONTEXT_COURSE} AND instanceid = ?) OR contextlevel = ${CONTEXT_SYSTEM}
    OR (contextlevel = ${CONTEXT_COURSECAT} AND instanceid IN (${categories.map(() => '?').join(',') || 'NULL'})))`)
    .all(userid, course.id, ...categories) as { roleid: number }[];
  return roles.some((r) => roleHasCapability(r.roleid, capability));
}

function roleList(ctx: FunctionContext, courseid: number, userid: number) {
  return cs(ctx).roles(courseid, userid).map((roleid) => ({
    roleid, name: '', shortname: ROLES.find((r) => r.id === roleid)?.shortname ?? '', sortorder: 0,
  }));
}

function getEnrolledUsers(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  let groupid = 0;
  let withCapability = '';
  let onlyActive = false;
  let onlySuspended = false;
  let userfields: string[] = [];
  let limitfrom = 0;
  let limitnumber = 0;
  let sortby = 'id';
  let sortdirection = 'ASC';
  for (const o of params.options as { name: string; value: string }[]) {
    switch (o.name) {
      case 'withcapability': withCapability = cleanCapability(o.value); break;
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
  const course = cs(ctx).course(courseid);
  if (!course) throw missingRecord('course', 'SELECT * FROM {course} WHERE id = ?', [courseid]);
  if (onlyActive && onlySuspended) {
    throw moodleException('bothonlyactiveandonlysuspended',
      'Both onlyactive and onlysuspended options cannot be set at the same time');
  }
  let ids = enrolledUserIds(ctx, courseid, onlyActive, onlySuspended);
  // get_enrolled_sql($context, $withcapability, …): enrolled and holding the capability there (case 183).
  if (withCapability) ids = ids.filter((id) => hasCourseCapability(ctx, course, id, withCapability));
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

const usersCourseDesc = single({
  id: value('int'), shortname: value('raw'), fullname: value('raw'), displayname: value('raw', VALUE_OPTIONAL),
  enrolledusercount: value('int', VALUE_OPTIONAL), idnumber: value('raw'), visible: value('int'),
  summary: value('raw', VALUE_OPTIONAL), summaryformat: value('int', VALUE_OPTIONAL),
  format: value('plugin', VALUE_OPTIONAL), courseimage: value('url', VALUE_OPTIONAL),
  showgrades: value('bool', VALUE_OPTIONAL), lang: value('lang', VALUE_OPTIONAL),
  enablecompletion: value('bool', VALUE_OPTIONAL), completionhascriteria: value('bool', VALUE_OPTIONAL),
  completionusertracked: value('bool', VALUE_OPTIONAL), category: value('int', VALUE_OPTIONAL),
  progress: nullable(value('rawvalue', VALUE_OPTIONAL)),
  completed: value('bool', VALUE_OPTIONAL), startdate: value('int', VALUE_OPTIONAL),
  enddate: value('int', VALUE_OPTIONAL), marker: value('int', VALUE_OPTIONAL),
  lastaccess: nullable(value('int', VALUE_OPTIONAL)), isfavourite: value('bool', VALUE_OPTIONAL),
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

export const ENROL_FUNCTIONS: WsFunction[] = [
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
];
