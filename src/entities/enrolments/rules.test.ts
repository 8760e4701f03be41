import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/index.js';
import { DEFAULT_ENROLMENT_SETTINGS, EnrolmentPlanner, parseEnrolmentState, resolveRole, enrolmentState } from './rules.js';
import type { Op, PlanOptions } from '../../plan/index.js';
import type { EnrolmentAction, EnrolmentContext, EnrolmentSettings } from './rules.js';
import type { FeedItem } from '../../feed/types.js';
import type { EnrolmentRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';

const TS = '2026-01-01T00:00:00.000Z';
const PLACED: EnrolmentContext = { courseId: 7, userId: 40, match: { id: 40, via: 'idnumber' } };

function enr(course: string, person: string, extra: Partial<EnrolmentRecord> & { role?: string; start?: number; end?: number } = {}): EnrolmentRecord {
  const { role, start, end, ...rest } = extra;
  const fields: EnrolmentRecord['fields'] = { course, person };
  if (role !== undefined) fields.role = role;
  if (start !== undefined) fields.start = start;
  if (end !== undefined) fields.end = end;
  return { key: `${course}|${person}`, fields, ...rest };
}

function link(key: string, over: Partial<LedgerLink> = {}): LedgerLink {
  const state = enrolmentState({ role: 'student', start: 0, end: 0, suspend: false });
  return { entity: 'enrolments', key, moodleId: 40, dataSource: 'SIS', hash: null, state, status: 'active', firstSeen: TS, lastSeen: TS, lastRun: 'r0', disabledAt: null, ...over };
}

function plan(
  rows: { record: EnrolmentRecord; ctx?: EnrolmentContext }[],
  op: Op = 'store',
  owned: LedgerLink[] = [],
  settings: Partial<EnrolmentSettings> = {},
  options: Partial<PlanOptions<'enrolments'>> = {},
) {
  const p = new EnrolmentPlanner(defaultPlanOptions({ op, entity: 'enrolments', dataSource: 'SIS', ...options }), { ...DEFAULT_ENROLMENT_SETTINGS, ...settings });
  rows.forEach(({ record, ctx }, i) => p.add({ line: i + 2, record } as FeedItem<EnrolmentRecord>, ctx ?? PLACED));
  return p.finish(owned);
}

const summary = (actions: EnrolmentAction[]) => actions.map((a) => `${a.key}:${a.kind}${a.error ? `(${a.error.code})` : ''}`);

describe('enrolments: roles', () => {
  it('maps SIS names case-insensitively, accepts shortnames, and names an unknown role', () => {
    const s = DEFAULT_ENROLMENT_SETTINGS;
    expect(resolveRole('instructor', s)).toEqual({ shortname: 'editingteacher', id: 3 });
    expect(resolveRole('S', s)).toEqual({ shortname: 'student', id: 5 });
    expect(resolveRole('Teaching_Assistant', s)).toEqual({ shortname: 'teacher', id: 4 });
    expect(resolveRole('manager', s)).toEqual({ shortname: 'manager', id: 1 });
    expect(resolveRole('manager', s)).toEqual({ shortname: 'manager', id: 1 });
    expect(resolveRole(undefined, s)).toEqual({ shortname: 'student', id: 5 });
    expect(resolveRole('Dean', s)).toEqual({ error: expect.stringContaining('unknown role "Dean"') });
  });

  it('a Moodle role shortname of the site is that role: Moodle’s own "teacher" is the non-editing teacher (4), in any case', () => {
    const s = DEFAULT_ENROLMENT_SETTINGS;
    expect(resolveRole('teacher', s)).toEqual({ shortname: 'teacher', id: 4 });
    expect(resolveRole('Teacher', s)).toEqual({ shortname: 'teacher', id: 4 });
    expect(resolveRole('editingteacher', s)).toEqual({ shortname: 'editingteacher', id: 3 });
    // Even a map that shadows a shortname (the config refuses one) cannot turn it into another role.
    expect(resolveRole('teacher', { ...s, roleMap: { Teacher: 'editingteacher' } })).toEqual({ shortname: 'teacher', id: 4 });
    expect(resolveRole('Instructor', { ...s, roleMap: { Instructor: 'editingteacher' } })).toEqual({ shortname: 'editingteacher', id: 3 });
  });

  it('the state round-trips', () => {
    const st = { role: 'editingteacher', start: 1788220800, end: 0, suspend: true };
    expect(parseEnrolmentState(enrolmentState(st))).toEqual(st);
    expect(parseEnrolmentState('something else')).toBeUndefined();
  });
});

describe('enrolments: store', () => {
  it('new rows are creates with the role id, dates and suspension to send', () => {
    const p = plan([
      { record: enr('C1', 'P1', { role: 'Student' }) },
      { record: enr('C1', 'P2', { role: 'Instructor', start: 100, end: 200, available: false }), ctx: { courseId: 7, userId: 41 } },
    ]);
    const [a, b] = p.actions as EnrolmentAction[];
    expect(a).toMatchObject({ kind: 'create', moodleId: 40, status: 'active', enrolment: { call: 'enrol', courseId: 7, roleId: 5, suspend: false, timestart: 0, timeend: 0 } });
    expect(b).toMatchObject({ kind: 'create', moodleId: 41, enrolment: { roleId: 3, timestart: 100, timeend: 200, suspend: true }, reason: 'new enrolment as editingteacher, suspended' });
    expect(parseEnrolmentState(b.state)).toEqual({ role: 'editingteacher', start: 100, end: 200, suspend: true });
  });

  it('fails rows with an unknown role, course or person, naming them', () => {
    const p = plan([
      { record: enr('C1', 'P1', { role: 'Dean' }) },
      { record: enr('NOPE', 'P2'), ctx: { userId: 41 } },
      { record: enr('C1', 'GHOST'), ctx: { courseId: 7 } },
      { record: enr('C1', 'TWIN'), ctx: { courseId: 7, personProblem: '2 Moodle users have idnumber TWIN' } },
    ]);
    expect(summary(p.actions)).toEqual(['C1|P1:fail(unknown-role)', 'NOPE|P2:fail(unknown-course)', 'C1|GHOST:fail(unknown-person)', 'C1|TWIN:fail(unknown-person)']);
    expect(p.actions[1].error?.message).toBe('unknown course NOPE');
    expect(p.actions[2].error?.message).toBe('unknown person GHOST');
    expect(p.actions[3].error?.message).toBe('2 Moodle users have idnumber TWIN');
  });

  it('a course owned by another data source fails the row; the same data source, or none on either side, passes', () => {
    const B: EnrolmentContext = { ...PLACED, courseDataSource: 'SIS.B' };
    const p = plan([
      { record: enr('C101', 'P1', { dataSource: 'SIS.A' }), ctx: B },
      { record: enr('C101', 'P2'), ctx: B }, // no DATA_SOURCE_KEY: the run's data source (SIS)
      { record: enr('C101', 'P3', { dataSource: 'SIS.B' }), ctx: B },
      { record: enr('C102', 'P4', { dataSource: 'SIS.A' }), ctx: { ...PLACED, courseDataSource: null } },
      { record: enr('C103', 'P5', { dataSource: 'SIS.A' }) }, // found in Moodle only
    ]);
    expect(summary(p.actions)).toEqual(['C101|P1:fail(data-source-mismatch)', 'C101|P2:fail(data-source-mismatch)', 'C101|P3:create', 'C102|P4:create', 'C103|P5:create']);
    expect(p.actions[0].error?.message).toBe("course C101 belongs to data source SIS.B, this row to SIS.A: enrol it from the courses' data source, or move the course");
    expect(p.actions[1].error?.message).toContain('this row to SIS:');
    const none = plan([{ record: enr('C101', 'P1'), ctx: B }], 'store', [], {}, { dataSource: null });
    expect(summary(none.actions)).toEqual(['C101|P1:create']);
  });

  it('same state is unchanged; AVAILABLE_IND=N is an update that suspends; a disabled link is re-enabled', () => {
    const p = plan(
      [{ record: enr('C1', 'P1') }, { record: enr('C1', 'P2', { available: false }) }, { record: enr('C1', 'P3') }],
      'store',
      [],
    );
    expect(summary(p.actions)).toEqual(['C1|P1:create', 'C1|P2:create', 'C1|P3:create']);
    const q = new EnrolmentPlanner(defaultPlanOptions({ op: 'store', entity: 'enrolments', dataSource: 'SIS' }));
    q.add({ line: 2, record: enr('C1', 'P1') }, { ...PLACED, link: link('C1|P1') });
    q.add({ line: 3, record: enr('C1', 'P2', { available: false }) }, { ...PLACED, link: link('C1|P2') });
    q.add({ line: 4, record: enr('C1', 'P3') }, { ...PLACED, link: link('C1|P3', { status: 'disabled' }) });
    const r = q.finish([]);
    expect(summary(r.actions)).toEqual(['C1|P1:unchanged', 'C1|P2:update', 'C1|P3:enable']);
    expect(r.actions[1]).toMatchObject({ reason: 'AVAILABLE_IND=N: suspend the enrolment', enrolment: { suspend: true } });
  });

  it('a role change re-enrols with the new role and says the old one is removed', () => {
    const q = new EnrolmentPlanner(defaultPlanOptions({ op: 'store', entity: 'enrolments', dataSource: 'SIS' }));
    q.add({ line: 2, record: enr('C1', 'P1', { role: 'Instructor' }) }, { ...PLACED, link: link('C1|P1') });
    const [a] = q.finish([]).actions as EnrolmentAction[];
    expect(a).toMatchObject({ kind: 'update', enrolment: { roleId: 3, unassign: { roleId: 5, role: 'student' } } });
    expect(a.reason).toContain('role student → editingteacher: assign editingteacher, remove student');
  });
});

describe('enrolments: disable', () => {
  it('delete unenrols by default; with suspend configured it re-enrols suspended with the role and dates last sent', () => {
    const old = enrolmentState({ role: 'editingteacher', start: 100, end: 900, suspend: false });
    const run = (settings: Partial<EnrolmentSettings>) => {
      const q = new EnrolmentPlanner(defaultPlanOptions({ op: 'delete', entity: 'enrolments', dataSource: 'SIS' }), { ...DEFAULT_ENROLMENT_SETTINGS, ...settings });
      q.add({ line: 2, record: enr('C1', 'P1') }, { ...PLACED, link: link('C1|P1', { state: old }) });
      return q.finish([]).actions[0] as EnrolmentAction;
    };
    expect(run({})).toMatchObject({ kind: 'disable', status: 'disabled', enrolment: { call: 'unenrol', courseId: 7 } });
    const s = run({ disable: 'suspend' });
    expect(s).toMatchObject({ kind: 'disable', status: 'disabled', enrolment: { call: 'enrol', roleId: 3, timestart: 100, timeend: 900, suspend: true } });
  });

  it('ROW_STATUS=disabled of an enrolment mdlsync never made: unenrol (the file asks), but never suspend-by-enrolling', () => {
    const rows = [{ record: enr('C1', 'P1', { rowStatus: 'disabled' }) }];
    expect(summary(plan(rows).actions)).toEqual(['C1|P1:disable']);
    expect(summary(plan(rows, 'store', [], { disable: 'suspend' }).actions)).toEqual(['C1|P1:unchanged']);
    expect(summary(plan([{ record: enr('NOPE', 'P1', { rowStatus: 'disabled' }), ctx: { userId: 40 } }]).actions)).toEqual(['NOPE|P1:unchanged']);
  });

  it('a refresh-ds disables only its own data source, the course left for the resolve step to place', () => {
    const owned = [link('C1|P1'), link('C1|P2'), link('C2|P9', { dataSource: 'OTHER' })];
    const p = plan([{ record: enr('C1', 'P1') }], 'refresh-ds', owned, {}, { force: true });
    const disables = (p.actions as EnrolmentAction[]).filter((a) => a.kind === 'disable');
    expect(disables.map((a) => a.key)).toEqual(['C1|P2']);
    expect(disables[0]).toMatchObject({ line: null, moodleId: 40, enrolment: { call: 'unenrol' } });
    expect(disables[0].enrolment?.courseId).toBeUndefined();
    expect(p.guard).toMatchObject({ owned: 2, toDisable: 1 });
  });

  it('the refresh guard refuses a refresh that would unenrol too many', () => {
    const owned = Array.from({ length: 20 }, (_, i) => link(`C1|P${i}`));
    const p = plan([{ record: enr('C1', 'P0') }], 'refresh', owned);
    expect(p.guard).toMatchObject({ refused: true, owned: 20, toDisable: 19 });
  });
});

describe('enrolments: a role change removes the role mdlsync gave', () => {
  const teacherRow = () => enr('C1', 'P1', { role: 'Instructor' });

  it('student → editingteacher: assign the new role, then unassign the old one (its id from the link data)', () => {
    const data = JSON.stringify({ roleId: 5, role: 'student', timestart: 0, timeend: 0, suspend: false });
    const [a] = plan([{ record: teacherRow(), ctx: { ...PLACED, link: link('C1|P1', { data }) } }]).actions as EnrolmentAction[];
    expect(a).toMatchObject({ kind: 'update', enrolment: { call: 'enrol', roleId: 3, role: 'editingteacher', unassign: { roleId: 5, role: 'student' } } });
    expect(a.reason).toBe('role student → editingteacher: assign editingteacher, remove student');
  });

  it('without link data the old role id comes from the state through the role ids', () => {
    const [a] = plan([{ record: teacherRow(), ctx: { ...PLACED, link: link('C1|P1') } }], 'store', [], { roleIds: { student: 50, editingteacher: 30 } }).actions as EnrolmentAction[];
    expect(a.enrolment).toMatchObject({ roleId: 30, unassign: { roleId: 50, role: 'student' } });
  });

  it('the same role, a date change or an unknown old role never unassigns anything', () => {
    const same = plan([{ record: enr('C1', 'P1', { role: 'Student', start: 100 }), ctx: { ...PLACED, link: link('C1|P1') } }]).actions[0] as EnrolmentAction;
    expect(same.kind).toBe('update');
    expect(same.enrolment?.unassign).toBeUndefined();
    const oddHash = enrolmentState({ role: 'dean', start: 0, end: 0, suspend: false });
    const unknown = plan([{ record: teacherRow(), ctx: { ...PLACED, link: link('C1|P1', { state: oddHash }) } }]).actions[0] as EnrolmentAction;
    expect(unknown.enrolment?.unassign).toBeUndefined();
    // A role map that now sends the same id under another name is not a change in Moodle.
    const renamed = plan([{ record: teacherRow(), ctx: { ...PLACED, link: link('C1|P1') } }], 'store', [], { roleIds: { student: 3, editingteacher: 3 } }).actions[0] as EnrolmentAction;
    expect(renamed.enrolment?.unassign).toBeUndefined();
  });

  it('a re-enable with another role unassigns the old one only when the enrolment was kept suspended', () => {
    const suspended = link('C1|P1', { status: 'disabled', state: enrolmentState({ role: 'student', start: 0, end: 0, suspend: true }) });
    const back = plan([{ record: teacherRow(), ctx: { ...PLACED, link: suspended } }]).actions[0] as EnrolmentAction;
    expect(back).toMatchObject({ kind: 'enable', enrolment: { roleId: 3, unassign: { roleId: 5 } } });
    expect(back.reason).toContain('role student → editingteacher: assign editingteacher, remove student');
    // Unenrolled: Moodle removed the role with the enrolment; nothing to unassign.
    const unenrolled = plan([{ record: teacherRow(), ctx: { ...PLACED, link: link('C1|P1', { status: 'disabled' }) } }]).actions[0] as EnrolmentAction;
    expect(unenrolled.kind).toBe('enable');
    expect(unenrolled.enrolment?.unassign).toBeUndefined();
  });

  it('a role change of a suspended enrolment with dates carries the dates and suspend (a re-enrol without them resets both: case 205)', () => {
    const held = link('C1|P1', { state: enrolmentState({ role: 'student', start: 100, end: 900, suspend: true }) });
    const row = enr('C1', 'P1', { role: 'Instructor', start: 100, end: 900, available: false });
    const [a] = plan([{ record: row, ctx: { ...PLACED, link: held } }]).actions as EnrolmentAction[];
    expect(a).toMatchObject({ kind: 'update', enrolment: { call: 'enrol', roleId: 3, timestart: 100, timeend: 900, suspend: true, unassign: { roleId: 5 } } });
    expect(a.reason).toBe('role student → editingteacher: assign editingteacher, remove student');
    // With enrolments.disable: suspend, a refresh's suspend (no row) sends the role and dates the ledger holds.
    const [d] = plan([], 'refresh', [held], { disable: 'suspend' }).actions as EnrolmentAction[];
    expect(d).toMatchObject({ kind: 'disable', enrolment: { call: 'enrol', roleId: 5, timestart: 100, timeend: 900, suspend: true } });
  });

  it('an unchanged row stays on the hot path: no unassign, no parse of the link data', () => {
    const p = plan([{ record: enr('C1', 'P1', { role: 'Student' }), ctx: { ...PLACED, link: link('C1|P1', { data: '{not json' }) } }]);
    expect(summary(p.actions as EnrolmentAction[])).toEqual(['C1|P1:unchanged']);
  });
});

describe('enrolments: ACTION=delete of an enrolment a block removed', () => {
  it('forgets the block mark so unblock will not restore it; an ordinary disabled link stays unchanged', () => {
    const data = JSON.stringify({ roleId: 5, role: 'student', timestart: 0, timeend: 0, suspend: false, blocked: 'r1', restore: { roleId: 5, timestart: 0, timeend: 0, suspend: false } });
    const blocked = link('C1|P1', { status: 'disabled', data });
    const [a] = plan([{ record: enr('C1', 'P1', { command: 'delete' }), ctx: { ...PLACED, link: blocked } }]).actions as EnrolmentAction[];
    expect(a).toMatchObject({ kind: 'disable', enrolment: { call: 'unenrol', courseId: 7 } });
    expect(JSON.parse(a.enrolment!.data!)).toEqual({ roleId: 5, role: 'student', timestart: 0, timeend: 0, suspend: false });
    expect(a.reason).toContain('no longer restored by unblock');
    const plain = plan([{ record: enr('C1', 'P1', { command: 'delete' }), ctx: { ...PLACED, link: link('C1|P1', { status: 'disabled' }) } }]).actions[0];
    expect(plain.kind).toBe('unchanged');
  });
});
