/**
 * How `mdlsync undo` reverses a membership (a group's or a cohort's member), shared by both: the link's state names
 * the container, so a membership the run removed goes back to that container, one it added again is removed again,
 * one it created is removed only with --including-creates (a membership has no suspended state); anything else is
 * left with the reason.
 */
import type { BeforeImage, LinkImage } from '../ledger/types.js';
import { readInChunks } from '../resolve/common.js';
import type { LookupReads, UndoContext, UndoLeft } from './definition.js';

export interface MembershipUndo<A> {
  /** 'group' or 'cohort', for the reasons. */
  noun: string;
  /** The container named in the row's key, for the reasons. */
  container(key: string): string;
  /** The container's Moodle id a link's state holds. */
  idOf(state: string | null | undefined): number | undefined;
  /** The reversing action of the row `key`: add to or remove from the container `id`, the link as the undo leaves it. */
  action(key: string, kind: 'enable' | 'disable', call: 'add' | 'remove', id: number, link: Pick<LinkImage, 'moodleId' | 'dataSource' | 'state'>, reason: string): A;
  /** What a reversing action does: add to or remove from the container `id`. */
  target(a: A): { call: 'add' | 'remove'; id: number } | undefined;
}

export function reverseMembership<A>(image: BeforeImage, ctx: UndoContext, m: MembershipUndo<A>): A | UndoLeft {
  const { before, after } = image;
  const where = `${m.noun} ${m.container(image.key)}`;
  if (before === null) {
    if (!ctx.includingCreates) return { left: `added by the run: left (--including-creates removes it from the ${m.noun})` };
    const id = m.idOf(after.state);
    if (id === undefined || after.status === 'disabled') return { left: `added by the run, but the ledger kept no ${m.noun} of it` };
    return m.action(image.key, 'disable', 'remove', id, after, `undo: added by the run, removed from ${where}`);
  }
  if (before.status === 'active' && after.status === 'disabled') {
    const was = m.idOf(before.state);
    if (was === undefined) return { left: `the ledger kept no ${m.noun} from before the run` };
    return m.action(image.key, 'enable', 'add', was, before, `undo: removed by the run, added back to ${where}`);
  }
  if (before.status === 'disabled' && after.status === 'active') {
    const now = m.idOf(after.state);
    if (now === undefined) return { left: `the ledger kept no ${m.noun} the run added to` };
    return m.action(image.key, 'disable', 'remove', now, { ...before, moodleId: after.moodleId }, `undo: added again by the run, removed from ${where} again`);
  }
  if (before.state !== after.state) return { left: `moved to another Moodle ${m.noun} by the run: put back by hand` };
  return { left: 'the run changed nothing mdlsync can put back' };
}

/**
 * The reversals whose membership Moodle no longer shows as the run left it, key → why: already a member of the
 * container the undo would add to, or no longer in the one it would remove from. `readMembers` answers the members of
 * a chunk of containers (retried, chunked by `reads`); `out` may hold reasons already found, which stand.
 */
export async function membershipsChanged<A extends { key: string; moodleId?: number }>(
  planned: readonly { action: A }[],
  m: MembershipUndo<A>,
  reads: LookupReads,
  readMembers: (ids: number[]) => Promise<readonly { id: number; userids: readonly number[] }[]>,
  out = new Map<string, string>(),
): Promise<Map<string, string>> {
  const members = new Map((await readInChunks(containersOf(planned, m), reads, readMembers)).map((c) => [c.id, new Set(c.userids)]));
  for (const { action: a } of planned) {
    const t = m.target(a);
    if (!t || out.has(a.key)) continue;
    const isMember = members.get(t.id)?.has(a.moodleId as number) ?? false;
    if (t.call === 'add' && isMember) out.set(a.key, `changed since the run: a member of the ${m.noun} again (by hand or by another tool)`);
    else if (t.call === 'remove' && !isMember) out.set(a.key, `changed since the run: no longer a member of the ${m.noun}`);
  }
  return out;
}

/** The containers the reversals add to or remove from, each once. */
export function containersOf<A>(planned: readonly { action: A }[], m: MembershipUndo<A>): number[] {
  const ids = new Set<number>();
  for (const { action } of planned) {
    const t = m.target(action);
    if (t) ids.add(t.id);
  }
  return [...ids];
}
