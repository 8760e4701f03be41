/**
 * The enrolments applier: enrol_manual_enrol_users for creates, updates, re-enables and suspending disables, and
 * enrol_manual_unenrol_users for unenrolling disables; a role change then unassigns the role mdlsync gave before
 * (core_role_unassign_roles, course context). The calls are all or nothing, so the shared BatchEngine
 * splits a refused batch until each bad row is alone. A disable whose course the planner could not place (a
 * refresh's, from the ledger alone) gets its course id here: ledger first, else Moodle by idnumber.
 */
import type { LinkWrite } from '../../ledger/types.js';
import { enrolmentLeaves, enrolUsers, getCoursesByField, getEnrolledUsers, roleAssignmentLeaves, unassignRoles, unenrolUsers } from '../../moodle/index.js';
import type { RoleAssignmentInput } from '../../moodle/index.js';
import type { ManualEnrolmentInput, ManualUnenrolmentInput } from '../../moodle/types.js';
import { courseKeyOf, type EnrolmentAction } from './rules.js';
import { codeOf, type BatchEngine, type BatchSpec, type EntityApplier, type Row } from '../../apply/engine.js';
import { LocalRowError, pack } from '../../apply/pack.js';
import { prepareRows, sendPacked } from '../../apply/prepare.js';

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

export const enrolmentsApplier: EntityApplier<'enrolments'> = {
  prepare(engine, rows) {
    return prepareRows(
      engine,
      rows,
      { ready: [] as EnrolmentRow[], needCourse: [] as EnrolmentRow[] },
      (row) => {
        engine.targetId(row.action);
        const t = targetOf(row);
        if (t.call === 'enrol' && t.roleId === undefined) throw new LocalRowError('unknown-role', `unknown role ${t.role ?? ''}`);
        return { to: t.courseId === undefined ? 'needCourse' : 'ready', item: row };
      },
      async ({ ready, needCourse }) => {
        const courseIds = await placeCourses(engine, needCourse);
        const gone: LinkWrite[] = [];
        for (const row of needCourse) {
          const key = courseKeyOf(row.action.key);
          const id = courseIds.get(key);
          if (typeof id === 'number') ready.push(row);
          else if (id === null) {
            // The course is gone from Moodle, and its enrolments with it: nothing left to disable.
            gone.push(engine.link(row, row.action.moodleId!));
            engine.settle(row, 'ok', { moodleId: row.action.moodleId, message: `course ${key} is no longer in Moodle: nothing to disable` });
          } else engine.fail(row, 'lookup-failed', `could not look up course ${key} in Moodle: ${id}`, row.action.moodleId);
        }
        engine.writeLinks(gone);
        const enrols: EnrolItem[] = [];
        const unenrols: UnenrolItem[] = [];
        for (const row of ready) {
          const t = targetOf(row);
          const courseid = t.courseId ?? courseIds.get(courseKeyOf(row.action.key));
          const userid = row.action.moodleId!;
          if (t.call === 'unenrol') unenrols.push({ row, input: { userid, courseid: courseid as number } });
          else {
            const input: ManualEnrolmentInput = { roleid: t.roleId!, userid, courseid: courseid as number, suspend: t.suspend ? 1 : 0 };
            // Omitted dates reset to 0 on a re-enrol, so they are always sent.
            input.timestart = t.timestart ?? 0;
            input.timeend = t.timeend ?? 0;
            enrols.push({ row, input });
          }
        }
        const enrolBatches = pack(enrols, (i) => enrolmentLeaves(i.input), engine.options);
        engine.failTooBig(enrolBatches.tooBig);
        const unenrolBatches = pack(unenrols, (i) => enrolmentLeaves(i.input), engine.options);
        engine.failTooBig(unenrolBatches.tooBig);
        const roleChanges: UnassignItem[] = [];
        await engine.runBatches(enrolBatches.batches, (b) => engine.sendBatch(b, enrolSpec(engine, roleChanges)));
        // Only after the new role is confirmed; the link (with its new state) waits for the unassign, so a failure is retried.
        await sendPacked(engine, roleChanges, (i) => roleAssignmentLeaves(i.input), unassignSpec(engine));
        await engine.runBatches(unenrolBatches.batches, (b) => engine.sendBatch(b, unenrolSpec(engine)));
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
}

const enrolData = (item: EnrolItem): string =>
  targetOf(item.row).data ??
  JSON.stringify({ roleId: item.input.roleid, role: targetOf(item.row).role, timestart: item.input.timestart ?? 0, timeend: item.input.timeend ?? 0, suspend: item.input.suspend === 1 } satisfies EnrolmentData);

/** Settles confirmed items and writes their links (user id in the link; the enrolment's state; an enrol's input in data). */
function confirm<T extends { row: EnrolmentRow; input: { userid: number } }>(engine: BatchEngine, items: T[], data: (item: T) => string | undefined): void {
  engine.writeLinks(
    items.map((item) => {
      const link = engine.landed(item.row, item.input.userid);
      const d = data(item);
      return d !== undefined ? { ...link, data: d } : link;
    }),
  );
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
      confirm(engine, done, enrolData);
    },
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.input.userid),
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
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.input.userid),
  };
}

/** Course key → Moodle id; null when Moodle has no such course; a string when the look-up failed. */
async function placeCourses(engine: BatchEngine, rows: EnrolmentRow[]): Promise<Map<string, number | null | string>> {
  const out = new Map<string, number | null | string>();
  const keys = [...new Set(rows.map((r) => courseKeyOf(r.action.key)))];
  if (keys.length === 0) return out;
  for (const [k, link] of engine.deps.ledger.getLinks('courses', keys)) out.set(k, link.moodleId);
  await Promise.all(
    keys
      .filter((k) => !out.has(k))
      .map(async (k) => {
        try {
          const { courses } = await engine.read('core_course_get_courses_by_field', 1, () => getCoursesByField(engine.deps.client, 'idnumber', k));
          const exact = courses.filter((c) => c.idnumber === undefined || c.idnumber === k);
          out.set(k, exact.length === 1 ? exact[0].id : exact.length === 0 ? null : `${exact.length} Moodle courses have idnumber ${k}`);
        } catch (err) {
          out.set(k, `${codeOf(err)}: ${(err as Error).message}`);
        }
      }),
  );
  return out;
}
