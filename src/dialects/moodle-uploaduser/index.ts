/**
 * Moodle's Upload users tool (admin/tool/uploaduser): a CSV with a header of user fields (username, firstname, …,
 * profile_field_<shortname>), deleted / oldusername, and per-course columns course<N> with role<N> or type<N>,
 * enrolperiod<N>, enroltimestart<N>, enrolstatus<N>, group<N>, plus cohort<N> and sysrole<N>. One row is a person
 * and what it is enrolled in: it fans out into persons, enrolments, groups, group-members, cohorts and cohort-members rows.
 * Source: Moodle Docs "Upload users" (https://docs.moodle.org/en/Upload_users) and
 * admin/tool/uploaduser/classes/process.php (how each column is read).
 *
 * A plain file of person columns only is mdlsync's native Moodle-style persons feed: this dialect claims a header
 * only when it has a column the native persons table does not read, so such files keep working as they did.
 */
import { FeedFileError } from '../../feed/types.js';
import { knowsColumn } from '../../feed/columns.js';
import { PERSON_HEADERS } from '../../entities/persons/headers.js';
import { USER_TEXT_FIELDS } from '../../entities/persons/record.js';
import type { CompiledDialect, DialectColumn, DialectDefinition, DialectPart, DialectSettings, NativeRow } from '../definition.js';
import { PartFailure, columnOf, columnWarnings, unixTime } from '../values.js';
import type { EntityType } from '../../entities/types.js';

const PROFILE = /^profile_field_.+$/;
const NUMBERED = /^(course|role|type|group|enrolperiod|enroltimestart|enrolstatus|cohort|sysrole)(\d+)$/;

/** typeN, the tool's legacy enrolment types, as its form's defaults map them (uulegacy1..3). */
const LEGACY_TYPES: Record<string, string> = { '1': 'student', '2': 'editingteacher', '3': 'teacher' };

/** User fields mdlsync sends as they are (names shared with the native persons table). */
const PERSON_FIELDS: readonly string[] = [...USER_TEXT_FIELDS, 'suspended'];

const WARN_IGNORED = 'a user preference or legacy field core_user_create_users / update_users do not take: not set';

