import { describe, expect, test } from '@jest/globals';
import { DEFAULT_DIALECT_SETTINGS, PartFailure, type DialectKind, type DialectSettings, type NativeRow } from '../definition.js';
import { kindClaiming } from '../index.js';
import { toolSync } from './index.js';

const kind = (name: string): DialectKind => toolSync.kinds.find((k) => k.name === name)!;
const settings = (toolSyncIds: Partial<DialectSettings['toolSync']> = {}): DialectSettings => ({
  ...DEFAULT_DIALECT_SETTINGS,
  timezone: 'Europe/Paris',
  toolSync: { userIdentifier: 'idnumber', courseIdentifier: 'idnumber', ...toolSyncIds },
});
const compile = (name: string, header: string, s = settings()) => {
  const columns = header.split(';');
  return kind(name).compile(columns.map((c) => c.toLowerCase()), columns, s);
};
const rowsOf = (t: ReturnType<ReturnType<typeof compile>['translate']>) => {
  if (!('rows' in t)) throw new Error(`not rows: ${JSON.stringify(t)}`);
  // An absent type reads as no rows, so each assertion can name the part it checks.
  return t.rows as Record<string, Array<NativeRow | PartFailure>>;
};

describe('tool_sync detection', () => {
  test('its own headers are claimed; headers mdlsync reads natively are not', () => {
    const claimed = (h: string) => kindClaiming(h.split(';'))?.kind.name;
    expect(claimed('rolename;uid;cid;cmd')).toBe('enrolments');
    expect(claimed('username;firstname;lastname;course1;start1')).toBe('users');
    expect(claimed('shortname;fullname;category;template')).toBe('courses');
    expect(claimed('cidnumber;cname;userid;cmd')).toBe('cohorts');
    expect(claimed('courseid;name;type')).toBe('groups');
    // mdlsync's own tables (idnumbers): left to them.
    expect(claimed('username;firstname;lastname;email')).toBeUndefined();
    expect(claimed('shortname;fullname;category')).toBeUndefined();
    expect(claimed('groupid;userid;courseid;cmd')).toBeUndefined();
    expect(claimed('courseid;idnumber;name')).toBeUndefined();
    // The lists are read only when named.
    expect(toolSync.kinds.filter((k) => k.headerless).every((k) => !k.headerless!.test(['BIO-101']))).toBe(true);
  });
});

