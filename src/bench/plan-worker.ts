/**
 * One measurement in its own process, so peak RSS belongs to it alone:
 *   node plan-worker.js FILE LEDGER [--fill]
 * reads + validates + plans FILE against LEDGER (no Moodle), prints JSON. With --fill it is not a measurement: it
 * records every planned create in the ledger as applied, making a "full ledger" for the next one.
 */
import { openFeed } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import { defaultPlanOptions } from '../plan/index.js';
import type { LinkWrite } from '../ledger/types.js';
import { planFeed } from '../plan/chunks.js';

const [file, ledgerPath, flag] = process.argv.slice(2);
const ledger = SqliteLedger.open(ledgerPath);
const started = process.hrtime.bigint();
const feed = await openFeed(file);
// As `mdlsync plan` does: actions stream out (here: to the fill list) instead of piling up in memory.
// --fill (not a measurement) records the creates in the ledger as they are planned.
const fill: LinkWrite[] = [];
let id = 1;
const plan = await planFeed(feed, defaultPlanOptions({ op: 'store' }), ledger, {
  sink: (a) => {
    if (flag !== '--fill' || a.kind !== 'create') return;
    fill.push({ entity: 'persons', key: a.key, moodleId: id++, dataSource: a.dataSource, hash: a.hash ?? null, status: 'active', runId: 'bench' });
  },
});
// The sink is synchronous: a --fill run's links are written once planning is done, a chunk per transaction.
for (let i = 0; i < fill.length; i += 10000) await ledger.writeLinks(fill.slice(i, i + 10000));
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
await ledger.close();
process.stdout.write(JSON.stringify({ rows: plan.rows, counts: plan.counts, ms, rowsPerSec: Math.round(plan.rows / (ms / 1000)), maxRssMb: Math.round(maxRssMb) }) + '\n');
