/**
 * How `mdlsync undo` reverses cohort memberships (src/undo/): the link's state names the cohort, so a membership the
 * run removed is added back to that cohort, and one it added is removed (with --including-creates: a membership has
 * no suspended state).
 */
import type { BeforeImage } from '../../ledger/types.js';
import { getCohortMembers, getCohorts } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { readInChunks } from '../../resolve/common.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import { containersOf, membershipsChanged, reverseMembership, type MembershipUndo } from '../membership-undo.js';
import { cohortMemberKeyParts, parseCohortMemberState, type CohortMemberAction } from './rules.js';

const MEMBERSHIP: MembershipUndo<CohortMemberAction> = {
  noun: 'cohort',
  container: (key) => cohortMemberKeyParts(key).cohort,
  idOf: parseCohortMemberState,
  action: (key, kind, call, cohortId, link, reason) => ({
    entity: 'cohort-members',
    key,
    line: null,
    kind,
    moodleId: link.moodleId,
    dataSource: link.dataSource,
    state: link.state ?? undefined,
    status: kind === 'enable' ? 'active' : 'disabled',
    member: { call, cohortId },
    reason,
  }),
  target: (a) => (a.member?.cohortId !== undefined ? { call: a.member.call, id: a.member.cohortId } : undefined),
};

function reverse(image: BeforeImage, ctx: UndoContext): CohortMemberAction | UndoLeft {
  return reverseMembership(image, ctx, MEMBERSHIP);
}

/**
 * Moodle must still show what the run left: the person out of the cohort it removed them from, in the one it added
 * them to. An unknown cohort id fails the whole get_cohort_members call, so the cohorts still there are read first
 * (get_cohorts skips unknown ids); a cohort gone since leaves its memberships.
 */
async function changedInMoodle(client: MoodleCaller, planned: readonly { action: CohortMemberAction; image: BeforeImage }[], reads: LookupReads): Promise<Map<string, string>> {
  const cohorts = containersOf(planned, MEMBERSHIP);
  const live = new Set((await readInChunks(cohorts, reads, (chunk) => getCohorts(client, chunk))).map((c) => c.id));
  const out = new Map<string, string>();
  for (const { action: a } of planned) {
    const id = a.member?.cohortId;
    if (id !== undefined && !live.has(id)) out.set(a.key, `changed since the run: cohort ${id} is no longer in Moodle`);
  }
  const membersOfLive = async (ids: number[]) => {
    const there = ids.filter((id) => live.has(id));
    return there.length === 0 ? [] : (await getCohortMembers(client, there)).map((c) => ({ id: c.cohortid, userids: c.userids }));
  };
  return membershipsChanged(planned, MEMBERSHIP, reads, membersOfLive, out);
}

export const COHORT_MEMBER_UNDO: EntityUndo<'cohort-members'> = { reverse, changedInMoodle };
