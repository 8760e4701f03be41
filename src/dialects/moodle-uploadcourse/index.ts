/**
 * Moodle's Upload courses tool (admin/tool/uploadcourse): a CSV with a header, one course a line, found by its
 * shortname. Its columns become a native courses feed (Moodle-style headers): the settings the course web services
 * take are sent; category paths split on ` / ` as the tool's helper does; dates read as the tool reads them.
 * Source: https://docs.moodle.org/en/Upload_courses and admin/tool/uploadcourse/classes/{course,helper}.php.
 */
import type { DialectColumn, DialectDefinition, NativeRow, Translation } from '../definition.js';
import { FeedFileError } from '../../feed/types.js';
import { COURSE_SETTINGS } from '../../entities/courses/headers.js';
import { columnOf, columnWarnings, sameName, unixTime } from '../values.js';

/** Columns passed to the native courses feed under the same name. */
const SAME = ['shortname', 'fullname', 'idnumber', 'summary', 'format', 'category', 'category_idnumber', 'category_path', 'templatecourse', 'theme', ...COURSE_SETTINGS];

/** Columns only Upload courses files have (a native courses header has none of them): they make the header ours. */
const OWN = ['delete', 'rename', 'reset', 'backupfile', 'tags', 'showactivitydates', 'relativedatesmode', 'downloadcontent', 'legacyfiles', 'coursedisplay'];

const WS = 'core_course_create_courses and core_course_update_courses do not take it';

export const UPLOADCOURSE_COLUMNS: readonly DialectColumn[] = [
  { name: 'shortname', treatment: 'acts', means: 'the short name; the course is found by its idnumber when the file gives one, else by this short name' },
  { name: 'fullname', treatment: 'acts', means: 'the full name' },
  { name: 'idnumber', treatment: 'acts', means: "the course's idnumber: mdlsync's key for the course (empty: the short name is the key)" },
  { name: 'summary', treatment: 'acts', means: 'the summary' },
  { name: 'category', treatment: 'acts', means: 'the category, by Moodle id' },
  { name: 'category_idnumber', treatment: 'acts', means: 'the category, by idnumber' },
  { name: 'category_path', treatment: 'acts', means: 'the category, by names from the top joined with " / "; levels Moodle lacks are created' },
  { name: 'visible', treatment: 'acts', means: '0 hides the course, 1 shows it' },
  { name: 'startdate', treatment: 'acts', means: 'start date: ISO, d.m.Y, m/d/Y (or d/m/Y: config dialects.dateOrder), or Unix time' },
  { name: 'enddate', treatment: 'acts', means: 'end date, read as startdate' },
  { name: 'templatecourse', treatment: 'acts', means: 'a new course is a copy of this course (short name or idnumber), by core_course_duplicate_course' },
  { name: 'format', treatment: 'acts', means: 'the course format' },
  ...['showgrades', 'newsitems', 'numsections', 'maxbytes', 'showreports', 'groupmode', 'groupmodeforce', 'enablecompletion'].map(
    (name): DialectColumn => ({ name, treatment: 'acts', means: `the course setting ${name} (a whole number)` }),
  ),
  { name: 'hiddensections', treatment: 'acts', means: 'the course format option hiddensections' },
  { name: 'lang', treatment: 'acts', means: 'the forced language (an installed language pack)' },
  { name: 'theme', treatment: 'acts', means: 'the forced theme (forcetheme)' },
  { name: 'customfield_<name>', treatment: 'acts', means: 'the course custom field <name>' },
  { name: 'delete', treatment: 'acts', means: '1 deletes the course when config courses.disable is "delete"; otherwise it is hidden (visible=0)' },
  { name: 'rename', treatment: 'refuses', means: 'a row that renames fails: give the course its idnumber and write the new short name in shortname' },
  { name: 'backupfile', treatment: 'refuses', means: 'a row that restores a backup fails: restore it in Moodle, or name a course to copy in templatecourse' },
  { name: 'reset', treatment: 'warns', means: 'not done: Moodle has no web service that resets a course (reset it in Moodle: Course reuse > Reset)' },
  { name: 'showactivitydates', treatment: 'warns', means: `not set: ${WS}` },
  { name: 'relativedatesmode', treatment: 'warns', means: `not set: ${WS}` },
  { name: 'downloadcontent', treatment: 'warns', means: `not set: ${WS}` },
  { name: 'legacyfiles', treatment: 'warns', means: `not set: ${WS}` },
  { name: 'tags', treatment: 'warns', means: `not set: ${WS}, and no web service tags a course` },
  { name: 'coursedisplay', treatment: 'warns', means: 'not set: mdlsync sends hiddensections only of the course format options' },
  { name: 'enrolment_<N>', treatment: 'warns', means: 'enrolment methods are not added: no web service adds an enrolment method to a course' },
  { name: 'enrolment_<N>_<name>', treatment: 'warns', means: 'enrolment method settings are not set: no web service adds or edits enrolment methods' },
  { name: 'role_<name>', treatment: 'warns', means: 'course role names are not set: no web service renames roles in a course' },
];

