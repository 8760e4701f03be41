import { describe, expect, it } from '@jest/globals';
import { AbortError, AdaptiveLimiter, backoffDelay, sleep } from './limiter.js';

/**
 * A Moodle site on a fake clock: `workers` calls served at once in arrival order (PHP-FPM children), each taking
 * cost(calls served before it, calls at the site now) ms. Time moves only when nothing else can: to the next reply.
 */
class FakeSite {
  clock = 0;
  /** Calls at the site (served or waiting for a worker), and the most there were. */
  atSite = 0;
  /** The calls at the site when each call arrived (itself included), in arrival order. */
  readonly arrivals: number[] = [];
  /** Worker time spent serving calls, in ms of the fake clock. */
  busyMs = 0;
  private served = 0;
  private busy = 0;
  private readonly queue: (() => void)[] = [];
  private readonly timers: { at: number; fire: () => void }[] = [];

  constructor(
    private readonly workers: number,
    private readonly cost: (served: number, atSite: number) => number,
  ) {}

  call(): Promise<void> {
    this.arrivals.push(++this.atSite);
    return new Promise((done) => {
      const serve = (): void => {
        const ms = this.cost(this.served++, this.atSite);
        this.busyMs += ms;
        this.timers.push({
          at: this.clock + ms,
          fire: () => {
            this.atSite--;
            done();
            const next = this.queue.shift();
            if (next) next();
            else this.busy--;
          },
        });
        this.timers.sort((a, b) => a.at - b.at);
      };
      if (this.busy < this.workers) {
        this.busy++;
        serve();
      } else this.queue.push(serve);
    });
  }

  /** Sends `calls` calls of 50 records through the limiter at once (a first store's batches) and runs the clock until all are answered. */
  async store(l: AdaptiveLimiter, calls: number, limits: number[] = []): Promise<void> {
    let finished = false;
    const all = Array.from({ length: calls }, () =>
      l.run(() => this.call(), { key: 'core_user_create_users:50', records: 50, timed: () => void limits.push(l.limit) }),
    );
    void Promise.all(all).then(() => (finished = true));
    for (;;) {
      await new Promise((r) => setImmediate(r)); // every reply's follow-ups (the next calls sent) run first
      if (finished) return;
      const next = this.timers.shift();
      if (!next) throw new Error('no call in flight and none answered: the limiter stalled');
      this.clock = next.at;
      next.fire();
    }
  }
}

