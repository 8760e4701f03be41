/**
 * The sandbox's course side, in the same SQLite database as the users: Moodle's course_categories, course, enrol,
 * user_enrolments, role_assignments (any context, addressed by level + instance id), groups and groups_members,
 * cohort and cohort_members. One store for all of them: deleting a course, unenrolling and deleting a user cascade
 * across the components' tables, as Moodle's library functions do.
 */
import type Database from 'better-sqlite3';
import { CONTEXT_COURSE, CONTEXT_USER } from './accesslib.js';
import { ContentStore } from './content-store.js';

export const SITEID = 1;
/** ENROL_USER_ACTIVE / ENROL_USER_SUSPENDED and ENROL_INSTANCE_ENABLED / _DISABLED. */
export const ENROL_USER_ACTIVE = 0;
export const ENROL_USER_SUSPENDED = 1;
export const ENROL_INSTANCE_ENABLED = 0;
/** MAX_COURSES_IN_CATEGORY: category sortorders are multiples of it, courses sort inside their category's range. */
export const MAX_COURSES_IN_CATEGORY = 10000;

export interface CategoryRow {
  id: number;
  name: string;
  idnumber: string;
  description: string;
  descriptionformat: number;
  parent: number;
  sortorder: number;
  coursecount: number;
  visible: number;
  visibleold: number;
  timemodified: number;
  depth: number;
  path: string;
  theme: string;
}

export interface CourseRow {
  id: number;
  category: number;
  sortorder: number;
  fullname: string;
  shortname: string;
  idnumber: string;
  summary: string;
  summaryformat: number;
  format: string;
  showgrades: number;
  newsitems: number;
  startdate: number;
  enddate: number;
  numsections: number;
  hiddensections: number;
  maxbytes: number;
  showreports: number;
  visible: number;
  groupmode: number;
  groupmodeforce: number;
  defaultgroupingid: number;
  lang: string;
  theme: string;
  calendartype: string;
  enablecompletion: number;
  completionnotify: number;
  timecreated: number;
  timemodified: number;
  cacherev: number;
}

export interface EnrolRow {
  id: number;
  enrol: string;
  courseid: number;
  status: number;
  roleid: number;
  sortorder: number;
}

export interface UserEnrolmentRow {
  id: number;
  enrolid: number;
  userid: number;
  status: number;
  timestart: number;
  timeend: number;
  timecreated: number;
  timemodified: number;
}

export interface GroupRow {
  id: number;
  courseid: number;
  idnumber: string;
  name: string;
  description: string;
  descriptionformat: number;
  enrolmentkey: string | null;
  visibility: number;
  participation: number;
  timecreated: number;
  timemodified: number;
}

export interface RoleAssignmentRow {
  id: number;
  roleid: number;
  /** CONTEXT_SYSTEM (instance 0), CONTEXT_USER (user id), CONTEXT_COURSECAT (category id), CONTEXT_COURSE (course id). */
  contextlevel: number;
  instanceid: number;
  userid: number;
  /** '' for manual assignments and enrol_manual's; a plugin name for plugin-owned ones. */
  component: string;
  itemid: number;
  timemodified: number;
}