export const COLUMNS: readonly DialectColumn[] = [
  { name: 'username', treatment: 'acts', means: 'the account\'s username (lower-cased); the person\'s key when the file has no idnumber column' },
  { name: 'idnumber', treatment: 'acts', means: 'the account\'s idnumber: the person\'s key when given (else the username)' },
  ...USER_TEXT_FIELDS.filter((f) => !['username', 'idnumber', 'password', 'mailformat', 'maildisplay'].includes(f)).map((f): DialectColumn => ({ name: f, treatment: 'acts', means: `the account's ${f}` })),
  { name: 'password', treatment: 'acts', means: 'the password of a new account; an existing one\'s only with config persons.passwords always' },
  { name: 'mailformat', treatment: 'acts', means: 'the account\'s email format: 0 plain text, 1 HTML' },
  { name: 'maildisplay', treatment: 'acts', means: 'who sees the account\'s email: 0 nobody, 1 everyone, 2 course members' },
  { name: 'suspended', treatment: 'acts', means: '1 suspends the account, 0 reactivates it, empty leaves it' },
  { name: 'profile_field_<name>', treatment: 'acts', means: 'the custom profile field <name>' },
  { name: 'deleted', treatment: 'acts', means: '1: the account is disabled or deleted as config persons.disable says (suspend by default); its other columns are not read' },
  {
    name: 'oldusername',
    treatment: 'acts',
    means: 'rename: the account found by the row\'s idnumber (or linked by mdlsync) gets the row\'s username; the row never creates one. A rename row without an idnumber fails (mdlsync does not look accounts up by their old username)',
  },
  { name: 'course<N>', treatment: 'acts', means: 'an enrolment in the course with this shortname (manual enrolment)' },
  { name: 'role<N>', treatment: 'acts', means: 'the role of enrolment N, a role shortname (empty: student)' },
  { name: 'type<N>', treatment: 'acts', means: 'legacy role of enrolment N when role<N> is empty: 1 student, 2 editingteacher, 3 teacher' },
  { name: 'enroltimestart<N>', treatment: 'acts', means: 'start of enrolment N, a date (Unix time, ISO, d.m.Y or m/d/Y per dialects.dateOrder)' },
  { name: 'enrolperiod<N>', treatment: 'acts', means: 'length of enrolment N in days: its end is its start (or today) plus that' },
  { name: 'enrolstatus<N>', treatment: 'acts', means: 'enrolment N active (0) or suspended (1)' },
  { name: 'group<N>', treatment: 'acts', means: 'membership of the group with this name in course<N>' },
  { name: 'cohort<N>', treatment: 'acts', means: 'membership of the cohort with this idnumber' },
  { name: 'sysrole<N>', treatment: 'warns', means: 'system roles are not assigned from this file: give an institution-roles feed (config institutionRoles.mode system-role)' },
  ...['emailstop', 'maildigest', 'autosubscribe', 'trackforums', 'htmleditor', 'descriptionformat'].map((name): DialectColumn => ({ name, treatment: 'warns', means: WARN_IGNORED })),
  { name: 'url', treatment: 'warns', means: 'the web page field is no longer a user field core_user_create_users takes: not set (use a profile field)' },
  ...['skype', 'msn', 'aim', 'yahoo', 'icq'].map((name): DialectColumn => ({ name, treatment: 'warns', means: 'a messenger id field Moodle no longer stores: not set' })),
  { name: 'mnethostid', treatment: 'warns', means: 'MNet accounts are not handled: every row is a local account' },
  { name: 'id', treatment: 'warns', means: 'Moodle\'s upload tool does not read it either: accounts are found by idnumber or username' },
];

/** Whether a header name is an Upload users column. */
function isUploadUserColumn(name: string): boolean {
  return PROFILE.test(name) || columnOf(COLUMNS, name) !== undefined;
}

/** Midnight today in the zone (what the tool starts an enrolment at when enroltimestart<N> is not given). */
function today(timezone: string | undefined): number {
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return unixTime(date, { timezone });
}

export const moodleUploaduser: DialectDefinition = {
  name: 'moodle-uploaduser',
  title: 'Moodle Upload users',
  source: 'https://docs.moodle.org/en/Upload_users',
  kinds: [
    {
      name: 'users',
      title: 'file',
      entities: ['persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members'],
      // Only what the native persons table cannot read: a plain person file stays mdlsync's own feed.
      claims: (lower) => lower.includes('username') && lower.every(isUploadUserColumn) && lower.some((n) => !knowsColumn(PERSON_HEADERS, n) && !PROFILE.test(n)),
      columns: COLUMNS,
      compile: compileUsers,
    },
  ],
};

