/**
 * The site's state as the tests read it directly, outside the web service (to check what a run left behind without
 * going through the functions under test): plain views of users, categories, courses, enrolments, groups, cohorts
 * and role assignments, and the one change made by hand (an admin deleting an account in the UI).
 */
import { deleteUserRecord } from './users.js';
import { CONTEXT_COURSE } from './accesslib.js';
import type { ContentStore } from './content-store.js';
import { gradebookViews, type SandboxCompletion, type SandboxGrades } from './gradebook-view.js';
import { userContextId } from './file-store.js';
import type { UserRow, UserStore } from './user-store.js';
import type { CategoryRow, CohortRow, CourseRow } from './course-store.js';

export interface SandboxUser {
  id: number;
  username: string;
  firstname: string;
  lastname: string;
  email: string;
  idnumber: string;
  auth: string;
  suspended: boolean;
  deleted: boolean;
  confirmed: boolean;
  city: string;
  country: string;
  lang: string;
  timezone: string;
  institution: string;
  department: string;
  phone1: string;
  phone2: string;
  address: string;
  description: string | null;
  middlename: string | null;
  alternatename: string | null;
  firstnamephonetic: string | null;
  lastnamephonetic: string | null;
  interests: string[];
  theme: string;
  mailformat: number;
  maildisplay: number;
  /** Profile fields by shortname. */
  customfields: Record<string, string>;
  preferences: Record<string, string>;
  /** A usable password is stored (never the password itself); false for external auths. */
  passwordSet: boolean;
  /** Unix seconds, Moodle's timecreated. */
  createdAt: number;
  /** Unix seconds, Moodle's timemodified. */
  modifiedAt: number;
  /** mdl_user.picture: the id of the user's f1 icon file, 0 without a picture. */
  picture: number;
}

export interface SandboxCategory {
  id: number;
  name: string;
  idnumber: string;
  description: string;
  /** 0 = top level. */
  parent: number;
  sortorder: number;
  depth: number;
  /** e.g. '/5/6'. */
  path: string;
  visible: boolean;
  coursecount: number;
  theme: string;
}

export interface SandboxCourse {
  id: number;
  /** 0 for the site course (id 1). */
  categoryid: number;
  shortname: string;
  fullname: string;
  idnumber: string;
  summary: string;
  format: string;
  visible: boolean;
  startdate: number;
  enddate: number;
  sortorder: number;
  /** Unix seconds. */
  createdAt: number;
  modifiedAt: number;
}

export interface SandboxEnrolment {
  userid: number;
  /** 0 = active (ENROL_USER_ACTIVE), 1 = suspended (ENROL_USER_SUSPENDED). */
  status: number;
  timestart: number;
  timeend: number;
  /** Role ids assigned to the user in the course context, ascending. */
  roles: number[];
}

/** One mdl_user_enrolments row joined to its instance, as the recordings read them (any enrolment method). */
export interface SandboxUserEnrolmentRow {
  /** The instance's plugin: 'manual', 'guest', 'self'. */
  enrol: string;
  /** mdl_enrol.status: 0 enabled, 1 disabled. */
  instanceStatus: number;
  status: number;
  timestart: number;
  timeend: number;
  /** Unix seconds. */
  timecreated: number;
  timemodified: number;
}

/** One role assignment in a course context, with the columns the recordings read. */
export interface SandboxCourseRoleRow {
  roleid: number;
  component: string;
  itemid: number;
  /** Unix seconds. */
  timemodified: number;
}

export interface SandboxGroup {
  id: number;
  courseid: number;
  name: string;
  idnumber: string;
  description: string;
  visibility: number;
  participation: boolean;
  /** Member user ids, ascending. */
  members: number[];
}

export interface SandboxCohort {
  id: number;
  /** 0: system context; else the course category holding the cohort. */
  categoryid: number;
  name: string;
  idnumber: string;
  description: string;
  visible: boolean;
  /** Member user ids, ascending. */
  members: number[];
}

