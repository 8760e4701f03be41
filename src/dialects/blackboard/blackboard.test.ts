import { describe, expect, it } from '@jest/globals';
import { DEFAULT_DIALECT_SETTINGS, PartFailure, type DialectKind } from '../definition.js';
import { kindClaiming } from '../index.js';
import { blackboard } from './index.js';
import { DEFAULT_ENROLMENT_SETTINGS, resolveRole } from '../../entities/enrolments/rules.js';

const kind = (name: string): DialectKind => blackboard.kinds.find((k) => k.name === name)!;

function compile(name: string, header: string, settings = DEFAULT_DIALECT_SETTINGS) {
  const columns = header.split('|');
  return kind(name).compile(columns.map((c) => c.trim().toLowerCase()), columns, settings);
}

const claimed = (header: string) => kindClaiming(header.toLowerCase().split('|'))?.kind.name;

describe('blackboard: which headers it claims', () => {
  it('claims a header only when a documented Blackboard column is one the native tables lack', () => {
    expect(claimed('EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|EMAIL')).toBeUndefined();
    expect(claimed('EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|SYSTEM_ROLE')).toBe('person');
    expect(claimed('EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME')).toBeUndefined();
    expect(claimed('EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME|EXTERNAL_TERM_KEY')).toBe('course');
    expect(claimed('EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE')).toBeUndefined();
    expect(claimed('EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|RECEIVE_EMAIL_IND')).toBe('membership');
    expect(claimed('EXTERNAL_ORGANIZATION_KEY|EXTERNAL_PERSON_KEY|ROLE')).toBe('membership');
    expect(claimed('EXTERNAL_CATEGORY_KEY|TITLE|PARENT_CATEGORY_KEY')).toBe('coursecategory');
    expect(claimed('EXTERNAL_CATEGORY_KEY|NAME|PARENT_KEY')).toBeUndefined();
    expect(claimed('EXTERNAL_COURSE_KEY|EXTERNAL_CATEGORY_KEY|DATA_SOURCE_KEY')).toBe('coursecategorymembership');
    expect(claimed('EXTERNAL_TERM_KEY|NAME|START_DATE|END_DATE')).toBe('term');
    // Secondary institution roles and observer associations are native files.
    expect(claimed('EXTERNAL_PERSON_KEY|ROLE_ID|DATA_SOURCE_KEY')).toBeUndefined();
    expect(claimed('EXTERNAL_OBSERVER_KEY|EXTERNAL_USER_KEY|DATA_SOURCE_KEY')).toBeUndefined();
  });
});

