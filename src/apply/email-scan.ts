/**
 * What Moodle spends per created user, measured during a run, and whether it looks like the table scan of
 * core_user_create_users's duplicate-email check: `LOWER(email) = LOWER(:email)` for each new user, which no index of
 * mdl_user serves, so each new user costs more the larger the user table is (issue 15: 33.6 ms per user on a
 * 43k-user site, 10.3 ms with an index on lower(email)). The detector is a pure function over the create calls'
 * samples; EmailScanProbe only collects them from the engine's timed calls.
 */
import type { TimedCall } from './engine.js';
import { SITE_HINTS, type SiteHint } from '../moodle/site-hints.js';

/** One successful core_user_create_users call. */
export interface CreateSample {
  /** Users the call created. */
  records: number;
  /** How long the call took, sent to answered (ms). */
  ms: number;
  /** Rows of the user table before the call: Moodle's ids come from a sequence, so the first new id − 1. */
  rowsBefore: number;
}

export interface EmailScanFinding {
  /** Fitted ms per created user where the measured calls start and end. */
  startMsPerUser: number;
  endMsPerUser: number;
  /** Rows of the user table (estimated from the new ids) where the measured calls start and end. */
  startRows: number;
  endRows: number;
  /** Create calls the fit used. */
  calls: number;
}

/*
 * Thresholds, and why:
 * - WARMUP_CALLS: the first calls run while the adaptive limiter ramps up from 2 calls in flight (default cap 4), so
 *   their latency is not the steady one; they are left out.
 * - MIN_CALLS: a fit over fewer full-size calls is noise (a 1,000-person store is 20 calls of 50, 16 after warm-up).
 * - The fit is Theil–Sen (the median of the slopes between every two calls): a few calls slowed by a queue, a
 *   retry or a busy moment on the site do not move it, as they would move a least-squares line.
 * - HIGH_MS_PER_USER = 15: an indexed site spent 10.3 ms per user (password hashing, events, the insert); 15 is
 *   clearly above that, and below the 23–34 ms of the unindexed 23k–43k-user site.
 * - GROWTH = 1.2: that site's cost went from 22.8 to 33.6 ms per user (× 1.47) while it grew from 23k to 43k users,
 *   but measured from here each call also carries its bootstrap and any wait for a worker, which dilute the growth:
 *   the bench's model of that store (npm run bench, BENCH_EMAIL_SCAN) fits × 1.33. A flat cost fits at × 1.0 within
 *   a few percent, so 1.2 separates the two with room for noise either side.
 * - A scan's cost grows at most as fast as the table (a + b·rows with a ≥ 0): a cost growing much faster than the
 *   table (TABLE_SLACK) is something else (a site getting busy), and the hint would send the admin the wrong way.
 */
const WARMUP_CALLS = 4;
const MIN_CALLS = 12;
const HIGH_MS_PER_USER = 15;
const GROWTH = 1.2;
const TABLE_SLACK = 1.25;
/** Theil–Sen looks at every pair: a long run's calls are thinned to this many, evenly spread. */
const MAX_FIT_CALLS = 400;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * (items.length - 1)) / (max - 1))]);
}

/** The line through the points that the most pairs agree on: slope and intercept (Theil–Sen). */
function theilSen(points: { x: number; y: number }[]): { slope: number; intercept: number } {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j].x - points[i].x;
      if (dx !== 0) slopes.push((points[j].y - points[i].y) / dx);
    }
  }
  const slope = slopes.length ? median(slopes) : 0;
  return { slope, intercept: median(points.map((p) => p.y - slope * p.x)) };
}

/**
 * The per-user cost of the run's create calls, when it is high and growing with the user table as a scan's does;
 * null otherwise (too few calls, a low cost, a flat one, or one growing faster than the table).
 */
export function detectEmailScan(samples: readonly CreateSample[]): EmailScanFinding | null {
  const ordered = [...samples].filter((s) => s.records > 0 && s.ms >= 0).sort((a, b) => a.rowsBefore - b.rowsBefore);
  if (ordered.length === 0) return null;
  // Full-size calls only: a 1-user call (a bisected batch, the last short one) costs more per user.
  const full = Math.max(...ordered.map((s) => s.records));
  const steady = ordered.filter((s) => s.records * 2 >= full).slice(WARMUP_CALLS);
  if (steady.length < MIN_CALLS) return null;
  const points = thin(steady, MAX_FIT_CALLS).map((s) => ({ x: s.rowsBefore, y: s.ms / s.records }));
  const { slope, intercept } = theilSen(points);
  const startRows = steady[0].rowsBefore;
  const endRows = steady[steady.length - 1].rowsBefore + steady[steady.length - 1].records;
  const start = intercept + slope * startRows;
  const end = intercept + slope * endRows;
  if (end < HIGH_MS_PER_USER || start <= 0 || end / start < GROWTH) return null;
  if (startRows > 0 && end / start > TABLE_SLACK * (endRows / startRows)) return null;
  return { startMsPerUser: start, endMsPerUser: end, startRows, endRows, calls: steady.length };
}

/** Collects the samples of a run's successful core_user_create_users calls (the engine's onCall). */
export class EmailScanProbe {
  readonly samples: CreateSample[] = [];

  readonly observe = (call: TimedCall): void => {
    if (call.wsfunction !== 'core_user_create_users' || !Array.isArray(call.reply)) return;
    const ids = (call.reply as { id?: unknown }[]).map((u) => u?.id).filter((id): id is number => typeof id === 'number' && id > 0);
    if (ids.length === 0) return;
    this.samples.push({ records: ids.length, ms: call.ms, rowsBefore: Math.min(...ids) - 1 });
  };

  finding(): EmailScanFinding | null {
    return detectEmailScan(this.samples);
  }
}

const ms = (n: number) => `${Math.round(n)} ms`;
const count = (n: number) => n.toLocaleString('en');

/** The run's site note for a finding: what was measured, why, and what the admin can do (SITE_HINTS). */
export function emailScanHint(f: EmailScanFinding): SiteHint {
  return {
    code: 'email-scan',
    message:
      `Moodle spent ${ms(f.endMsPerUser)} per created user by the end of this run, up from ${ms(f.startMsPerUser)}, ` +
      `as its user table grew from about ${count(f.startRows)} to ${count(f.endRows)} rows (${f.calls} create calls measured): ` +
      'core_user_create_users checks each new email case-insensitively (LOWER(email) = LOWER(:email)), which no index of the user table serves, ' +
      'so every new user reads the whole table, and the larger the site, the slower each new user.',
    hint: SITE_HINTS['email-scan'].hint,
  };
}
