/**
 * One cohort-members measurement in its own process (as classroom-worker.ts does for enrolments):
 *   node cohort-worker.js FILE LEDGER            reads + validates + plans FILE (cohort members), prints JSON
 *   node cohort-worker.js FILE LEDGER --fill     not a measurement: records every planned create as applied
 *   node cohort-worker.js FILE - --gen=N,P,C     not a measurement: writes N memberships over P persons and C cohorts
 *   node cohort-worker.js - LEDGER --seed=P,C    not a measurement: links P persons and C cohorts in the ledger
 * No Moodle: the run's own look-up (cohortMemberLookup) is used against a ledger that holds the persons and cohorts,
 * and a stub Moodle that answers from memory as an empty site (its calls are counted: a full ledger needs none).
 */
import { cohortMemberLookup } from '../entities/cohort-members/lookup.js';
import type { EntityRecord } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import type { LinkWrite } from '../ledger/types.js';
import type { EntityLookup } from '../run.js';
import { cohortKey, generateCohortMembers } from './cohort-generate.js';
import { personKey } from './generate.js';
import { benchLink, countingStub, measurePlan, seedLinks } from './worker-common.js';

const [file, ledgerPath, flag = ''] = process.argv.slice(2);

if (flag.startsWith('--gen=')) {
  const [n, persons, cohorts] = flag.slice('--gen='.length).split(',').map(Number);
  await generateCohortMembers(file, n, persons, cohorts);
  process.exit(0);
}

const ledger = SqliteLedger.open(ledgerPath);
if (flag.startsWith('--seed=')) {
  const [persons, cohorts] = flag.slice('--seed='.length).split(',').map(Number);
  const links: LinkWrite[] = [];
  for (let p = 0; p < persons; p++) links.push(benchLink('persons', personKey(p), 1000 + p));
  for (let c = 0; c < cohorts; c++) links.push(benchLink('cohorts', cohortKey(c), 10 + c));
  await seedLinks(ledger, links);
  process.exit(0);
}

const { stub, calls } = countingStub(() => []);
await measurePlan(file, ledger, {
  lookup: (_feed, size) => cohortMemberLookup(stub, ledger, { retries: 1, backoffMs: 0, chunkSize: size }) as EntityLookup<EntityRecord>,
  fill: flag === '--fill',
  moodleIdOf: (a) => a.moodleId!,
  stubCalls: calls,
});
