/**
 * The sandbox's course content, in the same SQLite database as users and courses: Moodle's course_sections and
 * course_modules, plus one instance table for every module type (Moodle has mdl_page, mdl_assign, mdl_quiz …;
 * here one `module_instances` table keyed by (modname, id) holds their common fields and a JSON of the type's own
 * settings), an assignment's per-user rows (assign_submission, assign_grades) and a minimal question bank
 * (question_categories per context, questions one row per version, quiz_slots). The web-service functions that read
 * content (core_course_get_contents, get_updates_since, check_updates, mod_quiz_get_quizzes_by_courses, the question
 * summaries), grades and completion all read these tables; tests and the bench fill them through ContentStore
 * (seed.ts for a whole school).
 */
import type Database from 'better-sqlite3';
import { courseContextId } from './accesslib.js';

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
  timecreated: number;
  timemodified: number;
  /** JSON: the type's own settings (a quiz's sumgrades, timeopen …; a page's content), defaults elsewhere. */
  settings: string;
}

/** A question version (Moodle: question + question_versions + question_bank_entries, one row per version). */
export interface QuestionRow {
  id: number;
  /** question_bank_entries.questioncategoryid */
  category: number;
  /** question_bank_entries.id: the versions of one question share it. */
  entryid: number;
  version: number;
  /** 'ready', 'hidden' or 'draft' (question_versions.status). */
  status: string;
  parent: number;
  name: string;
  qtype: string;
  questiontext: string;
  defaultmark: number;
  timecreated: number;
  timemodified: number;
}

export interface QuestionCategoryRow {
  id: number;
  name: string;
  contextid: number;
  parent: number;
  sortorder: number;
}

/** An assignment's per-user rows (assign_submission, assign_grades): what get_updates_since reports for assign. */
export interface AssignUserRow {
  id: number;
  assignment: number;
  userid: number;
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
CREATE TABLE IF NOT EXISTS assign_submission (id INTEGER PRIMARY KEY, assignment INTEGER NOT NULL, userid INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'submitted', timemodified INTEGER NOT NULL DEFAULT 0, UNIQUE(assignment, userid));
CREATE TABLE IF NOT EXISTS assign_grades (id INTEGER PRIMARY KEY, assignment INTEGER NOT NULL, userid INTEGER NOT NULL,
  grade REAL NOT NULL DEFAULT -1, timemodified INTEGER NOT NULL DEFAULT 0, UNIQUE(assignment, userid));
CREATE TABLE IF NOT EXISTS question_categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL, contextid INTEGER NOT NULL,
  parent INTEGER NOT NULL DEFAULT 0, sortorder INTEGER NOT NULL DEFAULT 999);
CREATE TABLE IF NOT EXISTS question (id INTEGER PRIMARY KEY, category INTEGER NOT NULL, entryid INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, status TEXT NOT NULL DEFAULT 'ready', parent INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL, qtype TEXT NOT NULL, questiontext TEXT NOT NULL DEFAULT '', defaultmark REAL NOT NULL DEFAULT 1,
  timecreated INTEGER NOT NULL DEFAULT 0, timemodified INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS question_category ON question(category);
CREATE TABLE IF NOT EXISTS quiz_slots (id INTEGER PRIMARY KEY, quizid INTEGER NOT NULL, slot INTEGER NOT NULL,
  questionid INTEGER NOT NULL, maxmark REAL NOT NULL DEFAULT 1);
`;

/** Columns added after the first release of these tables (a state file from then gets them on open). */
const ADDED_COLUMNS: [string, string, string][] = [
  ['module_instances', 'timecreated', 'INTEGER NOT NULL DEFAULT 0'],
  ['module_instances', 'settings', "TEXT NOT NULL DEFAULT '{}'"],
];

const now = () => Math.floor(Date.now() / 1000);

export function createContentTables(db: Database.Database): void {
  db.exec(SCHEMA);
  for (const [table, col, type] of ADDED_COLUMNS) {
    const cols = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[];
    if (!cols.some((c) => c.name === col)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${col} ${type}`);
  }
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
  /** The type's own settings (e.g. a quiz's sumgrades, a page's content), stored as given. */
  settings?: Record<string, unknown>;
  /** Default now. */
  timemodified?: number;
}

