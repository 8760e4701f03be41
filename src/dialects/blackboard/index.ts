/**
 * Blackboard Learn SIS Framework "Snapshot Flat File" feeds (help.blackboard.com, Snapshot Flat File › Snapshot
 * Header): one object type per file, headers by name in any order, pipe (or comma, tab…) delimited, dates yyyymmdd,
 * indicators Y/N. mdlsync's native SIS tables already read the basic columns of persons, courses, memberships,
 * secondary institution roles and observer associations, so this dialect claims a header only when it has a
 * documented Blackboard column the native tables lack, and translates into the native SIS columns. Terms and
 * Blackboard's course categories become Moodle categories; a category membership moves the course.
 */
import type { DialectColumn, DialectDefinition, DialectKind, NativeRow, Translation } from '../definition.js';
import { PartFailure, columnWarnings, warns } from '../values.js';
import { cellReader, isoDate, membershipRole, refused, type Cells } from './values.js';

const SOURCE = 'https://help.blackboard.com/Learn/Administrator/SaaS/Integrations/Student_Information_System/SIS_Integration_Types/Snapshot_Flat_File/Snapshot_Header';

/** Columns every Blackboard object has. */
const COMMON: DialectColumn[] = [
  { name: 'data_source_key', treatment: 'acts', means: 'the data source that owns the record (DATA_SOURCE_KEY; config dataSourceFamilies lets SIS.PERSON, SIS.COURSE … own together)' },
  { name: 'row_status', treatment: 'acts', means: 'enabled stores, disabled and deleted disable (ROW_STATUS)' },
  { name: 'available_ind', treatment: 'acts', means: 'Y available, N unavailable (AVAILABLE_IND)' },
  { name: 'new_data_source_key', treatment: 'acts', means: 'a row with a value fails: mdlsync does not move records between data sources from a feed' },
];


/** The common native columns of a row. */
function common(c: Cells, available = true): NativeRow {
  const row: NativeRow = { data_source_key: c.get('data_source_key'), row_status: c.get('row_status') };
  if (available) row.available_ind = c.get('available_ind');
  return row;
}

/** The whole row fails when it asks for a key or data-source change mdlsync cannot make from a feed. */
function changeRefused(c: Cells, keyColumn: string, key: string): Translation | undefined {
  if (c.get(keyColumn) !== '') return refused('invalid-value', `column ${keyColumn.toUpperCase()}: mdlsync keeps a record's external key (its Moodle idnumber); change the idnumber in Moodle and send the new key, or leave the column empty`, key);
  if (c.get('new_data_source_key') !== '') return refused('invalid-value', 'column NEW_DATA_SOURCE_KEY: mdlsync does not move records between data sources from a feed; leave the column empty', key);
  return undefined;
}

function compiled(kind: DialectKind, lower: readonly string[], columns: readonly string[], parts: DialectKind['entities'], headers: Record<string, readonly string[]>, translate: (c: Cells, line: number) => Translation) {
  const read = cellReader(lower);
  return {
    parts: parts.map((type) => ({ type, header: headers[type] })),
    warnings: columnWarnings(lower, columns, kind.columns),
    translate: (cells: readonly string[], line: number) => translate(read(cells), line),
  };
}

const PERSON_NATIVE = ['external_person_key', 'user_id', 'passwd', 'firstname', 'lastname', 'middlename', 'alternatename', 'email', 'address', 'city', 'country', 'department', 'institution', 'phone1', 'phone2', 'available_ind', 'row_status', 'data_source_key'];
const ROLE_NATIVE = ['external_person_key', 'role_id', 'row_status', 'data_source_key'];

/** Person columns the native persons table lacks: any one makes the header Blackboard's. */
const PERSON_EXTRA = ['system_role', 'institution_role', 'student_id', 'othername', 'suffix', 'title', 'gender', 'birthdate', 'educ_level', 'inst_email', 'domain_name', 'street_2', 'state', 'zip_code', 'h_phone_1', 'h_phone_2', 'b_phone_2', 'job_title', 'webpage', 'website', 'pronouns', 'pwencryptiontype', 'new_external_person_key', 'new_data_source_key'];