export interface CohortRow {
  id: number;
  /** 0: system context; else the course category whose context holds the cohort. */
  categoryid: number;
  name: string;
  idnumber: string;
  description: string;
  descriptionformat: number;
  visible: number;
  component: string;
  timecreated: number;
  timemodified: number;
  theme: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS course_categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL, idnumber TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '', descriptionformat INTEGER NOT NULL DEFAULT 1, parent INTEGER NOT NULL DEFAULT 0,
  sortorder INTEGER NOT NULL DEFAULT 0, coursecount INTEGER NOT NULL DEFAULT 0, visible INTEGER NOT NULL DEFAULT 1,
  visibleold INTEGER NOT NULL DEFAULT 1, timemodified INTEGER NOT NULL DEFAULT 0, depth INTEGER NOT NULL DEFAULT 0,
  path TEXT NOT NULL DEFAULT '', theme TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS course (id INTEGER PRIMARY KEY, category INTEGER NOT NULL, sortorder INTEGER NOT NULL DEFAULT 0,
  fullname TEXT NOT NULL, shortname TEXT NOT NULL, idnumber TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT '',
  summaryformat INTEGER NOT NULL DEFAULT 1, format TEXT NOT NULL DEFAULT 'topics', showgrades INTEGER NOT NULL DEFAULT 1,
  newsitems INTEGER NOT NULL DEFAULT 5, startdate INTEGER NOT NULL DEFAULT 0, enddate INTEGER NOT NULL DEFAULT 0,
  numsections INTEGER NOT NULL DEFAULT 4, hiddensections INTEGER NOT NULL DEFAULT 1, maxbytes INTEGER NOT NULL DEFAULT 0,
  showreports INTEGER NOT NULL DEFAULT 0, visible INTEGER NOT NULL DEFAULT 1, groupmode INTEGER NOT NULL DEFAULT 0,
  groupmodeforce INTEGER NOT NULL DEFAULT 0, defaultgroupingid INTEGER NOT NULL DEFAULT 0, lang TEXT NOT NULL DEFAULT '',
  theme TEXT NOT NULL DEFAULT '', calendartype TEXT NOT NULL DEFAULT '', enablecompletion INTEGER NOT NULL DEFAULT 1,
  completionnotify INTEGER NOT NULL DEFAULT 0, timecreated INTEGER NOT NULL DEFAULT 0,
  timemodified INTEGER NOT NULL DEFAULT 0, cacherev INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS course_shortname ON course(shortname);
CREATE INDEX IF NOT EXISTS course_idnumber ON course(idnumber);
CREATE INDEX IF NOT EXISTS course_category ON course(category, sortorder);
CREATE TABLE IF NOT EXISTS enrol (id INTEGER PRIMARY KEY, enrol TEXT NOT NULL, courseid INTEGER NOT NULL,
  status INTEGER NOT NULL DEFAULT 0, roleid INTEGER NOT NULL DEFAULT 0, sortorder INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS user_enrolments (id INTEGER PRIMARY KEY, enrolid INTEGER NOT NULL, userid INTEGER NOT NULL,
  status INTEGER NOT NULL DEFAULT 0, timestart INTEGER NOT NULL DEFAULT 0, timeend INTEGER NOT NULL DEFAULT 0,
  timecreated INTEGER NOT NULL DEFAULT 0, timemodified INTEGER NOT NULL DEFAULT 0, UNIQUE(enrolid, userid));
CREATE INDEX IF NOT EXISTS enrol_courseid ON enrol(courseid);
CREATE INDEX IF NOT EXISTS user_enrolments_userid ON user_enrolments(userid);
CREATE TABLE IF NOT EXISTS role_assignments (id INTEGER PRIMARY KEY, roleid INTEGER NOT NULL,
  contextlevel INTEGER NOT NULL DEFAULT 50, instanceid INTEGER NOT NULL,
  userid INTEGER NOT NULL, component TEXT NOT NULL DEFAULT '', itemid INTEGER NOT NULL DEFAULT 0,
  timemodified INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS role_assignments_context ON role_assignments(contextlevel, instanceid, userid);
CREATE INDEX IF NOT EXISTS role_assignments_userid ON role_assignments(userid);
CREATE TABLE IF NOT EXISTS course_groups (id INTEGER PRIMARY KEY, courseid INTEGER NOT NULL, idnumber TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL, description TEXT, descriptionformat INTEGER NOT NULL DEFAULT 1, enrolmentkey TEXT,
  visibility INTEGER NOT NULL DEFAULT 0, participation INTEGER NOT NULL DEFAULT 1, timecreated INTEGER NOT NULL DEFAULT 0,
  timemodified INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS groups_members (id INTEGER PRIMARY KEY, groupid INTEGER NOT NULL, userid INTEGER NOT NULL,
  timeadded INTEGER NOT NULL DEFAULT 0, component TEXT NOT NULL DEFAULT '', itemid INTEGER NOT NULL DEFAULT 0,
  UNIQUE(groupid, userid));
CREATE TABLE IF NOT EXISTS cohort (id INTEGER PRIMARY KEY, categoryid INTEGER NOT NULL DEFAULT 0, name TEXT NOT NULL,
  idnumber TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', descriptionformat INTEGER NOT NULL DEFAULT 1,
  visible INTEGER NOT NULL DEFAULT 1, component TEXT NOT NULL DEFAULT '', timecreated INTEGER NOT NULL DEFAULT 0,
  timemodified INTEGER NOT NULL DEFAULT 0, theme TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS cohort_members (id INTEGER PRIMARY KEY, cohortid INTEGER NOT NULL, userid INTEGER NOT NULL,
  timeadded INTEGER NOT NULL DEFAULT 0, UNIQUE(cohortid, userid));
`;

const now = () => Math.floor(Date.now() / 1000);
/** Tables whose ids behave like Moodle's PostgreSQL sequences. */
const SEQUENCED = ['course_categories', 'course', 'enrol', 'user_enrolments', 'role_assignments', 'course_groups',
  'groups_members', 'cohort', 'cohort_members'];

/** Creates the tables; a fresh site gets the default category (id 1) and the site course (id 1). */
export function createCourseTables(db: Database.Database): void {
  // A state file from before role assignments left the course context: its courseid becomes the instance id.
  const raCols = db.prepare("SELECT name FROM pragma_table_info('role_assignments')").all() as { name: string }[];
  if (raCols.some((c) => c.name === 'courseid')) {
    db.exec(`ALTER TABLE role_assignments RENAME COLUMN courseid TO instanceid;
      ALTER TABLE role_assignments ADD COLUMN contextlevel INTEGER NOT NULL DEFAULT ${CONTEXT_COURSE}`);
  }
  db.exec(SCHEMA);
  if (!db.prepare('SELECT 1 FROM course_categories').get()) {
    const t = now();
    db.prepare(`INSERT INTO course_categories (id, name, parent, sortorder, depth, path, timemodified)
      VALUES (1, 'Category 1', 0, ?, 1, '/1', ?)`).run(MAX_COURSES_IN_CATEGORY, t);
    db.prepare(`INSERT INTO course (id, category, sortorder, fullname, shortname, summary, format, newsitems, numsections,
      enablecompletion, startdate, timecreated, timemodified, cacherev)
      VALUES (1, 0, 1, 'mdlsync sandbox', 'sandbox', '', 'site', 3, 1, 0, 0, ?, ?, ?)`).run(t, t, t);
  }
}

/** Queries over the course tables (all callers run inside the user store's transactions where they write). */
export class CourseStore {
  /** Next id per table, kept outside transactions like PostgreSQL sequences (a rolled-back insert uses its id up). */
  private readonly next = new Map<string, number>();

  constructor(readonly db: Database.Database) {
    for (const table of SEQUENCED) {
      const saved = db.prepare('SELECT v FROM meta WHERE k = ?').get(`nextid:${table}`) as { v: string } | undefined;
      const max = (db.prepare(`SELECT MAX(id) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0;
      this.next.set(table, Math.max(saved ? Number(saved.v) : 0, max + 1));
    }
  }

  /** Persist the sequences (after each transaction, whatever its fate, and on close). */
  flushSequences(): void {
    const set = this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v');
    for (const [table, n] of this.next) set.run(`nextid:${table}`, String(n));
  }

  category(id: number): CategoryRow | undefined {
    return this.db.prepare('SELECT * FROM course_categories WHERE id = ?').get(id) as CategoryRow | undefined;
  }
  categories(): CategoryRow[] {
    return this.db.prepare('SELECT * FROM course_categories ORDER BY sortorder, id').all() as CategoryRow[];
  }
  course(id: number): CourseRow | undefined {
    return this.db.prepare('SELECT * FROM course WHERE id = ?').get(id) as CourseRow | undefined;
  }
  courses(): CourseRow[] {
    return this.db.prepare('SELECT * FROM course ORDER BY id').all() as CourseRow[];
  }
  coursesWhere(col: 'id' | 'shortname' | 'idnumber' | 'category', v: string | number): CourseRow[] {
    return this.db.prepare(`SELECT * FROM course WHERE ${col} = ? ORDER BY id`).all(v) as CourseRow[];
  }

  insert(table: string, fields: Record<string, unknown>): number {
    const seq = this.next.get(table);
    const row = seq === undefined ? fields : { id: seq, ...fields };
    if (seq !== undefined) this.next.set(table, seq + 1);
    const cols = Object.keys(row);
    const r = this.db
      .prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
      .run(...cols.map((c) => row[c]));
    return Number(r.lastInsertRowid);
  }
  update(table: string, id: number, changes: Record<string, unknown>): void {
    const cols = Object.keys(changes).filter((c) => c !== 'id');
    if (cols.length === 0) return;
    this.db
      .prepare(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`)
      .run(...cols.map((c) => changes[c]), id);
  }

  /**
   * fix_course_sortorder(): categories get MAX_COURSES_IN_CATEGORY × their depth-first position, courses
   * category.sortorder + 1, + 2, … in their current order (a new course has sortorder 0, so it comes first),
   * and coursecount is recomputed.
   */
  fixSortorder(): void {
    type Cat = { id: number; parent: number; sortorder: number; coursecount: number };
    const cats = this.db.prepare('SELECT id, parent, sortorder, coursecount FROM course_categories ORDER BY sortorder, id')
      .all() as Cat[];
    const children = new Map<number, Cat[]>();
    for (const c of cats) {
      const list = children.get(c.parent);
      if (list) list.push(c);
      else children.set(c.parent, [c]);
    }
    const ordered: Cat[] = [];
    const walk = (parent: number) => {
      for (const c of children.get(parent) ?? []) {
        ordered.push(c);
        walk(c.id);
      }
    };
    walk(0);
    // Only what renumbering would change is written (it runs on every course create: a full rewrite was O(courses)
    // updates each time). A category whose courses already hold sortorder + 1 … + count keeps them as they are.
    const stats = new Map((this.db.prepare(`SELECT category, COUNT(*) AS n, COUNT(DISTINCT sortorder) AS d,
      MIN(sortorder) AS lo, MAX(sortorder) AS hi FROM course GROUP BY category`).all() as
      { category: number; n: number; d: number; lo: number; hi: number }[]).map((s) => [s.category, s]));
    const setCat = this.db.prepare('UPDATE course_categories SET sortorder = ?, coursecount = ? WHERE id = ?');
    const setCourse = this.db.prepare('UPDATE course SET sortorder = ? WHERE id = ?');
    const inCategory = this.db.prepare('SELECT id FROM course WHERE category = ? ORDER BY sortorder, id DESC');
    ordered.forEach((cat, i) => {
      const sortorder = MAX_COURSES_IN_CATEGORY * (i + 1);
      const s = stats.get(cat.id);
      const n = s?.n ?? 0;
      if (cat.sortorder !== sortorder || cat.coursecount !== n) setCat.run(sortorder, n, cat.id);
      if (!s || (s.d === n && s.lo === sortorder + 1 && s.hi === sortorder + n)) return;
      const courses = inCategory.all(cat.id) as { id: number }[];
      courses.forEach((c, j) => setCourse.run(sortorder + j + 1, c.id));
    });
  }

  /** The course's manual instance (any status). */
  manualInstance(courseid: number): EnrolRow | undefined {
    return this.db.prepare("SELECT * FROM enrol WHERE courseid = ? AND enrol = 'manual' ORDER BY id").get(courseid) as
      | EnrolRow
      | undefined;
  }
  instances(courseid: number): EnrolRow[] {
    return this.db.prepare('SELECT * FROM enrol WHERE courseid = ? ORDER BY sortorder, id').all(courseid) as EnrolRow[];
  }

  userEnrolments(courseid: number): (UserEnrolmentRow & { courseid: number })[] {
    return this.db
      .prepare(`SELECT ue.*, e.courseid FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
        WHERE e.courseid = ? ORDER BY ue.userid`)
      .all(courseid) as (UserEnrolmentRow & { courseid: number })[];
  }
  /** Courses where the user has an enrolment (optionally only active ones: status and instance enabled, in time). */
  coursesOfUser(userid: number, onlyActive: boolean): number[] {
    const t = now();
    const rows = this.db
      .prepare(`SELECT DISTINCT e.courseid FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE ue.userid = ?
        ${onlyActive ? 'AND ue.status = 0 AND e.status = 0 AND ue.timestart <= ? AND (ue.timeend = 0 OR ue.timeend > ?)' : ''}
        ORDER BY e.courseid`)
      .all(...(onlyActive ? [userid, t, t] : [userid])) as { courseid: number }[];
    return rows.map((r) => r.courseid);
  }
  isEnrolled(courseid: number, userid: number): boolean {
    return this.db
      .prepare('SELECT 1 FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.courseid = ? AND ue.userid = ?')
      .get(courseid, userid) !== undefined;
  }
  /** The user's roles in the course context. */
  roles(courseid: number, userid: number): number[] {
    return (this.db
      .prepare(`SELECT DISTINCT roleid FROM role_assignments WHERE contextlevel = ${CONTEXT_COURSE} AND instanceid = ?
        AND userid = ? ORDER BY roleid`)
      .all(courseid, userid) as { roleid: number }[]).map((r) => r.roleid);
  }

  /** Role assignments matching every given column, ordered by id. */
  roleAssignments(filter: Partial<Pick<RoleAssignmentRow, 'roleid' | 'userid' | 'contextlevel' | 'instanceid' | 'component'>> = {}):
    RoleAssignmentRow[] {
    const cols = Object.keys(filter).filter((k) => ['roleid', 'userid', 'contextlevel', 'instanceid', 'component'].includes(k));
    const where = cols.length ? `WHERE ${cols.map((c) => `${c} = ?`).join(' AND ')}` : '';
    return this.db.prepare(`SELECT * FROM role_assignments ${where} ORDER BY id`)
      .all(...cols.map((c) => (filter as Record<string, unknown>)[c])) as RoleAssignmentRow[];
  }

  cohort(id: number): CohortRow | undefined {
    return this.db.prepare('SELECT * FROM cohort WHERE id = ?').get(id) as CohortRow | undefined;
  }
  /** Every cohort, by id. */
  cohorts(): CohortRow[] {
    return this.db.prepare('SELECT * FROM cohort ORDER BY id').all() as CohortRow[];
  }
  cohortMembers(cohortid: number): number[] {
    return (this.db.prepare('SELECT userid FROM cohort_members WHERE cohortid = ? ORDER BY userid').all(cohortid) as
      { userid: number }[]).map((r) => r.userid);
  }

  /** cohort_delete_cohort(): the members go with the cohort. */
  deleteCohort(id: number): void {
    this.db.prepare('DELETE FROM cohort_members WHERE cohortid = ?').run(id);
    this.db.prepare('DELETE FROM cohort WHERE id = ?').run(id);
  }

  groups(courseid: number): GroupRow[] {
    return this.db.prepare('SELECT * FROM course_groups WHERE courseid = ? ORDER BY name, id').all(courseid) as GroupRow[];
  }
  group(id: number): GroupRow | undefined {
    return this.db.prepare('SELECT * FROM course_groups WHERE id = ?').get(id) as GroupRow | undefined;
  }
  members(groupid: number): number[] {
    return (this.db.prepare('SELECT userid FROM groups_members WHERE groupid = ? ORDER BY userid').all(groupid) as
      { userid: number }[]).map((r) => r.userid);
  }

  /**
   * enrol_plugin::unenrol_user() for the manual instance. The manual enrolment is the only one the sandbox
   * models, so it is always the user's last one in the course: every role and group membership there goes too.
   */
  unenrol(instance: EnrolRow, userid: number): void {
    const r = this.db.prepare('DELETE FROM user_enrolments WHERE enrolid = ? AND userid = ?').run(instance.id, userid);
    if (r.changes === 0) return;
    if (this.isEnrolled(instance.courseid, userid)) return;
    this.db.prepare(`DELETE FROM role_assignments WHERE contextlevel = ${CONTEXT_COURSE} AND instanceid = ? AND userid = ?`)
      .run(instance.courseid, userid);
    this.db
      .prepare('DELETE FROM groups_members WHERE userid = ? AND groupid IN (SELECT id FROM course_groups WHERE courseid = ?)')
      .run(userid, instance.courseid);
  }

  /**
   * What delete_user() does beyond the user record: every enrolment, role assignment (in any context), group and
   * cohort membership goes, and so does the user's own context with the roles others held in it (parent links).
   */
  purgeUser(userid: number): void {
    this.db.prepare('DELETE FROM user_enrolments WHERE userid = ?').run(userid);
    this.db.prepare('DELETE FROM role_assignments WHERE userid = ?').run(userid);
    this.db.prepare(`DELETE FROM role_assignments WHERE contextlevel = ${CONTEXT_USER} AND instanceid = ?`).run(userid);
    this.db.prepare('DELETE FROM groups_members WHERE userid = ?').run(userid);
    this.db.prepare('DELETE FROM cohort_members WHERE userid = ?').run(userid);
  }

  /** delete_course(): the course and everything in it. */
  deleteCourse(id: number): void {
    for (const e of this.instances(id)) this.db.prepare('DELETE FROM user_enrolments WHERE enrolid = ?').run(e.id);
    this.db.prepare('DELETE FROM enrol WHERE courseid = ?').run(id);
    this.db.prepare(`DELETE FROM role_assignments WHERE contextlevel = ${CONTEXT_COURSE} AND instanceid = ?`).run(id);
    this.db.prepare('DELETE FROM groups_members WHERE groupid IN (SELECT id FROM course_groups WHERE courseid = ?)').run(id);
    this.db.prepare('DELETE FROM course_groups WHERE courseid = ?').run(id);
    // Its content (content-store.ts's tables).
    new ContentStore(this.db).deleteCourseContent(id);
    this.db.prepare('DELETE FROM course WHERE id = ?').run(id);
  }
}
