/** Generated cohort feeds for the benchmark (cohort-worker.ts, main.ts). */
import { personKey, writeLines } from './generate.js';

export const cohortKey = (c: number): string => `COH${String(c + 1).padStart(4, '0')}`;

/** n system cohorts COH0001… */
export function generateCohorts(path: string, n: number): Promise<void> {
  return writeLines(path, 'EXTERNAL_COHORT_KEY|NAME|DESCRIPTION|CONTEXT|VISIBLE|DATA_SOURCE_KEY', n, (c) => `${cohortKey(c)}|Cohort ${c + 1}|Generated cohort ${c + 1}|system|Y|SIS.2026`);
}

/** n memberships, no pair twice: row j puts person j mod persons in cohort (j mod persons + ⌊j / persons⌋) mod cohorts (n ≤ persons · cohorts). */
export function generateCohortMembers(path: string, n: number, persons: number, cohorts: number): Promise<void> {
  return writeLines(path, 'EXTERNAL_COHORT_KEY|EXTERNAL_PERSON_KEY|DATA_SOURCE_KEY', n, (j) => {
    const p = j % persons;
    return `${cohortKey((p + Math.floor(j / persons)) % cohorts)}|${personKey(p)}|SIS.2026`;
  });
}
