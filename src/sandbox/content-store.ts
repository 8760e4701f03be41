/**
 * The sandbox's course content, in the same SQLite database as users and courses: Moodle's course_sections and
 * course_modules, plus one instance table for every module type (Moodle has mdl_page, mdl_assign, mdl_quiz …;
 * here one `module_instances` table keyed by (modname, id) holds their common fields). The web-service functions
 * that read content (core_course_get_contents, get_updates_since, check_updates), grades and completion all read
 * these tables; tests and the bench fill them through ContentStore.
 */
import type Database from 'better-sqlite3';

export interface SectionRow {
  id: number;
  course: number;
  /** The section number: 0 is "General". */
  section: number;
  name: string | null;
  summary: string;
  summaryformat: number;
  visible: number;
  /** Comma-separated course_modules ids in display order, as Moodle keeps them. */
  sequence: string;
  timemodified: number;
}

export interface ModuleRow {
  /** The course module id (cmid). */
  id: number;
  course: number;
  /** course_sections.id */
  section: number;
  /** The module type (Moodle's modules.name): page, assign, forum, quiz, resource … */
  modname: string;
  /** Id in the module type's own table (module_instances here). */
  instance: number;
  idnumber: string;
  visible: number;
  visibleoncoursepage: number;
  /** COMPLETION_TRACKING_NONE 0, _MANUAL 1, _AUTOMATIC 2. */
  completion: number;
  indent: number;
  groupmode: number;
  added: number;
  deletioninprogress: number;
}

export interface InstanceRow {
  modname: string;
  id: number;
  course: number;
  name: string;
  intro: string;
  /** Maximum grade (assign, quiz), 0 when the module is not graded. */
  grade: number;
  timemodified: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS course_sections (id INTEGER PRIMARY KEY, course INTEGER NOT NULL, section INTEGER NOT NULL,
  name TEXT, summary TEXT NOT NULL DEFAULT '', summaryformat INTEGER NOT NULL DEFAULT 1, visible INTEGER NOT NULL DEFAULT 1,
  sequence TEXT NOT NULL DEFAULT '', timemodified INTEGER NOT NULL DEFAULT 0, UNIQUE(course, section));
CREATE TABLE IF NOT EXISTS course_modules (id INTEGER PRIMARY KEY, course INTEGER NOT NULL, section INTEGER NOT NULL,
  modname TEXT NOT NULL, instance INTEGER NOT NULL, idnumber TEXT NOT NULL DEFAULT '', visible INTEGER NOT NULL DEFAULT 1,
  visibleoncoursepage INTEGER NOT NULL DEFAULT 1, completion INTEGER NOT NULL DEFAULT 0, indent INTEGER NOT NULL DEFAULT 0,
  groupmode INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0, deletioninprogress INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS course_modules_course ON course_modules(course);
CREATE TABLE IF NOT EXISTS module_instances (modname TEXT NOT NULL, id INTEGER NOT NULL, course INTEGER NOT NULL,
  name TEXT NOT NULL, intro TEXT NOT NULL DEFAULT '', grade REAL NOT NULL DEFAULT 0, timemodified INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (modname, id));
`;

const now = () => Math.floor(Date.now() / 1000);

export function createContentTables(db: Database.Database): void {
  db.exec(SCHEMA);
}

export interface NewModule {
  modname: string;
  name: string;
  /** Section number (created when missing); default 1. */
  section?: number;
  visible?: boolean;
  idnumber?: string;
  completion?: number;
  grade?: number;
  intro?: string;
  /** Default now. */
  timemodified?: number;
}

/** Reads and writes course content; writers keep course_sections.sequence in step as Moodle's course lib does. */
export class ContentStore {
  constructor(readonly db: Database.Database) {}

  sections(course: number): SectionRow[] {
    return this.db.prepare('SELECT * FROM course_sections WHERE course = ? ORDER BY section').all(course) as SectionRow[];
  }
  modules(course: number): ModuleRow[] {
    return this.db.prepare('SELECT * FROM course_modules WHERE course = ? ORDER BY id').all(course) as ModuleRow[];
  }
  module(cmid: number): ModuleRow | undefined {
    return this.db.prepare('SELECT * FROM course_modules WHERE id = ?').get(cmid) as ModuleRow | undefined;
  }
  instance(modname: string, id: number): InstanceRow | undefined {
    return this.db.prepare('SELECT * FROM module_instances WHERE modname = ? AND id = ?').get(modname, id) as
      | InstanceRow
      | undefined;
  }

  /** The section with this number, created (empty, visible) when missing, as course_create_sections_if_missing(). */
  ensureSection(course: number, section: number): SectionRow {
    const get = () =>
      this.db.prepare('SELECT * FROM course_sections WHERE course = ? AND section = ?').get(course, section) as
        | SectionRow
        | undefined;
    const found = get();
    if (found) return found;
    this.db.prepare('INSERT INTO course_sections (course, section, name, timemodified) VALUES (?, ?, NULL, ?)')
      .run(course, section, now());
    return get()!;
  }

  /** add_moduleinfo(): the instance, the course module, and its place at the end of its section. */
  addModule(course: number, m: NewModule): ModuleRow {
    const t = m.timemodified ?? now();
    const section = this.ensureSection(course, m.section ?? 1);
    const instance = ((this.db.prepare('SELECT MAX(id) AS m FROM module_instances WHERE modname = ?').get(m.modname) as
      { m: number | null }).m ?? 0) + 1;
    this.db.prepare(`INSERT INTO module_instances (modname, id, course, name, intro, grade, timemodified)
      VALUES (?, ?, ?, ?, ?, ?, ?)`).run(m.modname, instance, course, m.name, m.intro ?? '', m.grade ?? 0, t);
    const cmid = Number(this.db.prepare(`INSERT INTO course_modules (course, section, modname, instance, idnumber, visible,
      completion, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(course, section.id, m.modname, instance, m.idnumber ?? '',
      m.visible === false ? 0 : 1, m.completion ?? 0, t).lastInsertRowid);
    const sequence = section.sequence ? `${section.sequence},${cmid}` : String(cmid);
    this.db.prepare('UPDATE course_sections SET sequence = ?, timemodified = ? WHERE id = ?').run(sequence, t, section.id);
    return this.module(cmid)!;
  }