export interface NewQuestion {
  name: string;
  qtype: string;
  questiontext?: string;
  status?: 'ready' | 'hidden' | 'draft';
  defaultmark?: number;
  /** Default now. */
  time?: number;
}

/** Reads and writes course content; writers keep course_sections.sequence in step as Moodle's course lib does. */
export class ContentStore {
  constructor(readonly db: Database.Database) {}

  /**
   * The next id of a table (or of one module type's instances), never one a deleted row had: Moodle's ids come from
   * sequences, so a mirror can take a cmid it has seen deleted to be gone for good. Kept in the site's meta table.
   */
  private nextId(table: string, key = table, where = ''): number {
    const k = `nextid:${key}`;
    const saved = this.db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined;
    const max = (this.db.prepare(`SELECT MAX(id) AS m FROM ${table} ${where}`).get() as { m: number | null }).m ?? 0;
    const id = Math.max(saved ? Number(saved.v) : 0, max + 1);
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v').run(k, String(id + 1));
    return id;
  }

  sections(course: number): SectionRow[] {
    return this.db.prepare('SELECT * FROM course_sections WHERE course = ? ORDER BY section').all(course) as SectionRow[];
  }
  modules(course: number): ModuleRow[] {
    return this.db.prepare('SELECT * FROM course_modules WHERE course = ? ORDER BY id').all(course) as ModuleRow[];
  }
  /**
   * The course's modules in display order (section by section, each in its sequence), as get_fast_modinfo() lists
   * them; a module missing from every sequence comes last.
   */
  modulesInOrder(course: number): ModuleRow[] {
    const byId = new Map(this.modules(course).map((m) => [m.id, m]));
    const out: ModuleRow[] = [];
    for (const s of this.sections(course)) {
      for (const id of s.sequence.split(',').filter(Boolean).map(Number)) {
        const m = byId.get(id);
        if (m) {
          out.push(m);
          byId.delete(id);
        }
      }
    }
    return [...out, ...byId.values()];
  }
  module(cmid: number): ModuleRow | undefined {
    return this.db.prepare('SELECT * FROM course_modules WHERE id = ?').get(cmid) as ModuleRow | undefined;
  }
  instance(modname: string, id: number): InstanceRow | undefined {
    return this.db.prepare('SELECT * FROM module_instances WHERE modname = ? AND id = ?').get(modname, id) as
      | InstanceRow
      | undefined;
  }
  /** Every instance of a module type in the course, by id. */
  instancesOf(course: number, modname: string): InstanceRow[] {
    return this.db.prepare('SELECT * FROM module_instances WHERE course = ? AND modname = ? ORDER BY id')
      .all(course, modname) as InstanceRow[];
  }
  /** The course module of an instance. */
  moduleOf(modname: string, instance: number): ModuleRow | undefined {
    return this.db.prepare('SELECT * FROM course_modules WHERE modname = ? AND instance = ?').get(modname, instance) as
      | ModuleRow
      | undefined;
  }
  /** The highest section number (format_base::get_last_section_number()), 0 for a course with none. */
  lastSectionNumber(course: number): number {
    return (this.db.prepare('SELECT MAX(section) AS m FROM course_sections WHERE course = ?').get(course) as
      { m: number | null }).m ?? 0;
  }

  /** The section with this number, created (empty, visible) when missing, as course_create_sections_if_missing(). */
  ensureSection(course: number, section: number, time = now()): SectionRow {
    const get = () =>
      this.db.prepare('SELECT * FROM course_sections WHERE course = ? AND section = ?').get(course, section) as
        | SectionRow
        | undefined;
    const found = get();
    if (found) return found;
    this.db.prepare('INSERT INTO course_sections (id, course, section, name, timemodified) VALUES (?, ?, ?, NULL, ?)')
      .run(this.nextId('course_sections'), course, section, time);
    return get()!;
  }

