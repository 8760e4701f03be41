/**
 * Typed wrappers of what Moodle's web services give of quizzes and questions (recorded cases 194–196): quiz settings
 * per course, and the summaries of one question category's ready questions. No function lists question categories,
 * nor a quiz's questions, nor a question's text: see README "A local copy of Moodle".
 */
import type { MoodleCaller, MoodleWarning } from './types.js';

/** A quiz of mod_quiz_get_quizzes_by_courses (settings; no question list). */
export interface MoodleQuiz {
  id: number;
  /** The course module id. */
  coursemodule: number;
  course: number;
  name: string;
  section?: number;
  visible?: boolean;
  timeopen?: number;
  timeclose?: number;
  timelimit?: number;
  attempts?: number;
  grade?: number;
  sumgrades?: number;
  hasquestions?: number;
  timemodified?: number;
  [k: string]: unknown;
}

/** The quizzes of these courses the token user can see; an empty list makes no call. */
export async function getQuizzesByCourses(c: MoodleCaller, courseids: number[]): Promise<{ quizzes: MoodleQuiz[]; warnings: MoodleWarning[] }> {
  if (courseids.length === 0) return { quizzes: [], warnings: [] };
  const reply = await c.call<{ quizzes?: MoodleQuiz[]; warnings?: MoodleWarning[] } | null>('mod_quiz_get_quizzes_by_courses', { courseids });
  return { quizzes: reply?.quizzes ?? [], warnings: reply?.warnings ?? [] };
}

/** A question summary: what the function can give (no text, answers, idnumber, version; ready, latest versions only). */
export interface QuestionSummary {
  id: number;
  category: number;
  parent: number;
  name: string;
  qtype: string;
  icon?: { key: string; component: string; alttext: string };
}

export interface QuestionSummaryQuery {
  categoryid: number;
  /** A context the token user may see (the course's, for a course question bank). */
  contextid: number;
  includesubcategories?: boolean;
  /** Tag ids to filter on; none means no filter (sent as tagids[0]=0: an empty list cannot be written in a form body). */
  tagids?: number[];
  /** 0: all. */
  limit?: number;
  offset?: number;
}

/** One page of a question category's questions (`totalcount` counts them all). */
export async function getRandomQuestionSummaries(c: MoodleCaller, q: QuestionSummaryQuery): Promise<{ totalcount: number; questions: QuestionSummary[] }> {
  const reply = await c.call<{ totalcount?: number; questions?: QuestionSummary[] } | null>('core_question_get_random_question_summaries', {
    categoryid: q.categoryid,
    includesubcategories: q.includesubcategories ?? true,
    tagids: q.tagids && q.tagids.length > 0 ? q.tagids : [0],
    contextid: q.contextid,
    limit: q.limit ?? 0,
    offset: q.offset ?? 0,
  });
  return { totalcount: reply?.totalcount ?? 0, questions: reply?.questions ?? [] };
}
