/**
 * How `mdlsync undo` reverses enrolments (src/undo/): the link's state holds the role, dates and suspension mdlsync
 * gave, so an enrolment the run removed or suspended is enrolled again exactly so, a changed one gets its old role and
 * dates back, and one it made is suspended. The courses are placed by the resolve step as for a refresh's disables.
 */
import type { BeforeImage } from '../../ledger/types.js';
import { getEnrolledUsers } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { retrier } from '../../resolve/common.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import { DEFAULT_ENROLMENT_SETTINGS, enrolmentState, parseEnrolmentState, resolveRole, type EnrolmentAction, type EnrolmentState, type EnrolmentTarget } from './rules.js';

function enrol(s: EnrolmentState, roleId: number): EnrolmentTarget {
  return { call: 'enrol', role: s.role, roleId, timestart: s.start, timeend: s.end, suspend: s.suspend };
}

function reverse(image: BeforeImage, ctx: UndoContext): EnrolmentAction | UndoLeft {
  const { before, after } = image;
  const settings = ctx.settings.enrolments ?? DEFAULT_ENROLMENT_SETTINGS;
  const base = { entity: 'enrolments' as const, key: image.key, line: null, moodleId: after.moodleId };
  const roleOf = (s: EnrolmentState): number | UndoLeft => {
    const r = resolveRole(s.role, settings);
    return 'id' in r ? r.id : { left: `role ${s.role}: ${r.error}` };
  };
  if (before === null) {
    if (!ctx.includingCreates) return { left: 'enrolled by the run: left (--including-creates suspends it)' };
    const now = parseEnrolmentState(after.state);
    if (!now) return { left: 'enrolled by the run, but the ledger kept no role and dates of it' };
    if (after.status === 'disabled') return { left: 'enrolled by the run as disabled: nothing to suspend' };
    const suspended = { ...now, suspend: true };
    const roleId = roleOf(suspended);
    if (typeof roleId !== 'number') return roleId;
    return { ...base, kind: 'disable', dataSource: after.dataSource, state: enrolmentState(suspended), status: 'disabled', enrolment: enrol(suspended, roleId), reason: `undo: enrolled by the run, suspended (never removed)` };
  }
  const was = parseEnrolmentState(before.state);
  if (before.status === 'active' && after.status === 'active' && before.state === after.state && before.moodleId === after.moodleId) {
    return { left: 'the run changed nothing mdlsync can put back' };
  }
  if (before.status === 'disabled') {
    if (after.status === 'disabled') return { left: 'disabled before the run and after it' };
    // The run enrolled again what was disabled: disabled again as the config says, the ledger's state as it was.
    const now = parseEnrolmentState(after.state);
    if (settings.disable === 'unenrol' || !now) {
      return { ...base, kind: 'disable', dataSource: before.dataSource, state: before.state ?? undefined, status: 'disabled', enrolment: { call: 'unenrol' }, reason: 'undo: enrolled again by the run, unenrolled again' };
    }
    const suspended = { ...now, suspend: true };
    const roleId = roleOf(suspended);
    if (typeof roleId !== 'number') return roleId;
    return { ...base, kind: 'disable', dataSource: before.dataSource, state: before.state ?? enrolmentState(suspended), status: 'disabled', enrolment: enrol(suspended, roleId), reason: 'undo: enrolled again by the run, suspended again' };
  }
  if (!was) return { left: 'the ledger kept no role and dates from before the run' };
  const roleId = roleOf(was);
  if (typeof roleId !== 'number') return roleId;
  const target = enrol(was, roleId);
  const how = `${was.role}, ${was.start === 0 ? 'no start date' : `start ${was.start}`}, ${was.end === 0 ? 'no end date' : `end ${was.end}`}${was.suspend ? ', suspended' : ''}`;
  if (after.status === 'disabled') {
    return { ...base, moodleId: before.moodleId, kind: 'enable', dataSource: before.dataSource, state: before.state ?? undefined, status: 'active', enrolment: target, reason: `undo: removed or suspended by the run, enrolled again as ${how}` };
  }
  // Changed by the run (role, dates, suspension): the old values again; a role the run gave instead is taken back.
  const now = parseEnrolmentState(after.state);
  if (now && now.role !== was.role) {
    const given = roleOf(now);
    if (typeof given === 'number') target.unassign = { roleId: given, role: now.role };
  }
  return { ...base, moodleId: before.moodleId, kind: 'update', dataSource: before.dataSource, state: before.state ?? undefined, status: 'active', enrolment: target, reason: `undo: changed by the run, put back as ${how}` };
}

/**
 * Moodle must still show what the run left, per course (core_enrol_get_enrolled_users, all and active only): an
 * enrolment the run removed is not there, one it suspended is not active, one it made or changed is there with the
 * role it gave, active unless it gave it suspended.
 */
async function changedInMoodle(client: MoodleCaller, planned: readonly { action: EnrolmentAction; image: BeforeImage }[], reads: LookupReads): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const retry = retrier(reads);
  const byCourse = new Map<number, typeof planned[number][]>();
  for (const p of planned) {
    const t = p.action.enrolment;
    // The course is gone from Moodle (its enrolments with it), or could not be placed: nothing to put back now.
    if (t?.gone !== undefined) out.set(p.action.key, `changed since the run: ${t.gone.replace(/: nothing to disable$/, '')}`);
    else if (t?.unplaced) out.set(p.action.key, t.unplaced.message);
    const course = t?.courseId;
    if (course === undefined || t?.gone !== undefined) continue;
    byCourse.set(course, [...(byCourse.get(course) ?? []), p]);
  }
  for (const [courseid, list] of byCourse) {
    const all = await retry(() => getEnrolledUsers(client, courseid, [{ name: 'userfields', value: 'id,roles' }]));
    const active = new Set((await retry(() => getEnrolledUsers(client, courseid, [{ name: 'userfields', value: 'id' }, { name: 'onlyactive', value: 1 }]))).map((u) => u.id));
    const roles = new Map(all.map((u) => [u.id, new Set((u.roles ?? []).map((r) => r.shortname))]));
    for (const { action: a, image } of list) {
      const user = image.after.moodleId;
      const left = parseEnrolmentState(image.after.state);
      const enrolled = roles.has(user);
      if (image.after.status === 'disabled') {
        // The run suspended it (its state says suspend=1), or unenrolled it (the state it kept is the one removed).
        if (left?.suspend) {
          if (!enrolled) out.set(a.key, 'changed since the run: no longer enrolled');
          else if (active.has(user)) out.set(a.key, 'changed since the run: the enrolment is active again');
        } else if (enrolled) out.set(a.key, 'changed since the run: enrolled again (by hand or by another tool)');
      } else if (!enrolled) out.set(a.key, 'changed since the run: no longer enrolled');
      else if (left && !left.suspend && !active.has(user) && left.end === 0 && left.start === 0) out.set(a.key, 'changed since the run: the enrolment is suspended');
      else if (left && !roles.get(user)!.has(left.role)) out.set(a.key, `changed since the run: no longer has the role ${left.role}`);
    }
  }
  return out;
}

export const ENROLMENT_UNDO: EntityUndo<'enrolments'> = { reverse, changedInMoodle };
