/**
 * Fault injection: the failures a real server or the network in front of it produces (a 500 page, a dropped
 * connection, an answer lost after the call committed, a slow or stalled reply), queued by tests and the benchmark
 * and applied to the next matching calls.
 */
import type http from 'node:http';
import { sleep, type CostMeter } from './capacity.js';
import { send, SERVER_ERROR } from './http.js';

export type Fault = { fn?: string; times?: number } & (
  | { kind: 'http500' }
  | { kind: 'drop' }
  | { kind: 'commit-then-drop' }
  /** The call runs and commits, then the answer is held back for ms before the connection drops (a proxy timeout). */
  | { kind: 'commit-then-stall'; ms: number }
  | { kind: 'latency'; ms: number }
);

/**
 * Faults that strike at random, as a flaky network does: each call (one no queued fault claims) draws one with
 * probability `rate`, the kind picked evenly from `faults`. Seeded, so a soak run that fails can be replayed.
 */
export interface RandomFaults {
  rate: number;
  faults: Fault[];
  seed: number;
}

/** mulberry32: a tiny seeded generator of numbers in [0, 1) (also the tests' own, for replayable random choices). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The queued faults, each with the number of calls it still applies to, first added first taken; then random ones. */
export class FaultQueue {
  private readonly faults: (Fault & { left: number })[] = [];
  private random: { rate: number; faults: Fault[]; next: () => number } | null = null;
  /** Calls a random fault struck. */
  randomHits = 0;

  add(f: Fault): void {
    this.faults.push({ ...f, left: f.times ?? 1 });
  }

  /** Random faults from now on (replacing earlier ones); clear() stops them. */
  randomly(r: RandomFaults): void {
    if (!(r.rate >= 0 && r.rate <= 1) || r.faults.length === 0) throw new Error('random faults need a rate in [0, 1] and at least one fault');
    this.random = { rate: r.rate, faults: r.faults, next: seededRandom(r.seed) };
  }

  clear(): void {
    this.faults.length = 0;
    this.random = null;
  }

  /** The first fault for this function (or for any), used up once its times are; else perhaps a random one. */
  take(fn: string | undefined): Fault | undefined {
    const i = this.faults.findIndex((f) => f.fn === undefined || f.fn === fn);
    if (i < 0) return this.takeRandom(fn);
    const f = this.faults[i];
    if (--f.left <= 0) this.faults.splice(i, 1);
    return f;
  }

  private takeRandom(fn: string | undefined): Fault | undefined {
    const r = this.random;
    if (!r || r.next() >= r.rate) return undefined;
    const f = r.faults[Math.floor(r.next() * r.faults.length)];
    if (f.fn !== undefined && f.fn !== fn) return undefined;
    this.randomHits++;
    return f;
  }
}

/** The faults that strike before the call runs; true when the request is over (answered or dropped). */
export async function faultBeforeCall(fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse, meter: CostMeter):
  Promise<boolean> {
  if (fault?.kind === 'http500') {
    send(res, SERVER_ERROR);
    return true;
  }
  if (fault?.kind === 'drop') {
    req.socket.destroy();
    return true;
  }
  if (fault?.kind === 'latency') await meter.pay(fault.ms);
  return false;
}

/** The faults that strike once the call has committed: the answer never arrives. True when the request is over. */
export async function faultAfterCall(fault: Fault | undefined, req: http.IncomingMessage): Promise<boolean> {
  if (fault?.kind === 'commit-then-stall') await sleep(fault.ms);
  if (fault?.kind === 'commit-then-drop' || fault?.kind === 'commit-then-stall') {
    req.socket.destroy();
    return true;
  }
  return false;
}
