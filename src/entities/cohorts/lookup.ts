/**
 * Read-only placing of the cohorts and cohort-members feeds' keys.
 *
 * Cohorts are found by idnumber in ONE core_cohort_get_cohorts call listing every cohort of the site, made once per
 * run and only when some key is neither in the ledger nor reserved. Not core_cohort_search_cohorts: it is a
 * substring search (key `A1` also finds `A10`, `XA1Y` and any name or description holding it) and pages by a
 * *page number* in limitfrom, so an exact idnumber look-up would need several pages per key and client-side
 * filtering; the one listing answers every key of the file at once.
 *
 * Persons: ledger, else Moodle by idnumber (core_user_get_users_by_field, batched); a Moodle-dialect `username`
 * column by username. Answers are kept for the whole file, since many rows share a cohort or a person.
 */
import type { CohortMemberRecord, CohortRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import { getCohorts } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/index.js';
import { DELETED_HASH, ROLE_COHORT_PREFIX, type CohortContext, type CohortMemberContext } from './rules.js';
import { PersonPlaces, retrier, type Placed, type Retry } from '../../resolve/common.js';

export interface CohortLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
}

/** idnumber → cohort ids, from the one listing of the site's cohorts (fetched on first need). */
export class CohortDirectory {
  private byIdnumber: Map<string, number[]> | null = null;
  constructor(
    private readonly client: MoodleCaller,
    private readonly retry: Retry,
  ) {}

  async find(idnumber: string): Promise<Placed> {
    const ids = await this.ids(idnumber);
    if (!ids) return null;
    // update_cohorts does not check idnumbers, so a site may hold two.
    return ids.length === 1 ? { id: ids[0] } : { problem: `${ids.length} Moodle cohorts have idnumber ${idnumber}` };
  }

  /** Every cohort id with this idnumber; undefined when there is none. */
  async ids(idnumber: string): Promise<number[] | undefined> {
    if (!this.byIdnumber) {
      const all = await this.retry(() => getCohorts(this.client, []));
      this.byIdnumber = new Map();
      for (const c of all) {
        if (!c.idnumber) continue;
        const ids = this.byIdnumber.get(c.idnumber);
        if (ids) ids.push(c.id);
        else this.byIdnumber.set(c.idnumber, [c.id]);
      }
    }
    return this.byIdnumber.get(idnumber);
  }
}

export function cohortLookup(client: MoodleCaller, ledger: LedgerStore, opts: CohortLookupOptions = {}): (unplaced: CohortRecord[], chunk: CohortRecord[]) => Promise<Map<string, Omit<CohortContext, 'link'>>> {
  const directory = new CohortDirectory(client, retrier(opts));
  return async (unplaced, chunk) => {
    const out = new Map<string, Omit<CohortContext, 'link'>>();
    const categoryKeys = [...new Set(chunk.flatMap((r) => (r.fields.category !== undefined ? [r.fields.category] : [])))];
    const categories = categoryKeys.length > 0 ? ledger.getLinks('categories', categoryKeys) : new Map();
    for (const r of chunk) {
      const ctx: Omit<CohortContext, 'link'> = {};
      const cat = r.fields.category !== undefined ? categories.get(r.fields.category) : undefined;
      if (cat) ctx.categoryId = cat.moodleId;
      out.set(r.key, ctx);
    }
    for (const r of unplaced) {
      // Reserved keys fail in the planner; they must not cost the listing.
      if (r.key.startsWith(ROLE_COHORT_PREFIX)) continue;
      const found = await directory.find(r.key);
      const ctx = out.get(r.key) ?? {};
      if (found && 'id' in found) ctx.match = { id: found.id, via: 'idnumber' };
      else if (found) ctx.ambiguous = found.problem;
      out.set(r.key, ctx);
    }
    return out;
  };
}

export function cohortMemberLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: CohortLookupOptions = {},
): (unplaced: CohortMemberRecord[], chunk: CohortMemberRecord[]) => Promise<Map<string, Omit<CohortMemberContext, 'link'>>> {
  const retry = retrier(opts);
  const chunkSize = Math.max(1, opts.chunkSize ?? 500);
  const directory = new CohortDirectory(client, retry);
  const persons = new PersonPlaces(client, ledger, retry, chunkSize);
  // Usernames are no ledger keys: Moodle only.
  const usernames = new PersonPlaces(client, null, retry, chunkSize, 'username');
  const cohorts = new Map<string, Placed<{ dataSource?: string | null }>>();

  const placeCohorts = async (chunk: CohortMemberRecord[]): Promise<void> => {
    const want = [...new Set(chunk.map((r) => r.fields.cohort))].filter((k) => !cohorts.has(k) && !k.startsWith(ROLE_COHORT_PREFIX));
    if (want.length === 0) return;
    for (const [k, link] of ledger.getLinks('cohorts', want)) {
      // A cohort mdlsync deleted is gone; an emptied one (disabled, content hash kept) still exists.
      if (link.hash !== DELETED_HASH) cohorts.set(k, { id: link.moodleId, dataSource: link.dataSource });
    }
    for (const k of want) if (!cohorts.has(k)) cohorts.set(k, await directory.find(k));
  };

  return async (_unplaced, chunk) => {
    await placeCohorts(chunk);
    await persons.place(chunk.flatMap((r) => (r.fields.personBy !== 'username' ? [r.fields.person] : [])));
    await usernames.place(chunk.flatMap((r) => (r.fields.personBy === 'username' ? [r.fields.person] : [])));
    const out = new Map<string, Omit<CohortMemberContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<CohortMemberContext, 'link'> = {};
      const c = cohorts.get(r.fields.cohort);
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
}
