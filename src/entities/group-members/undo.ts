/**
 * How `mdlsync undo` reverses group memberships (src/undo/): the link's state names the group, so a membership the
 * run removed is added back to that group, and one it added is removed (with --including-creates: a membership has
 * no suspended state).
 */
import type { BeforeImage } from '../../ledger/types.js';
import { getGroupMembers } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import { membershipsChanged, reverseMembership, type MembershipUndo } from '../membership-undo.js';
import { memberKeyParts, parseGroupMemberState, type GroupMemberAction } from './rules.js';

const MEMBERSHIP: MembershipUndo<GroupMemberAction> = {
  noun: 'group',
  container: (key) => memberKeyParts(key).group,
  idOf: parseGroupMemberState,
  action: (key, kind, call, groupId, link, reason) => ({
    entity: 'group-members',
    key,
    line: null,
    kind,
    moodleId: link.moodleId,
    dataSource: link.dataSource,
    state: link.state ?? undefined,
    status: kind === 'enable' ? 'active' : 'disabled',
    member: call === 'add' ? { call, groupId, leave: [] } : { call, groupId },
    reason,
  }),
  target: (a) => (a.member?.groupId !== undefined ? { call: a.member.call, id: a.member.groupId } : undefined),
};

function reverse(image: BeforeImage, ctx: UndoContext): GroupMemberAction | UndoLeft {
  return reverseMembership(image, ctx, MEMBERSHIP);
}

/** Moodle must still show what the run left: the person out of the group it removed them from, in the one it added them to. */
function changedInMoodle(client: MoodleCaller, planned: readonly { action: GroupMemberAction; image: BeforeImage }[], reads: LookupReads): Promise<Map<string, string>> {
  return membershipsChanged(planned, MEMBERSHIP, reads, async (ids) => (await getGroupMembers(client, ids)).map((g) => ({ id: g.groupid, userids: g.userids })));
}

export const GROUP_MEMBER_UNDO: EntityUndo<'group-members'> = { reverse, changedInMoodle };