const PERSON = ['username', 'user', 'user_idnumber', 'idnumber_user', 'external_person_key', 'email'];

/** Upload courses: shortname, no person column, every column the tool's, and one no native courses file has. */
export function claimsUploadCourse(lower: readonly string[]): boolean {
  if (!lower.includes('shortname') || lower.some((n) => PERSON.includes(n))) return false;
  if (!lower.every((n) => columnOf(UPLOADCOURSE_COLUMNS, n) !== undefined)) return false;
  return lower.some((n) => OWN.includes(n) || /^enrolment_\d+/.test(n) || n.startsWith('role_'));
}

/** `<N>`-style matches, and `enrolment_<N>` only without a suffix (the suffixed columns are their own entry). */
function matches(pattern: string, name: string): boolean {
  if (pattern === 'enrolment_<N>') return /^enrolment_\d+$/.test(name);
  return sameName(pattern, name);
}

/** A date cell → the ISO UTC string the native mapper reads, or undefined when unreadable. */
function isoDate(v: string, order: 'mdy' | 'dmy', timezone: string | undefined): string | undefined {
  const t = unixTime(v, { order, timezone });
  if (Number.isNaN(t)) return undefined;
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const moodleUploadcourse: DialectDefinition = {
  name: 'moodle-uploadcourse',
  title: 'Moodle Upload courses',
  source: 'https://docs.moodle.org/en/Upload_courses',
  kinds: [
    {
      name: 'courses',
      title: 'file',
      entities: ['courses'],
      claims: claimsUploadCourse,
      columns: UPLOADCOURSE_COLUMNS,
      compile(lower, columns, settings) {
        if (!lower.includes('shortname')) throw new FeedFileError('missing-column', 'missing column "shortname": Upload courses finds each course by it');
        const at = (name: string): number => lower.indexOf(name);
        const passed = lower.flatMap((n, i) => (SAME.includes(n) || n.startsWith('customfield_') ? [[n, i] as const] : []));
        const header = [...passed.map(([n]) => n), 'visible', 'startdate', 'enddate', 'action'];
        const unknown = columns.filter((_, i) => columnOf(UPLOADCOURSE_COLUMNS, lower[i]) === undefined);
        const warnings = columnWarnings(lower, columns, UPLOADCOURSE_COLUMNS, matches);
        if (unknown.length > 0) warnings.push(`${unknown.join(', ')}: not an Upload courses column, ignored`);
        const [visible, start, end, del, rename, backup] = ['visible', 'startdate', 'enddate', 'delete', 'rename', 'backupfile'].map(at);
        return {
          parts: [{ type: 'courses', header, options: { pathSeparator: ' / ' } }],
          warnings,
          translate(cells): Translation {
            const cell = (i: number): string => (i < 0 ? '' : cells[i].trim());
            const key = cell(at('idnumber')) || cell(at('shortname')) || undefined;
            const fail = (message: string): Translation => ({ error: { code: 'invalid-value', message, key } });
            if (cell(rename) !== '') return fail(`rename ${cell(rename)}: mdlsync does not rename by short name; give the course its idnumber and write the new short name in shortname`);
            if (cell(backup) !== '') return fail('backupfile: mdlsync does not restore backups; restore it in Moodle, or name a course to copy in templatecourse');
            const row: NativeRow = {};
            for (const [n, i] of passed) row[n] = cells[i].trim();
            const v = cell(visible);
            // The tool reads an empty visible as "not given"; any other value must be 0 or 1.
            if (v !== '' && v !== '0' && v !== '1') return fail(`column ${columns[visible]} has "${v}", expected 0 or 1`);
            row.visible = v;
            for (const [name, i] of [['startdate', start], ['enddate', end]] as const) {
              const d = cell(i);
              if (d === '' || d === '0') continue;
              const iso = isoDate(d, settings.dateOrder, settings.timezone);
              if (iso === undefined) return fail(`column ${columns[i]} has "${d}", expected a date such as 2026-09-01, 01.09.2026, 09/01/2026 or a Unix time`);
              row[name] = iso;
            }
            const d = cell(del);
            if (d !== '' && d !== '0' && d !== '1') return fail(`column ${columns[del]} has "${d}", expected 1 (delete) or 0`);
            row.action = d === '1' ? 'delete' : '';
            return { rows: { courses: [row] } };
          },
        };
      },
    },
  ],
};
