/**
 * How `mdlsync undo` reverses cohort memberships (src/undo/): the link's state names the cohort, so a membership the
 * run removed is added back to that cohort, and one it added is removed (with --including-creates: a membership has
 * no suspended state).
 */
import type { BeforeImage } from '../../ledger/types.js';
import { getCohortMembers, getCohorts } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { retrier } from '../../resolve/common.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import { membershipsChanged, reverseMembership, type MembershipUndo } from '../membership-undo.js';
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
  const out = new Map<string, string>();
  const cohorts = [...new Set(planned.flatMap((p) => (p.action.member?.cohortId !== undefined ? [p.action.member.cohortId] : [])))];
  if (cohorts.length === 0) return out;
  const retry = retrier(reads);
  const live = new Set<number>();
  for (let i = 0; i < cohorts.length; i += reads.chunkSize) {
    for (const c of await retry(() => getCohorts(client, cohorts.slice(i, i + reads.chunkSize)))) live.add(c.id);
  }
  const there = cohorts.filter((id) => live.has(id));
  const members = new Map<number, Set<number>>();
  for (let i = 0; i < there.length; i += reads.chunkSize) {
    for (const c of await retry(() => getCohortMembers(client, there.slice(i, i + reads.chunkSize)))) members.set(c.cohortid, new Set(c.userids));
  }
  for (const { action: a } of planned) {
    const id = a.member?.cohortId;
    if (id !== undefined && !live.has(id)) out.set(a.key, `changed since the run: cohort ${id} is no longer in Moodle`);
  }
  return membershipsChanged(planned, (a) => (a.member?.cohortId !== undefined ? { call: a.member.call, id: a.member.cohortId } : undefined), members, 'cohort', out);
}

export const COHORT_MEMBER_UNDO: EntityUndo<'cohort-members'> = { reverse, changedInMoodle };