describe('tool_sync enrolments translation', () => {
  const c = compile('enrolments', 'rolename;uid;cid;cmd;starttime;endtime;enrol;gcmd;g1;g2');

  test('add with local-time dates, groups by name; the …create verbs make the group (a store-only part read once per group)', () => {
    const r = rowsOf(c.translate(['student', 'P1', 'C1', 'add', '2026-09-01 08:00:00', '', '', 'greplacecreate', 'A', 'B'], 5));
    expect(r.enrolments).toEqual([{ idnumber_course: 'C1', idnumber_user: 'P1', role: 'student', timestart: String(Date.UTC(2026, 8, 1, 6) / 1000), timeend: '', action: 'add' }]);
    expect(r['group-members']).toEqual([
      { course: 'C1', group_name: 'A', user: 'P1', action: 'shift' },
      { course: 'C1', group_name: 'B', user: 'P1', action: 'add' },
    ]);
    // By name, without an idnumber, as tool_sync makes it; the framework reads each group once (distinct), only stores it.
    expect(r.groups).toEqual([{ course: 'C1', name: 'A' }, { course: 'C1', name: 'B' }]);
    expect(c.parts.find((p) => p.type === 'groups')).toMatchObject({ header: ['course', 'name'], storeOnly: true, distinct: true });
    expect(rowsOf(c.translate(['student', 'P2', 'C1', '', '', '', '', 'gadd', 'A', ''], 6)).groups).toEqual([]);
  });

  test('shift is a store (the role replaces the one mdlsync gave); del unenrols and leaves groups alone; gdel removes', () => {
    expect(rowsOf(c.translate(['teacher', 'P1', 'C1', 'shift', '', '', '', '', '', ''], 2)).enrolments).toEqual([expect.objectContaining({ action: 'add', role: 'teacher' })]);
    const del = rowsOf(c.translate(['student', 'P1', 'C1', 'del', '', '', '', 'gadd', 'A', ''], 2));
    expect(del.enrolments).toEqual([expect.objectContaining({ action: 'del' })]);
    expect(del['group-members']).toEqual([]);
    expect(rowsOf(c.translate(['student', 'P1', 'C1', '', '', '', '', 'gdel', 'A', ''], 2))['group-members']).toEqual([{ course: 'C1', group_name: 'A', user: 'P1', action: 'del' }]);
  });

  test('bad values fail with the value named: cmd, dates, enrol methods, gcmd; an empty uid is refused (tool_sync enrols an arbitrary account)', () => {
    expect(c.translate(['student', 'P1', 'C1', 'move', '', '', '', '', '', ''], 2)).toMatchObject({ error: { code: 'invalid-value', message: expect.stringContaining('"move"') } });
    expect(c.translate(['student', '', 'C1', '', '', '', '', '', '', ''], 2)).toMatchObject({ error: { code: 'missing-value' } });
    const date = rowsOf(c.translate(['student', 'P1', 'C1', '', 'tomorrow', '', '', '', '', ''], 2)).enrolments[0];
    expect(date).toBeInstanceOf(PartFailure);
    expect((date as PartFailure).message).toContain('"tomorrow"');
    expect(rowsOf(c.translate(['student', 'P1', 'C1', '', '', '', 'self', '', '', ''], 2)).enrolments[0]).toBeInstanceOf(PartFailure);
    expect(rowsOf(c.translate(['student', 'P1', 'C1', '', '', '', '', 'gmove', 'A', ''], 2))['group-members'][0]).toBeInstanceOf(PartFailure);
  });

  test('identifiers: course shortname and username columns; email, Moodle ids and the hidden column refuse the file', () => {
    expect(compile('enrolments', 'rolename;uid;cid', settings({ courseIdentifier: 'shortname', userIdentifier: 'username' })).parts[0].header).toEqual(['course_shortname', 'username', 'role', 'timestart', 'timeend', 'action']);
    expect(() => compile('enrolments', 'rolename;uid;cid', settings({ userIdentifier: 'email' }))).toThrow('userIdentifier to idnumber');
    expect(() => compile('enrolments', 'rolename;uid;cid', settings({ courseIdentifier: 'id' }))).toThrow('Moodle ids');
    expect(() => compile('enrolments', 'rolename;uid;cid;hidden')).toThrow('hidden role assignments');
    expect(compile('enrolments', 'rolename;uid;cid').warnings.join()).toContain('no enrol column');
    // A spreadsheet's trailing separator leaves an unnamed, empty column: not an unknown one.
    expect(compile('enrolments', 'rolename;uid;cid;').parts).toHaveLength(1);
    expect(() => compile('enrolments', 'rolename;uid;cid;shoe')).toThrow('shoe');
  });
});

describe('tool_sync users translation', () => {
  const c = compile('users', 'username;firstname;lastname;idnumber;password;country;lang;deleted;course1;role1;start1;group1;cohort;cohortid;icq');

  test('a person with its enrolment, group and cohort; country and lang as tool_sync writes them; *NOPASS* sends no password', () => {
    const r = rowsOf(c.translate(['JDoe', 'John', 'Doe', 'U1', '*NOPASS*', 'fr', 'EN_utf8', '', 'C1', 'editingteacher', '1788220800', 'Lab', 'Year 1', 'Y1', '123'], 3));
    expect(r.persons).toEqual([{ username: 'JDoe', firstname: 'John', lastname: 'Doe', idnumber: 'U1', country: 'FR', lang: 'en', action: 'add' }]);
    expect(r.enrolments).toEqual([{ idnumber_course: 'C1', idnumber_user: 'U1', role: 'editingteacher', timestart: '1788220800', timeend: '' }]);
    expect(r['group-members']).toEqual([{ course: 'C1', group_name: 'Lab', user: 'U1' }]);
    // Made when missing, left as it is when it exists (add new only), and never removed by a refresh of the file.
    expect(r.cohorts).toEqual([{ idnumber: 'Y1', name: 'Year 1', upload_type: 'addnew' }]);
    expect(c.parts.find((p) => p.type === 'cohorts')).toMatchObject({ storeOnly: true });
    expect(r.groups).toEqual([{ course: 'C1', name: 'Lab' }]);
    expect(r['cohort-members']).toEqual([{ cohort: 'Y1', user: 'U1' }]);
    expect(c.warnings.join()).toContain('icq');
  });

  test('deleted is read by its value: 1 disables the person and nothing else, 0 or empty keeps it, anything else fails', () => {
    const gone = rowsOf(c.translate(['x', 'X', 'Y', 'U2', '', '', '', '1', 'C1', '', '', '', '', '', ''], 3));
    expect(gone).toEqual({ persons: [expect.objectContaining({ action: 'del' })] });
    expect(rowsOf(c.translate(['x', 'X', 'Y', 'U2', '', '', '', '0', '', '', '', '', '', '', ''], 3)).persons).toEqual([expect.objectContaining({ action: 'add' })]);
    expect(c.translate(['x', 'X', 'Y', 'U2', '', '', '', 'yes please', '', '', '', '', '', '', ''], 3)).toMatchObject({ error: { code: 'invalid-value' } });
  });

  test('without an idnumber column the person is named by username elsewhere; unknown columns refuse', () => {
    const u = compile('users', 'username;firstname;lastname;course1;cohort', settings());
    expect(u.parts.find((p) => p.type === 'enrolments')?.header).toContain('username');
    expect(rowsOf(u.translate(['Ann', 'A', 'B', 'C1', 'Staff'], 2))['cohort-members']).toEqual([{ cohort_name: 'Staff', username: 'ann' }]);
    expect(() => compile('users', 'username;firstname;lastname;shoesize')).toThrow('shoesize');
  });
});