const person: DialectKind = {
  name: 'person',
  title: 'person (User) feed',
  entities: ['persons', 'institution-roles'],
  claims: (lower) => lower.includes('external_person_key') && !lower.some((n) => ['external_course_key', 'external_organization_key', 'role_id'].includes(n)) && lower.some((n) => PERSON_EXTRA.includes(n)),
  columns: [
    { name: 'external_person_key', treatment: 'acts', means: 'the person key (Moodle idnumber)' },
    { name: 'user_id', treatment: 'acts', means: 'username' },
    { name: 'passwd', treatment: 'acts', means: 'password (as persons.passwords says: on create by default)' },
    { name: 'pwencryptiontype', treatment: 'acts', means: 'a row with a value and a PASSWD fails: Moodle\'s web services take only plain passwords (leave PASSWD empty, or send it in clear)' },
    { name: 'firstname', treatment: 'acts', means: 'first name' },
    { name: 'lastname', treatment: 'acts', means: 'last name' },
    { name: 'middlename', treatment: 'acts', means: 'middle name' },
    { name: 'othername', treatment: 'acts', means: 'alternate name (Moodle alternatename)' },
    { name: 'email', treatment: 'acts', means: 'email' },
    { name: 'street_1', treatment: 'acts', means: 'address (with STREET_2 after a comma)' },
    { name: 'street_2', treatment: 'acts', means: 'address, after STREET_1' },
    { name: 'city', treatment: 'acts', means: 'city' },
    { name: 'country', treatment: 'acts', means: 'country when it is a two-letter ISO code (Moodle stores only the code); other values are not sent' },
    { name: 'department', treatment: 'acts', means: 'department' },
    { name: 'company', treatment: 'acts', means: 'institution' },
    { name: 'b_phone_1', treatment: 'acts', means: 'phone (Moodle phone1)' },
    { name: 'h_phone_1', treatment: 'acts', means: 'phone (Moodle phone1) when B_PHONE_1 is empty' },
    { name: 'm_phone', treatment: 'acts', means: 'mobile phone (Moodle phone2)' },
    { name: 'institution_role', treatment: 'acts', means: 'the primary institution role: an institution-roles row (PERSON|ROLE), as config institutionRoles says (a cohort role:ROLE by default)' },
    ...COMMON,
    warns('system_role', 'Blackboard system roles have no safe Moodle mapping (sys_admin would be a site administrator, which web services cannot grant): not acted on; give Moodle system roles through institution roles (institutionRoles.mode system-role)'),
    warns('student_id', 'Moodle has one ID number field, which holds EXTERNAL_PERSON_KEY: not stored (a custom profile field could hold it: use profile_field_<shortname> in a native file)'),
    warns('title', 'Moodle users have no title: not stored'),
    warns('suffix', 'Moodle users have no name suffix: not stored'),
    warns('gender', 'Moodle users have no gender field: not stored'),
    warns('birthdate', 'Moodle users have no birth date field: not stored'),
    warns('educ_level', 'Moodle users have no education level: not stored'),
    warns('inst_email', 'Moodle users have one email (EMAIL): not stored'),
    warns('domain_name', 'no Moodle equivalent: not stored'),
    warns('state', 'Moodle users have no state field: not stored'),
    warns('zip_code', 'Moodle users have no postal code field: not stored'),
    warns('h_phone_2', 'Moodle users have two phones (B_PHONE_1 or H_PHONE_1, and M_PHONE): not stored'),
    warns('b_phone_2', 'Moodle users have two phones (B_PHONE_1 or H_PHONE_1, and M_PHONE): not stored'),
    warns('job_title', 'Moodle users have no job title: not stored'),
    warns('webpage', 'Moodle no longer has a web page field: not stored'),
    warns('website', 'Moodle no longer has a web page field: not stored'),
    warns('pronouns', 'Moodle users have no pronouns field: not stored'),
    { name: 'new_external_person_key', treatment: 'acts', means: 'a row with a value fails: mdlsync keeps a person\'s key' },
  ],
  compile(lower, columns) {
    const withRole = lower.includes('institution_role');
    return compiled(person, lower, columns, withRole ? ['persons', 'institution-roles'] : ['persons'], { persons: PERSON_NATIVE, 'institution-roles': ROLE_NATIVE }, (c) => {
      const key = c.get('external_person_key');
      const no = changeRefused(c, 'new_external_person_key', key);
      if (no) return no;
      if (c.get('pwencryptiontype') !== '' && c.get('passwd') !== '') {
        return refused('invalid-value', `column PWENCRYPTIONTYPE: a ${c.get('pwencryptiontype')} hash cannot be set as a Moodle password through web services; send the password in clear or leave PASSWD empty`, key);
      }
      const country = c.get('country');
      const row: NativeRow = {
        external_person_key: key,
        user_id: c.get('user_id'),
        passwd: c.get('passwd'),
        firstname: c.get('firstname', 'first_name'),
        lastname: c.get('lastname', 'last_name'),
        middlename: c.get('middlename'),
        alternatename: c.get('othername'),
        email: c.get('email'),
        address: [c.get('street_1'), c.get('street_2')].filter((s) => s !== '').join(', '),
        city: c.get('city'),
        country: /^[a-z]{2}$/i.test(country) ? country.toUpperCase() : '',
        department: c.get('department'),
        institution: c.get('company'),
        phone1: c.get('b_phone_1', 'h_phone_1'),
        phone2: c.get('m_phone'),
        ...common(c),
      };
      const role = c.get('institution_role');
      const roles: NativeRow[] = withRole && role !== '' ? [{ external_person_key: key, role_id: role, row_status: c.get('row_status'), data_source_key: c.get('data_source_key') }] : [];
      return { rows: withRole ? { persons: [row], 'institution-roles': roles } : { persons: [row] } };
    });
  },
};

