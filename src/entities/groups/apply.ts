/**
 * The groups and group-members appliers. Groups: core_group_create_groups for creates (all or nothing: the shared
 * BatchEngine splits a refused batch); adopts, enables, disables and unsendable changes only write the ledger link.
 * Group members: a shift first leaves the other managed groups (core_group_delete_group_members), then
 * core_group_add_group_members for adds and core_group_delete_group_members for removes.
 */
import type { GroupMemberRecord, GroupRecord } from './record.js';
import type { LinkWrite } from '../../ledger/types.js';
import { addGroupMembers, createGroups, deleteGroupMembers, getCourseGroups, groupLeaves, groupMemberLeaves } from '../../moodle/index.js';
import type { CreateGroupInput, GroupMemberInput, MoodleGroup } from '../../moodle/index.js';
import { memberKeyParts, type GroupAction, type GroupMemberAction } from './rules.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError, pack } from '../../apply/pack.js';

type GroupRow = Row<GroupRecord>;
type MemberRow = Row<GroupMemberRecord>;

interface CreateItem {
  row: GroupRow;
  input: CreateGroupInput;
}

export const groupsApplier: EntityApplier<GroupRecord> = {
  prepare(engine, rows) {
    const creates: CreateItem[] = [];
    const linkOnly: GroupRow[] = [];
    for (const row of rows) {
      const t = (row.action as GroupAction).group;
      if (!t) engine.fail(row, 'internal', 'the planned group has no target');
      else if (t.call === 'create') {
        creates.push({ row, input: { courseid: t.courseId!, name: t.name!, description: t.description ?? '', idnumber: t.idnumber } });
      } else linkOnly.push(row);
    }
    return async () => {
      // Nothing to send: the link records the adoption, the re-enable or the disable; the note says what was not sent.
      engine.writeLinks(
        linkOnly.flatMap((row) => {
          try {
            const id = engine.targetId(row.action);
            const note = (row.action as GroupAction).group?.note;
            engine.settle(row, row.action.kind === 'update' && note ? 'unchanged' : 'ok', { moodleId: id, message: note });
            return [engine.link(row, id)];
          } catch (err) {
            if (!(err instanceof LocalRowError)) throw err;
            engine.fail(row, err.code, err.message);
            return [];
          }
        }),
      );
      const { batches, tooBig } = pack(creates, (i) => groupLeaves(i.input), engine.options);
      engine.failTooBig(tooBig);
      await engine.runBatches(batches, (b) => engine.sendBatch(b, createSpec(engine)));
    };
  },
};

function createSpec(engine: BatchEngine): BatchSpec<CreateItem, MoodleGroup[]> {
  const landed = (pairs: { item: CreateItem; id: number }[]): void =>
    engine.writeLinks(
      pairs.map(({ item, id }) => engine.landed(item.row, id)),
    );
  return {
    wsfunction: 'core_group_create_groups',
    send: (items) => createGroups(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items, reply) => landed(items.map((item, i) => ({ item, id: reply[i].id }))),
    failOne: (item, code, message) => engine.fail(item.row, code, message),
    recheck: async (items) => {
      const found: { item: CreateItem; id: number }[] = [];
      const rest: CreateItem[] = [];
      const byCourse = new Map<number, MoodleGroup[]>();
      for (const item of items) {
        let groups = byCourse.get(item.input.courseid);
        if (!groups) {
          groups = await engine.read('core_group_get_course_groups', 1, () => getCourseGroups(engine.deps.client, item.input.courseid));
          byCourse.set(item.input.courseid, groups);
        }
        const g = groups.find((x) => x.idnumber === item.input.idnumber);
        if (g) found.push({ item, id: g.id });
        else rest.push(item);
      }
      landed(found);
      return rest;
    },
  };
}

interface MemberItem {
  row: MemberRow;
  input: GroupMemberInput;
}

interface ShiftItem {
  row: MemberRow;
  leave: { key: string; groupId: number }[];
}