function compileUsers(lower: readonly string[], columns: readonly string[], settings: DialectSettings): CompiledDialect {
  const unknown = columns.filter((_c, i) => !isUploadUserColumn(lower[i]));
  if (unknown.length > 0) throw new FeedFileError('unknown-header', `${unknown.join(', ')}: not an Upload users column (Moodle's tool refuses the file too)`);
  if (!lower.includes('username')) throw new FeedFileError('missing-column', 'missing column "username": an Upload users file names every account by its username');
  const dup = lower.find((n, i) => lower.indexOf(n) !== i);
  if (dup !== undefined) throw new FeedFileError('duplicate-header', `column ${dup} appears twice`);
  const at = new Map(lower.map((n, i) => [n, i]));
  const cell = (cells: readonly string[], name: string): string => {
    const i = at.get(name);
    return i === undefined ? '' : cells[i].trim();
  };

  const personCols = lower.filter((n) => PERSON_FIELDS.includes(n) || PROFILE.test(n));
  const personHeader = [...personCols, 'action', 'upload_type'];
  const numbers = (prefix: string): number[] =>
    [...new Set(lower.flatMap((n) => {
      const m = NUMBERED.exec(n);
      return m && m[1] === prefix ? [Number(m[2])] : [];
    }))].sort((a, b) => a - b);
  const courses = numbers('course');
  const groups = numbers('group');
  const cohorts = numbers('cohort');
  const orphans = [...numbers('role'), ...numbers('type'), ...numbers('enrolperiod'), ...numbers('enroltimestart'), ...numbers('enrolstatus'), ...groups].filter((n) => !courses.includes(n));
  if (orphans.length > 0) throw new FeedFileError('missing-column', `columns numbered ${[...new Set(orphans)].join(', ')} have no course${orphans[0]} column: name the course each belongs to`);

  const parts: DialectPart[] = [{ type: 'persons', header: personHeader }];
  const enrolHeader = ['course_shortname', 'username', 'role', 'timestart', 'timeend', 'suspended'];
  const groupHeader = ['course_shortname', 'group_name', 'username'];
  const cohortHeader = ['cohort', 'username'];
  if (courses.length > 0) parts.push({ type: 'enrolments', header: enrolHeader });
  // The tool creates the groups and cohorts a row names when they are missing, and changes none that exists: parts
  // that only make sure they exist (a refresh of the file removes none of them), each read once however many rows name it.
  if (groups.length > 0) parts.push({ type: 'groups', header: ['course_shortname', 'name'], storeOnly: true, distinct: true }, { type: 'group-members', header: groupHeader });
  if (cohorts.length > 0) parts.push({ type: 'cohorts', header: ['idnumber', 'name', 'upload_type'], storeOnly: true, distinct: true }, { type: 'cohort-members', header: cohortHeader });

  const warnings = columnWarnings(lower, columns, COLUMNS);
  if (at.has('deleted')) warnings.push(`${columns[at.get('deleted')!]}: Moodle's delete_user() is not called as such: a row with 1 disables its account as config persons.disable says (suspend by default; delete when so set)`);
  if (settings.uploadType !== 'addupdate') {
    warnings.push(settings.uploadType === 'addnew' ? 'upload type "add new only": existing accounts are not updated (reported as unchanged)' : 'upload type "update existing users only": a row whose account does not exist fails, none is created');
  }

  const opts = { order: settings.dateOrder, timezone: settings.timezone };

  return {
    parts,
    warnings,
    translate(cells) {
      const username = cell(cells, 'username').toLowerCase();
      if (username === '') return { error: { code: 'missing-value', message: 'username is empty: Upload users names every account by its username' } };
      const idnumber = cell(cells, 'idnumber');
      const key = idnumber || username;
      const person: NativeRow = {};
      for (const n of personCols) person[n] = cell(cells, n);
      if (settings.uploadType !== 'addupdate') person.upload_type = settings.uploadType;

      const deleted = cell(cells, 'deleted');
      if (deleted !== '' && deleted !== '0') {
        if (deleted !== '1') return { error: { code: 'invalid-value', message: `deleted is "${deleted}", expected 1 (delete) or 0`, key } };
        // The tool deletes and reads nothing else of the row: no fields, enrolments, groups or cohorts.
        const gone: NativeRow = { username: person.username, action: 'del' };
        if (at.has('idnumber')) gone.idnumber = idnumber;
        return { rows: { persons: [gone] } };
      }

      const old = cell(cells, 'oldusername').toLowerCase();
      if (old !== '' && old !== username) {
        if (settings.uploadType === 'addnew') return { error: { code: 'invalid-value', message: `oldusername ${old}: upload type "add new only" renames nothing (as Moodle's tool)`, key } };
        if (idnumber === '') {
          return {
            error: {
              code: 'missing-value',
              message: `oldusername ${old}: renaming an account found by its old username is not done (the row would make a second account); give the account's idnumber in an idnumber column, or rename it in Moodle`,
              key,
            },
          };
        }
        // Found by its idnumber (or its link), the account gets the row's username; the row must not create one.
        person.upload_type = 'update';
      }

      const rows: Partial<Record<EntityType, Array<NativeRow | PartFailure>>> = { persons: [person] };
      const enrolments: Array<NativeRow | PartFailure> = [];
      const members: Array<NativeRow | PartFailure> = [];
      const groupRows: NativeRow[] = [];
      for (const n of courses) {
        const course = cell(cells, `course${n}`);
        const group = cell(cells, `group${n}`);
        if (course === '') {
          if (group !== '') members.push(new PartFailure('missing-value', `group${n} is "${group}" but course${n} is empty: a group is named within its course`, `|${group}|${username}`));
          continue;
        }
        enrolments.push(enrolment(cells, n, course, username));
        if (group !== '') {
          groupRows.push({ course_shortname: course, name: group });
          members.push({ course_shortname: course, group_name: group, username });
        }
      }
      const cohortRows: Array<NativeRow | PartFailure> = [];
      const cohortSets: NativeRow[] = [];
      for (const n of cohorts) {
        const cohort = cell(cells, `cohort${n}`);
        if (cohort === '') continue;
        // The tool reads a number as the cohort's id; mdlsync names cohorts by idnumber only.
        if (/^\d+$/.test(cohort)) cohortRows.push(new PartFailure('invalid-value', `cohort${n} is "${cohort}", a number: Moodle's tool reads it as a cohort id, mdlsync names a cohort by its idnumber; write the idnumber`, `${cohort}|${username}`));
        else {
          // As the tool creates a missing cohort: idnumber and name both the value, in the system context.
          cohortSets.push({ idnumber: cohort, name: cohort, upload_type: 'addnew' });
          cohortRows.push({ cohort, username });
        }
      }
      if (enrolments.length > 0) rows.enrolments = enrolments;
      if (groupRows.length > 0) rows.groups = groupRows;
      if (members.length > 0) rows['group-members'] = members;
      if (cohortSets.length > 0) rows.cohorts = cohortSets;
      if (cohortRows.length > 0) rows['cohort-members'] = cohortRows;
      return { rows };
    },
  };

  function enrolment(cells: readonly string[], n: number, course: string, username: string): NativeRow | PartFailure {
    const key = `${course}|${username}`;
    const fail = (message: string): PartFailure => new PartFailure('invalid-value', message, key);
    let role = cell(cells, `role${n}`);
    const type = cell(cells, `type${n}`);
    if (role === '' && type !== '') {
      role = LEGACY_TYPES[type] ?? '';
      if (role === '') return fail(`type${n} is "${type}", expected 1 (student), 2 (editingteacher) or 3 (teacher)`);
    }
    const status = cell(cells, `enrolstatus${n}`);
    if (status !== '' && status !== '0' && status !== '1') return fail(`enrolstatus${n} is "${status}", expected 0 (active) or 1 (suspended)`);
    const startText = cell(cells, `enroltimestart${n}`);
    let start: number | undefined;
    if (startText !== '') {
      start = unixTime(startText, opts);
      if (Number.isNaN(start)) return fail(`enroltimestart${n} is "${startText}", not a date (Unix time, 2026-09-01, 1.9.2026 or 9/1/2026)`);
    }
    const period = cell(cells, `enrolperiod${n}`);
    let end: number | undefined;
    if (period !== '' && period !== '0') {
      if (!/^\d+$/.test(period)) return fail(`enrolperiod${n} is "${period}", expected a number of days`);
      start ??= today(settings.timezone);
      end = start + Number(period) * 86400;
    }
    return {
      course_shortname: course,
      username,
      role,
      timestart: start === undefined ? '' : String(start),
      timeend: end === undefined ? '' : String(end),
      suspended: status,
    };
  }
}
