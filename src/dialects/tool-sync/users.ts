/**
 * tool_sync's users file (users/users.class.php): an Upload-users-like header (`username;firstname;lastname;…`) with
 * tool_sync's own extras: the enrolment sets `course<N>`, `role<N>`, `enrol<N>`, `start<N>`, `end<N>`, `group<N>`, the
 * `cohort`/`cohortid` pair and a `deleted` column. A row is a person (native persons), its enrolments, its group
 * memberships (and the missing groups), its cohort (created when missing) and cohort membership.
 */
import { FeedFileError } from '../../feed/types.js';
import type { DialectColumn, DialectKind, DialectPart, NativeRow } from '../definition.js';
import { PartFailure, columnWarnings, flag, sameName } from '../values.js';
import { courseColumn, firstLines, localTime, nativeHas, userColumn } from './common.js';

const SET = /^(course|role|enrol|start|end|group|wwwroot)(\d+)$/;

export const COLUMNS: readonly DialectColumn[] = [
  { name: 'username', treatment: 'acts', means: 'username (lower-cased); with firstname and lastname, required to create' },
  { name: 'firstname', treatment: 'acts', means: 'firstname' },
  { name: 'lastname', treatment: 'acts', means: 'lastname' },
  { name: 'idnumber', treatment: 'acts', means: 'the person key (idnumber); without it the row is keyed by username' },
  { name: 'password', treatment: 'acts', means: 'password, per persons.passwords; empty or *NOPASS*: no password sent' },
  { name: 'deleted', treatment: 'acts', means: '1 disables the account (suspends it, or deletes it under persons.disable: delete); 0 or empty keeps it (tool_sync deletes whenever the column is there)' },
  { name: 'suspended', treatment: 'acts', means: 'suspended (1/0)' },
  { name: 'email', treatment: 'acts', means: 'email' },
  { name: 'auth', treatment: 'acts', means: 'auth' },
  { name: 'phone1', treatment: 'acts', means: 'phone1' },
  { name: 'phone2', treatment: 'acts', means: 'phone2' },
  { name: 'address', treatment: 'acts', means: 'address' },
  { name: 'description', treatment: 'acts', means: 'description' },
  { name: 'city', treatment: 'acts', means: 'city' },
  { name: 'country', treatment: 'acts', means: 'country (upper-cased)' },
  { name: 'lang', treatment: 'acts', means: 'lang (lower-cased, a _utf8 suffix dropped)' },
  { name: 'timezone', treatment: 'acts', means: 'timezone' },
  { name: 'institution', treatment: 'acts', means: 'institution' },
  { name: 'department', treatment: 'acts', means: 'department' },
  { name: 'profile_field_<name>', treatment: 'acts', means: 'a custom profile field' },
  { name: 'course<N>', treatment: 'acts', means: 'a course to enrol in, by dialects.toolSync.courseIdentifier (a manual enrolment)' },
  { name: 'role<N>', treatment: 'acts', means: 'the role of enrolment N (empty: student)' },
  { name: 'enrol<N>', treatment: 'acts', means: 'empty or manual (mdlsync enrols with the manual method only; another method fails that enrolment). Each set uses its own enrol<N> (tool_sync reads enrol1 for all)' },
  { name: 'start<N>', treatment: 'acts', means: 'enrolment start, Unix time (or YYYY-MM-DD hh:mm:ss in dialects.timezone)' },
  { name: 'end<N>', treatment: 'acts', means: 'enrolment end, same form' },
  { name: 'group<N>', treatment: 'acts', means: 'a group of course<N>, by name; created when missing if courses are named by idnumber' },
  { name: 'cohort', treatment: 'acts', means: 'a site cohort, by name: the person becomes a member' },
  { name: 'cohortid', treatment: 'acts', means: "the cohort's idnumber: the cohort is created (named by `cohort`) when missing" },
  { name: 'oldusername', treatment: 'warns', means: 'not read: mdlsync renames by the key (a row with its idnumber and a new username renames the account)' },
  { name: 'wwwroot<N>', treatment: 'warns', means: 'not read: mdlsync does not propagate users to other MNet/VMoodle hosts' },
  ...['icq', 'url', 'mailformat', 'maildisplay', 'maildigest', 'htmleditor', 'autosubscribe', 'trackforums'].map(
    (name): DialectColumn => ({ name, treatment: 'warns', means: 'not read: mdlsync does not set this user preference' }),
  ),
];

