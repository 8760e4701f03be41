/**
 * How `mdlsync undo` reverses group memberships (src/undo/): the link's state names the group, so a membership the
 * run removed is added back to that group, and one it added is removed (with --including-creates: a membership has
 * no suspended state).
 */
import type { BeforeImage } from '../../ledger/types.js';
import { getGroupMembers } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { retrier } from '../../resolve/common.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import { memberKeyParts, parseGroupMemberState, type GroupMemberAction } from './rules.js';

function reverse(image: BeforeImage, ctx: UndoContext): GroupMemberAction | UndoLeft {
  const { before, after } = image;
  const base = { entity: 'group-members' as const, key: image.key, line: null, moodleId: after.moodleId };
  const group = memberKeyParts(image.key).group;
  if (before === null) {
    if (!ctx.includingCreates) return { left: 'added by the run: left (--including-creates removes it from the group)' };
    const groupId = parseGroupMemberState(after.state);
    if (groupId === undefined || after.status === 'disabled') return { left: 'added by the run, but the ledger kept no group of it' };
    return { ...base, kind: 'disable', dataSource: after.dataSource, state: after.state ?? undefined, status: 'disabled', member: { call: 'remove', groupId }, reason: `undo: added by the run, removed from group ${group}` };
  }
  const was = parseGroupMemberState(before.state);
  if (before.status === 'active' && after.status === 'disabled') {
    if (was === undefined) return { left: 'the ledger kept no group from before the run' };
    return { ...base, moodleId: before.moodleId, kind: 'enable', dataSource: before.dataSource, state: before.state ?? undefined, status: 'active', member: { call: 'add', groupId: was, leave: [] }, reason: `undo: removed by the run, added back to group ${group}` };
  }
  if (before.status === 'disabled' && after.status === 'active') {
    const now = parseGroupMemberState(after.state);
    if (now === undefined) return { left: 'the ledger kept no group the run added to' };
    return { ...base, kind: 'disable', dataSource: before.dataSource, state: before.state ?? undefined, status: 'disabled', member: { call: 'remove', groupId: now }, reason: `undo: added again by the run, removed from group ${group} again` };
  }
  if (before.state !== after.state) return { left: 'moved to another Moodle group by the run: put back by hand' };
  return { left: 'the run changed nothing mdlsync can put back' };
}

/** Moodle must still show what the run left: the person out of the group it removed them from, in the one it added them to. */
async function changedInMoodle(client: MoodleCaller, planned: readonly { action: GroupMemberAction; image: BeforeImage }[], reads: LookupReads): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const groups = [...new Set(planned.flatMap((p) => (p.action.member?.groupId !== undefined ? [p.action.member.groupId] : [])))];
  if (groups.length === 0) return out;
  const retry = retrier(reads);
  const members = new Map<number, Set<number>>();
  for (let i = 0; i < groups.length; i += reads.chunkSize) {
    for (const g of await retry(() => getGroupMembers(client, groups.slice(i, i + reads.chunkSize)))) members.set(g.groupid, new Set(g.userids));
  }
  for (const { action: a } of planned) {
    const t = a.member;
    if (!t || t.groupId === undefined) continue;
    const isMember = members.get(t.groupId)?.has(a.moodleId as number) ?? false;
    if (t.call === 'add' && isMember) out.set(a.key, 'changed since the run: a member of the group again (by hand or by another tool)');
    else if (t.call === 'remove' && !isMember) out.set(a.key, 'changed since the run: no longer a member of the group');
  }
  return out;
}

export const GROUP_MEMBER_UNDO: EntityUndo<'group-members'> = { reverse, changedInMoodle };
