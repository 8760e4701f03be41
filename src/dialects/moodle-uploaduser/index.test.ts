import { describe, expect, test } from '@jest/globals';
import { DEFAULT_DIALECT_SETTINGS, PartFailure, type DialectSettings } from '../definition.js';
import { kindClaiming } from '../index.js';
import { moodleUploaduser } from './index.js';

const kind = moodleUploaduser.kinds[0];
const compile = (header: string, settings: Partial<DialectSettings> = {}) => {
  const columns = header.split(',');
  return kind.compile(columns.map((c) => c.trim().toLowerCase()), columns, { ...DEFAULT_DIALECT_SETTINGS, timezone: 'UTC', ...settings });
};
const rowsOf = (t: ReturnType<ReturnType<typeof compile>['translate']>) => {
  if (!('rows' in t)) throw new Error(`not rows: ${JSON.stringify(t)}`);
  return t.rows;
};

describe('moodle-uploaduser: which headers it claims', () => {
  test('a plain persons header stays native; a column the native table lacks makes it Upload users', () => {
    expect(kindClaiming(['username', 'firstname', 'lastname', 'email', 'idnumber'])).toBeUndefined();
    expect(kindClaiming(['username', 'firstname', 'lastname', 'email', 'profile_field_dept'])).toBeUndefined();
    for (const extra of ['course1', 'deleted', 'oldusername', 'cohort1', 'maildigest', 'url']) {
      expect(kindClaiming(['username', 'firstname', 'lastname', extra])?.dialect.name).toBe('moodle-uploaduser');
    }
    // A column no Upload users file has: not claimed (the native tables say what is wrong).
    expect(kindClaiming(['username', 'course1', 'external_person_key'])).toBeUndefined();
  });

  test('refuses a numbered column without its course, and warns once per ignored column', () => {
    expect(() => compile('username,firstname,lastname,role2,course1')).toThrow('columns numbered 2 have no course2 column');
    const c = compile('username,firstname,lastname,maildigest,autosubscribe,sysrole1,deleted');
    expect(c.warnings).toEqual([
      'sysrole1: system roles are not assigned from this file: give an institution-roles feed (config institutionRoles.mode system-role)',
      'maildigest: a user preference or legacy field core_user_create_users / update_users do not take: not set',
      'autosubscribe: a user preference or legacy field core_user_create_users / update_users do not take: not set',
      expect.stringContaining('a row with 1 disables its account as config persons.disable says'),
    ]);
    expect(c.parts.map((p) => p.type)).toEqual(['persons']);
  });
});