export interface SandboxRoleAssignment {
  roleid: number;
  userid: number;
  /** 10 system, 30 user, 40 coursecat, 50 course. */
  contextlevel: number;
  /** 0 for system; else the user, category or course id. */
  instanceid: number;
  /** '' for manual assignments (core_role_assign_roles and enrol_manual alike). */
  component: string;
}

/** The part of the sandbox's handle that reads (and, for deleteByHand, changes) the site without a web-service call. */
export interface SiteView {
  users: {
    list(): SandboxUser[];
    byUsername(u: string): SandboxUser | undefined;
    byId(id: number): SandboxUser | undefined;
    byIdnumber(idn: string): SandboxUser[];
    /** What an admin deleting the account in the UI does (delete_user()). */
    deleteByHand(id: number): void;
  };
  categories: {
    /** Ordered by sortorder (depth first), as Moodle lists them. */
    list(): SandboxCategory[];
  };
  courses: {
    /** Ordered by id; includes the site course (id 1). */
    list(): SandboxCourse[];
    /** Course idnumbers are unique (when not empty), so at most one: undefined for '' or no match. */
    byIdnumber(idnumber: string): SandboxCourse | undefined;
    byShortname(shortname: string): SandboxCourse | undefined;
  };
  enrolments: {
    /** The course's manual enrolments (any status), by userid. */
    of(courseId: number): SandboxEnrolment[];
    /** The user's user_enrolments rows in the course, every method, by instance id (the recordings' query). */
    rows(courseId: number, userId: number): SandboxUserEnrolmentRow[];
    /** The user's role assignments in the course context, by id. */
    roleRows(courseId: number, userId: number): SandboxCourseRoleRow[];
    /** The course's enrolment methods (mdl_enrol), by id. */
    instances(courseId: number): { id: number; enrol: string; status: number }[];
    /** The eye icon of Course › Enrolment methods (enrol_plugin::update_status): 1 disables the method, 0 enables it. */
    setInstanceStatusByHand(courseId: number, enrol: string, status: 0 | 1): void;
    /** The delete icon of Course › Enrolment methods (enrol_plugin::delete_instance): its enrolments go with it. */
    deleteInstanceByHand(courseId: number, enrol: string): void;
    /**
     * Moves the times of the user's enrolments and roles in the course `seconds` back, as if made that much earlier:
     * a test's calls all fall in one second, where a changed timemodified could not be told from an unchanged one.
     */
    backdate(courseId: number, userId: number, seconds: number): void;
  };
  groups: {
    /** The course's groups, by name, with their members. */
    of(courseId: number): SandboxGroup[];
    /** The user ids of one group's groups_members rows, read whether or not the group still exists (none after a delete). */
    membershipRows(groupId: number): number[];
  };
  cohorts: {
    /** Every cohort, by id. */
    list(): SandboxCohort[];
    /** The first cohort (by id) with that idnumber. */
    byIdnumber(idnumber: string): SandboxCohort | undefined;
    /** Member user ids of the cohort with that idnumber, ascending ([] when there is no such cohort). */
    cohortMembers(cohortIdnumber: string): number[];
  };
  roles: {
    /** Role assignments in any context matching every given field, by id. */
    roleAssignments(filter?: Partial<SandboxRoleAssignment>): SandboxRoleAssignment[];
  };
  /** Course content: read it, and add, change or delete modules as a teacher would in the UI. */
  content: ContentStore;
  /** The gradebook: grade modules, set course grade settings, read what the user report shows. */
  grades: SandboxGrades;
  /** Completion: set a course's criteria, complete activities and courses. */
  completion: SandboxCompletion;
  /** The user's icon files (f1, f2, f3 of their picture), as mdl_files holds them. */
  iconFiles(userId: number): { filename: string; mimetype: string | null; filesize: number }[];
}

