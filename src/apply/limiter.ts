/**
 * Adaptive concurrency for Moodle calls. Measured on a real 2-core site: 2–3 concurrent calls of 50 users were
 * 2.3 × faster than one at a time and more did not help, so start at 2, add one call in flight while the
 * per-record latency holds, and halve as soon as the site slows down or fails transiently.
 *
 * "Holds" is against the best of the recent calls, not of the whole run: on a large site each new user costs more
 * than the last (Moodle's duplicate-email check reads the whole user table, see the README's *First store and Moodle's
 * email check*), a slow trend that is the same at every concurrency and that an all-time best reads as a site under
 * strain. A jump within the last calls is what more calls in flight (or a strained site) cause, and it still backs
 * off: one step when it comes right after the limit grew from a level where the latency held steadily (the probe
 * found the knee: on a saturated site a call more in flight only waits, and halving would idle a worker; that level
 * is not tried again for a while), else by half.
 */
import { MdlsyncError } from '../errors.js';

export class AbortError extends MdlsyncError<'aborted'> {
  constructor() {
    super('aborted', 'The run was aborted');
    this.name = 'AbortError';
  }
}

export interface LatencySample {
  /** Calls are only compared with calls of the same function and size (a 1-user call costs more per user than 50). */
  key: string;
  records: number;
  /** Told how long a successful call took (ms), on the limiter's clock. */
  timed?: (ms: number) => void;
}

const GROW_WITHIN = 1.25;
const SHRINK_ABOVE = 1.5;
/**
 * Calls of one function and size the best is taken over. Short enough that a cost growing with the work moves it
 * along (the email scan of a 20,000-user store on a 23k-user site: about 1 % over 12 calls), long enough to span
 * the levels just tried.
 */
const RECENT = 12;
/** Calls kept below a level that made the latency jump before that level is tried again. */
const PROBE_AFTER = 20;

export class AdaptiveLimiter {
  private limitNow: number;
  private inFlight = 0;
  private peak = 0;
  private goodSinceChange = 0;
  /** The last RECENT per-record latencies of each call key, oldest first. */
  private readonly recent = new Map<string, number[]>();
  /** The level the limit may not grow past (after a jump at the level above), and calls left until it is lifted. */
  private ceiling = Infinity;
  private probeIn = 0;
  /** The limit just grew from a level where the latency held steadily, and this level has not held a full window yet. */
  private probing = false;
  /** Calls at this level since the limit reached it that came between 1.25 × and 1.5 × the best (goodSinceChange: within). */
  private wobbles = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly cap: number,
    private readonly now: () => number = () => performance.now(),
    /** Calls allowed in flight at first (default 2); the limit then grows with good latency and halves on failures. */
    start = 2,
  ) {
    this.cap = Math.max(1, Math.floor(cap));
    this.limitNow = Math.max(1, Math.min(start, this.cap));
  }

  /** Calls allowed in flight right now. */
  get limit(): number {
    return this.limitNow;
  }

  /** Most calls ever in flight at once. */
  get maxInFlight(): number {
    return this.peak;
  }

  async run<T>(fn: () => Promise<T>, sample?: LatencySample, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    // The calls in flight with this one (itself included) when it went out: the level its latency speaks for.
    const level = this.inFlight;
    const started = this.now();
    try {
      const result = await fn();
      const ms = this.now() - started;
      sample?.timed?.(ms);
      if (sample && sample.records > 0) this.observe(sample.key, ms / sample.records, level);
      return result;
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  /**
   * Per-record latency of a successful call that went out with `level` calls in flight (itself included; default:
   * the current limit).
   */
  observe(key: string, perRecordMs: number, level = this.limitNow): void {
    // A call sent at a level already left (the limit was cut while it ran) says nothing about the level now: it
    // would cut the limit a second time for the same jump.
    if (level > this.limitNow) return;
    const recent = this.recent.get(key) ?? [];
    recent.push(perRecordMs);
    if (recent.length > RECENT) recent.shift();
    this.recent.set(key, recent);
    const best = Math.min(...recent);
    if (this.ceiling < Infinity && --this.probeIn <= 0) this.ceiling = Infinity;
    if (perRecordMs > SHRINK_ABOVE * best) {
      this.jumped();
    } else if (level < this.limitNow) {
      // Sent with fewer in flight: it does not speak for the level now.
    } else if (perRecordMs > GROW_WITHIN * best) {
      this.wobbles++;
    } else if (++this.goodSinceChange >= this.limitNow) {
      // Grow only after a full window of good calls at the current level, so one lucky call does not ramp up.
      this.probing = false;
      if (this.limitNow < Math.min(this.cap, this.ceiling)) {
        // Steady: at most one call in five wobbled (a machine's noise does; a site near its limit wobbles more).
        this.probing = this.wobbles * 4 <= this.goodSinceChange;
        this.limitNow++;
        this.goodSinceChange = 0;
        this.wobbles = 0;
        this.pump();
      }
    }
  }

  onTransient(): void {
    this.shrink(Math.floor(this.limitNow / 2));
  }

  /**
   * The latency jumped at the current level. Right after growing from a level where it held steadily, this is the
   * probe finding the knee: back to that level, and stay there for a while, since growing straight back into the
   * jump would repeat it. Otherwise the site may be under strain: halve, and grow again as the latency holds.
   */
  private jumped(): void {
    if (!this.probing) return this.shrink(Math.floor(this.limitNow / 2));
    this.ceiling = this.limitNow - 1;
    this.probeIn = PROBE_AFTER;
    this.shrink(this.limitNow - 1);
  }

  private shrink(to: number): void {
    this.limitNow = Math.max(1, to);
    this.goodSinceChange = 0;
    this.probing = false;
    this.wobbles = 0;
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    if (this.inFlight < this.limitNow) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortError());
      };
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.take();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  private take(): void {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
  }

  private pump(): void {
    while (this.inFlight < this.limitNow && this.waiting.length > 0) this.waiting.shift()!();
  }
}

/** Exponential backoff with ±50 % jitter (so retrying callers do not hit the site in lockstep), capped at 30 s. */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return Math.min(30_000, baseMs * 2 ** (attempt - 1)) * (0.5 + random());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