const COURSE_NATIVE = ['external_course_key', 'course_id', 'course_name', 'category', 'start_date', 'end_date', 'template', 'description', 'available_ind', 'row_status', 'data_source_key'];

/** Course columns the native courses table lacks. */
const COURSE_EXTRA = ['external_organization_key', 'organization_id', 'organization_name', 'duration', 'external_term_key', 'enroll_start', 'enroll_end', 'days_of_use', 'template_course_key', 'template_organization_key', 'primary_external_node_key', 'catalog_ind', 'allow_guest_ind', 'allow_observer_ind', 'lockout_ind', 'enroll_option', 'locale', 'institution_name', 'fee', 'soft_limit', 'new_external_course_key', 'new_external_organization_key', 'new_data_source_key'];
const COURSE_KEYS = ['external_course_key', 'external_organization_key'];

const course: DialectKind = {
  name: 'course',
  title: 'course (or organization) feed',
  entities: ['courses'],
  claims: (lower) => lower.some((n) => COURSE_KEYS.includes(n)) && !lower.includes('external_person_key') && !lower.includes('external_category_key') && lower.some((n) => COURSE_EXTRA.includes(n)),
  columns: [
    { name: 'external_course_key', treatment: 'acts', means: 'the course key (Moodle idnumber); EXTERNAL_ORGANIZATION_KEY alike' },
    { name: 'external_organization_key', treatment: 'acts', means: 'an organization is a Moodle course too: its key (idnumber)' },
    { name: 'course_id', treatment: 'acts', means: 'short name (ORGANIZATION_ID alike)' },
    { name: 'organization_id', treatment: 'acts', means: 'short name' },
    { name: 'course_name', treatment: 'acts', means: 'full name (ORGANIZATION_NAME alike)' },
    { name: 'organization_name', treatment: 'acts', means: 'full name' },
    { name: 'start_date', treatment: 'acts', means: 'course start date (yyyymmdd)' },
    { name: 'end_date', treatment: 'acts', means: 'course end date (yyyymmdd); not sent when DURATION is C (continuous): a new course then gets Moodle\'s default course duration' },
    { name: 'duration', treatment: 'acts', means: 'C continuous (no end date), R range (START_DATE–END_DATE); D and T are read as R (see the DURATION warning)' },
    { name: 'external_term_key', treatment: 'acts', means: 'the category: the term\'s category (a term is a category keyed by EXTERNAL_TERM_KEY); without a term, dialects.defaultCategory' },
    { name: 'template_course_key', treatment: 'acts', means: 'template course (created as a copy of it); TEMPLATE_ORGANIZATION_KEY alike' },
    { name: 'template_organization_key', treatment: 'acts', means: 'template course' },
    { name: 'description', treatment: 'acts', means: 'course summary' },
    ...COMMON,
    warns('enroll_start', 'Moodle self-enrolment periods are not set from a course feed: not acted on'),
    warns('enroll_end', 'Moodle self-enrolment periods are not set from a course feed: not acted on'),
    warns('days_of_use', 'Moodle courses have no per-enrolment length (DURATION D): enrolments get no end date'),
    warns('enroll_option', 'Moodle enrolment methods are not set from a course feed: not acted on'),
    warns('catalog_ind', 'Moodle lists every visible course: not acted on'),
    warns('allow_guest_ind', 'Moodle guest access is an enrolment method: not acted on'),
    warns('allow_observer_ind', 'Moodle observers (parents) see through their user-context role: not acted on'),
    warns('lockout_ind', 'no Moodle equivalent (use AVAILABLE_IND): not acted on'),
    warns('locale', 'the course language is not set from the feed: not acted on'),
    warns('institution_name', 'no Moodle course field: not stored'),
    warns('fee', 'no Moodle course field: not stored'),
    warns('soft_limit', 'no Moodle course field: not stored'),
    warns('primary_external_node_key', 'Blackboard\'s institutional hierarchy has no Moodle equivalent (categories are the one hierarchy): not acted on'),
    { name: 'new_external_course_key', treatment: 'acts', means: 'a row with a value fails: mdlsync keeps a course\'s key' },
    { name: 'new_external_organization_key', treatment: 'acts', means: 'a row with a value fails: mdlsync keeps a course\'s key' },
  ],
  compile(lower, columns, settings) {
    const read = compiled(course, lower, columns, ['courses'], { courses: COURSE_NATIVE }, (c) => {
      const key = c.get(...COURSE_KEYS);
      const no = changeRefused(c, lower.includes('new_external_organization_key') ? 'new_external_organization_key' : 'new_external_course_key', key);
      if (no) return no;
      const continuous = c.get('duration').toUpperCase() === 'C';
      const start = isoDate(c.get('start_date'), 'START_DATE', key);
      const end = continuous ? '' : isoDate(c.get('end_date'), 'END_DATE', key);
      if (start instanceof PartFailure) return { rows: { courses: [start] } };
      if (end instanceof PartFailure) return { rows: { courses: [end] } };
      return {
        rows: {
          courses: [
            {
              external_course_key: key,
              course_id: c.get('course_id', 'organization_id'),
              course_name: c.get('course_name', 'organization_name'),
              category: c.get('external_term_key') || (settings.defaultCategory ?? ''),
              start_date: start,
              end_date: end,
              template: c.get('template_course_key', 'template_organization_key'),
              description: c.get('description'),
              ...common(c),
            },
          ],
        },
      };
    });
    const duration = lower.includes('duration') ? ['DURATION: D (days of use) and T (dictated by the term) are read as a date range: Moodle courses have one start and end date and terms carry none'] : [];
    // Learn needs no category; Moodle's new courses do: without a term or the setting they fail (CATEGORY).
    const placed = settings.defaultCategory !== undefined ? [] : ['EXTERNAL_TERM_KEY: a new course without a term fails unless config dialects.defaultCategory names the category for it (an existing course stays where it is)'];
    return { ...read, warnings: [...read.warnings, ...duration, ...placed] };
  },
};

