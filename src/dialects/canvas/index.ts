/**
 * Canvas SIS imports (users.csv, accounts.csv, courses.csv, sections.csv, enrollments.csv, groups.csv,
 * group_memberships.csv, user_observers.csv; terms.csv and change_sis_id.csv are recognised and refused), each told
 * apart by its documented columns, as Canvas does (file names do not matter). A zip of several runs them in
 * dependency order (src/feed/archive.ts). Source: "SIS Import Format Documentation",
 * https://canvas.instructure.com/doc/api/file.sis_csv.html (canvas-lms doc/api/sis_csv.md).
 */
import type { DialectColumn, DialectDefinition, DialectKind, NativeRow } from '../definition.js';
import { FeedFileError } from '../../feed/types.js';
import { CANVAS_ROLES, canvasDate, compileCanvas, missing, personName, statusOf, type CanvasFile } from './values.js';
import { acts, refuses, warns } from '../values.js';

const has = (lower: readonly string[], ...names: string[]): boolean => names.every((n) => lower.includes(n));
const INTEGRATION_ID = warns('integration_id', "Canvas's secondary id; mdlsync keys records by the SIS id alone");
const DELETED = (status: string): string => (status === 'deleted' ? 'deleted' : 'enabled');

/** A Canvas date cell → ISO with its zone, '' when empty, or the row's error. */
function dateCell(v: string, column: string, key: string): string | { error: { code: 'invalid-value'; message: string; key: string } } {
  if (v === '') return '';
  const iso = canvasDate(v);
  return iso ?? { error: { code: 'invalid-value', message: `${column} is "${v}", expected an ISO 8601 date such as 2026-09-01T08:00:00Z`, key } };
}

const USERS: CanvasFile = {
  required: ['user_id', 'login_id', 'status'],
  columns: [
    acts('user_id', 'the person key (EXTERNAL_PERSON_KEY), stored as the user idnumber'),
    acts('login_id', 'the username (lower-cased: Moodle refuses upper case)'),
    acts('password', 'the password (see persons.passwords); never logged'),
    acts('first_name', 'first name'),
    acts('last_name', 'last name'),
    acts('full_name', 'when first_name and last_name are empty: split at its last space into first and last name'),
    acts('sortable_name', 'when first_name and last_name are empty: `Last, First` gives them (before full_name)'),
    acts('short_name', 'the alternate name (alternatename), the display name Canvas shows'),
    acts('email', 'email'),
    acts('status', '`active` available; `suspended` suspended (cannot log in); `deleted` disables the person (persons.disable: suspend by default)'),
    INTEGRATION_ID,
    warns('ssha_password', 'Moodle cannot take an SSHA hash: new accounts get a password as persons.createPasswordWhenMissing says'),
    warns('authentication_provider_id', "Canvas's login provider; set the Moodle auth method in persons config or an auth column instead"),
    warns('pronouns', 'Moodle has no pronouns field'),
    warns('declared_user_type', 'Moodle has no user type'),
    warns('canvas_password_notification', 'Moodle mails generated passwords as persons.createPasswordWhenMissing says'),
    warns('home_account', 'Moodle has one site: no home account'),
  ],
  parts: [{ type: 'persons', header: ['external_person_key', 'user_id', 'passwd', 'first_name', 'last_name', 'alternatename', 'email', 'available_ind', 'row_status'] }],
  row(get) {
    const key = get('user_id');
    if (key === '') return missing('user_id');
    const status = statusOf(get('status'), ['active', 'suspended', 'deleted'], key);
    if (typeof status !== 'string') return status;
    const name = personName(get('first_name'), get('last_name'), get('full_name'), get('sortable_name'));
    const row: NativeRow = {
      external_person_key: key,
      user_id: get('login_id'),
      passwd: get('password'),
      first_name: name.firstname,
      last_name: name.lastname,
      alternatename: get('short_name'),
      email: get('email'),
      available_ind: status === 'suspended' ? 'N' : 'Y',
      row_status: DELETED(status),
    };
    return { rows: { persons: [row] } };
  },
};

