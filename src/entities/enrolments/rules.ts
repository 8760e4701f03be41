/**
 * The enrolments rules of the generic planner (fold.ts). An enrolment is a manual enrolment of a person in a
 * course with a role; its key is `COURSE|PERSON` and its ledger link holds the Moodle user id. The link's state is
 * the enrolment as mdlsync last sent it (role shortname, dates, suspended), so a later run can tell what changed
 * and re-send the same role and dates when it only suspends; it keeps no content hash. Pure: no I/O, no clock.
 */
import type { EnrolmentRecord } from './record.js';
import type { PlanLink } from '../../ledger/types.js';
import { EntityPlanner, dataSourceChange, unchangedByState, type ContextBase, type EntityRules, type MatchBase } from '../../plan/fold.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';
import { removalRules, type Membership, type Removed } from '../../plan/membership.js';

/**
 * SIS role names → Moodle role shortnames (keys compared case-insensitively). Only names that are no shortname:
 * a shortname in a file is that role (`teacher` is Moodle's non-editing teacher), so no entry may shadow one.
 */
export const DEFAULT_ROLE_MAP: Readonly<Record<string, string>> = Object.freeze({
  S: 'student',
  Instructor: 'editingteacher',
  I: 'editingteacher',
  teaching_assistant: 'teacher',
  // Blackboard's other course roles: a course builder edits the course, a grader grades (a non-editing teacher).
  course_builder: 'editingteacher',
  grader: 'teacher',
});

/**
 * Moodle's standard role ids (this Moodle's web services cannot list roles, so they are configured), plus `parent`
 * for observer links: 9 is the id of the first role an admin adds to a fresh site, so set the real one in enrolments.roleIds.
 */
export const DEFAULT_ROLE_IDS: Readonly<Record<string, number>> = Object.freeze({ manager: 1, coursecreator: 2, editingteacher: 3, teacher: 4, student: 5, parent: 9 });

export type EnrolmentDisable = 'unenrol' | 'suspend';

export interface EnrolmentSettings {
  roleMap: Record<string, string>;
  roleIds: Record<string, number>;
  /** What disabling an enrolment does (ROW_STATUS=disabled, --op delete, missing from a refresh). */
  disable: EnrolmentDisable;
}

export const DEFAULT_ENROLMENT_SETTINGS: EnrolmentSettings = { roleMap: { ...DEFAULT_ROLE_MAP }, roleIds: { ...DEFAULT_ROLE_IDS }, disable: 'unenrol' };

/** The role a row gets when its ROLE cell is empty or the file has no ROLE column. */
export const DEFAULT_ROLE = 'student';

export interface EnrolmentMatch extends MatchBase {
  via: 'idnumber';
}

/** What the caller found for a row: the course's and the person's Moodle ids (ledger first, else idnumber in Moodle). */
export interface EnrolmentContext extends ContextBase<EnrolmentMatch> {
  courseId?: number;
  userId?: number;
  /** Why the course could not be placed, when it is not simply unknown (e.g. a failed look-up). */
  courseProblem?: string;
  /** The data source of the course's ledger link (courses); absent for a course found in Moodle only. */
  courseDataSource?: string | null;
  /** Why the person could not be placed, when it is not simply unknown (e.g. two users share the idnumber). */
  personProblem?: string;
}

/** What the applier sends for an enrolment action. */
export interface EnrolmentTarget {
  /** enrol: enrol_manual_enrol_users (create, update, enable, and a suspending disable); unenrol: enrol_manual_unenrol_users. */
  call: 'enrol' | 'unenrol';
  /**
   * Undefined for a disable whose course the fold could not place (a refresh's, from the ledger alone, or a block's):
   * the resolve step then places it by its key (placeCourse) before anything is applied.
   */
  courseId?: number;
  /** The row named its course by shortname: an enrol records the course's id in the link's data (see courseById). */
  courseBy?: 'shortname';
  /**
   * A disable from a link whose course was named by shortname (the key's course part is no idnumber): the course's
   * Moodle id from the link's data, which the resolve step checks is still in Moodle (placeCourse), as it does keys.
   */
  courseById?: number;
  /** Set by the resolve step: the course is no longer in Moodle, so nothing is sent; the link is disabled with this message. */
  gone?: string;
  /** Set by the resolve step: the course could not be placed, so the row fails with this. */
  unplaced?: { code: 'lookup-failed'; message: string };
  roleId?: number;
  role?: string;
  timestart?: number;
  timeend?: number;
  suspend?: boolean;
  /** JSON for the link's data column once Moodle confirms (a block's mark and what to restore); default: what an enrol sent. */
  data?: string;
  /** A role change: the role mdlsync gave before, unassigned (core_role_unassign_roles) once the new one is confirmed. */
  unassign?: { roleId: number; role: string };
}

