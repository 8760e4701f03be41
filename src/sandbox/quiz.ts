/**
 * Quizzes and the question bank as Moodle 4.5's web services show them: mod_quiz_get_quizzes_by_courses
 * (mod/quiz/classes/external.php) and core_question_get_random_question_summaries (question/externallib.php with
 * random_question_loader and question_summary_exporter), as the site admin sees them. No function lists question
 * categories or a question's text: the recorded note of case 195 says what these two can and cannot give.
 */
import { missingRecord } from './errors.js';
import type { FunctionContext, WsFunction } from './context.js';
import { fileDesc, multiple, single, value, VALUE_DEFAULT, VALUE_OPTIONAL, warningsDesc } from './params.js';
import { CONTEXT_COURSE, CONTEXT_MODULE, contextById, SYSTEM_CONTEXT_ID } from './accesslib.js';
import type { InstanceRow } from './content-store.js';

/** A new quiz's settings as the data generator (and the form's defaults) leave them (case 194). */
const QUIZ_DEFAULTS: Record<string, string | number> = {
  timeopen: 0, timeclose: 0, timelimit: 0, overduehandling: 'autosubmit', graceperiod: 86400,
  preferredbehaviour: 'deferredfeedback', canredoquestions: 0, attempts: 0, attemptonlast: 0, grademethod: 1,
  decimalpoints: 2, questiondecimalpoints: -1, reviewattempt: 69904, reviewcorrectness: 69904, reviewmaxmarks: 69904,
  reviewmarks: 69904, reviewspecificfeedback: 69904, reviewgeneralfeedback: 69904, reviewrightanswer: 69904,
  reviewoverallfeedback: 4368, questionsperpage: 1, navmethod: 'free', shuffleanswers: 1,
};
/** Settings returned after the grades, in the function's order. */
const QUIZ_LATE_DEFAULTS: Record<string, string | number> = {
  password: '', subnet: '', browsersecurity: '', delay1: 0, delay2: 0, showuserpicture: 0, showblocks: 0,
  completionattemptsexhausted: 0, completionpass: 0, allowofflineattempts: 0, autosaveperiod: 60,
};

/** util::validate_courses(): an unknown course is a warning, not an error. */
function noAccess(courseid: number) {
  return { item: 'course', itemid: courseid, warningcode: '1', message: 'No access rights in course context' };
}

function getQuizzes(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  const content = ctx.store.content;
  const warnings: Record<string, unknown>[] = [];
  // No course ids: the user's own courses (enrol_get_my_courses()), none for the admin, who is enrolled nowhere.
  const courseids = [...new Set(params.courseids as number[])];
  const quizzes: Record<string, unknown>[] = [];
  for (const courseid of courseids) {
    if (!ctx.store.courses.course(courseid)) {
      warnings.push(noAccess(courseid));
      continue;
    }
    const sections = new Map(content.sections(courseid).map((s) => [s.id, s.section]));
    for (const cm of content.modulesInOrder(courseid).filter((m) => m.modname === 'quiz' && !m.deletioninprogress)) {
      const quiz = content.instance('quiz', cm.instance) as InstanceRow;
      const settings = JSON.parse(quiz.settings) as Record<string, unknown>;
      const pick = (defaults: Record<string, string | number>) =>
        Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, settings[k] ?? v]));
      const hasQuestions = content.quizQuestions(quiz.id).length > 0;
      quizzes.push({
        id: quiz.id, coursemodule: cm.id, course: courseid, name: quiz.name, intro: quiz.intro, introformat: 1,
        introfiles: [], section: sections.get(cm.section) ?? 0, visible: cm.visible === 1, groupmode: cm.groupmode,
        groupingid: 0, lang: '', ...pick(QUIZ_DEFAULTS),
        sumgrades: settings.sumgrades ?? content.quizSumGrades(quiz.id), grade: quiz.grade,
        timecreated: quiz.timecreated, timemodified: quiz.timemodified, ...pick(QUIZ_LATE_DEFAULTS),
        hasfeedback: 0, hasquestions: hasQuestions ? 1 : 0,
      });
    }
  }
  return { quizzes, warnings };
}

const int = () => value('int', VALUE_OPTIONAL);
const quizDesc = single({
  id: value('int'), coursemodule: value('int'), course: value('int'), name: value('raw'), intro: value('raw'),
  introformat: value('int', VALUE_DEFAULT, 1), introfiles: multiple(fileDesc, VALUE_OPTIONAL), section: int(),
  visible: value('bool', VALUE_OPTIONAL), groupmode: int(), groupingid: int(), lang: value('safedir', VALUE_OPTIONAL),
  timeopen: int(), timeclose: int(), timelimit: int(), overduehandling: value('alpha', VALUE_OPTIONAL),
  graceperiod: int(), preferredbehaviour: value('alpha', VALUE_OPTIONAL), canredoquestions: int(), attempts: int(),
  attemptonlast: int(), grademethod: int(), decimalpoints: int(), questiondecimalpoints: int(), reviewattempt: int(),
  reviewcorrectness: int(), reviewmaxmarks: int(), reviewmarks: int(), reviewspecificfeedback: int(),
  reviewgeneralfeedback: int(), reviewrightanswer: int(), reviewoverallfeedback: int(), questionsperpage: int(),
  navmethod: value('alpha', VALUE_OPTIONAL), shuffleanswers: int(), sumgrades: value('rawvalue', VALUE_OPTIONAL),
  grade: value('rawvalue', VALUE_OPTIONAL), timecreated: int(), timemodified: int(), password: value('raw', VALUE_OPTIONAL),
  subnet: value('raw', VALUE_OPTIONAL), browsersecurity: value('alphanumext', VALUE_OPTIONAL), delay1: int(),
  delay2: int(), showuserpicture: int(), showblocks: int(), completionattemptsexhausted: int(), completionpass: int(),
  allowofflineattempts: int(), autosaveperiod: int(), hasfeedback: int(), hasquestions: int(),
});