const ACCOUNTS: CanvasFile = {
  required: ['account_id', 'parent_account_id', 'name', 'status'],
  columns: [
    acts('account_id', 'the category key (EXTERNAL_CATEGORY_KEY), stored as the category idnumber'),
    acts('parent_account_id', 'the parent category key; empty: top level (Canvas: the root account)'),
    acts('name', 'the category name'),
    acts('status', '`active`; `deleted` disables the category (kept in Moodle, see Category feeds)'),
    INTEGRATION_ID,
  ],
  parts: [{ type: 'categories', header: ['external_category_key', 'parent_key', 'name', 'row_status'] }],
  row(get) {
    const key = get('account_id');
    if (key === '') return missing('account_id');
    const status = statusOf(get('status'), ['active', 'deleted'], key);
    if (typeof status !== 'string') return status;
    return { rows: { categories: [{ external_category_key: key, parent_key: get('parent_account_id'), name: get('name'), row_status: DELETED(status) }] } };
  },
};

const COURSES: CanvasFile = {
  required: ['course_id', 'short_name', 'long_name', 'status'],
  columns: [
    acts('course_id', 'the course key (EXTERNAL_COURSE_KEY), stored as the course idnumber'),
    acts('short_name', 'the short name'),
    acts('long_name', 'the full name'),
    acts('account_id', 'the category (a category key from accounts.csv); empty: dialects.defaultCategory'),
    acts('status', '`active`, `published`, `completed` keep the course shown; `deleted` disables it (hidden, see Course feeds)'),
    acts('start_date', 'the course start date (ISO 8601, UTC unless it gives an offset)'),
    acts('end_date', 'the course end date (ISO 8601, UTC unless it gives an offset)'),
    warns('term_id', 'Moodle has no terms: give the course its own start_date and end_date'),
    INTEGRATION_ID,
    warns('course_format', 'on_campus/online/blended is no Moodle course format'),
    warns('blueprint_course_id', 'Moodle has no blueprint courses (a template copies once: use mdlsync TEMPLATE)'),
    warns('grade_passback_setting', 'Moodle has no grade passback setting'),
    warns('homeroom_course', 'Moodle has no homeroom courses'),
    warns('friendly_name', 'Moodle has no friendly course name'),
  ],
  parts: [{ type: 'courses', header: ['external_course_key', 'course_id', 'course_name', 'category', 'start_date', 'end_date', 'available_ind', 'row_status'] }],
  row(get, settings) {
    const key = get('course_id');
    if (key === '') return missing('course_id');
    const status = statusOf(get('status'), ['active', 'published', 'completed', 'deleted'], key);
    if (typeof status !== 'string') return status;
    const start = dateCell(get('start_date'), 'start_date', key);
    if (typeof start !== 'string') return start;
    const end = dateCell(get('end_date'), 'end_date', key);
    if (typeof end !== 'string') return end;
    const row: NativeRow = {
      external_course_key: key,
      course_id: get('short_name'),
      course_name: get('long_name'),
      category: get('account_id') || (settings.defaultCategory ?? ''),
      start_date: start,
      end_date: end,
      available_ind: 'Y',
      row_status: DELETED(status),
    };
    return { rows: { courses: [row] } };
  },
};

const SECTIONS: CanvasFile = {
  required: ['section_id', 'course_id', 'name', 'status'],
  columns: [
    acts('section_id', 'the group key (EXTERNAL_GROUP_KEY), stored as the group idnumber'),
    acts('course_id', 'the course the group is in (its key)'),
    acts('name', 'the group name'),
    acts('status', '`active`; `deleted` disables the group (see Group feeds)'),
    INTEGRATION_ID,
    warns('start_date', 'Moodle groups have no dates (the course and enrolment dates apply)'),
    warns('end_date', 'Moodle groups have no dates (the course and enrolment dates apply)'),
  ],
  parts: [{ type: 'groups', header: ['external_course_key', 'external_group_key', 'group_name', 'row_status'] }],
  row(get) {
    const key = get('section_id');
    if (key === '') return missing('section_id');
    if (get('course_id') === '') return missing('course_id', key);
    const status = statusOf(get('status'), ['active', 'deleted'], key);
    if (typeof status !== 'string') return status;
    return { rows: { groups: [{ external_course_key: get('course_id'), external_group_key: key, group_name: get('name'), row_status: DELETED(status) }] } };
  },
};

