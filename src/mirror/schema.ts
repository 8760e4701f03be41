/**
 * The mirror's schema, the same on SQLite and PostgreSQL (README "A local copy of Moodle" documents it for the people
 * who query it). Migrations are appended, never edited once shipped. Ids are Moodle's; booleans are 0/1 integers.
 */
import type { SqlMigration } from '../db/index.js';

export const MIRROR_MIGRATIONS: readonly SqlMigration[] = [
  {
    version: 1,
    name: 'mirror tables',
    sql: `
      CREATE TABLE categories (id BIGINT PRIMARY KEY, name TEXT NOT NULL, idnumber TEXT, parent BIGINT NOT NULL,
        path TEXT NOT NULL, depth INTEGER NOT NULL, sortorder BIGINT, visible INTEGER, timemodified BIGINT);
      CREATE TABLE courses (id BIGINT PRIMARY KEY, category_id BIGINT NOT NULL, shortname TEXT NOT NULL, fullname TEXT NOT NULL,
        idnumber TEXT, format TEXT, visible INTEGER, startdate BIGINT, enddate BIGINT, timecreated BIGINT, timemodified BIGINT);
      CREATE INDEX courses_category ON courses (category_id);
      CREATE TABLE sections (id BIGINT PRIMARY KEY, course_id BIGINT NOT NULL, section INTEGER NOT NULL, name TEXT,
        visible INTEGER, summary TEXT);
      CREATE INDEX sections_course ON sections (course_id);
      CREATE TABLE modules (id BIGINT PRIMARY KEY, course_id BIGINT NOT NULL, section_id BIGINT NOT NULL, modname TEXT NOT NULL,
        instance BIGINT NOT NULL, name TEXT NOT NULL, visible INTEGER, visibleoncoursepage INTEGER, completion INTEGER,
        url TEXT, timemodified BIGINT);
      CREATE INDEX modules_course ON modules (course_id);
      CREATE TABLE users (id BIGINT PRIMARY KEY, username TEXT NOT NULL, idnumber TEXT, email TEXT, firstname TEXT,
        lastname TEXT, department TEXT, auth TEXT, suspended INTEGER, confirmed INTEGER, lang TEXT);
      CREATE INDEX users_username ON users (username);
      CREATE INDEX users_idnumber ON users (idnumber);
      CREATE TABLE enrolments (course_id BIGINT NOT NULL, user_id BIGINT NOT NULL, PRIMARY KEY (course_id, user_id));
      CREATE INDEX enrolments_user ON enrolments (user_id);
      CREATE TABLE course_roles (course_id BIGINT NOT NULL, user_id BIGINT NOT NULL, role_id BIGINT NOT NULL,
        role TEXT NOT NULL, PRIMARY KEY (course_id, user_id, role_id));
      CREATE INDEX course_roles_user ON course_roles (user_id);
      CREATE TABLE course_editors (course_id BIGINT NOT NULL, user_id BIGINT NOT NULL, roles TEXT NOT NULL,
        PRIMARY KEY (course_id, user_id));
      CREATE INDEX course_editors_user ON course_editors (user_id);
      CREATE TABLE course_groups (id BIGINT PRIMARY KEY, course_id BIGINT NOT NULL, name TEXT NOT NULL, idnumber TEXT,
        description TEXT);
      CREATE INDEX course_groups_course ON course_groups (course_id);
      CREATE TABLE group_members (group_id BIGINT NOT NULL, user_id BIGINT NOT NULL, course_id BIGINT NOT NULL,
        PRIMARY KEY (group_id, user_id));
      CREATE INDEX group_members_course ON group_members (course_id);
      CREATE INDEX group_members_user ON group_members (user_id);
      CREATE TABLE cohorts (id BIGINT PRIMARY KEY, name TEXT NOT NULL, idnumber TEXT, description TEXT, visible INTEGER);
      CREATE TABLE cohort_members (cohort_id BIGINT NOT NULL, user_id BIGINT NOT NULL, PRIMARY KEY (cohort_id, user_id));
      CREATE INDEX cohort_members_user ON cohort_members (user_id);
      CREATE TABLE quizzes (id BIGINT PRIMARY KEY, course_id BIGINT NOT NULL, module_id BIGINT NOT NULL, name TEXT NOT NULL,
        timeopen BIGINT, timeclose BIGINT, timelimit BIGINT, attempts INTEGER, grade DOUBLE PRECISION,
        sumgrades DOUBLE PRECISION, hasquestions INTEGER, timemodified BIGINT);
      CREATE INDEX quizzes_course ON quizzes (course_id);
      CREATE TABLE questions (id BIGINT PRIMARY KEY, category_id BIGINT NOT NULL, parent BIGINT, name TEXT NOT NULL,
        qtype TEXT NOT NULL);
      CREATE INDEX questions_category ON questions (category_id);
      CREATE TABLE mirror_passes (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
        full_pass INTEGER NOT NULL, calls INTEGER, changes TEXT);
      CREATE TABLE mirror_course_state (course_id BIGINT PRIMARY KEY, cacherev BIGINT, content_read_at BIGINT,
        members_read_at BIGINT);
      CREATE TABLE mirror_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE mirror_lock (name TEXT PRIMARY KEY, owner TEXT NOT NULL, heartbeat_at BIGINT NOT NULL)
    `,
  },
];

