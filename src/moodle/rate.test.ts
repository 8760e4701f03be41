import { describe, expect, test } from '@jest/globals';
import { RateLimiter, type RateClock } from './rate.js';

/** A clock that only moves when the limiter sleeps: no real time passes in these tests. */
function fakeClock(): RateClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

describe('RateLimiter', () => {
  test('no second holds more call starts than the rate', async () => {
    const clock = fakeClock();
    const rate = new RateLimiter(5, clock);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 23 }, () => rate.take().then(() => starts.push(clock.t))));
    expect(starts).toHaveLength(23);
    // Every window of one second, starting at any call, holds at most 5 starts.
    for (const from of starts) expect(starts.filter((t) => t >= from && t < from + 1000).length).toBeLessThanOrEqual(5);
    // And the limiter does not hold calls back more than the rate asks: 23 starts take 22 gaps of 200 ms.
    expect(starts[22]).toBe(22 * 200);
  });

  test('the first call starts at once, and a call after a long pause too', async () => {
    const clock = fakeClock();
    const rate = new RateLimiter(2, clock);
    await rate.take();
    expect(clock.sleeps).toEqual([]);
    clock.t += 10_000;
    await rate.take();
    expect(clock.sleeps).toEqual([]);
    await rate.take();
    expect(clock.sleeps).toEqual([500]);
  });

  test('calls are served in the order they asked', async () => {
    const clock = fakeClock();
    const rate = new RateLimiter(10, clock);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => rate.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  test('a fractional rate spaces calls by more than a second', async () => {
    const clock = fakeClock();
    const rate = new RateLimiter(0.5, clock);
    await rate.take();
    await rate.take();
    expect(clock.t).toBe(2000);
  });

  test('a rate that is not above 0 is refused', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});