const ENROLLMENT_STATUSES = ['active', 'deleted', 'completed', 'inactive', 'deleted_last_completed'];

function enrollments(lower: readonly string[]): CanvasFile {
  const parts: Array<{ type: 'enrolments' | 'group-members' | 'observers'; header: readonly string[] }> = [
    { type: 'enrolments', header: ['external_course_key', 'external_person_key', 'role', 'start_date', 'end_date', 'available_ind', 'row_status'] },
  ];
  const sections = lower.includes('section_id');
  const observers = lower.includes('associated_user_id');
  if (sections) parts.push({ type: 'group-members', header: ['external_course_key', 'external_group_key', 'external_person_key', 'row_status'] });
  if (observers) parts.push({ type: 'observers', header: ['external_observer_key', 'external_user_key', 'row_status'] });
  return {
    required: ['course_id', 'user_id', 'role', 'status'],
    refuse: (l) =>
      l.includes('role_id') && !l.includes('role')
        ? 'role_id names Canvas roles by their Canvas ids, which mean nothing in Moodle: give the role column instead (student, teacher, ta, designer, observer or a role name)'
        : undefined,
    columns: ENROLLMENT_COLUMNS,
    parts,
    row(get) {
      const course = get('course_id');
      const user = get('user_id');
      const key = `${course}|${user}`;
      if (user === '') return missing('user_id', key);
      if (course === '') return { error: { code: 'missing-value', message: 'course_id is empty: mdlsync needs the course of each enrollment (a section_id alone does not name it)', key } };
      const status = statusOf(get('status'), ENROLLMENT_STATUSES, key);
      if (typeof status !== 'string') return status;
      const role = get('role');
      if (role === '') return missing('role', key);
      const rowStatus = status.startsWith('deleted') ? 'deleted' : 'enabled';
      if (role.toLowerCase() === 'observer') {
        const observed = get('associated_user_id');
        if (observed === '') {
          return { error: { code: 'invalid-value', message: 'an observer enrollment without associated_user_id: Moodle has no course observer role; name the observed student in associated_user_id (or user_observers.csv)', key } };
        }
        return { rows: { observers: [{ external_observer_key: user, external_user_key: observed, row_status: rowStatus }] } };
      }
      const start = dateCell(get('start_date'), 'start_date', key);
      if (typeof start !== 'string') return start;
      const end = dateCell(get('end_date'), 'end_date', key);
      if (typeof end !== 'string') return end;
      const enrolment: NativeRow = {
        external_course_key: course,
        external_person_key: user,
        role: CANVAS_ROLES[role.toLowerCase()] ?? role,
        start_date: start,
        end_date: end,
        // completed (read-only) and inactive (listed, no access): Moodle's nearest is a suspended enrolment.
        available_ind: status === 'completed' || status === 'inactive' ? 'N' : 'Y',
        row_status: rowStatus,
      };
      const section = sections ? get('section_id') : '';
      const members = section === '' ? {} : { 'group-members': [{ external_course_key: course, external_group_key: section, external_person_key: user, row_status: rowStatus }] };
      return { rows: { enrolments: [enrolment], ...members } };
    },
  };
}

const ENROLLMENT_COLUMNS: readonly DialectColumn[] = [
  acts('course_id', 'the course (its key)'),
  acts('user_id', 'the person (their key)'),
  acts('role', 'student → student, teacher → editingteacher, ta → teacher, designer → editingteacher, observer → an observer link (associated_user_id); another name goes on as a role shortname or enrolments.roleMap name'),
  acts('section_id', 'also a membership of the group of that section (sections.csv)'),
  acts('status', '`active`; `completed` and `inactive` suspend the enrolment; `deleted` (and `deleted_last_completed`) disables it (enrolments.disable) and removes the section membership'),
  acts('start_date', 'enrolment start (ISO 8601, UTC unless it gives an offset)'),
  acts('end_date', 'enrolment end (ISO 8601, UTC unless it gives an offset)'),
  acts('associated_user_id', 'for observer rows: the observed student, an observer link (parent role over that person); ignored for other roles, as in Canvas'),
  warns('role_id', 'Canvas role ids mean nothing in Moodle: the role column names the role'),
  warns('user_integration_id', 'mdlsync finds people by user_id (their idnumber)'),
  warns('root_account', 'Moodle has one site'),
  warns('limit_section_privileges', 'Moodle has no per-enrolment section limit (use separate groups mode in the course)'),
  warns('notify', "Moodle's manual enrolment sends the course welcome message as the course says"),
];

