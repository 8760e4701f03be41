/**
 * tool_sync's course files (courses/courses.class.php): the creation file (`shortname;fullname;category;…`, category
 * as an id or a `Parent/Child` path, `template` a course to copy), the headerless deletion list (one course per line)
 * and the headerless existence-check list, which only reports: mdlsync refuses it and points at `mdlsync plan`.
 */
import { FeedFileError } from '../../feed/types.js';
import type { DialectColumn, DialectKind, NativeRow } from '../definition.js';
import { PartFailure, columnWarnings, sameName, unixTime } from '../values.js';
import { categoryPath } from './common.js';

const IGNORED: Record<string, string> = {
  sortorder: 'Moodle sorts courses itself',
  showgrades: 'course settings beyond names, category, dates, summary, format and visibility are left as Moodle has them',
  newsitems: 'same',
  marker: 'same',
  maxbytes: 'same',
  legacyfiles: 'same',
  showreports: 'same',
  visibleold: 'same',
  coursedisplay: 'same',
  groupmode: 'same',
  groupmodeforce: 'same',
  enablecompletion: 'same',
  defaultgroupingid: 'same',
  lang: 'same',
  theme: 'same',
  timecreated: 'Moodle stamps its own times',
  timemodified: 'Moodle stamps its own times',
  self: 'enrolment methods are not switched: mdlsync enrols with the manual method only',
  guest: 'enrolment methods are not switched: mdlsync enrols with the manual method only',
  'topic<N>': 'section names and summaries are not written (no web-service function for them here)',
  'teacher<N>_account': 'teachers are enrolled by an enrolments file (rolename;uid;cid), not by the course file',
  'teacher<N>_role': 'teachers are enrolled by an enrolments file (rolename;uid;cid), not by the course file',
};

export const CREATE_COLUMNS: readonly DialectColumn[] = [
  { name: 'shortname', treatment: 'acts', means: 'shortname; the key when there is no idnumber (required to create)' },
  { name: 'fullname', treatment: 'acts', means: 'fullname (required to create)' },
  { name: 'idnumber', treatment: 'acts', means: 'the course key (idnumber)' },
  { name: 'category', treatment: 'acts', means: 'a Moodle category id, or a path Parent/Child/Leaf (backslashes read as slashes) created on demand (category_path)' },
  { name: 'summary', treatment: 'acts', means: 'summary' },
  { name: 'format', treatment: 'acts', means: 'course format' },
  { name: 'startdate', treatment: 'acts', means: 'start date: Unix time, 2026-09-01 [08:00[:00]], d.m.Y or a slash date (dialects.dateOrder), in dialects.timezone' },
  { name: 'visible', treatment: 'acts', means: 'visible (1/0)' },
  { name: 'template', treatment: 'acts', means: 'a course shortname (or key) whose copy the new course is (templatecourse); an .mbz path fails the row' },
  ...Object.entries(IGNORED).map(([name, why]): DialectColumn => ({ name, treatment: 'warns', means: `not read: ${why === 'same' ? IGNORED.showgrades : why}` })),
];

const TOOL_SYNC_ONLY = ['template', 'self', 'guest', 'marker', 'visibleold', 'timecreated', 'timemodified'];

