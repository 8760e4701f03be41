/**
 * Cohort-member look-ups: the cohort (ledger, then the cohort directory; by name: the directory only) and the person
 * (by idnumber: ledger, then Moodle; by username: Moodle).
 */
import { picked } from '../../plan/compact.js';
import type { CohortMemberRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { DELETED_STATE, ROLE_COHORT_PREFIX } from '../cohorts/rules.js';
import { cohortMemberKeyParts, type CohortMemberAction, type CohortMemberContext } from './rules.js';
import type { Action } from '../../plan/types.js';
import type { EntityLookup } from '../definition.js';
import { containersFromLedger } from '../../resolve/containers.js';
import { PersonPlaces, retrier, splitKeys, type Placed } from '../../resolve/common.js';
import { CohortLookupOptions, CohortDirectory } from '../cohorts/lookup.js';

export function cohortMemberLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: CohortLookupOptions = {},
): EntityLookup<CohortMemberRecord, CohortMemberContext> {
  const retry = retrier(opts);
  const chunkSize = Math.max(1, opts.chunkSize ?? 500);
  const directory = new CohortDirectory(client, retry);
  const persons = new PersonPlaces(client, ledger, retry, chunkSize);
  // Usernames are no ledger keys: Moodle only.
  const usernames = new PersonPlaces(client, null, retry, chunkSize, 'username');
  const cohorts = new Map<string, Placed<{ dataSource?: string | null }>>();
  /** Cohorts named by name (`cohort_name`): the site's listing, never the ledger (its cohorts links are keyed by idnumber). */
  const named = new Map<string, Placed<{ dataSource?: string | null }>>();

  const placeCohorts = async (chunk: CohortMemberRecord[]): Promise<void> => {
    const [keys, names] = splitKeys(chunk, (r) => r.fields.cohort, (r) => r.fields.cohortBy === 'name');
    const want = [...new Set(keys)].filter((k) => !cohorts.has(k) && !k.startsWith(ROLE_COHORT_PREFIX));
    if (want.length > 0) {
      for (const [k, link] of await ledger.getLinks('cohorts', want)) {
        // A cohort mdlsync deleted is gone; an emptied one (disabled, no deleted state) still exists.
        if (link.state !== DELETED_STATE) cohorts.set(k, { id: link.moodleId, dataSource: link.dataSource });
      }
      for (const k of want) if (!cohorts.has(k)) cohorts.set(k, await directory.find(k));
    }
    for (const name of new Set(names)) {
      if (named.has(name)) continue;
      const found = await directory.findByName(name);
      // A cohort mdlsync owns keeps its data source, whichever way a row names it.
      const owner = found && 'id' in found ? await ledger.findByMoodleId('cohorts', found.id) : undefined;
      named.set(name, found && 'id' in found && owner?.dataSource ? { ...found, dataSource: owner.dataSource } : found);
    }
  };

  const lookup: EntityLookup<CohortMemberRecord, CohortMemberContext> = async (_unplaced, chunk) => {
    await placeCohorts(chunk);
    const [personKeys, usernameKeys] = splitKeys(chunk, (r) => r.fields.person, (r) => r.fields.personBy === 'username');
    await persons.place(personKeys);
    await usernames.place(usernameKeys);
    const out = new Map<string, Omit<CohortMemberContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<CohortMemberContext, 'link'> = {};
      const c = (r.fields.cohortBy === 'name' ? named : cohorts).get(r.fields.cohort);
      if (c && 'id' in c) {
        ctx.cohortId = c.id;
        if (c.dataSource) ctx.cohortDataSource = c.dataSource;
      } else if (c) ctx.cohortProblem = c.problem;
      const p = (r.fields.personBy === 'username' ? usernames : persons).get(r.fields.person);
      if (p.id !== undefined) ctx.userId = p.id;
      else if (p.problem !== undefined) ctx.personProblem = p.problem;
      // Lets an explicit delete remove a membership the ledger does not know (made by hand).
      if (ctx.userId !== undefined && ctx.cohortId !== undefined) ctx.match = { id: ctx.userId, via: 'idnumber' };
      out.set(r.key, ctx);
    }
    return out;
  };
  // A refresh's removal whose link does not name its cohort: the cohort's own link does.
  lookup.complete = async (actions) => {
    const waiting = (a: Action): a is CohortMemberAction => a.entity === 'cohort-members' && a.member?.call === 'remove' && a.member.cohortId === undefined && a.member.unplaced === undefined;
    const waitingOnes = picked(actions, waiting);
    const keys = waitingOnes.map(({ action: a }) => cohortMemberKeyParts(a.key).cohort);
    if (keys.length === 0) return;
    const places = await containersFromLedger(ledger, 'cohorts', keys);
    for (const { index, action: a } of waitingOnes) {
      const place = places.get(cohortMemberKeyParts(a.key).cohort)!;
      actions.set(index, { ...a, member: { ...a.member!, ...('id' in place ? { cohortId: place.id } : place) } });
    }
  };
  return lookup;
}