describe('blackboard person', () => {
  const header = 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|MIDDLENAME|LASTNAME|OTHERNAME|EMAIL|STREET_1|STREET_2|CITY|STATE|ZIP_CODE|COUNTRY|B_PHONE_1|H_PHONE_1|M_PHONE|COMPANY|DEPARTMENT|JOB_TITLE|GENDER|BIRTHDATE|STUDENT_ID|SYSTEM_ROLE|INSTITUTION_ROLE|AVAILABLE_IND|ROW_STATUS|DATA_SOURCE_KEY|PWENCRYPTIONTYPE';
  const d = compile('person', header);

  it('maps what Moodle has a field for, and the primary institution role to an institution-roles row', () => {
    const cells = ['P1', 'ana', 'Secret1!', 'Ana', 'Maria', 'Souza', 'Aninha', 'ana@x.edu', '1 Main St', 'Apt 2', 'Lisboa', 'LX', '1000', 'pt', '', '555-1', '555-3', 'Uni', 'Math', 'Lecturer', 'F', '19990101', 'S123', 'none', 'Student', 'Y', 'enabled', 'SIS.PERSON', ''];
    expect(d.parts.map((p) => p.type)).toEqual(['persons', 'institution-roles']);
    expect(d.translate(cells, 2)).toEqual({
      rows: {
        persons: [
          {
            external_person_key: 'P1',
            user_id: 'ana',
            passwd: 'Secret1!',
            firstname: 'Ana',
            lastname: 'Souza',
            middlename: 'Maria',
            alternatename: 'Aninha',
            email: 'ana@x.edu',
            address: '1 Main St, Apt 2',
            city: 'Lisboa',
            country: 'PT',
            department: 'Math',
            institution: 'Uni',
            phone1: '555-1',
            phone2: '555-3',
            available_ind: 'Y',
            row_status: 'enabled',
            data_source_key: 'SIS.PERSON',
          },
        ],
        'institution-roles': [{ external_person_key: 'P1', role_id: 'Student', row_status: 'enabled', data_source_key: 'SIS.PERSON' }],
      },
    });
  });

  it('warns once per column Moodle has no field for; a country that is no ISO code is not sent', () => {
    expect(d.warnings.join('\n')).toMatch(/SYSTEM_ROLE: Blackboard system roles have no safe Moodle mapping/);
    for (const c of ['STATE', 'ZIP_CODE', 'JOB_TITLE', 'GENDER', 'BIRTHDATE', 'STUDENT_ID']) expect(d.warnings.some((w) => w.startsWith(`${c}:`))).toBe(true);
    expect(d.warnings.some((w) => w.startsWith('INSTITUTION_ROLE') || w.startsWith('COUNTRY'))).toBe(false);
    const cells = header.split('|').map(() => '');
    cells[0] = 'P2';
    cells[13] = 'Portugal';
    const t = d.translate(cells, 3) as { rows: { persons: Record<string, string>[]; 'institution-roles': unknown[] } };
    expect(t.rows.persons[0].country).toBe('');
    expect(t.rows['institution-roles']).toEqual([]);
  });

  it('a pre-hashed password or a key change fails the row, saying what to do', () => {
    const cells = header.split('|').map(() => '');
    cells[0] = 'P3';
    cells[2] = 'abc123';
    cells[28] = 'MD5';
    expect(d.translate(cells, 4)).toMatchObject({ error: { code: 'invalid-value', key: 'P3', message: expect.stringContaining('send the password in clear') } });
    const k = compile('person', 'EXTERNAL_PERSON_KEY|NEW_EXTERNAL_PERSON_KEY|FIRSTNAME');
    expect(k.translate(['P4', 'P5', 'X'], 2)).toMatchObject({ error: { key: 'P4', message: expect.stringContaining('keeps a record\'s external key') } });
  });
});

