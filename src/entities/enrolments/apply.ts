/**
 * The enrolments applier: enrol_manual_enrol_users for creates, updates, re-enables and suspending disables, and
 * enrol_manual_unenrol_users for unenrolling disables; a role change then unassigns the role mdlsync gave before
 * (core_role_unassign_roles, course context). The calls are all or nothing, so the shared BatchEngine
 * splits a refused batch until each bad row is alone; a refusal that names its course (wsnoinstance) fails that
 * course's rows at once. Every enrol record carries the role, both dates and suspend: Moodle resets what a
 * re-enrolment leaves out (contract/2026-12 case 205). It looks nothing up: the plan says which course (the resolve
 * step placed the ones the fold could not), or that the course is gone (nothing to send), or why it is unknown.
 */
import { MoodleError, enrolmentLeaves, enrolUsers, getEnrolledUsers, roleAssignmentLeaves, unassignRoles, unenrolUsers } from '../../moodle/index.js';
import type { RoleAssignmentInput } from '../../moodle/index.js';
import type { ManualEnrolmentInput, ManualUnenrolmentInput } from '../../moodle/types.js';
import { courseKeyOf, type EnrolmentAction } from './rules.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError } from '../../apply/pack.js';
import { builtAt, prepareRows, sendPacked } from '../../apply/prepare.js';

type EnrolmentRow = Row<'enrolments'>;

interface EnrolItem {
  row: EnrolmentRow;
  input: ManualEnrolmentInput;
}

interface UnenrolItem {
  row: EnrolmentRow;
  input: ManualUnenrolmentInput;
}

/** A role change whose new role Moodle confirmed: the old role mdlsync gave, to unassign before the link is written. */
interface UnassignItem {
  row: EnrolmentRow;
  input: RoleAssignmentInput;
  enrol: EnrolItem;
}

const targetOf = (row: EnrolmentRow): NonNullable<EnrolmentAction['enrolment']> => {
  const t = row.action.enrolment;
  if (!t) throw new LocalRowError('internal', 'the planned enrolment has no target');
  return t;
};

/** The enrol call's record of a row (every call but unenrol): role, both dates and suspend, always sent. */
function enrolItem(row: EnrolmentRow): EnrolItem | undefined {
  const t = targetOf(row);
  if (t.call === 'unenrol') return undefined;
  const input: ManualEnrolmentInput = { roleid: t.roleId!, userid: row.action.moodleId!, courseid: t.courseId!, suspend: t.suspend ? 1 : 0 };
  // Omitted dates reset to 0 on a re-enrol, so they are always sent.
  input.timestart = t.timestart ?? 0;
  input.timeend = t.timeend ?? 0;
  return { row, input };
}

function unenrolItem(row: EnrolmentRow): UnenrolItem | undefined {
  const t = targetOf(row);
  return t.call === 'unenrol' ? { row, input: { userid: row.action.moodleId!, courseid: t.courseId! } } : undefined;
}

export const enrolmentsApplier: EntityApplier<'enrolments'> = {
  prepare(engine, rows) {
    // The rows to send are kept as their places in the plan and made again as their calls are built (builtAt): a
    // compact plan (500k enrolments) then never holds every row's action at once.
    return prepareRows(
      engine,
      rows,
      { ready: [] as number[], gone: [] as EnrolmentRow[] },
      (row) => {
        engine.targetId(row.action);
        const t = targetOf(row);
        if (t.call === 'enrol' && t.roleId === undefined) throw new LocalRowError('unknown-role', `unknown role ${t.role ?? ''}`);
        if (t.unplaced) {
          engine.fail(row, t.unplaced.code, t.unplaced.message, row.action.moodleId);
          return undefined;
        }
        if (t.gone !== undefined) return { to: 'gone', item: row };
        if (t.courseId === undefined) throw new LocalRowError('internal', 'the planned enrolment has no course: the resolve step did not place it');
        return { to: 'ready', item: row.index };
      },
      async ({ ready, gone }) => {
        // The course is gone from Moodle, and its enrolments with it: nothing left to disable.
        for (const row of gone) engine.settle(row, 'ok', { moodleId: row.action.moodleId, message: targetOf(row).gone });
        await engine.writeLinks(gone.map((row) => engine.link(row, row.action.moodleId!)));
        // Each call's records are built as its batch is packed and sent, not all before the first call.
        const roleChanges: UnassignItem[] = [];
        await sendPacked(engine, builtAt(engine, ready, enrolItem), (i) => enrolmentLeaves(i.input), enrolSpec(engine, roleChanges));
        // Only after the new role is confirmed; the link (with its new state) waits for the unassign, so a failure is retried.
        await sendPacked(engine, roleChanges, (i) => roleAssignmentLeaves(i.input), unassignSpec(engine));
        await sendPacked(engine, builtAt(engine, ready, unenrolItem), (i) => enrolmentLeaves(i.input), unenrolSpec(engine));
      },
    );
  },
};