describe('moodle-uploaduser: translation', () => {
  test('a row fans out into the person, its enrolments, group and cohort memberships, and the groups and cohorts they need', () => {
    const c = compile('username,firstname,lastname,email,theme,course1,role1,group1,course2,type2,enroltimestart2,enrolperiod2,enrolstatus2,cohort1');
    expect(c.parts.map((p) => p.type)).toEqual(['persons', 'enrolments', 'groups', 'group-members', 'cohorts', 'cohort-members']);
    // The groups and cohorts are only made sure of (created when missing), once each.
    expect(c.parts.filter((p) => p.storeOnly && p.distinct).map((p) => p.type)).toEqual(['groups', 'cohorts']);
    const rows = rowsOf(c.translate(['Jdoe', 'Jane', 'Doe', 'j@x.org', 'boost', 'CF101', 'editingteacher', 'Blue', 'CF102', '3', '2026-09-01', '10', '1', 'staff'], 2));
    expect(rows.persons).toEqual([{ username: 'Jdoe', firstname: 'Jane', lastname: 'Doe', email: 'j@x.org', theme: 'boost' }]);
    expect(rows.enrolments).toEqual([
      { course_shortname: 'CF101', username: 'jdoe', role: 'editingteacher', timestart: '', timeend: '', suspended: '' },
      { course_shortname: 'CF102', username: 'jdoe', role: 'teacher', timestart: '1788220800', timeend: String(1788220800 + 10 * 86400), suspended: '1' },
    ]);
    expect(rows.groups).toEqual([{ course_shortname: 'CF101', name: 'Blue' }]);
    expect(rows['group-members']).toEqual([{ course_shortname: 'CF101', group_name: 'Blue', username: 'jdoe' }]);
    expect(rows.cohorts).toEqual([{ idnumber: 'staff', name: 'staff', upload_type: 'addnew' }]);
    expect(rows['cohort-members']).toEqual([{ cohort: 'staff', username: 'jdoe' }]);
  });

  test('a bad enrolment value fails that enrolment only; a numeric cohort fails that membership only', () => {
    const c = compile('username,firstname,lastname,course1,type1,course2,enrolstatus2,course3,enroltimestart3,cohort1');
    const rows = rowsOf(c.translate(['a', 'A', 'B', 'C1', '7', 'C2', 'x', 'C3', 'soon', '12'], 2));
    expect(rows.persons).toHaveLength(1);
    const msgs = (rows.enrolments ?? []).map((r) => (r instanceof PartFailure ? r.message : 'ok'));
    expect(msgs).toEqual([
      'type1 is "7", expected 1 (student), 2 (editingteacher) or 3 (teacher)',
      'enrolstatus2 is "x", expected 0 (active) or 1 (suspended)',
      expect.stringContaining('enroltimestart3 is "soon", not a date'),
    ]);
    expect(rows['cohort-members']?.[0]).toBeInstanceOf(PartFailure);
  });

  test('deleted=1 is a delete row of the person only; another value fails the row', () => {
    const c = compile('username,firstname,lastname,deleted,course1');
    expect(rowsOf(c.translate(['gone', '', '', '1', 'C1'], 2))).toEqual({ persons: [{ username: 'gone', action: 'del' }] });
    expect(c.translate(['x', '', '', 'yes', ''], 3)).toEqual({ error: { code: 'invalid-value', message: 'deleted is "yes", expected 1 (delete) or 0', key: 'x' } });
    expect(rowsOf(c.translate(['kept', 'K', 'L', '0', ''], 4)).persons).toEqual([{ username: 'kept', firstname: 'K', lastname: 'L' }]);
  });

  test('oldusername renames only an account found by idnumber (the row creates none); without an idnumber the row fails', () => {
    const c = compile('username,oldusername,idnumber,firstname,lastname');
    expect(rowsOf(c.translate(['new', 'old', 'P1', 'A', 'B'], 2)).persons).toEqual([{ username: 'new', idnumber: 'P1', firstname: 'A', lastname: 'B', upload_type: 'update' }]);
    expect(rowsOf(c.translate(['same', 'SAME', 'P2', 'A', 'B'], 3)).persons?.[0]).not.toHaveProperty('upload_type');
    const t = c.translate(['new', 'old', '', 'A', 'B'], 4);
    expect(t).toMatchObject({ error: { code: 'missing-value', message: expect.stringContaining('give the account\'s idnumber') } });
    expect(compile('username,oldusername,idnumber', { uploadType: 'addnew' }).translate(['new', 'old', 'P1'], 2)).toMatchObject({ error: { message: expect.stringContaining('add new only') } });
  });

  test('a row without a username fails as a whole', () => {
    expect(compile('username,firstname,course1').translate([' ', 'A', 'C1'], 2)).toEqual({ error: { code: 'missing-value', message: 'username is empty: Upload users names every account by its username' } });
  });

  test('the upload type goes on every person row', () => {
    expect(rowsOf(compile('username,firstname,lastname,url', { uploadType: 'addnew' }).translate(['a', 'A', 'B', 'http://x'], 2)).persons).toEqual([{ username: 'a', firstname: 'A', lastname: 'B', upload_type: 'addnew' }]);
    expect(compile('username,url', { uploadType: 'update' }).warnings).toContain('upload type "update existing users only": a row whose account does not exist fails, none is created');
  });
});