const USER_OBSERVERS: CanvasFile = {
  required: ['observer_id', 'student_id', 'status'],
  columns: [
    acts('observer_id', 'the observer (their key)'),
    acts('student_id', 'the observed person (their key)'),
    acts('status', '`active`; `deleted` removes the observer link'),
  ],
  parts: [{ type: 'observers', header: ['external_observer_key', 'external_user_key', 'row_status'] }],
  row(get) {
    const key = `${get('observer_id')}|${get('student_id')}`;
    if (get('observer_id') === '') return missing('observer_id', key);
    if (get('student_id') === '') return missing('student_id', key);
    const status = statusOf(get('status'), ['active', 'deleted'], key);
    if (typeof status !== 'string') return status;
    return { rows: { observers: [{ external_observer_key: get('observer_id'), external_user_key: get('student_id'), row_status: DELETED(status) }] } };
  },
};

const GROUPS: CanvasFile = {
  required: ['group_id', 'name', 'status'],
  columns: [
    acts('group_id', 'the cohort key (EXTERNAL_COHORT_KEY), stored as the cohort idnumber'),
    acts('name', 'the cohort name'),
    acts('account_id', 'the cohort context: that category (a key from accounts.csv); empty: system'),
    acts('status', '`available`; `deleted` disables the cohort (see Cohort feeds)'),
    acts('course_id', 'a course group is not read: the row fails (course groups of Canvas are sections here)'),
    warns('group_category_id', 'Moodle cohorts have no categories of groups'),
  ],
  parts: [{ type: 'cohorts', header: ['external_cohort_key', 'name', 'context', 'row_status'] }],
  row(get) {
    const key = get('group_id');
    if (key === '') return missing('group_id');
    if (get('course_id') !== '') {
      return { error: { code: 'invalid-value', message: `a course group (course_id ${get('course_id')}): mdlsync reads Canvas groups as cohorts, which have no course; give course groups as sections`, key } };
    }
    const status = statusOf(get('status'), ['available', 'deleted'], key);
    if (typeof status !== 'string') return status;
    return { rows: { cohorts: [{ external_cohort_key: key, name: get('name'), context: get('account_id'), row_status: DELETED(status) }] } };
  },
};

const GROUP_MEMBERSHIPS: CanvasFile = {
  required: ['group_id', 'user_id', 'status'],
  columns: [
    acts('group_id', 'the cohort (its key, groups.csv)'),
    acts('user_id', 'the person (their key)'),
    acts('status', '`accepted`; `deleted` removes the membership'),
  ],
  parts: [{ type: 'cohort-members', header: ['external_cohort_key', 'external_person_key', 'row_status'] }],
  row(get) {
    const key = `${get('group_id')}|${get('user_id')}`;
    if (get('group_id') === '') return missing('group_id', key);
    if (get('user_id') === '') return missing('user_id', key);
    const status = statusOf(get('status'), ['accepted', 'deleted'], key);
    if (typeof status !== 'string') return status;
    return { rows: { 'cohort-members': [{ external_cohort_key: get('group_id'), external_person_key: get('user_id'), row_status: DELETED(status) }] } };
  },
};

function kind(name: string, title: string, entities: DialectKind['entities'], claims: DialectKind['claims'], file: CanvasFile | ((lower: readonly string[]) => CanvasFile)): DialectKind {
  const table = typeof file === 'function' ? file([]) : file;
  return {
    name,
    title,
    entities,
    claims,
    columns: table.columns,
    compile(lower, columns, settings) {
      return compileCanvas(typeof file === 'function' ? file(lower) : file, `Canvas ${title}`, lower, columns, settings);
    },
  };
}