/** What an enrol call sent, kept in the link's data column (user unblock re-enrols with the same role and dates). */
export interface EnrolmentData {
  roleId: number;
  role?: string;
  timestart: number;
  timeend: number;
  suspend: boolean;
  /** A row that named its course by shortname: the course it was sent to, for a later removal (the key cannot place it). */
  courseBy?: 'shortname';
  courseId?: number;
}

const enrolData = (item: EnrolItem): string => {
  const t = targetOf(item.row);
  if (t.data !== undefined) return t.data;
  const data: EnrolmentData = { roleId: item.input.roleid, role: t.role, timestart: item.input.timestart ?? 0, timeend: item.input.timeend ?? 0, suspend: item.input.suspend === 1 };
  if (t.courseBy) Object.assign(data, { courseBy: t.courseBy, courseId: item.input.courseid });
  return JSON.stringify(data);
};

/** Settles confirmed items and writes their links (user id in the link; the enrolment's state; an enrol's input in data). */
async function confirm<T extends { row: EnrolmentRow; input: { userid: number } }>(engine: BatchEngine, items: T[], data: (item: T) => string | undefined): Promise<void> {
  await engine.writeLinks(
    items.map((item) => {
      const link = engine.landed(item.row, item.input.userid);
      const d = data(item);
      return d !== undefined ? { ...link, data: d } : link;
    }),
  );
}

/**
 * Moodle's message for a course without an enabled manual enrolment method names only the course's Moodle id
 * (wsnoinstance, cases 168-169): the row's message also names the course key and what to do, since every row of that
 * course fails alike until an admin adds or enables the method.
 */
function withHint(item: { row: EnrolmentRow; input: { courseid: number } }, code: string, message: string): string {
  if (code !== 'wsnoinstance') return message;
  return `${message}: course ${courseKeyOf(item.row.action.key)} (Moodle id ${item.input.courseid}) has no enabled "Manual enrolments" method; ` +
    'add or enable it under Course › Participants › Enrolment methods, then run the tryback file';
}

/**
 * A refused call whose error is wsnoinstance names the course (`(id = N)`, cases 168-169): every item of that course
 * fails at once, so the rest goes again as one call instead of being split until each of the course's rows is alone.
 */
async function failCourseWithoutInstance<T extends { row: EnrolmentRow; input: { userid: number; courseid: number } }>(
  engine: BatchEngine, items: T[], err: unknown): Promise<T[]> {
  if (!(err instanceof MoodleError) || err.errorcode !== 'wsnoinstance') return items;
  const m = /\(id = (\d+)\)/.exec(err.message);
  if (!m) return items;
  const courseid = Number(m[1]);
  const rest: T[] = [];
  for (const item of items) {
    if (item.input.courseid === courseid) engine.fail(item.row, 'wsnoinstance', withHint(item, 'wsnoinstance', err.message), item.input.userid);
    else rest.push(item);
  }
  return rest;
}

