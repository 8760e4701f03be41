/** Which report.html `mdlsync report` means: a run's by its id, or the newest run's that has one. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_PAGE } from './html.js';

/** A run id, as newRunId() makes them: they sort by time. */
const RUN_ID = /^\d{8}T\d{9}Z-[0-9a-f]+$/;

/** The page's path, or the sentence saying why there is none. */
export function findReportPage(reportsDir: string, runId?: string): { path: string } | { missing: string } {
  if (runId !== undefined) {
    if (!RUN_ID.test(runId)) return { missing: `"${runId}" is not a run id (they look like 20261123T142501123Z-3f9a; see mdlsync ledger show --runs).` };
    const path = join(reportsDir, runId, REPORT_PAGE);
    if (existsSync(path)) return { path };
    const why = existsSync(join(reportsDir, runId)) ? 'has no report.html (the run may still be going, or stopped before its report was written)' : 'does not exist';
    return { missing: `The report folder of run ${runId} in ${reportsDir} ${why}.` };
  }
  let runs: string[] = [];
  try {
    runs = readdirSync(reportsDir).filter((n) => RUN_ID.test(n)).sort();
  } catch {
    return { missing: `There is no reports folder ${reportsDir}: no run has been reported there yet (pass --reports DIR for another).` };
  }
  for (const run of runs.reverse()) {
    const path = join(reportsDir, run, REPORT_PAGE);
    if (existsSync(path)) return { path };
  }
  return { missing: `No run in ${reportsDir} has a report.html yet: run or plan a file first (or pass --reports DIR).` };
}
