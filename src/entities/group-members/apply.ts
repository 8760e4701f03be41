/** The group-members applier, on the shared BatchEngine: core_group_add_group_members / core_group_delete_group_members. */
import type { LinkWrite } from '../../ledger/types.js';
import { addGroupMembers, deleteGroupMembers, groupMemberLeaves } from '../../moodle/index.js';
import type { GroupMemberInput } from '../../moodle/types.js';
import type { BatchEngine, BatchSpec, EntityApplier, Row } from '../../apply/engine.js';
import { LocalRowError } from '../../apply/pack.js';
import { builtAt, prepareRows, sendPacked } from '../../apply/prepare.js';

type MemberRow = Row<'group-members'>;

interface MemberItem {
  row: MemberRow;
  input: GroupMemberInput;
}

interface ShiftItem {
  row: MemberRow;
  leave: { key: string; groupId: number }[];
}

export const groupMembersApplier: EntityApplier<'group-members'> = {
  prepare(engine, rows) {
    // The adds are kept as their places in the plan and their calls built as they are sent (builtAt): a compact plan
    // of many memberships never holds every row's action and call input at once.
    const addItem = (row: MemberRow): MemberItem | undefined => {
      // A row whose shift failed to leave its other groups is not added.
      if (engine.outcomeOf(row)?.outcome === 'failed') return undefined;
      return { row, input: { groupid: row.action.member!.groupId!, userid: row.action.moodleId! } };
    };
    return prepareRows(
      engine,
      rows,
      { adds: [] as number[], removes: [] as MemberItem[], shifts: [] as ShiftItem[] },
      (row) => {
        const userid = engine.targetId(row.action);
        const t = row.action.member;
        if (!t) throw new LocalRowError('internal', 'the planned group membership has no target');
        if (t.unplaced) {
          engine.fail(row, t.unplaced.code, t.unplaced.message, row.action.moodleId);
          return undefined;
        }
        if (t.groupId === undefined) throw new LocalRowError('internal', 'the planned group membership has no group: the resolve step did not place it');
        if (t.call === 'remove') return { to: 'removes', item: { row, input: { groupid: t.groupId, userid } } };
        if (t.leave && t.leave.length > 0) return [{ to: 'adds', item: row.index }, { to: 'shifts', item: { row, leave: t.leave } }];
        return { to: 'adds', item: row.index };
      },
      async ({ adds, removes, shifts }) => {
        // Shift: leave the other managed groups first, one call per row; a row whose leave fails is not added.
        await engine.runBatches(
          shifts.map((s) => [s]),
          (b) => engine.sendBatch(b, leaveSpec(engine)),
        );
        await sendPacked(engine, builtAt(engine, adds, addItem), (i) => groupMemberLeaves(i.input), memberSpec(engine, 'core_group_add_group_members'));
        await sendPacked(engine, removes, (i) => groupMemberLeaves(i.input), memberSpec(engine, 'core_group_delete_group_members'));
      },
    );
  },
};

function memberSpec(engine: BatchEngine, wsfunction: 'core_group_add_group_members' | 'core_group_delete_group_members'): BatchSpec<MemberItem, void> {
  const call = wsfunction === 'core_group_add_group_members' ? addGroupMembers : deleteGroupMembers;
  return {
    wsfunction,
    send: (items) => call(engine.deps.client, items.map((i) => i.input)),
    confirm: async (items) =>
      await engine.writeLinks(items.map((item) => engine.landed(item.row, item.input.userid))),
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
        const links = await engine.deps.ledger.getLinks('group-members', s.leave.map((l) => l.key));
        for (const link of links.values()) {
          if (link.status === 'active') writes.push({ entity: link.entity, key: link.key, moodleId: link.moodleId, dataSource: link.dataSource, hash: link.hash, state: link.state, status: 'disabled', runId: engine.deps.runId });
        }
      }
      await engine.writeLinks(writes);
    },
    failOne: (item, code, message) => engine.fail(item.row, code, `could not leave the other groups (shift): ${message}`, item.row.action.moodleId),
  };
}