function enrolSpec(engine: BatchEngine, roleChanges: UnassignItem[]): BatchSpec<EnrolItem, void> {
  const spec: BatchSpec<EnrolItem, void> = {
    wsfunction: 'enrol_manual_enrol_users',
    send: (items) => enrolUsers(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) => {
      const done: EnrolItem[] = [];
      for (const item of items) {
        const old = targetOf(item.row).unassign;
        if (old === undefined) done.push(item);
        else roleChanges.push({ row: item.row, enrol: item, input: { roleid: old.roleId, userid: item.input.userid, contextlevel: 'course', instanceid: item.input.courseid } });
      }
      await confirm(engine, done, enrolData);
    },
    failOne: (item, code, message) => engine.fail(item.row, code, withHint(item, code, message), item.input.userid),
    explain: (items, err) => failCourseWithoutInstance(engine, items, err),
    // The welcome mail goes out after the commit, so its failure ("Message was not sent.") does not undo the call.
    recheck: async (items) => {
      const saved = await enrolledAsAsked(engine, items);
      await spec.confirm(items.filter((i) => saved.has(i)));
      return items.filter((i) => !saved.has(i));
    },
  };
  return spec;
}

/**
 * The items Moodle has as the call asked: the user enrolled in the course with the role, and active or not as the
 * row's suspend flag and dates say (core_enrol_get_enrolled_users, once for all and once with onlyactive, per
 * course; both recorded, cases 71 and 182). The reply has no enrolment dates, so a change of dates alone that keeps the state is taken as saved:
 * enrol_manual_enrol_users saves a whole call in one transaction, so the rest of the batch vouches for it.
 */
async function enrolledAsAsked(engine: BatchEngine, items: EnrolItem[]): Promise<Set<EnrolItem>> {
  const byCourse = new Map<number, EnrolItem[]>();
  for (const i of items) byCourse.set(i.input.courseid, [...(byCourse.get(i.input.courseid) ?? []), i]);
  const saved = new Set<EnrolItem>();
  const now = Math.floor(Date.now() / 1000);
  const read = (courseid: number, onlyactive: boolean) =>
    engine.read('core_enrol_get_enrolled_users', 1, () =>
      getEnrolledUsers(engine.deps.client, courseid, [
        { name: 'userfields', value: 'id,roles' },
        ...(onlyactive ? [{ name: 'onlyactive' as const, value: 1 as const }] : []),
      ]),
    );
  await Promise.all(
    [...byCourse].map(async ([courseid, course]) => {
      const [all, activeUsers] = await Promise.all([read(courseid, false), read(courseid, true)]);
      const roles = new Map(all.map((u) => [u.id, new Set((u.roles ?? []).map((r) => r.roleid))]));
      const activeNow = new Set(activeUsers.map((u) => u.id));
      for (const item of course) {
        const { userid, roleid, suspend, timestart = 0, timeend = 0 } = item.input;
        const active = suspend !== 1 && timestart <= now && (timeend === 0 || timeend > now);
        if (roles.get(userid)?.has(roleid) && activeNow.has(userid) === active) saved.add(item);
      }
    }),
  );
  return saved;
}

/**
 * core_role_unassign_roles of the role mdlsync gave before a role change, in the course context. Moodle keeps one
 * assignment per (role, user, context, component): a role an admin also gave by hand is that same assignment and
 * goes too; other roles given by hand are never named here and stay.
 */
function unassignSpec(engine: BatchEngine): BatchSpec<UnassignItem, void> {
  const what = (item: UnassignItem): string => `${targetOf(item.row).role ?? 'the new role'} assigned, but removing ${targetOf(item.row).unassign?.role ?? 'the old role'} failed`;
  return {
    wsfunction: 'core_role_unassign_roles',
    send: (items) => unassignRoles(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) => confirm(engine, items.map((i) => i.enrol), enrolData),
    failOne: (item, code, message) => engine.fail(item.row, code, `${what(item)}: ${message}; the row is sent again on the next run`, item.input.userid),
  };
}

function unenrolSpec(engine: BatchEngine): BatchSpec<UnenrolItem, void> {
  return {
    wsfunction: 'enrol_manual_unenrol_users',
    send: (items) => unenrolUsers(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) => confirm(engine, items, (item) => targetOf(item.row).data),
    failOne: (item, code, message) => engine.fail(item.row, code, withHint(item, code, message), item.input.userid),
    explain: (items, err) => failCourseWithoutInstance(engine, items, err),
  };
}
