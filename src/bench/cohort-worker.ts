/**
 * One cohort-members measurement in its own process (as classroom-worker.ts does for enrolments):
 *   node cohort-worker.js FILE LEDGER            reads + validates + plans FILE (cohort members), prints JSON
 *   node cohort-worker.js FILE LEDGER --fill     not a measurement: records every planned create as applied
 *   node cohort-worker.js FILE - --gen=N,P,C     not a measurement: writes N memberships over P persons and C cohorts
 *   node cohort-worker.js - LEDGER --seed=P,C    not a measurement: links P persons and C cohorts in the ledger
 * No Moodle: the run's own look-up (cohortMemberLookup) is used against a ledger that holds the persons and cohorts,
 * and a stub Moodle that answers from memory as an empty site (its calls are counted: a full ledger needs none).
 */
import { lookupChunk } from '../apply/index.js';
import { cohortMemberLookup } from '../apply/resolve-cohorts.js';
import { openFeed, type EntityRecord } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import type { LinkWrite } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/index.js';
import { defaultPlanOptions } from '../plan/index.js';
import { planFeed, type EntityLookup } from '../run.js';
import { cohortKey, generateCohortMembers } from './cohort-generate.js';
import { personKey } from './generate.js';

const [file, ledgerPath, flag = ''] = process.argv.slice(2);

if (flag.startsWith('--gen=')) {
  const [n, persons, cohorts] = flag.slice('--gen='.length).split(',').map(Number);
  await generateCohortMembers(file, n, persons, cohorts);
  process.exit(0);
}

const ledger = SqliteLedger.open(ledgerPath);
if (flag.startsWith('--seed=')) {
  const [persons, cohorts] = flag.slice('--seed='.length).split(',').map(Number);
  const link = (entity: string, key: string, moodleId: number): LinkWrite => ({ entity, key, moodleId, dataSource: 'SIS.2026', hash: null, status: 'active', runId: 'bench' });
  const links: LinkWrite[] = [];
  for (let p = 0; p < persons; p++) links.push(link('persons', personKey(p), 1000 + p));
  for (let c = 0; c < cohorts; c++) links.push(link('cohorts', cohortKey(c), 10 + c));
  for (let i = 0; i < links.length; i += 10000) ledger.writeLinks(links.slice(i, i + 10000));
  ledger.close();
  process.stdout.write(JSON.stringify({ seeded: links.length }) + '\n');
  process.exit(0);
}

const stubCalls: Record<string, number> = {};
const stub: MoodleCaller = {
  call: async <T>(wsfunction: string): Promise<T> => {
    stubCalls[wsfunction] = (stubCalls[wsfunction] ?? 0) + 1;
    return [] as T;
  },
};

const started = process.hrtime.bigint();
const feed = await openFeed(file);
const size = lookupChunk(1000);
const lookup = cohortMemberLookup(stub, ledger, { retries: 1, backoffMs: 0, chunkSize: size }) as EntityLookup<EntityRecord>;
const fill: LinkWrite[] = [];
const plan = await planFeed(feed, defaultPlanOptions({ op: 'store' }), ledger, {
  lookup,
  chunkSize: 2 * size,
  sink: (a) => {
    if (flag !== '--fill' || a.kind !== 'create') return;
    fill.push({ entity: feed.info.type, key: a.key, moodleId: a.moodleId!, dataSource: a.dataSource, hash: a.hash ?? null, status: 'active', runId: 'bench' });
    if (fill.length === 10000) ledger.writeLinks(fill.splice(0));
  },
});
ledger.writeLinks(fill);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
ledger.close();
process.stdout.write(JSON.stringify({ type: feed.info.type, rows: plan.rows, counts: plan.counts, ms, rowsPerSec: Math.round(plan.rows / (ms / 1000)), maxRssMb: Math.round(maxRssMb), stubCalls }) + '\n');