  /** update_moduleinfo() for the fields tests change: the instance's name or intro, the module's visibility. */
  updateModule(cmid: number, changes: { name?: string; intro?: string; visible?: boolean; timemodified?: number }): void {
    const cm = this.module(cmid);
    if (!cm) throw new Error(`no course module ${cmid}`);
    const t = changes.timemodified ?? now();
    if (changes.name !== undefined || changes.intro !== undefined) {
      const inst = this.instance(cm.modname, cm.instance)!;
      this.db.prepare('UPDATE module_instances SET name = ?, intro = ?, timemodified = ? WHERE modname = ? AND id = ?')
        .run(changes.name ?? inst.name, changes.intro ?? inst.intro, t, cm.modname, cm.instance);
    }
    if (changes.visible !== undefined) {
      this.db.prepare('UPDATE course_modules SET visible = ? WHERE id = ?').run(changes.visible ? 1 : 0, cmid);
    }
  }

  /** course_delete_module(): the module, its instance and its place in the section's sequence. */
  deleteModule(cmid: number): void {
    const cm = this.module(cmid);
    if (!cm) return;
    const section = this.db.prepare('SELECT * FROM course_sections WHERE id = ?').get(cm.section) as SectionRow;
    const sequence = section.sequence.split(',').filter((id) => id !== String(cmid)).join(',');
    this.db.prepare('UPDATE course_sections SET sequence = ?, timemodified = ? WHERE id = ?').run(sequence, now(), section.id);
    this.db.prepare('DELETE FROM module_instances WHERE modname = ? AND id = ?').run(cm.modname, cm.instance);
    this.db.prepare('DELETE FROM course_modules WHERE id = ?').run(cmid);
  }

  /** Everything of a deleted course (delete_course() removes its content). */
  deleteCourseContent(course: number): void {
    this.db.prepare('DELETE FROM module_instances WHERE course = ?').run(course);
    this.db.prepare('DELETE FROM course_modules WHERE course = ?').run(course);
    this.db.prepare('DELETE FROM course_sections WHERE course = ?').run(course);
  }
}