const CATEGORY_NATIVE = ['external_category_key', 'name', 'parent_key', 'description', 'row_status', 'data_source_key'];

const category: DialectKind = {
  name: 'coursecategory',
  title: 'course category feed',
  entities: ['categories'],
  claims: (lower) => lower.includes('external_category_key') && !lower.some((n) => COURSE_KEYS.includes(n)) && lower.some((n) => ['title', 'parent_category_key', 'frontpage_ind', 'restrict_ind', 'new_external_category_key', 'new_data_source_key'].includes(n)),
  columns: [
    { name: 'external_category_key', treatment: 'acts', means: 'the category key (Moodle category idnumber)' },
    { name: 'title', treatment: 'acts', means: 'category name' },
    { name: 'parent_category_key', treatment: 'acts', means: 'the parent category (by key); empty: top level' },
    { name: 'description', treatment: 'acts', means: 'category description' },
    ...COMMON.filter((c) => c.name !== 'available_ind'),
    warns('available_ind', 'mdlsync does not hide categories: not acted on (ROW_STATUS disabled hides nothing either; see categories)'),
    warns('frontpage_ind', 'Moodle\'s front page lists categories its own way: not acted on'),
    warns('restrict_ind', 'no Moodle equivalent: not acted on'),
    { name: 'new_external_category_key', treatment: 'acts', means: 'a row with a value fails: mdlsync keeps a category\'s key' },
  ],
  compile(lower, columns) {
    return compiled(category, lower, columns, ['categories'], { categories: CATEGORY_NATIVE }, (c) => {
      const key = c.get('external_category_key');
      const no = changeRefused(c, 'new_external_category_key', key);
      if (no) return no;
      return { rows: { categories: [{ external_category_key: key, name: c.get('title'), parent_key: c.get('parent_category_key'), description: c.get('description'), ...common(c, false) }] } };
    });
  },
};