const known = (n: string): DialectColumn | undefined => COLUMNS.find((c) => sameName(c.name, n));

export const usersKind: DialectKind = {
  name: 'users',
  title: 'users file',
  entities: ['persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members'],
  // What tells it from Moodle's Upload users: an enrolment set with start<N>/end<N>/enrol<N>/wwwroot<N>, or cohortid.
  claims: (lower) => lower.includes('username') && lower.some((n) => /^(start|end|enrol|wwwroot)\d+$/.test(n) || n === 'cohortid'),
  columns: COLUMNS,
  compile(lower, columns, settings) {
    const ts = settings.toolSync;
    const unknown = columns.filter((_, i) => lower[i] !== '' && known(lower[i]) === undefined);
    if (unknown.length > 0) throw new FeedFileError('unknown-header', `the tool_sync users file has columns it does not read: ${unknown.join(', ')}`);
    if (ts.userIdentifier === 'email') throw new FeedFileError('unknown-header', 'the tool_sync users file is matched by email (dialects.toolSync.userIdentifier): mdlsync matches accounts by idnumber, else username: set it to idnumber or username');
    const at = (n: string): number => lower.indexOf(n);
    const direct = lower.flatMap((n, i) => (n !== 'deleted' && n !== 'password' && (nativeHas('persons', n) || n.startsWith('profile_field_')) ? [{ i, name: n }] : []));
    const iDeleted = at('deleted');
    const iPassword = at('password');
    const iIdnumber = at('idnumber');
    const iUsername = at('username');
    // The sets: N → the columns of that set.
    const sets = new Map<string, Partial<Record<string, number>>>();
    lower.forEach((n, i) => {
      const m = SET.exec(n);
      if (!m) return;
      const set = sets.get(m[2]) ?? {};
      set[m[1]] = i;
      sets.set(m[2], set);
    });
    const enrolSets = [...sets.entries()].filter(([, s]) => s.course !== undefined).sort((a, b) => Number(a[0]) - Number(b[0]));
    const parts: DialectPart[] = [
      { type: 'persons', header: [...direct.map((d) => d.name), ...(iPassword >= 0 ? ['password'] : []), 'action'] },
    ];
    // Who the person is in the other feeds: the idnumber when the file has them, else the username.
    // tool_sync's users file matches "id" as username (its lookup falls through to it).
    const byUsername = iIdnumber === -1 || ts.userIdentifier === 'username' || ts.userIdentifier === 'id';
    const personOf = (cells: readonly string[]): string => (byUsername ? (cells[iUsername] ?? '').trim().toLowerCase() : (cells[iIdnumber] ?? '').trim());
    const refBy = byUsername ? 'username' : 'idnumber';
    let enCourse = '';
    let enUser = '';
    let gmCourse = '';
    let gmUser = '';
    // The course column of the groups the file makes: groups are named within a course found by idnumber or shortname.
    const groupCourse = ts.courseIdentifier === 'shortname' ? 'course_shortname' : ts.courseIdentifier === 'idnumber' ? 'course' : undefined;
    const hasGroups = enrolSets.some(([, s]) => s.group !== undefined);
    if (enrolSets.length > 0) {
      enCourse = courseColumn('enrolments', ts.courseIdentifier, 'idnumber_course', 'users');
      enUser = userColumn('enrolments', refBy, 'idnumber_user', 'users');
      parts.push({ type: 'enrolments', header: [enCourse, enUser, 'role', 'timestart', 'timeend'] });
      if (hasGroups) {
        gmCourse = courseColumn('group-members', ts.courseIdentifier, 'course', 'users');
        gmUser = userColumn('group-members', refBy, 'user', 'users');
        parts.push({ type: 'group-members', header: [gmCourse, 'group_name', gmUser] });
        // A missing group is created as tool_sync creates it (that name), one that exists left as it is.
        if (groupCourse) parts.push({ type: 'groups', header: [groupCourse, 'name'], storeOnly: true, distinct: true });
      }
    }
    const iCohort = at('cohort');
    const iCohortId = at('cohortid');
    const cmUser = byUsername ? 'username' : 'user';
    if (iCohortId >= 0) {
      // tool_sync creates a missing cohort (cohortid its idnumber, cohort its name) and changes none that exists.
      parts.push({ type: 'cohorts', header: ['idnumber', 'name', 'upload_type'], storeOnly: true });
      parts.push({ type: 'cohort-members', header: ['cohort', cmUser] });
    } else if (iCohort >= 0) {
      parts.push({ type: 'cohort-members', header: ['cohort_name', cmUser] });
    }
    const warnings = columnWarnings(lower, columns, COLUMNS);
    if (hasGroups && !groupCourse) {
      warnings.push('group<N>: a missing group is created only when courses are named by idnumber or shortname (dialects.toolSync.courseIdentifier); here a membership in a group the course lacks fails its row');
    }
    const first = firstLines();

    return {
      parts,
      warnings,
      translate(cells, line) {
        const cell = (i: number | undefined): string => (i === undefined || i < 0 ? '' : (cells[i] ?? '').trim());
        const person = personOf(cells);
        const key = person;
        if (person === '') return { error: { code: 'missing-value', message: `the ${refBy} is empty`, key } };
        const deleted = cell(iDeleted);
        const gone = deleted === '' ? false : flag(deleted);
        if (gone === undefined) return { error: { code: 'invalid-value', message: `column deleted has "${deleted}", expected 1 or 0`, key } };
        const row: NativeRow = {};
        for (const d of direct) {
          let v = cell(d.i);
          if (d.name === 'country') v = v.toUpperCase();
          if (d.name === 'lang') v = v.toLowerCase().replace(/_utf8$/, '');
          row[d.name] = v;
        }
        const password = cell(iPassword);
        if (password !== '*NOPASS*') row.password = password;
        row.action = gone ? 'del' : 'add';
        // A deleted account keeps nothing else the row names.
        if (gone) return { rows: { persons: [row] } };

        const enrolments: Array<NativeRow | PartFailure> = [];
        const members: NativeRow[] = [];
        const groups: NativeRow[] = [];
        for (const [, s] of enrolSets) {
          const course = cell(s.course);
          if (course === '') continue;
          const ekey = `${course}|${person}`;
          const enrol = cell(s.enrol).toLowerCase();
          const start = localTime(cell(s.start), 'start', ekey, settings);
          const end = localTime(cell(s.end), 'end', ekey, settings);
          if (enrol !== '' && enrol !== 'manual') enrolments.push(new PartFailure('invalid-value', `the enrolment method is "${cell(s.enrol)}": mdlsync enrols with the manual method only (leave it empty or write manual)`, ekey));
          else if (start instanceof PartFailure) enrolments.push(start);
          else if (end instanceof PartFailure) enrolments.push(end);
          else enrolments.push({ [enCourse]: course, [enUser]: person, role: cell(s.role), timestart: start, timeend: end });
          const group = cell(s.group);
          if (group !== '') {
            members.push({ [gmCourse]: course, group_name: group, [gmUser]: person });
            if (groupCourse) groups.push({ [groupCourse]: course, name: group });
          }
        }
        const cohortName = cell(iCohort);
        const cohortId = cell(iCohortId);
        const cohorts: NativeRow[] = [];
        const cohortMembers: Array<NativeRow | PartFailure> = [];
        if (cohortId !== '') {
          // Once, on its first line: later lines may spell the name otherwise, and one key is one cohort.
          if (cohortName !== '' && first(`cohort|${cohortId}`, line)) cohorts.push({ idnumber: cohortId, name: cohortName, upload_type: 'addnew' });
          cohortMembers.push({ cohort: cohortId, [cmUser]: person });
        } else if (cohortName !== '') {
          if (iCohortId >= 0) return { rows: { persons: [row], enrolments, groups, 'group-members': members, 'cohort-members': [new PartFailure('missing-value', `column cohortid is empty: the cohort ${cohortName} is named by its idnumber in this file`, `${cohortName}|${person}`)] } };
          cohortMembers.push({ cohort_name: cohortName, [cmUser]: person });
        }
        return { rows: { persons: [row], enrolments, groups, 'group-members': members, cohorts, 'cohort-members': cohortMembers } };
      },
    };
  },
};