/** get_string('pluginname', 'qtype_…') of the question types a 4.5 site ships. */
const QTYPE_NAMES: Record<string, string> = {
  calculated: 'Calculated', calculatedmulti: 'Calculated multichoice', calculatedsimple: 'Calculated simple',
  ddimageortext: 'Drag and drop onto image', ddmarker: 'Drag and drop markers', ddwtos: 'Drag and drop into text',
  description: 'Description', essay: 'Essay', gapselect: 'Select missing words', match: 'Matching',
  multianswer: 'Embedded answers (Cloze)', multichoice: 'Multiple choice', numerical: 'Numerical', ordering: 'Ordering',
  randomsamatch: 'Random short-answer matching', shortanswer: 'Short answer', truefalse: 'True/False',
};

/** context::instance_by_id(MUST_EXIST) against what the sandbox holds. */
function contextMustExist(ctx: FunctionContext, id: number): void {
  const c = contextById(id);
  const exists = id === SYSTEM_CONTEXT_ID ||
    (c.level === CONTEXT_COURSE && ctx.store.courses.course(c.instanceid) !== undefined) ||
    (c.level === CONTEXT_MODULE && ctx.store.content.module(c.instanceid) !== undefined);
  if (!exists) throw missingRecord('context', 'SELECT * FROM {context} WHERE id = ?', [id]);
}

/** The category and, with includesubcategories, every category below it. */
function categoryTree(ctx: FunctionContext, categoryid: number, contextid: number, withChildren: boolean): number[] {
  if (!withChildren) return [categoryid];
  const all = ctx.store.content.questionCategories(contextid);
  const out = [categoryid];
  for (let i = 0; i < out.length; i++) out.push(...all.filter((c) => c.parent === out[i]).map((c) => c.id));
  return out;
}

function getRandomQuestionSummaries(ctx: FunctionContext, params: Record<string, unknown>): unknown {
  contextMustExist(ctx, params.contextid as number);
  const categoryid = params.categoryid as number;
  const category = ctx.store.content.questionCategory(categoryid);
  if (!category) {
    throw missingRecord('question_categories', 'SELECT contextid FROM {question_categories} WHERE id = ?', [categoryid]);
  }
  const tagids = (params.tagids as number[]).filter((t) => t !== 0);
  // random_question_loader: the latest version of each question, ready ones only, no random or child questions;
  // the sandbox tags nothing, so any real tag filter matches none (tag id 0 is no filter, case 195).
  const found = tagids.length > 0 ? [] : ctx.store.content
    .latestQuestions(categoryTree(ctx, categoryid, category.contextid, params.includesubcategories as boolean))
    .filter((q) => q.status === 'ready' && q.parent === 0 && q.qtype !== 'random');
  const limit = params.limit as number;
  const offset = params.offset as number;
  const shown = limit || offset ? found.slice(offset, limit ? offset + limit : undefined) : found;
  return {
    totalcount: found.length,
    questions: shown.map((q) => ({
      id: q.id, category: q.category, parent: q.parent, name: q.name, qtype: q.qtype,
      icon: { key: 'icon', component: `qtype_${q.qtype}`, alttext: QTYPE_NAMES[q.qtype] ?? q.qtype },
    })),
  };
}

export const QUIZ_FUNCTIONS: WsFunction[] = [
  {
    name: 'mod_quiz_get_quizzes_by_courses',
    params: single({ courseids: multiple(value('int'), VALUE_DEFAULT, []) }),
    returns: single({ quizzes: multiple(quizDesc), warnings: warningsDesc }),
    write: false,
    run: getQuizzes,
  },
  {
    name: 'core_question_get_random_question_summaries',
    params: single({
      categoryid: value('int'), includesubcategories: value('bool'), tagids: multiple(value('int')),
      contextid: value('int'), limit: value('int', VALUE_DEFAULT, 0), offset: value('int', VALUE_DEFAULT, 0),
    }),
    returns: single({
      totalcount: value('int'),
      questions: multiple(single({
        id: value('int'), category: value('int'), parent: value('int'), name: value('raw'), qtype: value('raw'),
        icon: single({ key: value('raw'), component: value('raw'), alttext: value('raw') }),
      })),
    }),
    write: false,
    run: getRandomQuestionSummaries,
  },
];

