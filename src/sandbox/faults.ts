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

/** The queued faults, each with the number of calls it still applies to, first added first taken. */
export class FaultQueue {
  private readonly faults: (Fault & { left: number })[] = [];

  add(f: Fault): void {
    this.faults.push({ ...f, left: f.times ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The first fault for this function (or for any), used up once its times are. */
  take(fn: string | undefined): Fault | undefined {
    const i = this.faults.findIndex((f) => f.fn === undefined || f.fn === fn);
    if (i < 0) return undefined;
    const f = this.faults[i];
    if (--f.left <= 0) this.faults.splice(i, 1);
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
