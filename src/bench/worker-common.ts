/**
 * What the classroom and cohort bench workers share: seeding the ledger with links, a counting stub Moodle, and the
 * planning measurement itself (read + validate + plan a file against the ledger, printed as one JSON line).
 */
import { lookupChunk } from '../resolve/index.js';
import { openFeed, type AnyFeed, type EntityRecord } from '../feed/index.js';
import type { SqliteLedger } from '../ledger/index.js';
import type { LinkWrite } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/index.js';
import { defaultPlanOptions } from '../plan/index.js';
import type { AnyAction } from '../plan/types.js';
import type { EntityLookup } from '../run.js';
import { planFeed } from '../plan/chunks.js';

/** Links are written in chunks of this many (one transaction each). */
const WRITE_CHUNK = 10000;

/** An active link of the bench's data source, as if a run had made it. */
export const benchLink = (entity: string, key: string, moodleId: number): LinkWrite => ({ entity, key, moodleId, dataSource: 'SIS.2026', hash: null, status: 'active', runId: 'bench' });

/** --seed=: writes the links, closes the ledger and prints how many were seeded. */
export async function seedLinks(ledger: SqliteLedger, links: readonly LinkWrite[]): Promise<void> {
  for (let i = 0; i < links.length; i += WRITE_CHUNK) await ledger.writeLinks(links.slice(i, i + WRITE_CHUNK));
  await ledger.close();
  process.stdout.write(JSON.stringify({ seeded: links.length }) + '\n');
}

/** A Moodle answering from memory with `answer`, counting its calls per function (a full ledger needs none). */
export function countingStub(answer: (wsfunction: string) => unknown): { stub: MoodleCaller; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const stub: MoodleCaller = {
    call: async <T>(wsfunction: string): Promise<T> => {
      calls[wsfunction] = (calls[wsfunction] ?? 0) + 1;
      return answer(wsfunction) as T;
    },
  };
  return { stub, calls };
}

export interface PlanMeasurement {
  /** The run's own look-up for the feed (`size`: records per look-up call), or none. */
  lookup: (feed: AnyFeed, size: number) => EntityLookup<EntityRecord> | undefined;
  /** --fill: not a measurement; every planned create is recorded in the ledger as applied. */
  fill: boolean;
  /** The Moodle id a filled link holds. */
  moodleIdOf: (action: AnyAction) => number;
  /** The stub's call counts, printed with the result. */
  stubCalls: Record<string, number>;
}

/** Reads, validates and plans `file` against the ledger as a run does (actions stream out), then prints the figures. */
export async function measurePlan(file: string, ledger: SqliteLedger, m: PlanMeasurement): Promise<void> {
  const started = process.hrtime.bigint();
  const feed = await openFeed(file);
  const size = lookupChunk(1000);
  const fill: LinkWrite[] = [];
  const plan = await planFeed(feed, defaultPlanOptions({ op: 'store' }), ledger, {
    lookup: m.lookup(feed, size),
    chunkSize: 2 * size,
    sink: (a) => {
      if (!m.fill || a.kind !== 'create') return;
      fill.push({ entity: feed.info.type, key: a.key, moodleId: m.moodleIdOf(a), dataSource: a.dataSource, hash: a.hash ?? null, state: a.state ?? null, status: 'active', runId: 'bench' });
    },
  });
  // The sink is synchronous: --fill's links are written once planning is done (not a measurement).
  for (let i = 0; i < fill.length; i += WRITE_CHUNK) await ledger.writeLinks(fill.slice(i, i + WRITE_CHUNK));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  await ledger.close();
  process.stdout.write(
    JSON.stringify({ type: feed.info.type, rows: plan.rows, counts: plan.counts, ms, rowsPerSec: Math.round(plan.rows / (ms / 1000)), maxRssMb: Math.round(maxRssMb), stubCalls: m.stubCalls }) + '\n',
  );
}
