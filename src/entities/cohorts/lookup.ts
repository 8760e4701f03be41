/**
 * Read-only placing of the cohorts feed's keys, and the cohort directory cohort members and institution roles share.
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
import type { CohortRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import { getCohorts } from '../../moodle/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { ROLE_COHORT_PREFIX, reservedCohortReason, type CohortContext } from './rules.js';
import { retrier, type Placed, type Retry } from '../../resolve/common.js';

export interface CohortLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
}

/** idnumber (or name) → cohort ids, from the one listing of the site's cohorts (fetched on first need). */
export class CohortDirectory {
  private byIdnumber: Map<string, number[]> | null = null;
  private byName: Map<string, { id: number; idnumber?: string }[]> | null = null;
  private byId: Map<number, string | undefined> | null = null;
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

  /**
   * The one cohort with exactly this name (names are not unique in Moodle: several is a problem saying how many),
   * from the same listing. A cohort of an institution role (idnumber `role:…`) is never another feed's.
   */
  async findByName(name: string): Promise<Placed> {
    await this.load();
    const found = this.byName!.get(name);
    if (!found) return { problem: `no Moodle cohort is named ${name}` };
    if (found.length > 1) return { problem: `${found.length} Moodle cohorts are named ${name}` };
    const { id, idnumber } = found[0];
    if (idnumber?.startsWith(ROLE_COHORT_PREFIX)) return { problem: `the cohort named ${name} is ${reservedCohortReason(idnumber)}` };
    return { id };
  }

  /** The cohort with this id (a row's MOODLE_ID), null when the site has none; an institution role's cohort is never another feed's. */
  async findById(id: number): Promise<Placed> {
    await this.load();
    if (!this.byId!.has(id)) return null;
    const idnumber = this.byId!.get(id);
    return idnumber?.startsWith(ROLE_COHORT_PREFIX) ? { problem: `MOODLE_ID ${id}: ${reservedCohortReason(idnumber)}` } : { id };
  }

  /** Every cohort id with this idnumber; undefined when there is none. */
  async ids(idnumber: string): Promise<number[] | undefined> {
    await this.load();
    return this.byIdnumber!.get(idnumber);
  }

  private async load(): Promise<void> {
    if (this.byIdnumber && this.byName && this.byId) return;
    const all = await this.retry(() => getCohorts(this.client, []));
    this.byIdnumber = new Map();
    this.byName = new Map();
    this.byId = new Map();
    for (const c of all) {
      this.byId.set(c.id, c.idnumber || undefined);
      const named = this.byName.get(c.name);
      const entry = c.idnumber ? { id: c.id, idnumber: c.idnumber } : { id: c.id };
      if (named) named.push(entry);
      else this.byName.set(c.name, [entry]);
      if (!c.idnumber) continue;
      const ids = this.byIdnumber.get(c.idnumber);
      if (ids) ids.push(c.id);
      else this.byIdnumber.set(c.idnumber, [c.id]);
    }
  }
}

export function cohortLookup(client: MoodleCaller, ledger: LedgerStore, opts: CohortLookupOptions = {}): (unplaced: CohortRecord[], chunk: CohortRecord[]) => Promise<Map<string, Omit<CohortContext, 'link'>>> {
  const directory = new CohortDirectory(client, retrier(opts));
  return async (unplaced, chunk) => {
    const out = new Map<string, Omit<CohortContext, 'link'>>();
    const categoryKeys = [...new Set(chunk.flatMap((r) => (r.fields.category !== undefined ? [r.fields.category] : [])))];
    const categories = categoryKeys.length > 0 ? await ledger.getLinks('categories', categoryKeys) : new Map();
    for (const r of chunk) {
      const ctx: Omit<CohortContext, 'link'> = {};
      const cat = r.fields.category !== undefined ? categories.get(r.fields.category) : undefined;
      if (cat) ctx.categoryId = cat.moodleId;
      out.set(r.key, ctx);
    }
    for (const r of unplaced) {
      // Reserved keys fail in the planner; they must not cost the listing.
      if (r.key.startsWith(ROLE_COHORT_PREFIX)) continue;
      // A MOODLE_ID names the cohort itself, from the same listing: never one found by the key instead.
      const byId = r.moodleId !== undefined;
      const found = byId ? await directory.findById(r.moodleId!) : await directory.find(r.key);
      const ctx = out.get(r.key) ?? {};
      if (found && 'id' in found) ctx.match = { id: found.id, via: byId ? 'moodle-id' : 'idnumber' };
      else if (found) ctx.ambiguous = found.problem;
      else if (byId) ctx.moodleIdMissing = true;
      out.set(r.key, ctx);
    }
    return out;
  };
}
