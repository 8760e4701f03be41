/**
 * What the read-only look-ups of this folder share: retrying read calls on transient errors, and placing person keys
 * (ledger first, else Moodle by idnumber in batches), kept for the whole file.
 */
import type { LedgerStore } from '../ledger/types.js';
import { getUsersByField, isTransient } from '../moodle/index.js';
import type { MoodleCaller } from '../moodle/index.js';
import { backoffDelay, sleep } from '../apply/limiter.js';

/**
 * Values per lookup call: as many as max_input_vars allows (minus wstoken, wsfunction, moodlewsrestformat, field and a
 * small margin). An indexed IN (...) is cheap for Moodle; each call's bootstrap is not.
 */
export function lookupChunk(maxInputVars: number): number {
  return Math.max(1, maxInputVars - 4 - 6);
}
export const LOOKUP_CHUNK = lookupChunk(1000);

/**
 * A chunk's values split in one pass by whether each row names its thing the usual way (`other` false) or another
 * (a shortname, a username): two arrays, not one small array per row as a flatMap would make (GC on large files).
 */
export function splitKeys<R>(rows: readonly R[], value: (r: R) => string, other: (r: R) => boolean): [usual: string[], others: string[]] {
  const usual: string[] = [];
  const others: string[] = [];
  for (const r of rows) (other(r) ? others : usual).push(value(r));
  return [usual, others];
}

/** A key's Moodle id (with any extra the look-up keeps), or why there is none; null: simply not found. */
export type Placed<Extra extends object = object> = ({ id: number } & Extra) | { problem: string } | null;

/** Runs a read call, again after a back-off while it fails transiently. */
export type Retry = <T>(fn: () => Promise<T>) => Promise<T>;

export function retrier(opts: { retries?: number; backoffMs?: number } = {}): Retry {
  const retries = opts.retries ?? 5;
  const backoffMs = opts.backoffMs ?? 500;
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isTransient(err) || attempt >= retries) throw err;
        await sleep(backoffDelay(attempt, backoffMs));
      }
    }
  };
}

/** `read` over `ids` a chunk of `reads.chunkSize` at a time, each chunk retried: every chunk's answers, in order. */
export async function readInChunks<I, T>(
  ids: readonly I[],
  reads: { retries?: number; backoffMs?: number; chunkSize: number },
  read: (chunk: I[]) => Promise<readonly T[]>,
): Promise<T[]> {
  const retry = retrier(reads);
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += reads.chunkSize) out.push(...(await retry(() => read(ids.slice(i, i + reads.chunkSize)))));
  return out;
}

const UNKNOWN: { id?: number; problem?: string } = Object.freeze({});

/** Person keys → Moodle user ids, kept for the run. */
export class PersonPlaces {
  private readonly placed = new Map<string, Placed>();
  /**
   * @param ledger persons links are asked first; null for keys that are no ledger keys (usernames).
   * @param field the Moodle user field the keys are.
   */
  constructor(
    private readonly client: MoodleCaller,
    private readonly ledger: LedgerStore | null,
    private readonly retry: Retry,
    private readonly chunkSize: number,
    private readonly field: 'idnumber' | 'username' = 'idnumber',
  ) {}

  async place(keys: Iterable<string>): Promise<void> {
    const want = [...new Set(keys)].filter((k) => !this.placed.has(k));
    if (want.length === 0) return;
    let ask = want;
    if (this.ledger) {
      ask = [];
      const links = await this.ledger.getLinks('persons', want);
      for (const k of want) {
        const link = links.get(k);
        if (link) this.placed.set(k, { id: link.moodleId });
        else ask.push(k);
      }
    }
    for (let i = 0; i < ask.length; i += this.chunkSize) {
      const part = ask.slice(i, i + this.chunkSize);
      const users = await this.retry(() => getUsersByField(this.client, this.field, part));
      const byValue = new Map<string, number[]>();
      for (const u of users) {
        // Moodle stores usernames lower-cased (the reader lower-cases the key too); idnumbers match exactly.
        const v = this.field === 'username' ? u.username : (u as { idnumber?: string }).idnumber;
        if (v === undefined) continue;
        const ids = byValue.get(v);
        if (ids) ids.push(u.id);
        else byValue.set(v, [u.id]);
      }
      for (const k of part) {
        const ids = byValue.get(k);
        this.placed.set(k, !ids ? null : ids.length === 1 ? { id: ids[0] } : { problem: `${ids.length} Moodle users have ${this.field} ${k}` });
      }
    }
  }

  /** The user id, or the problem in words, or neither when Moodle has no such person (or the key was not placed). */
  get(key: string): { id?: number; problem?: string } {
    return this.placed.get(key) ?? UNKNOWN;
  }
}
