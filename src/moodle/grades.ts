/**
 * Typed wrappers of the grade report and completion reads (gradereport_user_get_grade_items,
 * core_completion_get_course_completion_status, core_completion_get_activities_completion_status), as the
 * recorded cases 110, 111 and 187–193 show them.
 */
import type { MoodleCaller, MoodleWarning } from './types.js';

export const GRADE_FUNCTIONS: string[] = [
  'gradereport_user_get_grade_items',
  'core_completion_get_course_completion_status',
  'core_completion_get_activities_completion_status',
];

/** One row of a user's grade report: a module's item, or the course total (itemtype course). */
export interface GradeItem {
  id: number;
  itemname: string | null;
  itemtype: string;
  itemmodule: string | null;
  iteminstance: number;
  idnumber: string | null;
  cmid?: number;
  /** Aggregation hint: 'novalue' (no grade), 'empty', 'dropped', 'extra'; absent when used. */
  status?: string;
  weightraw?: number;
  graderaw?: number | null;
  gradedategraded?: number | null;
  gradeformatted?: string;
  grademin?: number;
  grademax?: number;
  percentageformatted?: string;
  lettergradeformatted?: string;
  [k: string]: unknown;
}

export interface UserGrades {
  courseid: number;
  courseidnumber: string;
  userid: number;
  userfullname: string;
  useridnumber: string;
  gradeitems: GradeItem[];
}

/**
 * The user report's items of one user, or (userid 0) of every active student of the course: Moodle leaves
 * suspended students and other roles out (grade_report_showonlyactiveenrol), case 187.
 */
export async function getGradeItems(c: MoodleCaller, courseid: number, userid = 0): Promise<UserGrades[]> {
  const reply = await c.call<{ usergrades?: UserGrades[]; warnings?: MoodleWarning[] } | null>(
    'gradereport_user_get_grade_items', userid ? { courseid, userid } : { courseid });
  return reply?.usergrades ?? [];
}

export interface CourseCompletionStatus {
  completed: boolean;
  /** 1 all criteria, 2 any. */
  aggregation: number;
  completions: {
    type: number;
    title: string;
    status: string;
    complete: boolean;
    timecompleted: number | null;
    details: { type: string; criteria: string; requirement: string; status: string };
  }[];
}

/**
 * One user's completion of one course. A course without criteria is Moodle's error `nocriteriaset` (case 192), a
 * user who is not an active student `usernotenroled`: both thrown as MoodleError.
 */
export async function getCourseCompletionStatus(c: MoodleCaller, courseid: number, userid: number): Promise<CourseCompletionStatus> {
  const reply = await c.call<{ completionstatus: CourseCompletionStatus }>('core_completion_get_course_completion_status', { courseid, userid });
  return reply.completionstatus;
}

export interface ActivityCompletion {
  cmid: number;
  modname: string;
  instance: number;
  /** 0 incomplete, 1 complete, 2 complete pass, 3 complete fail. */
  state: number;
  /** 0 when not complete. */
  timecompleted: number;
  /** 0 none, 1 manual, 2 automatic. */
  tracking: number;
  [k: string]: unknown;
}

/** One user's completion of each activity of the course that tracks completion (case 193). */
export async function getActivitiesCompletionStatus(c: MoodleCaller, courseid: number, userid: number): Promise<ActivityCompletion[]> {
  const reply = await c.call<{ statuses?: ActivityCompletion[] } | null>('core_completion_get_activities_completion_status', { courseid, userid });
  return reply?.statuses ?? [];
}
