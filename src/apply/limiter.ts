/**
 * Adaptive concurrency for Moodle calls. Measured on a real 2-core site: 2–3 concurrent calls of 50 users were
 * 2.3 × faster than one at a time and more did not help, so start at 2, add one call in flight while the
 * per-record latency holds, and halve as soon as the site slows down or fails transiently.
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

export class AdaptiveLimiter {
  private limitNow: number;
  private inFlight = 0;
  private peak = 0;
  private goodSinceChange = 0;
  private readonly best = new Map<string, number>();
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
    const started = this.now();
    try {
      const result = await fn();
      const ms = this.now() - started;
      sample?.timed?.(ms);
      if (sample && sample.records > 0) this.observe(sample.key, ms / sample.records);
      return result;
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  /** Per-record latency of a successful call. */
  observe(key: string, perRecordMs: number): void {
    const best = Math.min(this.best.get(key) ?? Infinity, perRecordMs);
    this.best.set(key, best);
    if (perRecordMs > SHRINK_ABOVE * best) {
      this.shrink();
    } else if (perRecordMs <= GROW_WITHIN * best) {
      // Grow only after a full window of good calls at the current level, so one lucky call does not ramp up.
      if (++this.goodSinceChange >= this.limitNow && this.limitNow < this.cap) {
        this.limitNow++;
        this.goodSinceChange = 0;
        this.pump();
      }
    }
  }

  onTransient(): void {
    this.shrink();
  }

  private shrink(): void {
    this.limitNow = Math.max(1, Math.floor(this.limitNow / 2));
    this.goodSinceChange = 0;
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
