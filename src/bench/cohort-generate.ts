/** Generated cohort feeds for the benchmark (cohort-worker.ts, main.ts). */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { personKey } from './generate.js';

export const cohortKey = (c: number): string => `COH${String(c + 1).padStart(4, '0')}`;

async function writeLines(path: string, header: string, n: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(header + '\n');
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += line(i) + '\n';
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.end(buf);
  await finished(out);
}

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
