/**
 * The container (a group, a cohort) of a membership removal whose own link does not name it — links written before
 * the ledger kept state — read from the container's ledger link, in the resolve step, so the applier only sends.
 */
import type { RowCode } from '../errors.js';
import type { LedgerStore } from '../ledger/types.js';

/** Where a removal's container was found: its Moodle id, or why it cannot be told. */
export type ContainerPlace = { id: number } | { unplaced: { code: RowCode; message: string } };

/** The containers of `keys` (their ledger keys) among `entity`'s links, one ledger read for all. */
export async function containersFromLedger(ledger: LedgerStore, entity: 'groups' | 'cohorts', keys: readonly string[]): Promise<Map<string, ContainerPlace>> {
  const links = await ledger.getLinks(entity, [...new Set(keys)]);
  const noun = entity === 'groups' ? 'group' : 'cohort';
  const out = new Map<string, ContainerPlace>();
  for (const key of keys) {
    const link = links.get(key);
    out.set(
      key,
      link
        ? { id: link.moodleId }
        : { unplaced: { code: entity === 'groups' ? 'unknown-group' : 'unknown-cohort', message: `${noun} ${key} is not in the ledger: cannot tell which Moodle ${noun} to remove the member from` } },
    );
  }
  return out;
}
