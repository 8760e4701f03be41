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
import { lookupChunk } from '../apply/index.js';
import { courseLookup } from '../apply/resolve-courses.js';
import { enrolmentLookup } from '../apply/resolve-enrolments.js';
import { isFeedOf, openFeed, type EntityRecord } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import type { LinkWrite } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/index.js';
import { pathLevelKey } from '../plan/course-target.js';
import { defaultPlanOptions } from '../plan/index.js';
import { planFeed, type EntityLookup } from '../run.js';
import { CLASSROOM_PATHS, classroomPath, courseKey, personKey } from './generate.js';

const [file, ledgerPath, flag = ''] = process.argv.slice(2);
const ledger = SqliteLedger.open(ledgerPath);

if (flag.startsWith('--seed=')) {
  const [persons, courses] = flag.slice('--seed='.length).split(',').map(Number);
  const link = (entity: string, key: string, moodleId: number): LinkWrite => ({ entity, key, moodleId, dataSource: 'SIS.2026', hash: null, status: 'active', runId: 'bench' });
  const links: LinkWrite[] = [];
  for (let p = 0; p < persons; p++) links.push(link('persons', personKey(p), 1000 + p));
  for (let c = 0; c < courses; c++) links.push(link('courses', courseKey(c), 100 + c));
  const levels = new Set<string>();
  for (let i = 0; i < CLASSROOM_PATHS; i++) for (let d = 1; d <= 3; d++) levels.add(pathLevelKey(classroomPath(i), d));
  let id = 10;
  for (const k of levels) links.push(link('categories', k, id++));
  for (let i = 0; i < links.length; i += 10000) ledger.writeLinks(links.slice(i, i + 10000));
  ledger.close();
  process.stdout.write(JSON.stringify({ seeded: links.length }) + '\n');
  process.exit(0);
}

// An empty Moodle site, from memory: every look-up finds nothing.
const stubCalls: Record<string, number> = {};
const stub: MoodleCaller = {
  call: async <T>(wsfunction: string): Promise<T> => {
    stubCalls[wsfunction] = (stubCalls[wsfunction] ?? 0) + 1;
    if (wsfunction === 'core_course_get_courses_by_field') return { courses: [], warnings: [] } as T;
    return [] as T;
  },
};

const started = process.hrtime.bigint();
const feed = await openFeed(file);
const reads = { retries: 1, backoffMs: 0 };
const size = lookupChunk(1000);
const lookup = isFeedOf(feed, 'courses')
  ? (courseLookup(stub, ledger, reads) as EntityLookup<EntityRecord>)
  : isFeedOf(feed, 'enrolments')
    ? (enrolmentLookup(stub, ledger, { ...reads, chunkSize: size }) as EntityLookup<EntityRecord>)
    : undefined;
const fill: LinkWrite[] = [];
let id = 1;
const plan = await planFeed(feed, defaultPlanOptions({ op: 'store' }), ledger, {
  lookup,
  chunkSize: 2 * size,
  sink: (a) => {
    if (flag !== '--fill' || a.kind !== 'create') return;
    // An enrolment's link holds its user id (the applier's link), a course's its own id.
    fill.push({ entity: feed.info.type, key: a.key, moodleId: a.moodleId ?? id++, dataSource: a.dataSource, hash: a.hash ?? null, status: 'active', runId: 'bench' });
    if (fill.length === 10000) ledger.writeLinks(fill.splice(0));
  },
});
ledger.writeLinks(fill);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
ledger.close();
process.stdout.write(
  JSON.stringify({ type: feed.info.type, rows: plan.rows, counts: plan.counts, ms, rowsPerSec: Math.round(plan.rows / (ms / 1000)), maxRssMb: Math.round(maxRssMb), stubCalls }) + '\n',
);
