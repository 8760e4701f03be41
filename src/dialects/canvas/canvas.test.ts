import { describe, expect, test } from '@jest/globals';
import { DEFAULT_DIALECT_SETTINGS, type DialectSettings, type Translation } from '../definition.js';
import { kindClaiming } from '../index.js';
import { canvas } from './index.js';
import { canvasDate, personName } from './values.js';

function compile(header: string, settings: Partial<DialectSettings> = {}) {
  const columns = header.split(',');
  const lower = columns.map((c) => c.trim().toLowerCase());
  const claimed = kindClaiming(lower);
  if (!claimed || claimed.dialect !== canvas) throw new Error(`no Canvas kind claims ${header}`);
  return { kind: claimed.kind.name, compiled: claimed.kind.compile(lower, columns, { ...DEFAULT_DIALECT_SETTINGS, ...settings }) };
}

const rowsOf = (t: Translation) => ('rows' in t ? t.rows : undefined);
const errorOf = (t: Translation) => ('error' in t ? t.error : undefined);

describe('Canvas dialect: which file a header is', () => {
  test.each([
    ['user_id,login_id,first_name,last_name,email,status', 'users'],
    ['account_id,parent_account_id,name,status', 'accounts'],
    ['course_id,short_name,long_name,account_id,term_id,status', 'courses'],
    ['section_id,course_id,name,status', 'sections'],
    ['course_id,user_id,role,section_id,status', 'enrollments'],
    ['observer_id,student_id,status', 'user_observers'],
    ['group_id,account_id,name,status', 'groups'],
    ['group_id,user_id,status', 'group_memberships'],
    ['term_id,name,status,start_date,end_date', 'terms'],
    ['old_id,new_id,old_integration_id,new_integration_id,type', 'change_sis_id'],
    ['xlist_course_id,section_id,status', 'xlists'],
  ])('%s is %s', (header, kind) => {
    const lower = header.split(',');
    expect(kindClaiming(lower)?.kind.name).toBe(kind);
  });

  test("mdlsync's own headers are not claimed", () => {
    expect(kindClaiming(['external_person_key', 'user_id', 'first_name', 'last_name'])).toBeUndefined();
    expect(kindClaiming(['external_course_key', 'course_id', 'course_name', 'category'])).toBeUndefined();
  });

  test('terms.csv and change_sis_id.csv are refused with what to do; terms is left out of an archive', () => {
    expect(() => compile('term_id,name,status')).toThrow(/Moodle has no terms.*start_date and end_date/);
    expect(() => compile('old_id,new_id,type')).toThrow(/does not re-key/);
    expect(() => compile('xlist_course_id,section_id,status')).toThrow(/a Moodle group cannot move between courses/);
    expect(canvas.kinds.find((k) => k.name === 'terms')?.ignored).toMatch(/Moodle has no terms/);
    expect(canvas.kinds.find((k) => k.name === 'change_sis_id')?.ignored).toBeUndefined();
  });

  test('a missing required column refuses the file, naming it; role_id without role is refused with what to do', () => {
    expect(() => compile('user_id,login_id,first_name')).toThrow(/needs the column status/);
    expect(() => compile('course_id,user_id,role_id,status')).toThrow(/role_id names Canvas roles by their Canvas ids.*give the role column/);
    // logins.csv (extra logins of existing users) is not users.csv.
    expect(kindClaiming(['user_id', 'login_id', 'existing_user_id', 'email'])).toBeUndefined();
  });
});

describe('Canvas dialect: values', () => {
  test('dates are ISO 8601 in UTC unless they give an offset, as in the documentation samples', () => {
    expect(canvasDate('2013-1-03 00:00:00')).toBe('2013-01-03T00:00:00Z');
    expect(canvasDate('2013-05-03 00:00:00-06:00')).toBe('2013-05-03T00:00:00-06:00');
    expect(canvasDate('2026-09-01T08:30:00Z')).toBe('2026-09-01T08:30:00Z');
    expect(canvasDate('2026-09-01')).toBe('2026-09-01T00:00:00Z');
    expect(canvasDate('2026-09-01T08:30:00+0200')).toBe('2026-09-01T08:30:00+02:00');
    expect(canvasDate('next monday')).toBeUndefined();
  });

  test('names: first/last, else sortable "Last, First", else full name split at its last space', () => {
    expect(personName('Bob', 'Smith', 'ignored', '')).toEqual({ firstname: 'Bob', lastname: 'Smith' });
    expect(personName('', '', 'Mary Ann Jones', 'Jones, Mary Ann')).toEqual({ firstname: 'Mary Ann', lastname: 'Jones' });
    expect(personName('', '', 'Mary Ann Jones', '')).toEqual({ firstname: 'Mary Ann', lastname: 'Jones' });
  });
});

