/**
 * One measurement in its own process, so peak RSS belongs to it alone:
 *   node plan-worker.js FILE LEDGER [--fill]
 * reads + validates + plans FILE against LEDGER (no Moodle), prints JSON; --fill then records every planned create in
 * the ledger as applied (a "full ledger" for the next measurement).
 */
import { openFeed } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import { defaultPlanOptions } from '../plan/index.js';
import { planFeed } from '../run.js';

const [file, ledgerPath, flag] = process.argv.slice(2);
const ledger = SqliteLedger.open(ledgerPath);
const started = process.hrtime.bigint();
const feed = await openFeed(file);
const plan = await planFeed(feed, defaultPlanOptions({ op: 'store' }), ledger);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
if (flag === '--fill') {
  let id = 1;
  const batch = [];
  for (const a of plan.actions) {
    if (a.kind !== 'create') continue;
    batch.push({ entity: 'persons', key: a.key, moodleId: id++, dataSource: a.dataSource, hash: a.hash ?? null, status: 'active' as const, runId: 'bench' });
    if (batch.length === 10000) ledger.writeLinks(batch.splice(0));
  }
  ledger.writeLinks(batch);
}
ledger.close();
process.stdout.write(JSON.stringify({ rows: plan.rows, counts: plan.counts, ms, rowsPerSec: Math.round(plan.rows / (ms / 1000)), maxRssMb: Math.round(maxRssMb) }) + '\n');
