/**
 * Course feed headers. SIS: EXTERNAL_COURSE_KEY, COURSE_ID (shortname), COURSE_NAME (fullname), CATEGORY (key or
 * path), START_DATE, END_DATE, AVAILABLE_IND, ROW_STATUS, DATA_SOURCE_KEY, TEMPLATE, DESCRIPTION/SUMMARY, MOODLE_ID,
 * ACTION. Moodle upload-course: shortname, fullname, idnumber, category_path | category_idnumber | category (id),
 * startdate, enddate, summary, format, visible, templatecourse. Every course column is a 'text' column whose target
 * the row mapper (courses.ts) reads.
 */
import { FeedFileError } from '../../feed/types.js';
import type { ColumnSpec, HeaderTable } from '../../feed/columns.js';
import { AVAILABLE_COLUMN, COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, MOODLE_ID_COLUMNS, ROW_STATUS_COLUMN } from '../../feed/rows.js';

const t = (target: string, field = target): ColumnSpec => ({ kind: 'text', field, target });

/** Course settings the course web services take (hiddensections as a course format option); integers but lang. */
export const COURSE_SETTINGS: readonly string[] = ['showgrades', 'newsitems', 'numsections', 'maxbytes', 'showreports', 'groupmode', 'groupmodeforce', 'enablecompletion', 'hiddensections', 'lang'];

/** Columns only a courses feed has (EXTERNAL_COURSE_KEY alone may be an enrolments feed's course key). */
export const COURSE_ONLY_COLUMNS: readonly string[] = ['course_id', 'course_name', 'shortname', 'fullname', 'category_path', 'category_idnumber', 'templatecourse'];
/** Columns naming a person: with one, a course column belongs to an enrolments feed. */
export const PERSON_COLUMNS: readonly string[] = ['external_person_key', 'user', 'user_idnumber', 'idnumber_user', 'username'];

export const COURSE_HEADERS: HeaderTable = {
  type: 'courses',
  // A course column (not the course key alone, which enrolments carry too) without a person column.
  detect: { rank: 30, test: (lower) => lower.some((n) => COURSE_ONLY_COLUMNS.includes(n)) && !lower.some((n) => PERSON_COLUMNS.includes(n)) },
  keyTargets: (dialect) => (dialect === 'sis' ? [] : ['shortname']),
  sisOnly: {
    external_course_key: { kind: 'key', field: 'key' },
    course_id: t('shortname'),
    course_name: t('fullname'),
    start_date: t('startdate'),
    end_date: t('enddate'),
    available_ind: AVAILABLE_COLUMN,
    row_status: ROW_STATUS_COLUMN,
    template: t('template'),
  },
  shared: {
    // SIS: a category key or path; Moodle dialect: the category id.
    category: t('category'),
    description: t('summary'),
    summary: t('summary'),
    format: t('format'),
    ...MOODLE_ID_COLUMNS,
    ...COMMAND_COLUMNS,
    ...DATA_SOURCE_COLUMNS,
  },
  moodleOnly: {
    idnumber: { kind: 'key', field: 'key' },
    shortname: t('shortname'),
    fullname: t('fullname'),
    category_path: t('category_path', 'category'),
    category_idnumber: t('category_idnumber', 'category'),
    startdate: t('startdate'),
    enddate: t('enddate'),
    visible: t('visible', 'available'),
    templatecourse: t('template'),
    ...Object.fromEntries(COURSE_SETTINGS.map((n) => [n, t(n)])),
    theme: t('forcetheme', 'theme'),
  },
  dynamic: (column) => {
    const m = /^customfield_(.+)$/i.exec(column.trim());
    return m ? { kind: 'customfield', field: column.trim().toLowerCase(), target: m[1] } : undefined;
  },
  signature: ['external_course_key', 'course_id', 'course_name', 'shortname', 'fullname', 'category_path', 'category_idnumber', 'templatecourse'],
  needs: 'a courses feed needs EXTERNAL_COURSE_KEY, idnumber or shortname',
  missingKey(dialect, specs) {
    if (specs.some((s) => s.kind === 'key')) return undefined;
    if (dialect === 'moodle' && specs.some((s) => s.kind === 'text' && s.target === 'shortname')) return undefined;
    return dialect === 'sis'
      ? new FeedFileError('missing-column', 'missing column "EXTERNAL_COURSE_KEY": a SIS courses feed needs it as the record key')
      : new FeedFileError(
          'missing-column',
          'missing column "idnumber" or "shortname": a Moodle-style courses feed needs one of them as the record key (or EXTERNAL_COURSE_KEY for the SIS format)',
        );
  },
};