describe('tool_sync course translation', () => {
  const c = compile('courses', 'shortname;fullname;category;startdate;template;self');

  test('a numeric category is an id, anything else a path; dates in the zone; an .mbz template fails', () => {
    expect(rowsOf(c.translate(['S1', 'F', '3', '2026-09-01', 'T1', '1'], 2)).courses).toEqual([
      { shortname: 'S1', fullname: 'F', category: '3', startdate: '2026-08-31T22:00:00Z', templatecourse: 'T1' },
    ]);
    expect(rowsOf(c.translate(['S1', 'F', '\\Sciences\\Bio/', '', '', ''], 2)).courses).toEqual([{ shortname: 'S1', fullname: 'F', category_path: 'Sciences/Bio' }]);
    expect(rowsOf(c.translate(['S1', 'F', '', 'soon', '', ''], 2)).courses[0]).toBeInstanceOf(PartFailure);
    expect(rowsOf(c.translate(['S1', 'F', '', '', 'x.mbz', ''], 2)).courses[0]).toBeInstanceOf(PartFailure);
    expect(c.warnings.join()).toContain('self: not read');
  });

  test('the deletion list deletes by the course identifier; the check list is refused with the plan way', () => {
    const d = kind('delete-courses').compile(['course'], ['course'], settings({ courseIdentifier: 'shortname' }));
    expect(rowsOf(d.translate(['BIO-101'], 1)).courses).toEqual([{ shortname: 'BIO-101', action: 'delete' }]);
    expect(d.translate([' '], 2)).toEqual({ skip: true });
    expect(() => kind('check-courses').compile(['course'], ['course'], settings())).toThrow('mdlsync plan');
  });
});

describe('tool_sync cohorts translation', () => {
  const c = compile('cohorts', 'cidnumber;cname;cdescription;userid;cmd');

  test('the cohort once, each member; del with a member removes it, without deletes the cohort; free fails', () => {
    const r = rowsOf(c.translate(['Y1', 'Year 1', 'D', 'P1', ''], 2));
    expect(r.cohorts).toEqual([{ idnumber: 'Y1', name: 'Year 1', description: 'D', action: 'add' }]);
    expect(r['cohort-members']).toEqual([{ cohort: 'Y1', user: 'P1', action: 'add' }]);
    expect(rowsOf(c.translate(['Y1', 'Year 1', 'D', 'P2', 'add'], 3)).cohorts).toEqual([]);
    expect(rowsOf(c.translate(['Y1', '', '', 'P2', 'del'], 4))).toEqual({ cohorts: [], 'cohort-members': [{ cohort: 'Y1', user: 'P2', action: 'del' }] });
    expect(rowsOf(c.translate(['Y1', '', '', '', 'del'], 5)).cohorts).toEqual([{ idnumber: 'Y1', name: '', action: 'del' }]);
    expect(c.translate(['Y1', '', '', '', 'free'], 6)).toMatchObject({ error: { message: expect.stringContaining('free') } });
  });

  test('by name (no cidnumber): memberships only; cohorts by Moodle id refuse', () => {
    const n = compile('cohorts', 'cname;userid');
    expect(n.parts.map((p) => p.type)).toEqual(['cohort-members']);
    expect(rowsOf(n.translate(['Staff', 'P1'], 2))['cohort-members']).toEqual([{ cohort_name: 'Staff', user: 'P1', action: 'add' }]);
    expect(n.translate(['Staff', ''], 3)).toMatchObject({ error: { code: 'missing-value' } });
    expect(() => compile('cohorts', 'cid;userid')).toThrow('Moodle id');
  });
});
