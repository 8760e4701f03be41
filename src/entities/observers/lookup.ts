/** Observer look-ups: both persons of each pair, ledger first, then Moodle by idnumber. */
import type { ObserverRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { type ObserverContext } from './rules.js';
import { PersonPlaces, retrier } from '../../resolve/common.js';
import { RoleLookupOptions } from '../institution-roles/lookup.js';

export function observerLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: RoleLookupOptions = {},
): (unplaced: ObserverRecord[], chunk: ObserverRecord[]) => Promise<Map<string, Omit<ObserverContext, 'link'>>> {
  const persons = new PersonPlaces(client, ledger, retrier(opts), Math.max(1, opts.chunkSize ?? 500));
  return async (_unplaced, chunk) => {
    const keys = new Set<string>();
    for (const r of chunk) {
      keys.add(r.fields.observer);
      keys.add(r.fields.user);
    }
    await persons.place(keys);
    const out = new Map<string, Omit<ObserverContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<ObserverContext, 'link'> = {};
      const o = persons.get(r.fields.observer);
      const u = persons.get(r.fields.user);
      if (o.id !== undefined) {
        ctx.observerId = o.id;
        ctx.match = { id: o.id, via: 'idnumber' };
      } else if (o.problem !== undefined) ctx.observerProblem = o.problem;
      if (u.id !== undefined) ctx.userId = u.id;
      else if (u.problem !== undefined) ctx.userProblem = u.problem;
      out.set(r.key, ctx);
    }
    return out;
  };
}