declare module '../types.js' {
  interface EntityActions {
    'enrolments': { enrolment?: EnrolmentTarget };
  }
}

export type EnrolmentAction = ActionOf<'enrolments'>;

/** The enrolment state mdlsync sent, kept as the link's state. */
export interface EnrolmentState {
  role: string;
  start: number;
  end: number;
  suspend: boolean;
}

/** The link state of an enrolment (`e1;role=…;start=…;end=…;suspend=0|1`). */
export function enrolmentState(s: EnrolmentState): string {
  return `e1;role=${encodeURIComponent(s.role)};start=${s.start};end=${s.end};suspend=${s.suspend ? 1 : 0}`;
}

export function parseEnrolmentState(state: string | null | undefined): EnrolmentState | undefined {
  const m = state ? /^e1;role=([^;]*);start=(\d+);end=(\d+);suspend=([01])$/.exec(state) : null;
  if (!m) return undefined;
  return { role: decodeURIComponent(m[1]), start: Number(m[2]), end: Number(m[3]), suspend: m[4] === '1' };
}

/**
 * The fields an enrolment update changes (the update guard): role, start, end, suspend, as the link's state and the
 * update's say. A link without a readable state names none (nothing to compare: it may change nothing).
 */
export function changedEnrolmentFields(link: PlanLink, a: { state?: string }): string[] {
  const old = parseEnrolmentState(link.state);
  const now = parseEnrolmentState(a.state);
  if (!old || !now) return [];
  return (['role', 'start', 'end', 'suspend'] as const).filter((f) => old[f] !== now[f]).map((f) => (f === 'start' ? 'start date' : f === 'end' ? 'end date' : f));
}

/** An enrolment the applier can only send once the resolve step placed its course (placeCourse). */
export function needsCourse(a: EnrolmentAction): boolean {
  const t = a.enrolment;
  // A role the settings lack fails in the applier: its course is never asked for.
  return a.kind !== 'fail' && a.moodleId !== undefined && t !== undefined && t.courseId === undefined && t.gone === undefined && t.unplaced === undefined && !(t.call === 'enrol' && t.roleId === undefined);
}

/**
 * The course the resolve step found for an enrolment the fold could not place: its id; or, when Moodle has no such
 * course, nothing to send (its enrolments went with it: the link is simply disabled); or why it could not be placed.
 */
export function placeCourse(a: EnrolmentAction, course: { id: number } | { problem: string } | null): EnrolmentAction {
  if (!a.enrolment) return a;
  const key = courseKeyOf(a.key);
  if (course && 'id' in course) return { ...a, enrolment: { ...a.enrolment, courseId: course.id } };
  if (course) return { ...a, enrolment: { ...a.enrolment, unplaced: { code: 'lookup-failed', message: `could not look up course ${key} in Moodle: ${course.problem}` } } };
  return { ...a, enrolment: { ...a.enrolment, gone: `course ${key} is no longer in Moodle: nothing to disable` } };
}

/** The course a link's data says a shortname-named enrolment was sent to (`courseBy`, `courseId`), if any. */
export function linkedCourse(data: string | null | undefined): { courseBy: 'shortname'; courseId: number } | undefined {
  if (!data?.includes('"courseBy"')) return undefined;
  try {
    const d = JSON.parse(data) as { courseBy?: unknown; courseId?: unknown };
    return d.courseBy === 'shortname' && typeof d.courseId === 'number' ? { courseBy: 'shortname', courseId: d.courseId } : undefined;
  } catch {
    return undefined;
  }
}

/** The course key of an enrolment key `COURSE|PERSON` (course keys never hold a pipe: the reader refuses them). */
export function courseKeyOf(key: string): string {
  const i = key.indexOf('|');
  return i === -1 ? key : key.slice(0, i);
}