/** A file Canvas reads and mdlsync does not: recognised by its header, refused with what to do instead. */
function refused(name: string, title: string, claims: DialectKind['claims'], columns: readonly DialectColumn[], why: string, ignoredInArchive: boolean): DialectKind {
  return {
    name,
    title,
    entities: [],
    claims,
    columns,
    ...(ignoredInArchive ? { ignored: why } : {}),
    compile() {
      throw new FeedFileError('unknown-type', `Canvas ${title}: ${why}`);
    },
  };
}

const TERMS_WHY =
  'Moodle has no terms, so mdlsync does nothing with this file: give each course its own start_date and end_date in courses.csv (its term_id is a warning), and run refresh-ds with one data source per term for what Canvas batch mode does per term';
const XLISTS_WHY =
  'cross-listing moves a section into another course, and a Moodle group cannot move between courses: enrol the people in the cross-listed course (enrollments.csv with its course_id) and give its sections as groups of that course';
const CHANGE_SIS_ID_WHY =
  "mdlsync does not re-key records from a file (the ledger and Moodle's idnumbers would have to change together, and the files after it in the same import would name the new ids): change the idnumber in Moodle by hand and run the files with the new ids, or keep the old ids";

export const canvas: DialectDefinition = {
  name: 'canvas',
  title: 'Canvas SIS import',
  source: 'https://canvas.instructure.com/doc/api/file.sis_csv.html',
  kinds: [
    kind('accounts', 'accounts.csv', ['categories'], (l) => has(l, 'account_id', 'parent_account_id'), ACCOUNTS),
    refused(
      'terms',
      'terms.csv',
      (l) => has(l, 'term_id', 'name') && !l.includes('course_id'),
      ['term_id', 'name', 'status', 'start_date', 'end_date', 'integration_id', 'date_override_enrollment_type'].map((n, i) => refuses(n, i === 0 ? TERMS_WHY : 'see term_id')),
      TERMS_WHY,
      true,
    ),
    kind('courses', 'courses.csv', ['courses'], (l) => has(l, 'course_id', 'short_name', 'long_name'), COURSES),
    kind('sections', 'sections.csv', ['groups'], (l) => has(l, 'section_id', 'course_id', 'name') && !l.includes('user_id'), SECTIONS),
    kind('users', 'users.csv', ['persons'], (l) => has(l, 'user_id', 'login_id') && !l.some((n) => n.startsWith('existing_')), USERS),
    kind('enrollments', 'enrollments.csv', ['enrolments', 'group-members', 'observers'], (l) => has(l, 'course_id', 'user_id') && (l.includes('role') || l.includes('role_id')), enrollments),
    kind('groups', 'groups.csv', ['cohorts'], (l) => has(l, 'group_id', 'name') && !l.includes('user_id'), GROUPS),
    kind('group_memberships', 'group_memberships.csv', ['cohort-members'], (l) => has(l, 'group_id', 'user_id'), GROUP_MEMBERSHIPS),
    kind('user_observers', 'user_observers.csv', ['observers'], (l) => has(l, 'observer_id', 'student_id'), USER_OBSERVERS),
    refused(
      'xlists',
      'xlists.csv',
      (l) => has(l, 'xlist_course_id', 'section_id'),
      ['xlist_course_id', 'section_id', 'status'].map((n, i) => refuses(n, i === 0 ? XLISTS_WHY : 'see xlist_course_id')),
      XLISTS_WHY,
      false,
    ),
    refused(
      'change_sis_id',
      'change_sis_id.csv',
      (l) => has(l, 'old_id', 'new_id', 'type'),
      ['old_id', 'new_id', 'old_integration_id', 'new_integration_id', 'type'].map((n, i) => refuses(n, i === 0 ? CHANGE_SIS_ID_WHY : 'see old_id')),
      CHANGE_SIS_ID_WHY,
      false,
    ),
  ],
};
