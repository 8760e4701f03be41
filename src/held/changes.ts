/**
 * Whether a held plan still holds: nothing it touches changed since it was made. In the ledger, every key's link
 * (Moodle id, status, content hash, state) must be as it was; in Moodle, every person it disables must still exist and
 * not be suspended (one core_user_get_users_by_field by id per chunk; it answers deleted accounts too, told apart as
 * `mdlsync diff` does). And, when it does not hold, the difference
 * between it and a new plan of the same input.
 */
import type { MoodleCaller } from '../moodle/index.js';
import { getUsersByField } from '../moodle/users.js';
import { looksDeleted } from '../diff/live.js';
import type { LedgerStore } from '../ledger/types.js';
import { ACTION_KINDS, type Action, type ActionCounts } from '../plan/types.js';
import { ledgerPrint, type HeldPlan, type LinkPrint } from './store.js';

/** What changed since the plan was made, one sentence each (first few); empty: the plan holds. */
export async function changesSince(held: HeldPlan, ledger: LedgerStore, client: MoodleCaller, chunkSize: number): Promise<string[]> {
  const out: string[] = [];
  const now = await ledgerPrint(ledger, held.request.type, Object.keys(held.ledger));
  for (const [key, was] of Object.entries(held.ledger)) {
    const is = now[key] ?? null;
    if (!samePrint(was, is)) out.push(`ledger: ${key} ${whatChanged(was, is)}`);
  }
  if (held.request.type === 'persons') {
    const disables = held.actions.filter((a) => (a.kind === 'disable' || a.kind === 'delete') && a.moodleId !== undefined);
    for (let i = 0; i < disables.length; i += chunkSize) {
      const chunk = disables.slice(i, i + chunkSize);
      const users = new Map((await getUsersByField(client, 'id', chunk.map((a) => String(a.moodleId)))).map((u) => [u.id, u]));
      for (const a of chunk) {
        const u = users.get(a.moodleId as number);
        if (!u || looksDeleted(u)) out.push(`Moodle: ${a.key} (user ${a.moodleId}) no longer exists`);
        else if (u.suspended) out.push(`Moodle: ${a.key} (user ${a.moodleId}) is suspended already`);
      }
    }
  }
  return out;
}

function samePrint(a: LinkPrint | null, b: LinkPrint | null): boolean {
  if (!a || !b) return a === b;
  return a.moodleId === b.moodleId && a.status === b.status && a.hash === b.hash && a.state === b.state;
}

/** "active (Moodle id 12) → disabled (Moodle id 12)", or, the same record, which of its content or state changed. */
function whatChanged(was: LinkPrint | null, is: LinkPrint | null): string {
  const describe = (p: LinkPrint | null): string => (p ? `${p.status} (Moodle id ${p.moodleId})` : 'no link');
  if (was && is && was.moodleId === is.moodleId && was.status === is.status) {
    return `${was.hash !== is.hash ? 'content' : 'state'} changed (written since by another run)`;
  }
  return `${describe(was)} → ${describe(is)}`;
}

/** The difference of two plans of one input: the counts per action kind, and the keys whose action changed. */
export function planDifference(before: { counts: ActionCounts; actions: readonly Action[] }, after: { counts: ActionCounts; actions: readonly Action[] }, shown = 20): string[] {
  const lines: string[] = [];
  const counts = ACTION_KINDS.filter((k) => before.counts[k] !== after.counts[k]).map((k) => `${k} ${before.counts[k]} → ${after.counts[k]}`);
  lines.push(counts.length > 0 ? `  counts: ${counts.join(', ')}` : '  counts: the same');
  const kinds = (actions: readonly Action[]): Map<string, string> => new Map(actions.map((a) => [a.key, a.kind]));
  const was = kinds(before.actions);
  const is = kinds(after.actions);
  const changed = [...new Set([...was.keys(), ...is.keys()])].filter((k) => was.get(k) !== is.get(k));
  for (const key of changed.slice(0, shown)) lines.push(`  ${key}: ${was.get(key) ?? 'none'} → ${is.get(key) ?? 'none'}`);
  if (changed.length > shown) lines.push(`  … and ${changed.length - shown} more key(s)`);
  return lines;
}
