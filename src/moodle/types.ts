/** Moodle web-service shapes mdlsync relies on (see ../shared/moodle-api-notes.md). */

import type { OutcomeCode } from '../errors.js';

/** The error object Moodle answers with HTTP 200: {exception, errorcode, message, debuginfo?}. */
export interface MoodleErrorBody {
  exception: string;
  errorcode: string;
  message: string;
  debuginfo?: string;
}

export interface MoodleWarning {
  item?: string;
  itemid?: number;
  /** Moodle's code for the warning as Moodle wrote it (or mdlsync's row code for a warning it makes up, e.g. 'error'). */
  warningcode: OutcomeCode;
  message: string;
}

export interface SiteInfo {
  sitename: string;
  username: string;
  userid: number;
  siteurl: string;
  release: string;
  version: string;
  functions: { name: string; version: string }[];
  userissiteadmin?: boolean;
  [k: string]: unknown;
}

/** A user as core_user_get_users_by_field / core_user_get_users return it (empty fields are omitted by Moodle). */
export interface MoodleUser {
  id: number;
  username: string;
  firstname?: string;
  lastname?: string;
  fullname?: string;
  email?: string;
  idnumber?: string;
  auth?: string;
  suspended?: boolean;
  confirmed?: boolean;
  [k: string]: unknown;
}

/** One record of core_user_create_users. */
export interface CreateUserInput {
  username: string;
  firstname: string;
  lastname: string;
  email: string;
  password?: string;
  createpassword?: 0 | 1;
  auth?: string;
  idnumber?: string;
  lang?: string;
  city?: string;
  country?: string;
  timezone?: string;
  institution?: string;
  department?: string;
  phone1?: string;
  phone2?: string;
  address?: string;
  description?: string;
  middlename?: string;
  alternatename?: string;
  firstnamephonetic?: string;
  lastnamephonetic?: string;
  interests?: string;
  theme?: string;
  /** 0 plain text, 1 HTML (an integer; sent as the file's text). */
  mailformat?: string;
  /** 0 hidden, 1 everyone, 2 course members (an integer; sent as the file's text). */
  maildisplay?: string;
  customfields?: { type: string; value: string }[];
  preferences?: { type: string; value: string }[];
}

/** One record of core_user_update_users: id plus any field to change. */
export type UpdateUserInput = { id: number; suspended?: 0 | 1 } & Partial<Omit<CreateUserInput, 'createpassword' | 'preferences'>>;

export type UserLookupField = 'id' | 'idnumber' | 'username' | 'email';

/** The one thing apply/ needs from the REST client (MoodleClient implements it; tests may fake it). */
export interface MoodleCaller {
  call<T>(wsfunction: string, params: Record<string, unknown>): Promise<T>;
}

/* ---------- Courses, categories, enrolments, groups (see courses.ts, enrol.ts, groups.ts) ---------- */

/** A PARAM_BOOL value: encodeForm sends booleans as 1/0. */
export type MoodleBool = 0 | 1 | boolean;

/** One record of core_course_create_categories. Category names need not be unique; non-empty idnumbers must be. */
export interface CreateCategoryInput {
  name: string;
  /** Parent category id; 0 (the default) is the top level. */
  parent?: number;
  idnumber?: string;
  description?: string;
  descriptionformat?: number;
  theme?: string;
}

/** One record of core_course_update_categories: id plus any field to change. */
export type UpdateCategoryInput = { id: number } & Partial<CreateCategoryInput>;

/** Search keys of core_course_get_categories (idnumber, theme and visible need manager capabilities). */
export type CategoryCriteriaKey = 'id' | 'ids' | 'name' | 'parent' | 'idnumber' | 'visible' | 'theme';

/** A category as core_course_get_categories returns it; fields marked manager-only are omitted for others. */
export interface MoodleCategory {
  id: number;
  name: string;
  /** Manager-only. */
  idnumber?: string;
  description: string;
  descriptionformat: number;
  parent: number;
  sortorder: number;
  coursecount: number;
  /** Manager-only. */
  visible?: number;
  /** Manager-only. */
  visibleold?: number;
  /** Manager-only. */
  timemodified?: number;
  depth: number;
  /** Ids from the top, e.g. "/5/6". */
  path: string;
  /** Manager-only. */
  theme?: string;
  [k: string]: unknown;
}

/** One record of core_course_create_courses. Unset fields take the site's course defaults. */
export interface CreateCourseInput {
  fullname: string;
  shortname: string;
  categoryid: number;
  idnumber?: string;
  summary?: string;
  summaryformat?: number;
  format?: string;
  showgrades?: number;
  newsitems?: number;
  /** Unix seconds. */
  startdate?: number;
  /** Unix seconds. */
  enddate?: number;
  numsections?: number;
  maxbytes?: number;
  showreports?: number;
  visible?: number;
  hiddensections?: number;
  groupmode?: number;
  groupmodeforce?: number;
  defaultgroupingid?: number;
  enablecompletion?: number;
  completionnotify?: number;
  lang?: string;
  forcetheme?: string;
  courseformatoptions?: { name: string; value: string | number }[];
  customfields?: { shortname: string; value: string }[];
}

/** One record of core_course_update_courses: id plus any field to change. */
export type UpdateCourseInput = { id: number } & Partial<CreateCourseInput>;