function toSandboxUser(u: UserRow): SandboxUser {
  return {
    id: u.id,
    username: u.username,
    firstname: u.firstname,
    lastname: u.lastname,
    email: u.email,
    idnumber: u.idnumber,
    auth: u.auth,
    suspended: u.suspended === 1,
    deleted: u.deleted === 1,
    confirmed: u.confirmed === 1,
    city: u.city,
    country: u.country,
    lang: u.lang,
    timezone: u.timezone,
    institution: u.institution,
    department: u.department,
    phone1: u.phone1,
    phone2: u.phone2,
    address: u.address,
    description: u.description,
    middlename: u.middlename,
    alternatename: u.alternatename,
    firstnamephonetic: u.firstnamephonetic,
    lastnamephonetic: u.lastnamephonetic,
    interests: JSON.parse(u.interests) as string[],
    theme: u.theme,
    mailformat: u.mailformat,
    maildisplay: u.maildisplay,
    customfields: JSON.parse(u.customfields) as Record<string, string>,
    preferences: JSON.parse(u.preferences) as Record<string, string>,
    passwordSet: u.password !== '' && u.password !== 'not cached',
    createdAt: u.timecreated,
    modifiedAt: u.timemodified,
    picture: u.picture,
  };
}

function toSandboxCategory(c: CategoryRow): SandboxCategory {
  return {
    id: c.id, name: c.name, idnumber: c.idnumber, description: c.description, parent: c.parent, sortorder: c.sortorder,
    depth: c.depth, path: c.path, visible: c.visible === 1, coursecount: c.coursecount, theme: c.theme,
  };
}

function toSandboxCourse(c: CourseRow): SandboxCourse {
  return {
    id: c.id, categoryid: c.category, shortname: c.shortname, fullname: c.fullname, idnumber: c.idnumber,
    summary: c.summary, format: c.format, visible: c.visible === 1, startdate: c.startdate, enddate: c.enddate,
    sortorder: c.sortorder, createdAt: c.timecreated, modifiedAt: c.timemodified,
  };
}

