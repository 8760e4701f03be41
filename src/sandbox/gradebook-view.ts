/**
 * The gradebook and completion as tests and the bench change them by hand (a teacher grading, a student ticking an
 * activity off, an admin setting completion criteria), outside the web service: part of SiteView.
 */
import type { UserStore } from './user-store.js';
import { GRADE_AGGREGATE_MEAN, GRADE_AGGREGATE_SUM, GRADE_DISPLAY_TYPE_LETTER, GRADE_DISPLAY_TYPE_PERCENTAGE,
  GRADE_DISPLAY_TYPE_REAL } from './grade-store.js';
import { COMPLETION_AGGREGATION_ALL, COMPLETION_AGGREGATION_ANY, COMPLETION_COMPLETE } from './completion-store.js';

export type GradeDisplay = 'real' | 'percentage' | 'letter';

export interface SandboxGrades {
  /** A teacher grading a graded module (its instance has grade > 0) for a user; null clears it. Time: unix seconds. */
  set(cmid: number, userid: number, grade: number | null, opts?: { time?: number; feedback?: string }): void;
  /** Many grades in one transaction (bench seeding). */
  setMany(rows: readonly [cmid: number, userid: number, grade: number | null][], time?: number): void;
  /** The course total's aggregation: natural (sum, the default) or mean of grades. */
  aggregation(courseId: number, how: 'natural' | 'mean'): void;
  /** The course's grade display type, and whether the user report shows the letter column. */
  display(courseId: number, opts: { type?: GradeDisplay; letterColumn?: boolean }): void;
  /** The course total of a user: value and maximum (what the user report's last row shows). */
  courseTotal(courseId: number, userid: number): { value: number | null; max: number };
  /** A Prohibit override for the token user's role in the course (moodle/grade:viewall, report/progress:view …). */
  prohibit(courseId: number, capability: string): void;
}

export interface SandboxCompletion {
  /** Course completion criteria: activities (cmids) and/or a required course grade, all of them or any. */
  criteria(courseId: number, c: { activities?: number[]; grade?: number; aggregation?: 'all' | 'any' }): void;
  /** A user completing an activity (state 1 by default; 0 un-completes it); the course is reviewed. */
  activity(cmid: number, userid: number, opts?: { state?: number; time?: number }): void;
  /** Marks the course complete for the user (what the completion cron or a manager's override writes). */
  complete(courseId: number, userid: number, time?: number): void;
  /** When the user completed the course, null when not. */
  timecompleted(courseId: number, userid: number): number | null;
}

const DISPLAY: Record<GradeDisplay, number> = {
  real: GRADE_DISPLAY_TYPE_REAL, percentage: GRADE_DISPLAY_TYPE_PERCENTAGE, letter: GRADE_DISPLAY_TYPE_LETTER,
};

export function gradebookViews(store: UserStore): { grades: SandboxGrades; completion: SandboxCompletion } {
  const setGrade = (cmid: number, userid: number, grade: number | null, opts: { time?: number; feedback?: string } = {}) => {
    store.grades.setGrade(cmid, userid, grade, opts);
    store.completion.gradeChanged(cmid, userid, grade !== null, opts.time);
  };
  return {
    grades: {
      set: setGrade,
      setMany: (rows, time) => store.db.transaction(() => {
        for (const [cmid, userid, grade] of rows) setGrade(cmid, userid, grade, { time });
      })(),
      aggregation: (courseId, how) =>
        store.grades.setAggregation(courseId, how === 'mean' ? GRADE_AGGREGATE_MEAN : GRADE_AGGREGATE_SUM),
      display: (courseId, opts) => {
        if (opts.type) store.grades.setSetting(courseId, 'displaytype', String(DISPLAY[opts.type]));
        if (opts.letterColumn !== undefined) {
          store.grades.setSetting(courseId, 'report_user_showlettergrade', opts.letterColumn ? '1' : '0');
        }
      },
      courseTotal: (courseId, userid) => {
        const t = store.grades.courseTotal(courseId, userid);
        return { value: t.value, max: t.grademax };
      },
      prohibit: (courseId, capability) => store.grades.prohibit(courseId, capability),
    },
    completion: {
      criteria: (courseId, c) => store.completion.setCriteria(courseId, {
        activities: c.activities, grade: c.grade,
        aggregation: c.aggregation === 'any' ? COMPLETION_AGGREGATION_ANY : COMPLETION_AGGREGATION_ALL,
      }),
      activity: (cmid, userid, opts = {}) => store.completion.setActivity(cmid, userid, opts.state ?? COMPLETION_COMPLETE, opts.time),
      complete: (courseId, userid, time) => store.completion.complete(courseId, userid, time),
      timecompleted: (courseId, userid) => store.completion.timecompleted(courseId, userid),
    },
  };
}