export const coursesKind: DialectKind = {
  name: 'courses',
  title: 'course creation file',
  entities: ['courses'],
  claims: (lower) =>
    lower.includes('shortname') && lower.includes('fullname') && lower.some((n) => TOOL_SYNC_ONLY.includes(n) || /^(topic\d+|teacher\d+_(account|role))$/.test(n)),
  columns: CREATE_COLUMNS,
  compile(lower, columns, settings) {
    const unknown = columns.filter((_, i) => lower[i] !== '' && !CREATE_COLUMNS.some((c) => sameName(c.name, lower[i])));
    if (unknown.length > 0) throw new FeedFileError('unknown-header', `the tool_sync course creation file has columns it does not read: ${unknown.join(', ')}`);
    if (!lower.includes('shortname') || !lower.includes('fullname')) throw new FeedFileError('missing-column', 'the tool_sync course creation file needs shortname and fullname');
    const at = (n: string): number => lower.indexOf(n);
    const direct = ['shortname', 'fullname', 'idnumber', 'summary', 'format', 'visible'].filter((n) => at(n) >= 0);
    const [iCategory, iStart, iTemplate] = [at('category'), at('startdate'), at('template')];
    const header = [...direct, ...(iCategory >= 0 ? ['category', 'category_path'] : []), ...(iStart >= 0 ? ['startdate'] : []), ...(iTemplate >= 0 ? ['templatecourse'] : [])];
    const tz = settings.timezone ? { timezone: settings.timezone } : {};
    return {
      parts: [{ type: 'courses', header }],
      warnings: columnWarnings(lower, columns, CREATE_COLUMNS),
      translate(cells) {
        // tool_sync strips one double quote at each end of its values; the reader has already unquoted real quoting.
        const cell = (i: number): string => (i < 0 ? '' : (cells[i] ?? '').trim());
        const row: NativeRow = {};
        for (const n of direct) row[n] = cell(at(n));
        const key = row.idnumber || row.shortname || '';
        const category = cell(iCategory);
        if (/^\d+$/.test(category)) row.category = category;
        else if (category !== '') row.category_path = categoryPath(category);
        const start = cell(iStart);
        if (start !== '') {
          const t = unixTime(start, { order: settings.dateOrder, ...tz });
          if (Number.isNaN(t)) return { rows: { courses: [new PartFailure('invalid-value', `column startdate has "${start}", expected a date such as 2026-09-01 (tool_sync would silently make it 1970)`, key)] } };
          row.startdate = new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
        }
        const template = cell(iTemplate);
        if (/\.mbz/i.test(template)) {
          return { rows: { courses: [new PartFailure('invalid-value', `the template ${template} is a backup file: mdlsync copies an existing course (name its shortname); restore the backup into a course first`, key)] } };
        }
        if (template !== '') row.templatecourse = template;
        return { rows: { courses: [row] } };
      },
    };
  },
};

/** The deletion list: one course per line (dialects.toolSync.courseIdentifier), each an explicit delete. */
export const deleteKind: DialectKind = {
  name: 'delete-courses',
  title: 'course deletion list',
  entities: ['courses'],
  // Any one-column file would pass a test: the list is read only when named (--dialect tool-sync/delete-courses).
  headerless: { columns: ['course'], test: () => false },
  claims: () => false,
  columns: [{ name: 'course', treatment: 'acts', means: 'the course to delete, by dialects.toolSync.courseIdentifier (shortname or idnumber): hidden, or deleted under courses.disable: delete' }],
  compile(_lower, _columns, settings) {
    const by = settings.toolSync.courseIdentifier;
    if (by === 'id') throw new FeedFileError('unknown-header', 'the tool_sync deletion list names courses by Moodle id: mdlsync names courses by idnumber or shortname; set dialects.toolSync.courseIdentifier');
    return {
      parts: [{ type: 'courses', header: [by, 'action'] }],
      warnings: [],
      translate(cells) {
        const course = (cells[0] ?? '').trim();
        if (course === '') return { skip: true };
        return { rows: { courses: [{ [by]: course, action: 'delete' }] } };
      },
    };
  },
};

/** The existence-check list: tool_sync only reports found / not found; mdlsync's plan does that for any file. */
export const checkKind: DialectKind = {
  name: 'check-courses',
  title: 'course existence check list',
  entities: ['courses'],
  headerless: { columns: ['course', 'description'], test: () => false },
  claims: () => false,
  columns: [{ name: 'course', treatment: 'refuses', means: 'the list only asks whether the courses exist: run mdlsync plan on a courses file instead' }],
  compile() {
    throw new FeedFileError(
      'unknown-type',
      'the tool_sync course existence check only reports which courses exist, and changes nothing: mdlsync does not run it. Run `mdlsync plan` on your course creation file (--dialect tool-sync/courses): plan.csv says, course by course, "create" for a course Moodle lacks and "unchanged"/"update"/"adopt" for one it has, without writing anything',
    );
  },
};