/** The views over the store; each read goes to the database, so it sees every call made so far. */
export function siteView(store: UserStore): SiteView {
  const toSandboxCohort = (c: CohortRow): SandboxCohort => ({
    id: c.id, categoryid: c.categoryid, name: c.name, idnumber: c.idnumber, description: c.description,
    visible: c.visible === 1, members: store.courses.cohortMembers(c.id),
  });
  const userView = (u: UserRow | undefined) => (u ? toSandboxUser(u) : undefined);
  const courseView = (c: CourseRow | undefined) => (c ? toSandboxCourse(c) : undefined);
  const cohortByIdnumber = (idn: string) => store.courses.cohorts().find((x) => x.idnumber === idn);

  return {
    content: store.content,
    ...gradebookViews(store),
    iconFiles: (userId) =>
      store.files.area(userContextId(userId), 'user', 'icon').map((f) => ({ filename: f.filename, mimetype: f.mimetype, filesize: f.filesize })),
    users: {
      list: () => store.all().map(toSandboxUser),
      byUsername: (u) => userView(store.byUsername(u)),
      byId: (id) => userView(store.get(id)),
      byIdnumber: (idn) => store.listWhereIn('idnumber', [idn]).map(toSandboxUser),
      deleteByHand: (id) => {
        const u = store.get(id);
        if (!u || u.deleted) throw new Error(`No user ${id} to delete`);
        if (id === 1 || id === 2) throw new Error('The guest and admin accounts cannot be deleted');
        store.transaction(() => deleteUserRecord(store, u));
      },
    },
    categories: {
      list: () => store.courses.categories().map(toSandboxCategory),
    },
    courses: {
      list: () => store.courses.courses().map(toSandboxCourse),
      byIdnumber: (idn) => courseView(idn === '' ? undefined : store.courses.coursesWhere('idnumber', idn)[0]),
      byShortname: (sn) => courseView(store.courses.coursesWhere('shortname', sn)[0]),
    },
    enrolments: {
      of: (courseId) => {
        const instance = store.courses.manualInstance(courseId);
        if (!instance) return [];
        return store.courses.userEnrolments(courseId)
          .filter((ue) => ue.enrolid === instance.id)
          .map((ue) => ({
            userid: ue.userid, status: ue.status, timestart: ue.timestart, timeend: ue.timeend,
            roles: store.courses.roles(courseId, ue.userid),
          }));
      },
      rows: (courseId, userId) =>
        (store.db.prepare(`SELECT e.enrol, e.status AS instanceStatus, ue.status, ue.timestart, ue.timeend, ue.timecreated,
            ue.timemodified FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE ue.userid = ? AND e.courseid = ?
            ORDER BY e.id`).all(userId, courseId) as SandboxUserEnrolmentRow[]),
      roleRows: (courseId, userId) =>
        store.courses.roleAssignments({ contextlevel: CONTEXT_COURSE, instanceid: courseId, userid: userId })
          .map((r) => ({ roleid: r.roleid, component: r.component, itemid: r.itemid, timemodified: r.timemodified })),
      instances: (courseId) =>
        (store.db.prepare('SELECT id, enrol, status FROM enrol WHERE courseid = ? ORDER BY id').all(courseId) as
          { id: number; enrol: string; status: number }[]),
      setInstanceStatusByHand: (courseId, enrol, status) => {
        const r = store.db.prepare('UPDATE enrol SET status = ? WHERE courseid = ? AND enrol = ?').run(status, courseId, enrol);
        if (r.changes === 0) throw new Error(`Course ${courseId} has no ${enrol} enrolment method`);
      },
      deleteInstanceByHand: (courseId, enrol) => {
        const instance = store.courses.instances(courseId).find((i) => i.enrol === enrol);
        if (!instance) throw new Error(`Course ${courseId} has no ${enrol} enrolment method`);
        store.transaction(() => {
          for (const ue of store.courses.userEnrolments(courseId).filter((u) => u.enrolid === instance.id)) {
            store.courses.unenrol(instance, ue.userid);
          }
          store.db.prepare('DELETE FROM enrol WHERE id = ?').run(instance.id);
        });
      },
      backdate: (courseId, userId, seconds) => {
        store.transaction(() => {
          store.db.prepare(`UPDATE user_enrolments SET timecreated = timecreated - ?, timemodified = timemodified - ?
            WHERE userid = ? AND enrolid IN (SELECT id FROM enrol WHERE courseid = ?)`).run(seconds, seconds, userId, courseId);
          store.db.prepare(`UPDATE role_assignments SET timemodified = timemodified - ? WHERE userid = ?
            AND contextlevel = ${CONTEXT_COURSE} AND instanceid = ?`).run(seconds, userId, courseId);
        });
      },
    },
    groups: {
      of: (courseId) => store.courses.groups(courseId).map((g) => ({
        id: g.id, courseid: g.courseid, name: g.name, idnumber: g.idnumber, description: g.description ?? '',
        visibility: g.visibility, participation: g.participation === 1, members: store.courses.members(g.id),
      })),
      membershipRows: (groupId) => store.courses.members(groupId),
    },
    cohorts: {
      list: () => store.courses.cohorts().map(toSandboxCohort),
      byIdnumber: (idn) => {
        const c = cohortByIdnumber(idn);
        return c ? toSandboxCohort(c) : undefined;
      },
      cohortMembers: (idn) => {
        const c = cohortByIdnumber(idn);
        return c ? store.courses.cohortMembers(c.id) : [];
      },
    },
    roles: {
      roleAssignments: (filter = {}) => store.courses.roleAssignments(filter).map((r) => ({
        roleid: r.roleid, userid: r.userid, contextlevel: r.contextlevel, instanceid: r.instanceid, component: r.component,
      })),
    },
  };
}
