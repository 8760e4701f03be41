/**
 * The activity module types of a standard Moodle 4.5 install, as course content listings describe them: each
 * type's purpose (FEATURE_MOD_PURPOSE), plural name (modulenameplural), whether it has a view page, and the
 * plugin_supports() features core_course_check_updates reads (intro files, completion, grades, comments, ratings).
 */

export interface ModuleType {
  /** MOD_PURPOSE_*: assessment, collaboration, communication, content, interactivecontent, other. */
  purpose: string;
  plural: string;
  /** FEATURE_NO_VIEW_LINK: a label has no page of its own (no url in listings). */
  noviewlink?: boolean;
  /** FEATURE_COMPLETION_TRACKS_VIEWS or FEATURE_COMPLETION_HAS_RULES. */
  completion: boolean;
  /** FEATURE_GRADE_HAS_GRADE or FEATURE_GRADE_OUTCOMES. */
  grades: boolean;
  /** FEATURE_COMMENT and FEATURE_RATE. */
  comments?: boolean;
  ratings?: boolean;
}

export const MODULE_TYPES: Record<string, ModuleType> = {
  assign: { purpose: 'assessment', plural: 'Assignments', completion: true, grades: true },
  bigbluebuttonbn: { purpose: 'communication', plural: 'BigBlueButton', completion: true, grades: false },
  book: { purpose: 'content', plural: 'Books', completion: true, grades: false },
  choice: { purpose: 'communication', plural: 'Choices', completion: true, grades: false },
  data: { purpose: 'collaboration', plural: 'Databases', completion: true, grades: true, comments: true, ratings: true },
  feedback: { purpose: 'communication', plural: 'Feedback', completion: true, grades: false },
  folder: { purpose: 'content', plural: 'Folders', completion: true, grades: false },
  forum: { purpose: 'collaboration', plural: 'Forums', completion: true, grades: true, ratings: true },
  glossary: { purpose: 'collaboration', plural: 'Glossaries', completion: true, grades: true, comments: true, ratings: true },
  h5pactivity: { purpose: 'interactivecontent', plural: 'H5P', completion: true, grades: true },
  imscp: { purpose: 'interactivecontent', plural: 'IMS content packages', completion: true, grades: false },
  label: { purpose: 'content', plural: 'Text and media areas', noviewlink: true, completion: true, grades: false },
  lesson: { purpose: 'interactivecontent', plural: 'Lessons', completion: true, grades: true },
  lti: { purpose: 'other', plural: 'External tools', completion: true, grades: true },
  page: { purpose: 'content', plural: 'Pages', completion: true, grades: false },
  quiz: { purpose: 'assessment', plural: 'Quizzes', completion: true, grades: true },
  resource: { purpose: 'content', plural: 'Files', completion: true, grades: false },
  scorm: { purpose: 'interactivecontent', plural: 'SCORM packages', completion: true, grades: true },
  url: { purpose: 'content', plural: 'URLs', completion: true, grades: false },
  wiki: { purpose: 'collaboration', plural: 'Wikis', completion: true, grades: false, comments: true },
  workshop: { purpose: 'assessment', plural: 'Workshop', completion: true, grades: true },
};

/** A type the table does not know (a third-party plugin) still lists, as "other". */
export function moduleType(modname: string): ModuleType {
  return MODULE_TYPES[modname] ?? { purpose: 'other', plural: modname, completion: false, grades: false };
}
