/**
 * One classroom-feed measurement in its own process (as plan-worker.ts does for persons):
 *   node classroom-worker.js FILE LEDGER            reads + validates + plans FILE (courses or enrolments), prints JSON
 *   node classroom-worker.js FILE LEDGER --fill     not a measurement: records every planned create as applied
 *   node classroom-worker.js - LEDGER --seed=P,C    not a measurement: links P persons, C courses and the 1,000
 *                                                   category paths (every level) in the ledger
 * No Moodle: the run's own look-ups (courseLookup, enrolmentLookup) are used, against a ledger that holds the persons,
 * courses and category links, and a stub Moodle that answers from memory as an empty site would (its calls are counted:
 * a full ledger needs none).
 */
import { courseLookup } from '../entities/courses/lookup.js';
import { enrolmentLookup } from '../entities/enrolments/lookup.js';
import { isFeedOf, type EntityRecord } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import type { LinkWrite } from '../ledger/types.js';
import { pathLevelKey } from '../entities/courses/target.js';
import type { EntityLookup } from '../run.js';
import { CLASSROOM_PATHS, classroomPath, courseKey, personKey } from './generate.js';
import { benchLink, countingStub, measurePlan, seedLinks } from './worker-common.js';

const [file, ledgerPath, flag = ''] = process.argv.slice(2);
const ledger = SqliteLedger.open(ledgerPath);

if (flag.startsWith('--seed=')) {
  const [persons, courses] = flag.slice('--seed='.length).split(',').map(Number);
  const links: LinkWrite[] = [];
  for (let p = 0; p < persons; p++) links.push(benchLink('persons', personKey(p), 1000 + p));
  for (let c = 0; c < courses; c++) links.push(benchLink('courses', courseKey(c), 100 + c));
  const levels = new Set<string>();
  for (let i = 0; i < CLASSROOM_PATHS; i++) for (let d = 1; d <= 3; d++) levels.add(pathLevelKey(classroomPath(i), d));
  let id = 10;
  for (const k of levels) links.push(benchLink('categories', k, id++));
  await seedLinks(ledger, links);
  process.exit(0);
}

// An empty Moodle site, from memory: every look-up finds nothing.
const { stub, calls } = countingStub((wsfunction) => (wsfunction === 'core_course_get_courses_by_field' ? { courses: [], warnings: [] } : []));
const reads = { retries: 1, backoffMs: 0 };
let id = 1;
await measurePlan(file, ledger, {
  lookup: (feed, size) =>
    isFeedOf(feed, 'courses')
      ? (courseLookup(stub, ledger, reads) as EntityLookup<EntityRecord>)
      : isFeedOf(feed, 'enrolments')
        ? (enrolmentLookup(stub, ledger, { ...reads, chunkSize: size }) as EntityLookup<EntityRecord>)
        : undefined,
  fill: flag === '--fill',
  // An enrolment's link holds its user id (the applier's link), a course's its own id.
  moodleIdOf: (a) => a.moodleId ?? id++,
  stubCalls: calls,
});
