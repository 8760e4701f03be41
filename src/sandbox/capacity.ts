/**
 * How the sandbox behaves like a small real server under load: a fixed number of workers (calls beyond them queue)
 * and simulated costs (a call's bootstrap, each user record's password hashing), so the benchmark and the tests of
 * concurrency see a real server's throughput.
 */

/** Waits ms milliseconds (no timer at all for 0, the default cost). */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/**
 * The simulated costs a sandbox pays (latency faults, each call's bootstrap, each user record), added up: tests check
 * what was charged without reading a clock, which a loaded machine would make meaningless.
 */
export class CostMeter {
  paidMs = 0;

  pay(ms: number): Promise<void> {
    this.paidMs += ms;
    return sleep(ms);
  }
}

/** A FIFO semaphore: `size` calls run at once, the rest wait, like PHP-FPM children on a small server. */
export class WorkerPool {
  private busy = 0;
  private waiting: (() => void)[] = [];
  /** The most calls that ran at once, and the calls that had to wait for a worker (since the last reset). */
  peak = 0;
  queued = 0;
  constructor(private readonly size: number) {}

  /** Runs task on a free worker, waiting in line for one first. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.busy < this.size) {
      this.busy++;
      this.peak = Math.max(this.peak, this.busy);
      return;
    }
    this.queued++;
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    // The worker passes straight to the next in line (busy stays the same), else it goes idle.
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }
}