export function personKeyOf(key: string): string {
  const i = key.indexOf('|');
  return i === -1 ? '' : key.slice(i + 1);
}

/** The roleMap entries that shadow a role shortname of the site (`roleIds`) with another role; the config refuses them. */
export function shadowingRoleMapEntries(roleMap: Record<string, string>, roleIds: Record<string, number>): { name: string; mappedTo: string; shortname: string }[] {
  const shortnames = new Map(Object.keys(roleIds).map((k) => [k.toLowerCase(), k]));
  return Object.entries(roleMap)
    .filter(([name, to]) => shortnames.has(name.toLowerCase()) && to.toLowerCase() !== name.toLowerCase())
    .map(([name, mappedTo]) => ({ name, mappedTo, shortname: shortnames.get(name.toLowerCase())! }));
}

/**
 * A role as the file names it → Moodle shortname and id: a shortname of the site (roleIds) is that role, else the
 * role map translates the name. Files written for Moodle's own tools say `teacher` and mean it.
 */
export function resolveRole(name: string | undefined, s: EnrolmentSettings): { shortname: string; id: number } | { error: string } {
  const given = (name ?? DEFAULT_ROLE).trim();
  const lower = given.toLowerCase();
  const own = Object.entries(s.roleIds).find(([k]) => k.toLowerCase() === lower)?.[1];
  if (own !== undefined) return { shortname: lower, id: own };
  const mapped = Object.entries(s.roleMap).find(([k]) => k.toLowerCase() === lower)?.[1];
  const shortname = (mapped ?? given).toLowerCase();
  const id = Object.entries(s.roleIds).find(([k]) => k.toLowerCase() === shortname)?.[1];
  if (id === undefined) {
    const via = mapped !== undefined ? ` (mapped to "${mapped}", which enrolments.roleIds lacks)` : '';
    return { error: `unknown role "${given}"${via}: add it to enrolments.roleMap (SIS name → Moodle shortname) or enrolments.roleIds (shortname → Moodle role id)` };
  }
  return { shortname, id };
}

type Row = EnrolmentRecord;
type Ctx = EnrolmentContext;

function describe(s: EnrolmentState): string {
  return `${s.role}${s.suspend ? ', suspended' : ''}`;
}

/** Distinct strings shared() keeps: far more than a file's roles × dates × suspend, bounded for a long-lived watch. */
const SHARED_MAX = 4096;
const sharedStrings = new Map<string, string>();

/**
 * One string object per distinct value: every planned send holds its link state and reason until it is applied, and
 * each built afresh is a chain of pieces (~200 bytes a row); 500k enrolments share a few values.
 */
function shared(s: string): string {
  const known = sharedStrings.get(s);
  if (known !== undefined) return known;
  if (sharedStrings.size < SHARED_MAX) sharedStrings.set(s, s);
  return s;
}

/** "role student → editingteacher: assign editingteacher, remove student". */
function roleChange(old: string, now: string): string {
  return `role ${old} → ${now}: assign ${now}, remove ${old}`;
}

/**
 * The role mdlsync gave a linked enrolment, when a row now names another: the id it sent (link data), else the
 * state's shortname through the role ids. Only changed rows get here, so the hot path parses nothing.
 */
function givenRole(link: PlanLink, old: EnrolmentState | undefined, now: { shortname: string; id: number }, settings: EnrolmentSettings): { roleId: number; role: string } | undefined {
  if (!old || old.role === now.shortname) return undefined;
  let roleId: number | undefined;
  if (link.data) {
    try {
      const d = JSON.parse(link.data) as { roleId?: unknown };
      if (typeof d.roleId === 'number') roleId = d.roleId;
    } catch {
      // not ours to judge: fall back to the state
    }
  }
  if (roleId === undefined) {
    const r = resolveRole(old.role, settings);
    if ('error' in r) return undefined;
    roleId = r.id;
  }
  return roleId === now.id ? undefined : { roleId, role: old.role };
}

/** The link data without a block's mark and what it would restore (an enrol writes fresh data anyway). */
function withoutBlockMark(data: string): string | undefined {
  try {
    const { blocked: _b, restore: _r, ...rest } = JSON.parse(data) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return undefined;
  }
}

