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
import { cohortMemberKeyParts, parseCohortMemberState, type CohortMemberAction } from './rules.js';

function reverse(image: BeforeImage, ctx: UndoContext): CohortMemberAction | UndoLeft {
  const { before, after } = image;
  const base = { entity: 'cohort-members' as const, key: image.key, line: null, moodleId: after.moodleId };
  const cohort = cohortMemberKeyParts(image.key).cohort;
  if (before === null) {
    if (!ctx.includingCreates) return { left: 'added by the run: left (--including-creates removes it from the cohort)' };
    const cohortId = parseCohortMemberState(after.state);
    if (cohortId === undefined || after.status === 'disabled') return { left: 'added by the run, but the ledger kept no cohort of it' };
    return { ...base, kind: 'disable', dataSource: after.dataSource, state: after.state ?? undefined, status: 'disabled', member: { call: 'remove', cohortId }, reason: `undo: added by the run, removed from cohort ${cohort}` };
  }
  if (before.status === 'active' && after.status === 'disabled') {
    const was = parseCohortMemberState(before.state);
    if (was === undefined) return { left: 'the ledger kept no cohort from before the run' };
    return { ...base, moodleId: before.moodleId, kind: 'enable', dataSource: before.dataSource, state: before.state ?? undefined, status: 'active', member: { call: 'add', cohortId: was }, reason: `undo: removed by the run, added back to cohort ${cohort}` };
  }
  if (before.status === 'disabled' && after.status === 'active') {
    const now = parseCohortMemberState(after.state);
    if (now === undefined) return { left: 'the ledger kept no cohort the run added to' };
    return { ...base, kind: 'disable', dataSource: before.dataSource, state: before.state ?? undefined, status: 'disabled', member: { call: 'remove', cohortId: now }, reason: `undo: added again by the run, removed from cohort ${cohort} again` };
  }
  if (before.state !== after.state) return { left: 'moved to another Moodle cohort by the run: put back by hand' };
  return { left: 'the run changed nothing mdlsync can put back' };
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
    const t = a.member;
    if (!t || t.cohortId === undefined) continue;
    if (!live.has(t.cohortId)) {
      out.set(a.key, `changed since the run: cohort ${t.cohortId} is no longer in Moodle`);
      continue;
    }
    const isMember = members.get(t.cohortId)?.has(a.moodleId as number) ?? false;
    if (t.call === 'add' && isMember) out.set(a.key, 'changed since the run: a member of the cohort again (by hand or by another tool)');
    else if (t.call === 'remove' && !isMember) out.set(a.key, 'changed since the run: no longer a member of the cohort');
  }
  return out;
}

export const COHORT_MEMBER_UNDO: EntityUndo<'cohort-members'> = { reverse, changedInMoodle };
