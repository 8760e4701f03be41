/**
 * The ledger's retries table (migration 6): rows of a watched or scheduled file that Moodle could not take because it
 * was down or failing transiently, kept in a retry file until they land or a person discards them.
 */
import type Database from 'better-sqlite3';
import type { NewRetry, RetryClaimer, RetryRecord, RetryStore } from './types.js';

export type { NewRetry, RetryClaimer, RetryRecord } from './types.js';

/** The columns as RetryRecord names them (plus the claim), so a row needs only its flag turned into a boolean. */
const COLUMNS = `id, source, name, file, type, op, data_source AS dataSource, force, rows, attempts, next_at AS nextAt,
  last_error AS lastError, created_at AS createdAt, updated_at AS updatedAt, claimed_by AS claimedBy,
  claimed_pid AS claimedPid, claimed_host AS claimedHost`;

type RetryRow = Omit<RetryRecord, 'force'> & { force: number; claimedBy: string | null; claimedPid: number | null; claimedHost: string | null };

function toRetry({ force, claimedBy: _by, claimedPid: _pid, claimedHost: _host, ...rest }: RetryRow): RetryRecord {
  return { ...rest, force: force === 1 };
}

/** The SQLite ledger's retries (synchronous underneath; IMMEDIATE transactions serialise claims across processes). */
export class RetryTable implements RetryStore {
  constructor(
    private readonly db: Database.Database,
    /** Whether a claim's process still runs (the ledger's processAlive; injected to keep this module leaf). */
    private readonly alive: (pid: number) => boolean,
  ) {}

  async add(r: NewRetry): Promise<RetryRecord> {
    const now = new Date().toISOString();
    const row = this.db
      .prepare(
        `INSERT INTO retries (source, name, file, type, op, data_source, force, rows, attempts, next_at, last_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(r.source, r.name, r.file, r.type, r.op, r.dataSource, r.force ? 1 : 0, r.rows, r.attempts, r.nextAt, r.lastError, now, now) as RetryRow;
    return toRetry(row);
  }

  async get(id: number): Promise<RetryRecord | undefined> {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM retries WHERE id = ?`).get(id) as RetryRow | undefined;
    return r ? toRetry(r) : undefined;
  }

  /** Every retry (of one source when given), oldest first: the order they are tried in. */
  async list(source?: string): Promise<RetryRecord[]> {
    const rows = (source === undefined
      ? this.db.prepare(`SELECT ${COLUMNS} FROM retries ORDER BY id`).all()
      : this.db.prepare(`SELECT ${COLUMNS} FROM retries WHERE source = ? ORDER BY id`).all(source)) as RetryRow[];
    return rows.map(toRetry);
  }

  /**
   * Claims the oldest retry of `source` that is due and not being tried by a live process (a claim of a process gone
   * from this host is taken over). Inside an IMMEDIATE transaction: two watchers never try the same one.
   */
  async claimDue(source: string, now: number, who: RetryClaimer): Promise<RetryRecord | undefined> {
    const take = this.db.transaction((): RetryRecord | undefined => {
      const rows = this.db.prepare(`SELECT ${COLUMNS} FROM retries WHERE source = ? AND next_at <= ? ORDER BY id`).all(source, now) as RetryRow[];
      for (const r of rows) {
        const free = r.claimedBy === null || r.claimedBy === who.id || (r.claimedHost === who.host && r.claimedPid !== null && !this.alive(r.claimedPid));
        if (!free) continue;
        this.db.prepare('UPDATE retries SET claimed_by = ?, claimed_pid = ?, claimed_host = ? WHERE id = ?').run(who.id, who.pid, who.host, r.id);
        return toRetry(r);
      }
      return undefined;
    });
    return take.immediate();
  }

  /** After a try that left rows: the new file and counts; the claim is released. False when it was discarded meanwhile. */
  async update(id: number, change: { file: string; rows: number | null; attempts: number; nextAt: number; lastError: string }): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE retries SET file = ?, rows = ?, attempts = ?, next_at = ?, last_error = ?, updated_at = ?, claimed_by = NULL,
             claimed_pid = NULL, claimed_host = NULL WHERE id = ?`,
        )
        .run(change.file, change.rows, change.attempts, change.nextAt, change.lastError, new Date().toISOString(), id).changes === 1
    );
  }

  /** Removes it (landed, or discarded by a person); returns what it was. */
  async remove(id: number): Promise<RetryRecord | undefined> {
    const r = this.db.prepare(`DELETE FROM retries WHERE id = ? RETURNING ${COLUMNS}`).get(id) as RetryRow | undefined;
    return r ? toRetry(r) : undefined;
  }
}
