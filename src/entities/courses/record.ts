/** The course record a courses feed carries (kept apart from types.ts so the shared file stays small). */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    courses: CourseRecord;
  }
}

/** Where a course goes: an existing category's id, its key (idnumber), or a path of category names. */
export type CourseCategorySpec = { id: number } | { key: string } | { path: string[] };

/** Course fields as the file gives them; an empty cell is absent. Dates are Unix seconds (already in the configured time zone). */
export interface CourseFields {
  shortname?: string;
  fullname?: string;
  category?: CourseCategorySpec;
  startdate?: number;
  enddate?: number;
  summary?: string;
  format?: string;
  /** TEMPLATE: key (idnumber) or shortname of the course to copy when this one is created. */
  template?: string;
  /**
   * Course settings core_course_create_courses/update_courses take, by their parameter name (showgrades, newsitems,
   * numsections, maxbytes, showreports, groupmode, groupmodeforce, enablecompletion, lang, forcetheme) or, for
   * hiddensections, the course format option.
   */
  settings?: Record<string, number | string>;
  /** customfield_<shortname> columns: the course custom field values (shortname → value). */
  customfields?: Record<string, string>;
}

/** `available` (RecordBase): AVAILABLE_IND, or the Moodle dialect's `visible` 0/1. */
export interface CourseRecord extends RecordBase {
  fields: CourseFields;
  /** The key is the short name (a Moodle-style file without idnumbers): the course is found by its short name too. */
  keyedByShortname?: boolean;
}
