/**
 * The ledger's retries table (migration 6): rows of a watched or scheduled file that Moodle could not take because it
 * was down or failing transiently, kept in a retry file until they land or a person discards them.
 */
import type Database from 'better-sqlite3';

export interface RetryRecord {
  id: number;
  /** Who retries it: `watch:DIR` or `job:NAME`. */
  source: string;
  /** The dropped file's name, for people. */
  name: string;
  /** The retry file (the input's header and the rows still to send), mode 0600. */
  file: string;
  type: string | null;
  op: string;
  dataSource: string | null;
  force: boolean;
  /** Rows in the retry file; null when it is the whole input (Moodle was down before it was read). */
  rows: number | null;
  /** Tries that failed so far, the first run included. */
  attempts: number;
  /** Epoch ms of the next try. */
  nextAt: number;
  lastError: string;
  createdAt: string;
  updatedAt: string;
}

export type NewRetry = Omit<RetryRecord, 'id' | 'createdAt' | 'updatedAt'>;

interface RetryRow {
  id: number;
  source: string;
  name: string;
  file: string;
  type: string | null;
  op: string;
  data_source: string | null;
  force: number;
  rows: number | null;
  attempts: number;
  next_at: number;
  last_error: string;
  created_at: string;
  updated_at: string;
  claimed_by: string | null;
  claimed_pid: number | null;
  claimed_host: string | null;
}

function toRetry(r: RetryRow): RetryRecord {
  return {
    id: r.id,
    source: r.source,
    name: r.name,
    file: r.file,
    type: r.type,
    op: r.op,
    dataSource: r.data_source,
    force: r.force === 1,
    rows: r.rows,
    attempts: r.attempts,
    nextAt: r.next_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface RetryClaimer {
  id: string;
  pid: number;
  host: string;
}

export class RetryTable {
  constructor(
    private readonly db: Database.Database,
    /** Whether a claim's process still runs (the ledger's processAlive; injected to keep this module leaf). */
    private readonly alive: (pid: number) => boolean,
  ) {}

  add(r: NewRetry): RetryRecord {
    const now = new Date().toISOString();
    const row = this.db
      .prepare(
        `INSERT INTO retries (source, name, file, type, op, data_source, force, rows, attempts, next_at, last_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(r.source, r.name, r.file, r.type, r.op, r.dataSource, r.force ? 1 : 0, r.rows, r.attempts, r.nextAt, r.lastError, now, now) as RetryRow;
    return toRetry(row);
  }

  get(id: number): RetryRecord | undefined {
    const r = this.db.prepare('SELECT * FROM retries WHERE id = ?').get(id) as RetryRow | undefined;
    return r ? toRetry(r) : undefined;
  }

  /** Every retry (of one source when given), oldest first: the order they are tried in. */
  list(source?: string): RetryRecord[] {
    const rows = (source === undefined
      ? this.db.prepare('SELECT * FROM retries ORDER BY id').all()
      : this.db.prepare('SELECT * FROM retries WHERE source = ? ORDER BY id').all(source)) as RetryRow[];
    return rows.map(toRetry);
  }

  /**
   * Claims the oldest retry of `source` that is due and not being tried by a live process (a claim of a process gone
   * from this host is taken over). Inside an IMMEDIATE transaction: two watchers never try the same one.
   */
  claimDue(source: string, now: number, who: RetryClaimer): RetryRecord | undefined {
    const take = this.db.transaction((): RetryRecord | undefined => {
      const rows = this.db.prepare('SELECT * FROM retries WHERE source = ? AND next_at <= ? ORDER BY id').all(source, now) as RetryRow[];
      for (const r of rows) {
        const free = r.claimed_by === null || r.claimed_by === who.id || (r.claimed_host === who.host && r.claimed_pid !== null && !this.alive(r.claimed_pid));
        if (!free) continue;
        this.db.prepare('UPDATE retries SET claimed_by = ?, claimed_pid = ?, claimed_host = ? WHERE id = ?').run(who.id, who.pid, who.host, r.id);
        return toRetry(r);
      }
      return undefined;
    });
    return take.immediate();
  }

  /** After a try that left rows: the new file and counts; the claim is released. False when it was discarded meanwhile. */
  update(id: number, change: { file: string; rows: number | null; attempts: number; nextAt: number; lastError: string }): boolean {
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
  remove(id: number): RetryRecord | undefined {
    const r = this.db.prepare('DELETE FROM retries WHERE id = ? RETURNING *').get(id) as RetryRow | undefined;
    return r ? toRetry(r) : undefined;
  }
}