const term: DialectKind = {
  name: 'term',
  title: 'term feed',
  entities: ['categories'],
  claims: (lower) => lower.includes('external_term_key') && !lower.some((n) => COURSE_KEYS.includes(n)) && !lower.includes('external_category_key'),
  columns: [
    { name: 'external_term_key', treatment: 'acts', means: 'a Moodle category keyed (idnumber) by the term key; courses with this EXTERNAL_TERM_KEY go in it' },
    { name: 'name', treatment: 'acts', means: 'category name' },
    { name: 'external_parent_term_key', treatment: 'acts', means: 'the parent term\'s category; empty or NONE: top level' },
    { name: 'description', treatment: 'acts', means: 'category description' },
    ...COMMON.filter((c) => c.name !== 'available_ind'),
    warns('available_ind', 'a term\'s availability does not reach its Moodle courses: set the courses\' AVAILABLE_IND'),
    warns('start_date', 'Moodle categories have no dates: give the courses their START_DATE'),
    warns('end_date', 'Moodle categories have no dates: give the courses their END_DATE'),
    warns('duration', 'Moodle categories have no dates: not acted on'),
    warns('days_of_use', 'Moodle categories have no dates: not acted on'),
    warns('term_type', 'no Moodle equivalent: not stored'),
    { name: 'new_external_term_key', treatment: 'acts', means: 'a row with a value fails: mdlsync keeps a term\'s key' },
  ],
  compile(lower, columns) {
    return compiled(term, lower, columns, ['categories'], { categories: CATEGORY_NATIVE }, (c) => {
      const key = c.get('external_term_key');
      const no = changeRefused(c, 'new_external_term_key', key);
      if (no) return no;
      const parent = c.get('external_parent_term_key');
      return { rows: { categories: [{ external_category_key: key, name: c.get('name'), parent_key: parent.toUpperCase() === 'NONE' ? '' : parent, description: c.get('description'), ...common(c, false) }] } };
    });
  },
};