/** Why a linked enrolment is sent again, in plain words. */
function changeReason(old: EnrolmentState | undefined, now: EnrolmentState): string {
  if (!old) return 'no enrolment state in the ledger';
  const parts: string[] = [];
  if (old.role !== now.role) parts.push(roleChange(old.role, now.role));
  if (old.start !== now.start || old.end !== now.end) parts.push('dates changed');
  if (old.suspend !== now.suspend) parts.push(now.suspend ? 'AVAILABLE_IND=N: suspend the enrolment' : 'available again: reactivate the enrolment');
  return parts.join('; ') || 'content changed';
}

export function enrolmentRules(settings: EnrolmentSettings = DEFAULT_ENROLMENT_SETTINGS): EntityRules<'enrolments', Ctx> {
  // A file names a few roles over and over: each ROLE cell is resolved once (the map scans are per call).
  const roles = new Map<string | undefined, ReturnType<typeof resolveRole>>();
  const rowRole = (name: string | undefined): ReturnType<typeof resolveRole> => {
    let res = roles.get(name);
    if (res === undefined) {
      res = resolveRole(name, settings);
      if (roles.size < 1000) roles.set(name, res);
    }
    return res;
  };
  const roleIdOf = (role: string): number | undefined => {
    const res = resolveRole(role, settings);
    return 'id' in res ? res.id : undefined;
  };

  /**
   * Disabling an enrolment: unenrol, or re-enrol suspended with the role and dates last sent (the link's state, else
   * the row's). The course id is the row's; for a refresh's the resolve step places it by the key (placeCourse: the link holds the user id).
   */
  const disabling = (userId: number, courseId: number | undefined, link: PlanLink | undefined, r: Row | undefined): Removed<{ enrolment: EnrolmentTarget }> => {
    // A link made from a shortname: its key cannot place the course, its data can.
    const named = courseId === undefined ? linkedCourse(link?.data) : undefined;
    const ref: Pick<EnrolmentTarget, 'courseBy' | 'courseById'> = named ? { courseBy: 'shortname', courseById: named.courseId } : r?.fields.courseBy ? { courseBy: r.fields.courseBy } : {};
    if (settings.disable === 'unenrol') {
      const enrolment: EnrolmentTarget = { call: 'unenrol', courseId, ...ref };
      // A block's mark would let a later unblock bring back what this removes for good.
      if (link?.status === 'disabled' && link.data) enrolment.data = withoutBlockMark(link.data);
      return { moodleId: userId, what: 'unenrol', fields: { enrolment } };
    }
    const old = parseEnrolmentState(link?.state);
    // The row's role when it gives a known one, else the role mdlsync last sent: re-enrolling adds the role it names.
    const fromRow = r?.fields.role !== undefined ? resolveRole(r.fields.role, settings) : undefined;
    const role = fromRow && 'id' in fromRow ? fromRow.shortname : (old?.role ?? DEFAULT_ROLE);
    const state: EnrolmentState = { role, start: r?.fields.start ?? old?.start ?? 0, end: r?.fields.end ?? old?.end ?? 0, suspend: true };
    const roleId = roleIdOf(role);
    const enrolment: EnrolmentTarget = { call: 'enrol', courseId, ...ref, role, roleId, timestart: state.start, timeend: state.end, suspend: true };
    return { moodleId: userId, state: enrolmentState(state), what: 'suspend the enrolment', fields: { enrolment } };
  };

  /** Removing an enrolment (enrolments.disable: unenrol or suspend), through the shared membership rules. */
  const removal: Membership<'enrolments', Ctx, { enrolment: EnrolmentTarget }> = {
    removed: 'already disabled',
    // A block's mark (user block / ACTION=block) would let a later unblock bring back what a row removes for good.
    again: (link) => (link.data?.includes('"blocked"') ? 'blocked, no longer restored by unblock' : undefined),
    given: (link, row) => disabling(link.moodleId, row?.ctx.courseId, link, row?.r),
    unlinked(r, ctx) {
      if (ctx.courseId === undefined || ctx.userId === undefined) return { kept: `${ctx.courseId === undefined ? `course ${r.fields.course}` : `person ${r.fields.person}`} is not in Moodle: nothing to disable` };
      // Suspending re-enrols: for an enrolment mdlsync never made, that could create one just to suspend it.
      if (settings.disable === 'suspend') return { kept: 'not enrolled by mdlsync: nothing to suspend', moodleId: ctx.userId };
      return disabling(ctx.userId, ctx.courseId, undefined, r);
    },
  };

  return {
    changedFields: changedEnrolmentFields,
    // Its sends and unchanged rows repeat all but key, line and user: a run's plan shares the rest until applied.
    sharesTemplates: true,
    moodleNoun: 'user',
    recordNoun: 'enrolment',

    // A course owned by another data source is not this row's to enrol in, nor to unenrol from (the fold checks every row).
    owners: (r, ctx) => [{ what: `course ${r.fields.course}`, dataSource: ctx.courseDataSource, hint: "enrol it from the courses' data source, or move the course" }],

    store(r, line, ctx, p) {
      const o = p.options;
      const base = { entity: o.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
      const role = rowRole(r.fields.role);
      if ('error' in role) return p.fail(r, line, ctx, 'unknown-role', role.error);
      if (ctx.courseId === undefined) return p.fail(r, line, ctx, 'unknown-course', ctx.courseProblem ?? `unknown course ${r.fields.course}`);
      const userId = ctx.userId;
      if (userId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.personProblem ?? `unknown person ${r.fields.person}`);
      const state: EnrolmentState = { role: role.shortname, start: r.fields.start ?? 0, end: r.fields.end ?? 0, suspend: r.available === false };
      const h = enrolmentState(state);
      const link = ctx.link;
      // A re-run's hot path: an unchanged row builds nothing it would not send.
      const same = unchangedByState(r, line, link, h, base.dataSource, p, userId);
      if (same) return same;
      const enrolment: EnrolmentTarget = { call: 'enrol', courseId: ctx.courseId, roleId: role.id, role: role.shortname, timestart: state.start, timeend: state.end, suspend: state.suspend };
      if (r.fields.courseBy) enrolment.courseBy = r.fields.courseBy;
      // No `record`: the target holds what is sent, and a plan kept until applied shares all else (CompactActions).
      const send = { ...base, moodleId: userId, state: shared(h), status: 'active' as const, enrolment };
      if (link && link.status === 'active') {
        const reowned = base.dataSource !== link.dataSource;
        const moved = link.moodleId !== userId;
        const old = link.state !== h ? parseEnrolmentState(link.state) : undefined;
        const reason =
          link.state !== h
            ? changeReason(old, state)
            : moved
              ? `person ${r.fields.person} is now Moodle user ${userId} (was ${link.moodleId})`
              : reowned
                ? dataSourceChange(link, base.dataSource)
                : 'full re-send';
        const unassign = givenRole(link, old, role, settings);
        if (unassign) return { kind: 'update', ...send, enrolment: { ...enrolment, unassign }, reason } satisfies EnrolmentAction;
        return { kind: 'update', ...send, reason } satisfies EnrolmentAction;
      }
      if (link) {
        // Unenrolling took the old role with it; a suspended enrolment (state suspend=1) still holds it.
        const old = parseEnrolmentState(link.state);
        const unassign = old?.suspend ? givenRole(link, old, role, settings) : undefined;
        const reason = `re-enrol as ${describe(state)}: back in the file`;
        if (unassign) return { kind: 'enable', ...send, enrolment: { ...enrolment, unassign }, reason: `${reason}; ${roleChange(unassign.role, role.shortname)}` } satisfies EnrolmentAction;
        return { kind: 'enable', ...send, reason } satisfies EnrolmentAction;
      }
      return { kind: 'create', ...send, reason: shared(`new enrolment as ${describe(state)}`) } satisfies EnrolmentAction;
    },

    ...removalRules(removal),
  };
}

/** The enrolments planner: the generic fold with the enrolments rules for these settings. */
export class EnrolmentPlanner extends EntityPlanner<'enrolments', EnrolmentContext> {
  constructor(options: PlanOptions<'enrolments'>, settings: EnrolmentSettings = DEFAULT_ENROLMENT_SETTINGS, sink?: (action: ActionOf<'enrolments'>) => void) {
    super(enrolmentRules(settings), options, sink, 'EnrolmentPlanner');
  }
}
