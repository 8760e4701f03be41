/**
 * The sandbox's completion tables, in the site's database: Moodle's course_completion_criteria (activity completion,
 * type 4, and course grade, type 6), course_completion_aggr_methd (all or any), course_modules_completion and
 * course_completions. Modules are those of content-store.ts (a module's `completion` column is its tracking: 0 none,
 * 1 manual, 2 automatic); course grades come from grade-store.ts. Tests and the bench write through SiteView
 * (`sandbox.completion`).
 *
 * Course completion is reviewed whenever something it depends on changes (Moodle's completion cron and events do
 * it later; the sandbox at once): with every criterion met (aggregation all) or one (any), the course is complete
 * at the time the last (all) or first (any) criterion was met. As in Moodle, a completed course stays completed.
 */
import type Database from 'better-sqlite3';
import type { ContentStore } from './content-store.js';
import type { GradeStore } from './grade-store.js';

export const COMPLETION_CRITERIA_TYPE_ACTIVITY = 4;
export const COMPLETION_CRITERIA_TYPE_GRADE = 6;
export const COMPLETION_AGGREGATION_ALL = 1;
export const COMPLETION_AGGREGATION_ANY = 2;
export const COMPLETION_TRACKING_MANUAL = 1;
export const COMPLETION_TRACKING_AUTOMATIC = 2;
export const COMPLETION_INCOMPLETE = 0;
export const COMPLETION_COMPLETE = 1;
export const COMPLETION_COMPLETE_PASS = 2;

export interface CriterionRow {
  id: number;
  course: number;
  criteriatype: number;
  /** Activity criteria: the course module. */
  moduleinstance: number | null;
  module: string | null;
  /** Grade criteria: the course grade required. */
  gradepass: number | null;
}

export interface ModuleCompletionRow {
  coursemoduleid: number;
  userid: number;
  completionstate: number;
  timemodified: number;
}