const categoryMembership: DialectKind = {
  name: 'coursecategorymembership',
  title: 'course category membership feed',
  entities: ['courses'],
  claims: (lower) => lower.includes('external_category_key') && lower.some((n) => COURSE_KEYS.includes(n)),
  columns: [
    { name: 'external_category_key', treatment: 'acts', means: 'the category the course moves to (Moodle courses are in exactly one category)' },
    { name: 'external_course_key', treatment: 'acts', means: 'the course (must exist); EXTERNAL_ORGANIZATION_KEY alike' },
    { name: 'external_organization_key', treatment: 'acts', means: 'the course (must exist)' },
    { name: 'data_source_key', treatment: 'acts', means: 'read, not sent: the move leaves the course with its owner (the course feed\'s data source)' },
    { name: 'row_status', treatment: 'acts', means: 'enabled moves the course; a disabled or deleted row fails: a Moodle course cannot leave its only category (send it with its new category instead)' },
    warns('available_ind', 'a Moodle course is in its category or not: not acted on'),
    { name: 'new_data_source_key', treatment: 'acts', means: 'a row with a value fails' },
  ],
  compile(lower, columns) {
    return compiled(categoryMembership, lower, columns, ['courses'], { courses: ['external_course_key', 'category'] }, (c) => {
      const course = c.get(...COURSE_KEYS);
      const cat = c.get('external_category_key');
      const key = `${course}|${cat}`;
      if (c.get('new_data_source_key') !== '') return refused('invalid-value', 'column NEW_DATA_SOURCE_KEY: mdlsync does not move records between data sources from a feed; leave the column empty', key);
      const status = c.get('row_status').toLowerCase();
      if (status === 'disabled' || status === 'deleted') return refused('invalid-value', `ROW_STATUS ${status}: a Moodle course cannot leave its only category; send it with the category it moves to`, key);
      if (course === '' || cat === '') return refused('missing-value', 'a category membership needs EXTERNAL_COURSE_KEY and EXTERNAL_CATEGORY_KEY', key);
      return { rows: { courses: [{ external_course_key: course, category: cat }] } };
    });
  },
};

const ENROLMENT_NATIVE = ['external_course_key', 'external_person_key', 'role', 'available_ind', 'row_status', 'data_source_key'];
const MEMBERSHIP_EXTRA = ['external_organization_key', 'receive_email_ind', 'roster_ind', 'primary_instructor', 'intro', 'pinfo', 'photo_link', 'cartridge_ind', 'new_data_source_key'];

const membership: DialectKind = {
  name: 'membership',
  title: 'course (or organization) membership feed',
  entities: ['enrolments'],
  claims: (lower) => lower.some((n) => COURSE_KEYS.includes(n)) && lower.includes('external_person_key') && lower.some((n) => MEMBERSHIP_EXTRA.includes(n) || n.startsWith('link_')),
  columns: [
    { name: 'external_course_key', treatment: 'acts', means: 'the course (idnumber); EXTERNAL_ORGANIZATION_KEY alike' },
    { name: 'external_organization_key', treatment: 'acts', means: 'the course (idnumber)' },
    { name: 'external_person_key', treatment: 'acts', means: 'the person (idnumber)' },
    { name: 'role', treatment: 'acts', means: 'Instructor and Course Builder → editingteacher, Teaching Assistant and Grader → teacher, Student → student (enrolments.roleMap defaults; a custom role id through roleMap); Guest and none fail' },
    ...COMMON,
    warns('receive_email_ind', 'Moodle has no per-enrolment email switch: not acted on'),
    warns('roster_ind', 'Moodle has no per-enrolment roster switch: not acted on'),
    warns('primary_instructor', 'Moodle has no primary instructor: not acted on'),
    warns('intro', 'deprecated by Blackboard: ignored'),
    warns('pinfo', 'deprecated by Blackboard: ignored'),
    warns('link_<name>', 'deprecated by Blackboard: ignored'),
    warns('photo_link', 'deprecated by Blackboard: ignored'),
    warns('cartridge_ind', 'deprecated by Blackboard: ignored'),
  ],
  compile(lower, columns) {
    return compiled(membership, lower, columns, ['enrolments'], { enrolments: ENROLMENT_NATIVE }, (c) => {
      const course = c.get(...COURSE_KEYS);
      const personKey = c.get('external_person_key');
      const key = `${course}|${personKey}`;
      if (c.get('new_data_source_key') !== '') return refused('invalid-value', 'column NEW_DATA_SOURCE_KEY: mdlsync does not move records between data sources from a feed; leave the column empty', key);
      const given = c.get('role');
      const role = given === '' ? '' : membershipRole(given, key);
      if (role instanceof PartFailure) return { rows: { enrolments: [role] } };
      return { rows: { enrolments: [{ external_course_key: course, external_person_key: personKey, role, ...common(c) }] } };
    });
  },
};

export const blackboard: DialectDefinition = {
  name: 'blackboard',
  title: 'Blackboard snapshot flat file',
  source: SOURCE,
  kinds: [person, course, category, term, categoryMembership, membership],
};
