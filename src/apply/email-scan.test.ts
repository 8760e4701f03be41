/** The email-scan detector: a pure function over (records, ms, rows before) samples, tested both ways. */
import { describe, expect, test } from '@jest/globals';
import { detectEmailScan, emailScanHint, EmailScanProbe, type CreateSample } from './email-scan.js';

/**
 * A first store of `calls` batches of `size` users into a site of `rows0` users, each user costing `base` ms plus
 * `perThousand` ms for every 1,000 rows of the table (the scan), with a deterministic ±`jitter` wobble per call.
 */
function run(opts: { calls: number; rows0: number; base: number; perThousand: number; size?: number; jitter?: number }): CreateSample[] {
  const size = opts.size ?? 50;
  const jitter = opts.jitter ?? 0;
  return Array.from({ length: opts.calls }, (_, i) => {
    const rowsBefore = opts.rows0 + i * size;
    const perUser = opts.base + (opts.perThousand * (rowsBefore + size / 2)) / 1000;
    // A fixed wobble pattern (no random numbers): -1, 0, +1, +2, -2 … times the jitter.
    const wobble = 1 + jitter * [-1, 0, 1, 2, -2][i % 5];
    return { records: size, ms: perUser * size * wobble, rowsBefore };
  });
}

/** The site: 10.3 ms per user with the index; the scan adds 23.3 ms at 43k rows (0.54 ms per 1,000). */
const SITE = { base: 10.3, perThousand: 23.3 / 43 };

describe('detectEmailScan', () => {
  test("the issue's 20k store (site growing 23k → 43k users): high and growing with the table → found", () => {
    const f = detectEmailScan(run({ calls: 400, rows0: 23000, ...SITE, jitter: 0.05 }));
    expect(f).not.toBeNull();
    expect(f!.endMsPerUser).toBeGreaterThan(30);
    expect(f!.endMsPerUser / f!.startMsPerUser).toBeCloseTo((10.3 + 23.3) / (10.3 + (23.3 * 23225) / 43000), 1);
    expect(f!.startRows).toBe(23000 + 4 * 50);
    expect(f!.endRows).toBe(43000);
  });

  test('the same store with the lower(email) index (a flat cost) → nothing', () => {
    expect(detectEmailScan(run({ calls: 400, rows0: 23000, base: 10.3, perThousand: 0, jitter: 0.05 }))).toBeNull();
    // Flat but high (a slow site): the level alone is not the scan.
    expect(detectEmailScan(run({ calls: 400, rows0: 23000, base: 40, perThousand: 0, jitter: 0.05 }))).toBeNull();
  });

  test('a high cost drifting up by a tenth over the store (× 1.1, under × 1.2) → nothing', () => {
    expect(detectEmailScan(run({ calls: 400, rows0: 23000, base: 20, perThousand: 0.113, jitter: 0.05 }))).toBeNull();
  });

  test('a 1,000-person store on a 2k-user site: growing, but far below the level worth a note → nothing', () => {
    expect(detectEmailScan(run({ calls: 20, rows0: 2000, ...SITE }))).toBeNull();
  });

  test('too few create calls to fit → nothing, however steep', () => {
    const steep = run({ calls: 4 + 11, rows0: 0, base: 5, perThousand: 1000 });
    expect(detectEmailScan(steep)).toBeNull();
    expect(detectEmailScan(run({ calls: 4 + 12, rows0: 0, base: 5, perThousand: 1000 }))).not.toBeNull();
    expect(detectEmailScan([])).toBeNull();
  });

  test('a cost growing much faster than the table is not a scan (a site getting busy) → nothing', () => {
    // The table grows 5 % (40,000 → 42,000) while the cost triples.
    const busy = Array.from({ length: 40 }, (_, i) => ({ records: 50, ms: 50 * (15 + i), rowsBefore: 40000 + i * 50 }));
    expect(detectEmailScan(busy)).toBeNull();
  });

  test('warm-up calls, short calls and slow outliers do not make or break the finding', () => {
    const flat = run({ calls: 60, rows0: 23000, base: 20, perThousand: 0 });
    // The limiter's ramp: the first calls quick; a bisected 1-user call and a few queued calls slow.
    flat[0].ms /= 3;
    flat[1].ms /= 3;
    const extra: CreateSample[] = [{ records: 1, ms: 500, rowsBefore: 26000 }];
    for (const i of [50, 53, 57]) flat[i].ms *= 3;
    expect(detectEmailScan([...flat, ...extra])).toBeNull();

    const scan = run({ calls: 400, rows0: 23000, ...SITE });
    for (const i of [5, 9, 12, 390]) scan[i].ms *= 3;
    for (const i of [380, 395]) scan[i].ms /= 2;
    expect(detectEmailScan(scan)).not.toBeNull();
  });

  test('the order samples arrive in does not matter (concurrent calls answer out of order)', () => {
    const samples = run({ calls: 100, rows0: 23000, ...SITE });
    const shuffled = samples.map((s, i) => samples[(i * 37) % samples.length]);
    expect(detectEmailScan(shuffled)).toEqual(detectEmailScan(samples));
  });
});

describe('EmailScanProbe', () => {
  test('samples only answered create calls, with the rows before the call from the first new id', () => {
    const probe = new EmailScanProbe();
    probe.observe({ wsfunction: 'core_user_create_users', records: 2, ms: 80, reply: [{ id: 1001, username: 'a' }, { id: 1002, username: 'b' }] });
    probe.observe({ wsfunction: 'core_user_update_users', records: 2, ms: 80, reply: null });
    probe.observe({ wsfunction: 'core_user_create_users', records: 0, ms: 5, reply: [] });
    expect(probe.samples).toEqual([{ records: 2, ms: 80, rowsBefore: 1000 }]);
  });

  test("the note says what was measured, why, and the admin's SQL", () => {
    const h = emailScanHint({ startMsPerUser: 22.8, endMsPerUser: 33.6, startRows: 23000, endRows: 43000, calls: 396 });
    expect(h.code).toBe('email-scan');
    expect(h.message).toContain('34 ms per created user');
    expect(h.message).toContain('23,000 to 43,000');
    expect(h.message).toContain('LOWER(email) = LOWER(:email)');
    expect(h.hint).toContain('CREATE INDEX CONCURRENTLY mdl_user_lower_email_ix ON mdl_user (lower(email));');
    expect(h.hint).toContain('((LOWER(email) COLLATE utf8mb4_bin))');
    expect(h.hint).toContain('allowaccountssameemail');
  });
});
