/**
 * Read-only placing of the institution-roles feed's keys (and the options observers share). Persons: ledger first, else Moodle by idnumber
 * (batched get_users_by_field). Institution roles in cohort mode: the cohorts `role:ROLE_ID`, found by idnumber in one
 * core_cohort_get_cohorts listing per run (they are not ledger links: see rules.ts). Answers are kept for the file.
 */
import type { InstitutionRoleRecord } from './record.js';
import type { LedgerStore } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import { ROLE_COHORT_PREFIX, type InstitutionRoleContext } from './rules.js';
import { PersonPlaces, retrier } from '../../resolve/common.js';
import { CohortDirectory } from '../cohorts/lookup.js';

export interface RoleLookupOptions {
  retries?: number;
  backoffMs?: number;
  /** Values per get_users_by_field call. */
  chunkSize?: number;
  /** institutionRoles.mode: only cohort mode looks cohorts up. */
  mode?: 'cohort' | 'system-role';
}

export function institutionRoleLookup(
  client: MoodleCaller,
  ledger: LedgerStore,
  opts: RoleLookupOptions = {},
): (unplaced: InstitutionRoleRecord[], chunk: InstitutionRoleRecord[]) => Promise<Map<string, Omit<InstitutionRoleContext, 'link'>>> {
  const retry = retrier(opts);
  const persons = new PersonPlaces(client, ledger, retry, Math.max(1, opts.chunkSize ?? 500));
  /** The `role:X` cohorts (one each, unless someone made a duplicate by hand), from one listing per run. */
  const cohorts = (opts.mode ?? 'cohort') === 'cohort' ? new CohortDirectory(client, retry) : null;

  return async (_unplaced, chunk) => {
    await persons.place(chunk.map((r) => r.fields.person));
    const out = new Map<string, Omit<InstitutionRoleContext, 'link'>>();
    for (const r of chunk) {
      const ctx: Omit<InstitutionRoleContext, 'link'> = {};
      const p = persons.get(r.fields.person);
      if (p.id !== undefined) {
        ctx.userId = p.id;
        ctx.match = { id: p.id, via: 'idnumber' };
      } else if (p.problem !== undefined) ctx.personProblem = p.problem;
      if (cohorts) {
        const ids = await cohorts.ids(`${ROLE_COHORT_PREFIX}${r.fields.role}`);
        if (ids && ids.length > 1) ctx.cohortProblem = `${ids.length} Moodle cohorts have idnumber ${ROLE_COHORT_PREFIX}${r.fields.role} (ids ${ids.join(', ')}): delete or renumber all but one`;
        else if (ids) ctx.cohortId = ids[0];
      }
      out.set(r.key, ctx);
    }
    return out;
  };
}