describe('Canvas dialect: rows', () => {
  test('users: key, username, names, statuses; undocumented and unused columns are warnings', () => {
    const { compiled } = compile('user_id,login_id,password,full_name,short_name,email,status,pronouns,shoe_size');
    expect(compiled.warnings).toEqual(['pronouns: Moodle has no pronouns field', 'shoe_size: not a column of the Canvas users.csv (Canvas ignores it, so does mdlsync)']);
    const t = compiled.translate(['01103', 'BSmith01', 's3cret', 'Bob Smith', 'Bobby', 'bob@x.edu', 'suspended', 'he/him', '44'], 2);
    expect(rowsOf(t)?.persons).toEqual([
      { external_person_key: '01103', user_id: 'BSmith01', passwd: 's3cret', first_name: 'Bob', last_name: 'Smith', alternatename: 'Bobby', email: 'bob@x.edu', available_ind: 'N', row_status: 'enabled' },
    ]);
    const del = rowsOf(compiled.translate(['01103', 'bsmith01', '', 'Bob Smith', '', '', 'deleted', '', ''], 3))?.persons?.[0];
    expect(del).toMatchObject({ available_ind: 'Y', row_status: 'deleted' });
    expect(errorOf(compiled.translate(['01103', 'bsmith01', '', 'Bob Smith', '', '', 'gone', '', ''], 4))).toMatchObject({ code: 'invalid-value', message: 'the status is "gone", expected active, suspended, deleted' });
  });

  test('courses: names, category from account_id (else dialects.defaultCategory), dates in UTC, deleted hides', () => {
    const { compiled } = compile('course_id,short_name,long_name,account_id,term_id,status,start_date,end_date', { defaultCategory: 'MISC' });
    expect(compiled.warnings).toEqual(['term_id: Moodle has no terms: give the course its own start_date and end_date']);
    expect(rowsOf(compiled.translate(['E411208', 'ENG115', 'English 115', '', 'T1', 'completed', '2026-09-01', '2026-12-20T17:00:00-05:00'], 2))?.courses).toEqual([
      { external_course_key: 'E411208', course_id: 'ENG115', course_name: 'English 115', category: 'MISC', start_date: '2026-09-01T00:00:00Z', end_date: '2026-12-20T17:00:00-05:00', available_ind: 'Y', row_status: 'enabled' },
    ]);
    expect(rowsOf(compiled.translate(['E1', 'E', 'E', 'A002', '', 'deleted', '', ''], 3))?.courses?.[0]).toMatchObject({ category: 'A002', row_status: 'deleted' });
    expect(errorOf(compiled.translate(['E1', 'E', 'E', 'A002', '', 'active', 'soon', ''], 4))?.message).toMatch(/start_date is "soon"/);
  });

  test('enrollments: Canvas roles become Moodle shortnames, the section a group membership, statuses suspend or delete', () => {
    const { compiled } = compile('course_id,user_id,role,section_id,status,associated_user_id,start_date,end_date');
    expect(compiled.parts.map((p) => p.type)).toEqual(['enrolments', 'group-members', 'observers']);
    const teacher = rowsOf(compiled.translate(['C1', 'U1', 'teacher', 'S1', 'active', '', '', ''], 2));
    expect(teacher?.enrolments).toEqual([{ external_course_key: 'C1', external_person_key: 'U1', role: 'editingteacher', start_date: '', end_date: '', available_ind: 'Y', row_status: 'enabled' }]);
    expect(teacher?.['group-members']).toEqual([{ external_course_key: 'C1', external_group_key: 'S1', external_person_key: 'U1', row_status: 'enabled' }]);
    expect(rowsOf(compiled.translate(['C1', 'U2', 'ta', '', 'inactive', '', '', ''], 3))).toEqual({
      enrolments: [{ external_course_key: 'C1', external_person_key: 'U2', role: 'teacher', start_date: '', end_date: '', available_ind: 'N', row_status: 'enabled' }],
    });
    expect(rowsOf(compiled.translate(['C1', 'U3', 'student', 'S1', 'deleted', '', '', ''], 4))?.['group-members']?.[0]).toMatchObject({ row_status: 'deleted' });
    expect(rowsOf(compiled.translate(['C1', 'U4', 'Observer', 'S1', 'active', 'U1', '', ''], 5))).toEqual({ observers: [{ external_observer_key: 'U4', external_user_key: 'U1', row_status: 'enabled' }] });
    expect(errorOf(compiled.translate(['C1', 'U4', 'observer', '', 'active', '', '', ''], 6))?.message).toMatch(/without associated_user_id/);
    expect(rowsOf(compiled.translate(['C1', 'U5', 'Librarian', '', 'completed', '', '', ''], 7))?.enrolments?.[0]).toMatchObject({ role: 'Librarian', available_ind: 'N' });
    expect(errorOf(compiled.translate(['', 'U5', 'student', 'S1', 'active', '', '', ''], 8))?.message).toMatch(/course_id is empty/);
  });

  test('accounts, sections, user_observers, groups and group memberships', () => {
    expect(rowsOf(compile('account_id,parent_account_id,name,status').compiled.translate(['A2', 'A1', 'English', 'active'], 2))?.categories).toEqual([
      { external_category_key: 'A2', parent_key: 'A1', name: 'English', row_status: 'enabled' },
    ]);
    expect(rowsOf(compile('section_id,course_id,name,status,start_date').compiled.translate(['S1', 'C1', 'Section 1', 'deleted', ''], 2))?.groups).toEqual([
      { external_course_key: 'C1', external_group_key: 'S1', group_name: 'Section 1', row_status: 'deleted' },
    ]);
    expect(rowsOf(compile('observer_id,student_id,status').compiled.translate(['P1', 'U1', 'deleted'], 2))?.observers).toEqual([{ external_observer_key: 'P1', external_user_key: 'U1', row_status: 'deleted' }]);
    const groups = compile('group_id,account_id,course_id,name,status').compiled;
    expect(rowsOf(groups.translate(['G1', 'A1', '', 'Chess club', 'available'], 2))?.cohorts).toEqual([{ external_cohort_key: 'G1', name: 'Chess club', context: 'A1', row_status: 'enabled' }]);
    expect(errorOf(groups.translate(['G2', '', 'C1', 'Lab team', 'available'], 3))?.message).toMatch(/course group/);
    expect(rowsOf(compile('group_id,user_id,status').compiled.translate(['G1', 'U1', 'accepted'], 2))?.['cohort-members']).toEqual([
      { external_cohort_key: 'G1', external_person_key: 'U1', row_status: 'enabled' },
    ]);
  });
});