describe('blackboard course, term, category, category membership', () => {
  it('course: yyyymmdd dates, C drops the end date, the term is the category, else dialects.defaultCategory', () => {
    const d = compile('course', 'EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME|DURATION|START_DATE|END_DATE|EXTERNAL_TERM_KEY|TEMPLATE_COURSE_KEY|CATALOG_IND|DATA_SOURCE_KEY', { ...DEFAULT_DIALECT_SETTINGS, defaultCategory: 'BB' });
    expect(d.translate(['C1', 'BIO101', 'Biology', 'R', '20260901', '20261220', '2026FA', 'TPL', 'Y', 'SIS.COURSE'], 2)).toEqual({
      rows: { courses: [{ external_course_key: 'C1', course_id: 'BIO101', course_name: 'Biology', category: '2026FA', start_date: '2026-09-01', end_date: '2026-12-20', template: 'TPL', description: '', available_ind: '', row_status: '', data_source_key: 'SIS.COURSE' }] },
    });
    const t = d.translate(['C2', 'CHEM', 'Chem', 'C', '20260901', '20261220', '', '', '', ''], 3) as { rows: { courses: Record<string, string>[] } };
    expect(t.rows.courses[0]).toMatchObject({ category: 'BB', end_date: '', start_date: '2026-09-01' });
    const bad = d.translate(['C3', 'X', 'X', 'R', '09/01/2026', '', '', '', '', ''], 4) as { rows: { courses: unknown[] } };
    expect(bad.rows.courses[0]).toBeInstanceOf(PartFailure);
    expect(d.warnings.join('\n')).toMatch(/CATALOG_IND/);
    expect(d.warnings.join('\n')).toMatch(/DURATION: D/);
    expect(d.warnings.join('\n')).not.toMatch(/defaultCategory/);
    expect(compile('course', 'EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME|EXTERNAL_TERM_KEY').warnings).toEqual([expect.stringContaining('unless config dialects.defaultCategory names the category')]);
  });

  it('organization files are courses', () => {
    const d = compile('course', 'EXTERNAL_ORGANIZATION_KEY|ORGANIZATION_ID|ORGANIZATION_NAME');
    expect(d.translate(['O1', 'CLUB', 'Chess club'], 2)).toMatchObject({ rows: { courses: [{ external_course_key: 'O1', course_id: 'CLUB', course_name: 'Chess club', category: '' }] } });
  });

  it('term: a category keyed by the term key, NONE parent is top level', () => {
    const d = compile('term', 'EXTERNAL_TERM_KEY|NAME|START_DATE|END_DATE|EXTERNAL_PARENT_TERM_KEY|DATA_SOURCE_KEY');
    expect(d.translate(['2026FA', 'Fall 2026', '20260901', '20261220', 'NONE', 'SIS.TERM'], 2)).toEqual({
      rows: { categories: [{ external_category_key: '2026FA', name: 'Fall 2026', parent_key: '', description: '', row_status: '', data_source_key: 'SIS.TERM' }] },
    });
    expect(d.warnings.filter((w) => /^(START_DATE|END_DATE):/.test(w))).toHaveLength(2);
  });

  it('course category: TITLE is the name, PARENT_CATEGORY_KEY the parent', () => {
    const d = compile('coursecategory', 'EXTERNAL_CATEGORY_KEY|TITLE|PARENT_CATEGORY_KEY|FRONTPAGE_IND');
    expect(d.translate(['SCI', 'Sciences', '', 'Y'], 2)).toMatchObject({ rows: { categories: [{ external_category_key: 'SCI', name: 'Sciences', parent_key: '' }] } });
    expect(d.warnings.join()).toMatch(/FRONTPAGE_IND/);
  });

  it('category membership moves the course (no data source: the course keeps its owner); a disabled row fails', () => {
    const d = compile('coursecategorymembership', 'EXTERNAL_COURSE_KEY|EXTERNAL_CATEGORY_KEY|DATA_SOURCE_KEY|ROW_STATUS');
    expect(d.parts).toEqual([{ type: 'courses', header: ['external_course_key', 'category'] }]);
    expect(d.translate(['C1', 'SCI', 'SIS.CATMEM', 'enabled'], 2)).toEqual({ rows: { courses: [{ external_course_key: 'C1', category: 'SCI' }] } });
    expect(d.translate(['C1', 'SCI', 'SIS.CATMEM', 'disabled'], 3)).toMatchObject({ error: { key: 'C1|SCI', message: expect.stringContaining('cannot leave its only category') } });
  });
});

describe('blackboard membership', () => {
  const d = compile('membership', 'EXTERNAL_COURSE_KEY|EXTERNAL_PERSON_KEY|ROLE|RECEIVE_EMAIL_IND|AVAILABLE_IND|DATA_SOURCE_KEY');
  const role = (r: string) => {
    const t = d.translate(['C1', 'P1', r, 'Y', 'Y', 'SIS.MEMBERSHIP'], 2) as { rows: { enrolments: (Record<string, string> | PartFailure)[] } };
    return t.rows.enrolments[0];
  };

  it('spells the UI role names as the header reference does; the roleMap defaults do the rest', () => {
    expect(role('Teaching Assistant')).toMatchObject({ role: 'Teaching_Assistant', external_course_key: 'C1', external_person_key: 'P1', available_ind: 'Y', data_source_key: 'SIS.MEMBERSHIP' });
    expect(role('Course Builder')).toMatchObject({ role: 'Course_Builder' });
    expect(role('Student')).toMatchObject({ role: 'Student' });
    expect(role('Guest')).toBeInstanceOf(PartFailure);
    expect((role('none') as PartFailure).code).toBe('unknown-role');
    const s = DEFAULT_ENROLMENT_SETTINGS;
    expect(['Instructor', 'Teaching_Assistant', 'Course_Builder', 'Grader', 'Student'].map((r) => resolveRole(r, s))).toEqual([
      { shortname: 'editingteacher', id: 3 },
      { shortname: 'teacher', id: 4 },
      { shortname: 'editingteacher', id: 3 },
      { shortname: 'teacher', id: 4 },
      { shortname: 'student', id: 5 },
    ]);
    expect(d.warnings).toEqual(['RECEIVE_EMAIL_IND: Moodle has no per-enrolment email switch: not acted on']);
  });
});