/** A mirrored table: its change-log object name, key columns and the columns compared to tell an update. */
export interface TableSpec {
  table: string;
  /** The object's name in the change log (singular). */
  object: string;
  key: readonly string[];
  columns: readonly string[];
}

const spec = (table: string, object: string, key: string[], columns: string[]): TableSpec => ({ table, object, key, columns });

export const TABLES = {
  categories: spec('categories', 'category', ['id'], ['name', 'idnumber', 'parent', 'path', 'depth', 'sortorder', 'visible', 'timemodified']),
  courses: spec('courses', 'course', ['id'], ['category_id', 'shortname', 'fullname', 'idnumber', 'format', 'visible', 'startdate', 'enddate', 'timecreated', 'timemodified']),
  sections: spec('sections', 'section', ['id'], ['course_id', 'section', 'name', 'visible', 'summary']),
  modules: spec('modules', 'module', ['id'], ['course_id', 'section_id', 'modname', 'instance', 'name', 'visible', 'visibleoncoursepage', 'completion', 'url', 'timemodified']),
  users: spec('users', 'user', ['id'], ['username', 'idnumber', 'email', 'firstname', 'lastname', 'department', 'auth', 'suspended', 'confirmed', 'lang']),
  enrolments: spec('enrolments', 'enrolment', ['course_id', 'user_id'], []),
  courseRoles: spec('course_roles', 'course_role', ['course_id', 'user_id', 'role_id'], ['role']),
  courseEditors: spec('course_editors', 'course_editor', ['course_id', 'user_id'], ['roles']),
  groups: spec('course_groups', 'group', ['id'], ['course_id', 'name', 'idnumber', 'description']),
  groupMembers: spec('group_members', 'group_member', ['group_id', 'user_id'], ['course_id']),
  cohorts: spec('cohorts', 'cohort', ['id'], ['name', 'idnumber', 'description', 'visible']),
  cohortMembers: spec('cohort_members', 'cohort_member', ['cohort_id', 'user_id'], []),
  quizzes: spec('quizzes', 'quiz', ['id'], ['course_id', 'module_id', 'name', 'timeopen', 'timeclose', 'timelimit', 'attempts', 'grade', 'sumgrades', 'hasquestions', 'timemodified']),
  questions: spec('questions', 'question', ['id'], ['category_id', 'parent', 'name', 'qtype']),
} as const satisfies Record<string, TableSpec>;

export type MirrorTable = keyof typeof TABLES;