/** `field` of core_course_get_courses_by_field: '' lists every course (the site course included), `ids` takes a comma list. */
export type CourseLookupField = '' | 'id' | 'ids' | 'shortname' | 'idnumber' | 'category' | 'sectionid';

/** A course as core_course_get_courses_by_field returns it (idnumber only for callers with moodle/course:update). */
export interface MoodleCourse {
  id: number;
  fullname: string;
  displayname?: string;
  shortname: string;
  categoryid: number;
  categoryname?: string;
  idnumber?: string;
  summary?: string;
  summaryformat?: number;
  format?: string;
  startdate?: number;
  enddate?: number;
  visible?: number;
  enrollmentmethods?: string[];
  [k: string]: unknown;
}

/** Option names of core_course_duplicate_course (values 0/1). */
export type DuplicateCourseOptionName =
  | 'activities'
  | 'blocks'
  | 'filters'
  | 'users'
  | 'enrolments'
  | 'role_assignments'
  | 'comments'
  | 'userscompletion'
  | 'logs'
  | 'grade_histories';

/** The parameters of core_course_duplicate_course (one course per call: a full backup and restore). */
export interface DuplicateCourseInput {
  courseid: number;
  fullname: string;
  shortname: string;
  categoryid: number;
  /** Default 1. */
  visible?: MoodleBool;
  options?: { name: DuplicateCourseOptionName; value: MoodleBool }[];
}

/** An enrolment instance as core_enrol_get_course_enrolment_methods lists it (only enabled self/guest/fee-like ones, never manual). */
export interface EnrolmentMethod {
  id: number;
  courseid: number;
  type: string;
  name: string;
  status: string | number | boolean;
  wsfunction?: string;
  [k: string]: unknown;
}

/** One record of enrol_manual_enrol_users. Omitted timestart/timeend reset to 0, and omitted suspend reactivates. */
export interface ManualEnrolmentInput {
  roleid: number;
  userid: number;
  courseid: number;
  /** Unix seconds. */
  timestart?: number;
  /** Unix seconds. */
  timeend?: number;
  suspend?: MoodleBool;
}

/** One record of enrol_manual_unenrol_users; roleid is only used for the permission check (the whole enrolment goes). */
export interface ManualUnenrolmentInput {
  userid: number;
  courseid: number;
  roleid?: number;
}

/** One `options[]` entry of core_enrol_get_enrolled_users. */
export type EnrolledUsersOption =
  | { name: 'withcapability'; value: string }
  | { name: 'groupid'; value: number }
  | { name: 'onlyactive'; value: MoodleBool }
  | { name: 'onlysuspended'; value: MoodleBool }
  /** Comma list, e.g. "id,username,idnumber,roles,groups". */
  | { name: 'userfields'; value: string }
  | { name: 'limitfrom'; value: number }
  | { name: 'limitnumber'; value: number }
  | { name: 'sortby'; value: 'id' | 'firstname' | 'lastname' | 'siteorder' }
  | { name: 'sortdirection'; value: 'ASC' | 'DESC' };

/** A user of core_enrol_get_enrolled_users (fields depend on the `userfields` option). */
export interface EnrolledUser {
  id: number;
  username?: string;
  fullname?: string;
  idnumber?: string;
  roles?: { roleid: number; name: string; shortname: string; sortorder: number }[];
  groups?: { id: number; name: string; description: string; descriptionformat: number }[];
  enrolledcourses?: { id: number; fullname: string; shortname: string }[];
  [k: string]: unknown;
}

/** A course of core_enrol_get_users_courses (active enrolments in courses the caller can see). */
export interface UserCourse {
  id: number;
  shortname: string;
  fullname: string;
  idnumber?: string;
  visible?: number;
  category?: number;
  startdate?: number;
  enddate?: number;
  enrolledusercount?: number;
  [k: string]: unknown;
}

/** One record of core_group_create_groups. `description` is required by Moodle: send '' for none. */
export interface CreateGroupInput {
  courseid: number;
  name: string;
  description: string;
  descriptionformat?: number;
  enrolmentkey?: string;
  idnumber?: string;
  /** 0 all, 1 members, 2 own membership, 3 none. */
  visibility?: 0 | 1 | 2 | 3;
  participation?: MoodleBool;
  customfields?: { shortname: string; value: string }[];
}

/** A group as core_group_create_groups / core_group_get_course_groups return it. */
export interface MoodleGroup {
  id: number;
  courseid: number;
  name: string;
  description: string;
  descriptionformat: number;
  /** '' from create, null from get_course_groups when unset. */
  enrolmentkey: string | null;
  idnumber: string;
  visibility?: number;
  participation?: boolean;
  [k: string]: unknown;
}

/**
 * One record of core_group_update_groups: the group by id; name is required (send the current one to keep it), the
 * rest is written only when given, except descriptionformat, which Moodle defaults to 1 (HTML) and always writes;
 * a visibility or participation change is refused for a group with members. The fields are create_groups' own.
 */
export type UpdateGroupInput = { id: number; description?: string } & Omit<CreateGroupInput, 'courseid' | 'description'>;

/** One record of core_group_add_group_members / core_group_delete_group_members. */
export interface GroupMemberInput {
  groupid: number;
  userid: number;
}
