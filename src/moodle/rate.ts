/**
 * A per-site request rate limit (moodle.maxRequestsPerSecond): a token bucket refilled continuously that holds one
 * token, so calls start at least 1000 / rate ms apart and no second ever sees more than the rate (a fuller bucket
 * would let a burst start at once after a pause). It sits in front of the connection cap (moodle.concurrency): the
 * cap says how many calls may be in flight, the bucket how many may start each second.
 */

/** The clock and the wait the bucket uses: real time by default, injected by the tests. */
export interface RateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: RateClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class RateLimiter {
  private tokens: number;
  private last: number;
  /** Calls waiting for a token, served first come first served. */
  private queue: Promise<void> = Promise.resolve();
  private readonly burst: number;

  constructor(
    readonly perSecond: number,
    private readonly clock: RateClock = REAL_CLOCK,
  ) {
    if (!(perSecond > 0)) throw new RangeError('maxRequestsPerSecond must be above 0');
    this.burst = 1;
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Resolves when the call may start (takes one token). */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    // A rejected sleep must not block the calls queued behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
  }
}
