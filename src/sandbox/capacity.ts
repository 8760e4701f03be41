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

/**
 * What Moodle's duplicate-email check costs per created user (core_user_create_users, Moodle 4.5): unless
 * $CFG->allowaccountssameemail is on, user/externallib.php create_users() asks, for each new user,
 *   $DB->record_exists_select('user', $DB->sql_equal('email', ':email', false) . ' AND mnethostid = :mnethostid', …)
 * and sql_equal(…, false) is `LOWER(email) = LOWER(:email)` (lib/dml/moodle_database.php; on MySQL/MariaDB
 * `LOWER(email) COLLATE utf8mb4_bin = LOWER(:email)`, lib/dml/mysqli_native_moodle_database.php). No index of
 * mdl_user serves LOWER(email), so each new user reads the whole table: the cost grows with the table. Measured on a
 * 43k-user PostgreSQL site (issue 15): 33.6 ms per created user, 10.3 ms with an index on lower(email).
 */
export interface EmailScanModel {
  /** Cost per created user for every 1,000 rows of mdl_user (0, the default: no scan is simulated). */
  msPer1000Users: number;
  /** The index on lower(email) exists: the check is an index probe, which costs next to nothing (no scan cost). */
  index: boolean;
  /** Rows the table holds besides the sandbox's own (a site that already has that many users, deleted ones too). */
  extraRows: number;
}

/**
 * The scan cost of creating `created` users into a table of `rowsBefore` rows: each new user's check reads the rows
 * there are at that moment (the earlier users of the same call included: they are inserted one after the other).
 */
export function emailScanCostMs(model: EmailScanModel, rowsBefore: number, created: number): number {
  if (model.index || model.msPer1000Users <= 0 || created <= 0) return 0;
  const rows = model.extraRows + rowsBefore;
  // Σ over i < created of (rows + i): the table grows by one with each user of the call.
  return (model.msPer1000Users * (created * rows + (created * (created - 1)) / 2)) / 1000;
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