/** One criterion for one user: met or not, and when. */
export interface CriterionState {
  criterion: CriterionRow;
  complete: boolean;
  timecompleted: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS course_completion_criteria (id INTEGER PRIMARY KEY, course INTEGER NOT NULL,
  criteriatype INTEGER NOT NULL, moduleinstance INTEGER, module TEXT, gradepass REAL);
CREATE INDEX IF NOT EXISTS course_completion_criteria_course ON course_completion_criteria(course);
CREATE TABLE IF NOT EXISTS course_completion_aggr_methd (course INTEGER PRIMARY KEY, method INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS course_modules_completion (coursemoduleid INTEGER NOT NULL, userid INTEGER NOT NULL,
  completionstate INTEGER NOT NULL, timemodified INTEGER NOT NULL, PRIMARY KEY (coursemoduleid, userid));
CREATE TABLE IF NOT EXISTS course_completions (userid INTEGER NOT NULL, course INTEGER NOT NULL, timecompleted INTEGER,
  PRIMARY KEY (userid, course));
`;

const now = () => Math.floor(Date.now() / 1000);

export function createCompletionTables(db: Database.Database): void {
  db.exec(SCHEMA);
}

export class CompletionStore {
  constructor(
    readonly db: Database.Database,
    private readonly content: ContentStore,
    private readonly grades: GradeStore,
  ) {}

  /** The course's criteria (course completion settings): activities (cmids) and/or a course grade, all or any. */
  setCriteria(course: number, c: { activities?: number[]; grade?: number; aggregation?: number }): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM course_completion_criteria WHERE course = ?').run(course);
      for (const cmid of c.activities ?? []) {
        const cm = this.content.module(cmid);
        if (!cm || cm.course !== course) throw new Error(`no course module ${cmid} in course ${course}`);
        this.db.prepare(`INSERT INTO course_completion_criteria (course, criteriatype, moduleinstance, module)
          VALUES (?, ${COMPLETION_CRITERIA_TYPE_ACTIVITY}, ?, ?)`).run(course, cmid, cm.modname);
      }
      if (c.grade !== undefined) {
        this.db.prepare(`INSERT INTO course_completion_criteria (course, criteriatype, gradepass)
          VALUES (?, ${COMPLETION_CRITERIA_TYPE_GRADE}, ?)`).run(course, c.grade);
      }
      this.db.prepare(`INSERT INTO course_completion_aggr_methd (course, method) VALUES (?, ?)
        ON CONFLICT(course) DO UPDATE SET method = excluded.method`).run(course, c.aggregation ?? COMPLETION_AGGREGATION_ALL);
    })();
  }

  criteria(course: number): CriterionRow[] {
    return this.db.prepare('SELECT * FROM course_completion_criteria WHERE course = ? ORDER BY criteriatype, id')
      .all(course) as CriterionRow[];
  }
  aggregation(course: number): number {
    return (this.db.prepare('SELECT method FROM course_completion_aggr_methd WHERE course = ?').get(course) as
      { method: number } | undefined)?.method ?? COMPLETION_AGGREGATION_ALL;
  }

  moduleState(cmid: number, userid: number): ModuleCompletionRow | undefined {
    return this.db.prepare('SELECT * FROM course_modules_completion WHERE coursemoduleid = ? AND userid = ?')
      .get(cmid, userid) as ModuleCompletionRow | undefined;
  }

  /** A user completing (or un-completing: state 0) an activity, then the course reviewed. */
  setActivity(cmid: number, userid: number, state: number = COMPLETION_COMPLETE, time?: number): void {
    const cm = this.content.module(cmid);
    if (!cm) throw new Error(`no course module ${cmid}`);
    this.db.prepare(`INSERT INTO course_modules_completion (coursemoduleid, userid, completionstate, timemodified)
      VALUES (?, ?, ?, ?) ON CONFLICT(coursemoduleid, userid) DO UPDATE SET completionstate = excluded.completionstate,
      timemodified = excluded.timemodified`).run(cmid, userid, state, time ?? now());
    this.review(cm.course, userid, time);
  }

  /**
   * A grade was given or cleared: an automatic module graded counts as complete (completionusegrade), as the grade
   * event does on the recorded site (case 193); then the course is reviewed (a course-grade criterion).
   */
  gradeChanged(cmid: number, userid: number, graded: boolean, time?: number): void {
    const cm = this.content.module(cmid);
    if (!cm) return;
    if (cm.completion === COMPLETION_TRACKING_AUTOMATIC) {
      this.setActivity(cmid, userid, graded ? COMPLETION_COMPLETE : COMPLETION_INCOMPLETE, time);
    } else {
      this.review(cm.course, userid, time);
    }
  }

  /** Each criterion of the course for this user. */
  states(course: number, userid: number): CriterionState[] {
    return this.criteria(course).map((criterion) => {
      if (criterion.criteriatype === COMPLETION_CRITERIA_TYPE_ACTIVITY) {
        const m = this.moduleState(criterion.moduleinstance as number, userid);
        const complete = m !== undefined && (m.completionstate === COMPLETION_COMPLETE || m.completionstate === COMPLETION_COMPLETE_PASS);
        return { criterion, complete, timecompleted: complete ? m.timemodified : null };
      }
      const total = this.grades.courseTotal(course, userid);
      const complete = !!criterion.gradepass && total.value !== null && criterion.gradepass <= total.value;
      return { criterion, complete, timecompleted: complete ? total.dategraded : null };
    });
  }

  /** When the user completed the course; null when not (yet). */
  timecompleted(course: number, userid: number): number | null {
    return (this.db.prepare('SELECT timecompleted FROM course_completions WHERE course = ? AND userid = ?').get(course, userid) as
      { timecompleted: number | null } | undefined)?.timecompleted ?? null;
  }

  /** Marks the course complete for the user at this time (what the completion cron writes). */
  complete(course: number, userid: number, time?: number): void {
    this.db.prepare(`INSERT INTO course_completions (userid, course, timecompleted) VALUES (?, ?, ?)
      ON CONFLICT(userid, course) DO UPDATE SET timecompleted = excluded.timecompleted`).run(userid, course, time ?? now());
  }

  /** completion_completion review: marks the course complete once its criteria are met; never un-completes it. */
  review(course: number, userid: number, time?: number): void {
    if (this.timecompleted(course, userid) !== null) return;
    const states = this.states(course, userid);
    if (states.length === 0) return;
    const met = states.filter((s) => s.complete);
    const all = this.aggregation(course) === COMPLETION_AGGREGATION_ALL;
    if (all ? met.length < states.length : met.length === 0) return;
    const times = met.map((s) => s.timecompleted ?? time ?? now());
    this.complete(course, userid, all ? Math.max(...times) : Math.min(...times));
  }
}
