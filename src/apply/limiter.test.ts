import { describe, expect, it } from '@jest/globals';
import { AbortError, AdaptiveLimiter, backoffDelay, sleep } from './limiter.js';

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