describe('AdaptiveLimiter', () => {
  it('starts at 2 (or the cap when lower)', () => {
    expect(new AdaptiveLimiter(4).limit).toBe(2);
    expect(new AdaptiveLimiter(1).limit).toBe(1);
    expect(new AdaptiveLimiter(0).limit).toBe(1);
  });

  it("tells a successful call's time on its own clock (a failed call is not timed)", async () => {
    let clock = 100;
    const l = new AdaptiveLimiter(4, () => clock);
    const times: number[] = [];
    await l.run(async () => {
      clock += 250;
    }, { key: 'f:5', records: 5, timed: (ms) => times.push(ms) });
    await expect(l.run(async () => {
      clock += 40;
      throw new Error('refused');
    }, { key: 'f:5', records: 5, timed: (ms) => times.push(ms) })).rejects.toThrow('refused');
    expect(times).toEqual([250]);
  });

  it('grows by one per window of calls whose per-record latency holds, up to the cap', () => {
    const l = new AdaptiveLimiter(4);
    for (let i = 0; i < 2; i++) l.observe('f:50', 20);
    expect(l.limit).toBe(3);
    for (let i = 0; i < 3; i++) l.observe('f:50', 24); // within 1.25 × the best
    expect(l.limit).toBe(4);
    for (let i = 0; i < 20; i++) l.observe('f:50', 20);
    expect(l.limit).toBe(4);
  });

  it('holds between 1.25 × and 1.5 ×, halves above 1.5 × and on transient errors, never below 1', () => {
    const l = new AdaptiveLimiter(8);
    l.observe('f:50', 20);
    l.observe('f:50', 28);
    l.observe('f:50', 28);
    expect(l.limit).toBe(2); // 28 > 1.25 × 20: no growth, but no cut either
    l.observe('f:50', 20);
    l.observe('f:50', 20);
    expect(l.limit).toBe(3);
    l.observe('f:50', 31);
    expect(l.limit).toBe(1);
    l.onTransient();
    expect(l.limit).toBe(1);
  });

  it('compares latencies per function and size only', () => {
    const l = new AdaptiveLimiter(8);
    l.observe('create:50', 20);
    l.observe('create:1', 53); // a first sample of another size is its own best, not a slowdown
    expect(l.limit).toBe(3);
  });

  it('does not halve for a cost that grows with the work at every concurrency alike', async () => {
    // Four workers, so more calls in flight never wait; each call costs 0.25 % more than the one before (the
    // duplicate-email scan of a growing user table): 2.7 × by the end. An all-time best read that as a strained site.
    const site = new FakeSite(4, (served) => 780 * 1.0025 ** served);
    const l = new AdaptiveLimiter(4, () => site.clock);
    const limits: number[] = [];
    await site.store(l, 400, limits);
    const atCap = limits.indexOf(4);
    expect(atCap).toBeGreaterThanOrEqual(0);
    expect(Math.min(...limits.slice(atCap))).toBe(4);
  });

  it('keeps a saturated site busy while its cost grows: a failed probe above the knee steps back one level', async () => {
    // The bench's site: 2 workers, the cost growing with the table. A third call in flight only waits (its latency
    // jumps); the limiter must find 2 and stay there, not drop to 1 again each time it tries 3.
    const site = new FakeSite(2, (served) => 780 * 1.001 ** served);
    const l = new AdaptiveLimiter(4, () => site.clock);
    const limits: number[] = [];
    await site.store(l, 400, limits);
    const idle = 1 - site.busyMs / (2 * site.clock);
    expect(idle).toBeLessThan(0.02);
    // One halving at the first jump (the site could have been strained); every later probe of 3 goes back to 2.
    expect(limits.slice(20).every((x) => x >= 2)).toBe(true);
    expect(limits.filter((x) => x >= 3).length).toBeLessThan(limits.length / 5);
  });

  it('backs off when the latency rises with the calls in flight', async () => {
    // A site that thrashes above 2 calls: each call at the site beyond 2 slows every one of them down.
    const site = new FakeSite(8, (_, atSite) => 1000 * Math.max(1, atSite - 1) ** 2);
    const l = new AdaptiveLimiter(4, () => site.clock);
    await site.store(l, 200);
    // Only the probes (the calls sent until the first slow reply, every 20 calls or so) met 3 at the site; none 4.
    expect(Math.max(...site.arrivals)).toBe(3);
    expect(site.arrivals.filter((n) => n >= 3).length).toBeLessThan(site.arrivals.length * 0.15);
    expect(l.limit).toBeLessThanOrEqual(2);
  });

  it('halves on a transient failure, wherever the latency stands', async () => {
    const site = new FakeSite(4, () => 1000);
    const l = new AdaptiveLimiter(4, () => site.clock);
    await site.store(l, 40);
    expect(l.limit).toBe(4);
    l.onTransient();
    expect(l.limit).toBe(2);
    l.onTransient();
    expect(l.limit).toBe(1);
  });

  it('ignores a slow reply to a call sent before the limit was cut (it would cut twice for one jump)', () => {
    const l = new AdaptiveLimiter(4);
    for (let i = 0; i < 9; i++) l.observe('f:50', 20, l.limit);
    expect(l.limit).toBe(4); // and a full window held there: no longer a probe
    l.observe('f:50', 40, 4); // the site slowed down: halved
    expect(l.limit).toBe(2);
    l.observe('f:50', 40, 4); // sent with 4 in flight, answered after the cut
    expect(l.limit).toBe(2);
    l.observe('f:50', 40, 2); // at the level now: a jump again
    expect(l.limit).toBe(1);
  });

  it('backs off one step when the level just grown into jumps, by half when the level below had wobbled', () => {
    const clean = new AdaptiveLimiter(8);
    for (let i = 0; i < 5; i++) clean.observe('f:50', 20);
    expect(clean.limit).toBe(4);
    clean.observe('f:50', 40); // the probe of 4 found the knee
    expect(clean.limit).toBe(3);
    for (let i = 0; i < 19; i++) clean.observe('f:50', 20);
    expect(clean.limit).toBe(3); // 4 is not tried again for 20 calls
    clean.observe('f:50', 20);
    clean.observe('f:50', 20);
    expect(clean.limit).toBe(4);

    const wobbly = new AdaptiveLimiter(8);
    for (const ms of [20, 20, 20, 27, 20, 20]) wobbly.observe('f:50', ms);
    expect(wobbly.limit).toBe(4);
    wobbly.observe('f:50', 40); // 3 had a call above 1.25 ×: the jump may be strain
    expect(wobbly.limit).toBe(2);
  });

  it('never runs more than the limit at once, and measures calls', async () => {
    let t = 0;
    const l = new AdaptiveLimiter(3, () => t);
    let inFlight = 0;
    let peak = 0;
    const task = async (): Promise<number> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      t += 10;
      inFlight--;
      return 1;
    };
    const results = await Promise.all(Array.from({ length: 40 }, () => l.run(task, { key: 'k', records: 10 })));
    expect(results).toHaveLength(40);
    expect(peak).toBeLessThanOrEqual(3);
    expect(l.maxInFlight).toBe(peak);
  });

  it('rejects queued calls when the signal aborts', async () => {
    const l = new AdaptiveLimiter(1);
    const ctl = new AbortController();
    let release!: () => void;
    const first = l.run(() => new Promise<void>((r) => (release = r)), undefined, ctl.signal);
    const second = l.run(() => Promise.resolve('never'), undefined, ctl.signal);
    ctl.abort();
    await expect(second).rejects.toBeInstanceOf(AbortError);
    release();
    await first;
    await expect(l.run(() => Promise.resolve(1), undefined, ctl.signal)).rejects.toBeInstanceOf(AbortError);
  });
});

describe('backoff', () => {
  it('doubles per attempt with ±50 % jitter, capped at 30 s', () => {
    expect(backoffDelay(1, 500, () => 0)).toBe(250);
    expect(backoffDelay(1, 500, () => 0.5)).toBe(500);
    expect(backoffDelay(3, 500, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, 500, () => 0.5)).toBe(30_000);
  });

  it('sleep resolves, and rejects on abort', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const ctl = new AbortController();
    const p = sleep(10_000, ctl.signal);
    ctl.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });
});