export const groupMembersApplier: EntityApplier<GroupMemberRecord> = {
  prepare(engine, rows) {
    const adds: MemberItem[] = [];
    const removes: MemberItem[] = [];
    const shifts: ShiftItem[] = [];
    const needGroup: MemberRow[] = [];
    for (const row of rows) {
      try {
        const userid = engine.targetId(row.action);
        const t = (row.action as GroupMemberAction).member;
        if (!t) throw new LocalRowError('internal', 'the planned group membership has no target');
        if (t.groupId === undefined) {
          needGroup.push(row);
          continue;
        }
        const item = { row, input: { groupid: t.groupId, userid } };
        if (t.call === 'remove') removes.push(item);
        else {
          adds.push(item);
          if (t.leave && t.leave.length > 0) shifts.push({ row, leave: t.leave });
        }
      } catch (err) {
        if (!(err instanceof LocalRowError)) throw err;
        engine.fail(row, err.code, err.message);
      }
    }
    return async () => {
      // A refresh disable whose link lacks the group id: the group's own link gives it.
      const groupKeys = needGroup.map((row) => {
        const k = memberKeyParts(row.action.key);
        return `${k.course}|${k.group}`;
      });
      const groupLinks = groupKeys.length > 0 ? engine.deps.ledger.getLinks('groups', groupKeys) : new Map();
      needGroup.forEach((row, i) => {
        const g = groupLinks.get(groupKeys[i]);
        if (g) removes.push({ row, input: { groupid: g.moodleId, userid: row.action.moodleId! } });
        else engine.fail(row, 'unknown-group', `group ${groupKeys[i]} is not in the ledger: cannot tell which Moodle group to remove the member from`, row.action.moodleId);
      });

      // Shift: leave the other managed groups first, one call per row; a row whose leave fails is not added.
      await engine.runBatches(
        shifts.map((s) => [s]),
        (b) => engine.sendBatch(b, leaveSpec(engine)),
      );
      const ready = adds.filter((a) => engine.outcomeOf(a.row)?.outcome !== 'failed');
      const addBatches = pack(ready, (i) => groupMemberLeaves(i.input), engine.options);
      engine.failTooBig(addBatches.tooBig);
      const removeBatches = pack(removes, (i) => groupMemberLeaves(i.input), engine.options);
      engine.failTooBig(removeBatches.tooBig);
      await engine.runBatches(addBatches.batches, (b) => engine.sendBatch(b, memberSpec(engine, 'core_group_add_group_members')));
      await engine.runBatches(removeBatches.batches, (b) => engine.sendBatch(b, memberSpec(engine, 'core_group_delete_group_members')));
    };
  },
};

function memberSpec(engine: BatchEngine, wsfunction: 'core_group_add_group_members' | 'core_group_delete_group_members'): BatchSpec<MemberItem, void> {
  const call = wsfunction === 'core_group_add_group_members' ? addGroupMembers : deleteGroupMembers;
  return {
    wsfunction,
    send: (items) => call(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) =>
      engine.writeLinks(items.map((item) => engine.landed(item.row, item.input.userid))),
    failOne: (item, code, message) => engine.fail(item.row, code, message, item.input.userid),
  };
}

function leaveSpec(engine: BatchEngine): BatchSpec<ShiftItem, void> {
  return {
    wsfunction: 'core_group_delete_group_members',
    send: async (items) => {
      for (const s of items) await deleteGroupMembers(engine.deps.client, s.leave.map((l) => ({ groupid: l.groupId, userid: s.row.action.moodleId! })));
    },
    confirm: async (items) => {
      // The memberships left were mdlsync's when the ledger links them: those links are disabled now.
      const writes: LinkWrite[] = [];
      for (const s of items) {
        const links = engine.deps.ledger.getLinks('group-members', s.leave.map((l) => l.key));
        for (const link of links.values()) {
          if (link.status === 'active') writes.push({ entity: link.entity, key: link.key, moodleId: link.moodleId, dataSource: link.dataSource, hash: link.hash, status: 'disabled', runId: engine.deps.runId });
        }
      }
      engine.writeLinks(writes);
    },
    failOne: (item, code, message) => engine.fail(item.row, code, `could not leave the other groups (shift): ${message}`, item.row.action.moodleId),
  };
}