  /** create_course(): section 0 and sections 1 … numsections (numsections 0 when the call gave none). */
  createSections(course: number, numsections: number, time = now()): void {
    for (let n = 0; n <= numsections; n++) this.ensureSection(course, n, time);
  }

  /** add_moduleinfo(): the instance, the course module, and its place at the end of its section. */
  addModule(course: number, m: NewModule): ModuleRow {
    const t = m.timemodified ?? now();
    const section = this.ensureSection(course, m.section ?? 1, t);
    if (!/^[a-z][a-z0-9_]*$/.test(m.modname)) throw new Error(`not a module type: ${m.modname}`);
    const instance = this.nextId('module_instances', `mod_${m.modname}`, `WHERE modname = '${m.modname}'`);
    this.db.prepare(`INSERT INTO module_instances (modname, id, course, name, intro, grade, timecreated, timemodified,
      settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(m.modname, instance, course, m.name, m.intro ?? '', m.grade ?? 0,
      t, t, JSON.stringify(m.settings ?? {}));
    const cmid = this.nextId('course_modules');
    this.db.prepare(`INSERT INTO course_modules (id, course, section, modname, instance, idnumber, visible, completion, added)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(cmid, course, section.id, m.modname, instance, m.idnumber ?? '',
      m.visible === false ? 0 : 1, m.completion ?? 0, t);
    const sequence = section.sequence ? `${section.sequence},${cmid}` : String(cmid);
    this.db.prepare('UPDATE course_sections SET sequence = ?, timemodified = ? WHERE id = ?').run(sequence, t, section.id);
    this.courseChanged(course, t);
    return this.module(cmid)!;
  }

  /**
   * rebuild_course_cache(): every change to a course's sections or modules bumps course.cacherev the way
   * increment_revision_number() does (to the time of the change, or one more when it already is at or just past it),
   * so one course list read (core_course_get_courses_by_field gives cacherev) shows which courses changed.
   */
  private courseChanged(course: number, t: number): void {
    this.db.prepare(`UPDATE course SET cacherev = CASE WHEN cacherev < ? OR cacherev > ? + 3600 THEN ? ELSE cacherev + 1 END
      WHERE id = ?`).run(t, t, t, course);
  }

  /**
   * What a teacher's edit does. Through the settings form (update_moduleinfo()) the instance is saved, so its
   * timemodified moves: name, intro, settings. The eye icon (set_coursemodule_visible()) changes only the course
   * module: visible leaves timemodified alone, so get_updates_since does not report it, as on a real site.
   */
  updateModule(cmid: number, changes: { name?: string; intro?: string; visible?: boolean; settings?: Record<string, unknown>;
    timemodified?: number }): void {
    const cm = this.module(cmid);
    if (!cm) throw new Error(`no course module ${cmid}`);
    const t = changes.timemodified ?? now();
    if (changes.name !== undefined || changes.intro !== undefined || changes.settings !== undefined) {
      const inst = this.instance(cm.modname, cm.instance)!;
      const settings = { ...(JSON.parse(inst.settings) as Record<string, unknown>), ...changes.settings };
      this.db.prepare(`UPDATE module_instances SET name = ?, intro = ?, settings = ?, timemodified = ?
        WHERE modname = ? AND id = ?`).run(changes.name ?? inst.name, changes.intro ?? inst.intro, JSON.stringify(settings),
        t, cm.modname, cm.instance);
    }
    if (changes.visible !== undefined) {
      this.db.prepare('UPDATE course_modules SET visible = ? WHERE id = ?').run(changes.visible ? 1 : 0, cmid);
    }
    this.courseChanged(cm.course, t);
  }

  /** A section renamed, described, shown or hidden (course_update_section()): the section's timemodified moves. */
  updateSection(course: number, section: number, changes: { name?: string | null; summary?: string; visible?: boolean;
    timemodified?: number }): void {
    const s = this.ensureSection(course, section);
    const t = changes.timemodified ?? now();
    this.db.prepare('UPDATE course_sections SET name = ?, summary = ?, visible = ?, timemodified = ? WHERE id = ?').run(
      changes.name === undefined ? s.name : changes.name, changes.summary ?? s.summary,
      changes.visible === undefined ? s.visible : changes.visible ? 1 : 0, t, s.id);
    this.courseChanged(course, t);
  }

  /** moveto_module(): the module leaves its section's sequence for the end of another's; its instance is untouched. */
  moveModule(cmid: number, section: number, t = now()): void {
    const cm = this.module(cmid);
    if (!cm) throw new Error(`no course module ${cmid}`);
    const from = this.db.prepare('SELECT * FROM course_sections WHERE id = ?').get(cm.section) as SectionRow;
    this.db.prepare('UPDATE course_sections SET sequence = ? WHERE id = ?')
      .run(from.sequence.split(',').filter((id) => id !== String(cmid)).join(','), from.id);
    const to = this.ensureSection(cm.course, section, t);
    this.db.prepare('UPDATE course_sections SET sequence = ? WHERE id = ?')
      .run(to.sequence ? `${to.sequence},${cmid}` : String(cmid), to.id);
    this.db.prepare('UPDATE course_modules SET section = ? WHERE id = ?').run(to.id, cmid);
    this.courseChanged(cm.course, t);
  }

  /** course_delete_module(): the module, its instance, its users' rows and its place in the section's sequence. */
  deleteModule(cmid: number): void {
    const cm = this.module(cmid);
    if (!cm) return;
    const section = this.db.prepare('SELECT * FROM course_sections WHERE id = ?').get(cm.section) as SectionRow;
    const sequence = section.sequence.split(',').filter((id) => id !== String(cmid)).join(',');
    this.db.prepare('UPDATE course_sections SET sequence = ?, timemodified = ? WHERE id = ?').run(sequence, now(), section.id);
    if (cm.modname === 'assign') {
      this.db.prepare('DELETE FROM assign_submission WHERE assignment = ?').run(cm.instance);
      this.db.prepare('DELETE FROM assign_grades WHERE assignment = ?').run(cm.instance);
    }
    if (cm.modname === 'quiz') this.db.prepare('DELETE FROM quiz_slots WHERE quizid = ?').run(cm.instance);
    this.db.prepare('DELETE FROM module_instances WHERE modname = ? AND id = ?').run(cm.modname, cm.instance);
    this.db.prepare('DELETE FROM course_modules WHERE id = ?').run(cmid);
    this.courseChanged(cm.course, now());
  }

  /** Everything of a deleted course (delete_course() removes its content and its context's question bank). */
  deleteCourseContent(course: number): void {
    for (const cm of this.modules(course)) this.deleteModule(cm.id);
    this.db.prepare('DELETE FROM course_sections WHERE course = ?').run(course);
    const bank = 'SELECT id FROM question_categories WHERE contextid = ?';
    this.db.prepare(`DELETE FROM question WHERE category IN (${bank})`).run(courseContextId(course));
    this.db.prepare('DELETE FROM question_categories WHERE contextid = ?').run(courseContextId(course));
  }

  // mod_assign's per-user rows.

  /** A student's submission saved (created or changed) at time t. */
  submit(cmid: number, userid: number, t = now()): void {
    this.assignRow('assign_submission', cmid, userid, t);
  }
  /** A teacher's grade for a student saved at time t. */
  gradeSubmission(cmid: number, userid: number, grade: number, t = now()): void {
    this.assignRow('assign_grades', cmid, userid, t);
    this.db.prepare('UPDATE assign_grades SET grade = ? WHERE assignment = ? AND userid = ?')
      .run(grade, this.module(cmid)!.instance, userid);
  }
  private assignRow(table: 'assign_submission' | 'assign_grades', cmid: number, userid: number, t: number): void {
    const cm = this.module(cmid);
    if (cm?.modname !== 'assign') throw new Error(`course module ${cmid} is not an assignment`);
    this.db.prepare(`INSERT INTO ${table} (assignment, userid, timemodified) VALUES (?, ?, ?)
      ON CONFLICT(assignment, userid) DO UPDATE SET timemodified = excluded.timemodified`).run(cm.instance, userid, t);
  }
  /** Ids of an assignment's submission or grade rows changed after since, ascending. */
  assignRowsSince(table: 'assign_submission' | 'assign_grades', assignment: number, since: number): number[] {
    return (this.db.prepare(`SELECT id FROM ${table} WHERE assignment = ? AND timemodified > ? ORDER BY id`)
      .all(assignment, since) as { id: number }[]).map((r) => r.id);
  }

  // The question bank: categories in a context, questions (one row per version), a quiz's slots.

  addQuestionCategory(contextid: number, name: string, parent = 0): QuestionCategoryRow {
    const id = this.nextId('question_categories');
    this.db.prepare('INSERT INTO question_categories (id, name, contextid, parent) VALUES (?, ?, ?, ?)')
      .run(id, name, contextid, parent);
    return this.questionCategory(id)!;
  }
  questionCategory(id: number): QuestionCategoryRow | undefined {
    return this.db.prepare('SELECT * FROM question_categories WHERE id = ?').get(id) as QuestionCategoryRow | undefined;
  }
  questionCategories(contextid: number): QuestionCategoryRow[] {
    return this.db.prepare('SELECT * FROM question_categories WHERE contextid = ? ORDER BY id').all(contextid) as
      QuestionCategoryRow[];
  }
  /** A new question (version 1 of a new bank entry). */
  addQuestion(category: number, q: NewQuestion): QuestionRow {
    const t = q.time ?? now();
    const id = this.nextId('question');
    this.db.prepare(`INSERT INTO question (id, category, entryid, status, name, qtype, questiontext, defaultmark,
      timecreated, timemodified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, category, id, q.status ?? 'ready', q.name,
      q.qtype, q.questiontext ?? '', q.defaultmark ?? 1, t, t);
    return this.question(id)!;
  }
  question(id: number): QuestionRow | undefined {
    return this.db.prepare('SELECT * FROM question WHERE id = ?').get(id) as QuestionRow | undefined;
  }
  /** The latest version of each question in the categories, whatever its status, by id. */
  latestQuestions(categories: number[]): QuestionRow[] {
    if (categories.length === 0) return [];
    return this.db.prepare(`SELECT q.* FROM question q WHERE q.category IN (${categories.map(() => '?').join(',')})
      AND q.version = (SELECT MAX(v.version) FROM question v WHERE v.entryid = q.entryid) ORDER BY q.id`)
      .all(...categories) as QuestionRow[];
  }
  /** Puts a question in the quiz's next slot (quiz_add_quiz_question()). */
  addQuizSlot(cmid: number, questionid: number, maxmark = 1): void {
    const cm = this.module(cmid);
    if (cm?.modname !== 'quiz') throw new Error(`course module ${cmid} is not a quiz`);
    const next = ((this.db.prepare('SELECT MAX(slot) AS m FROM quiz_slots WHERE quizid = ?').get(cm.instance) as
      { m: number | null }).m ?? 0) + 1;
    this.db.prepare('INSERT INTO quiz_slots (quizid, slot, questionid, maxmark) VALUES (?, ?, ?, ?)')
      .run(cm.instance, next, questionid, maxmark);
  }
  /** The questions in a quiz's slots, by slot. */
  quizQuestions(quizid: number): QuestionRow[] {
    return this.db.prepare(`SELECT q.* FROM quiz_slots s JOIN question q ON q.id = s.questionid WHERE s.quizid = ?
      ORDER BY s.slot`).all(quizid) as QuestionRow[];
  }
  /** The sum of a quiz's slot marks (quiz.sumgrades). */
  quizSumGrades(quizid: number): number {
    return (this.db.prepare('SELECT SUM(maxmark) AS s FROM quiz_slots WHERE quizid = ?').get(quizid) as
      { s: number | null }).s ?? 0;
  }
}
