/**
 * The PostgreSQL ledger's retries (migration 6). A claim is one UPDATE of the oldest free due row, picked with
 * FOR UPDATE SKIP LOCKED: two processes claiming at once never get the same one. A claim of a process gone from this
 * host is free, like SQLite's: its pids are checked first and passed in.
 */
import type { NewRetry, RetryClaimer, RetryRecord, RetryStore } from '../types.js';
import type { LedgerConnection, Tables } from './connection.js';

/** The columns as RetryRecord names them, of table alias `p` when given. */
const columns = (p = '') =>
  `${p}id, ${p}source, ${p}name, ${p}file, ${p}type, ${p}op, ${p}data_source AS "dataSource", ${p}force, ${p}rows, ${p}attempts,
   ${p}next_at AS "nextAt", ${p}last_error AS "lastError", ${p}created_at AS "createdAt", ${p}updated_at AS "updatedAt"`;
const COLUMNS = columns();

type RetryRow = Omit<RetryRecord, 'force'> & { force: number };

const toRetry = ({ force, ...rest }: RetryRow): RetryRecord => ({ ...rest, force: force === 1 });

export class PgRetryStore implements RetryStore {
  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
    private readonly alive: (pid: number) => boolean,
  ) {}

  async add(r: NewRetry): Promise<RetryRecord> {
    const now = new Date().toISOString();
    const [row] = await this.conn.write((q) =>
      q.rows<RetryRow>(
        `INSERT INTO ${this.t.retries} (source, name, file, type, op, data_source, force, rows, attempts, next_at, last_error, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING ${COLUMNS}`,
        [r.source, r.name, r.file, r.type, r.op, r.dataSource, r.force ? 1 : 0, r.rows, r.attempts, r.nextAt, r.lastError, now],
      ),
    );
    return toRetry(row);
  }

  async get(id: number): Promise<RetryRecord | undefined> {
    const [row] = await this.conn.reads.rows<RetryRow>(`SELECT ${COLUMNS} FROM ${this.t.retries} WHERE id = $1`, [id]);
    return row ? toRetry(row) : undefined;
  }

  async list(source?: string): Promise<RetryRecord[]> {
    const rows =
      source === undefined
        ? await this.conn.reads.rows<RetryRow>(`SELECT ${COLUMNS} FROM ${this.t.retries} ORDER BY id`)
        : await this.conn.reads.rows<RetryRow>(`SELECT ${COLUMNS} FROM ${this.t.retries} WHERE source = $1 ORDER BY id`, [source]);
    return rows.map(toRetry);
  }

  async claimDue(source: string, now: number, who: RetryClaimer): Promise<RetryRecord | undefined> {
    // Claims of other processes of the claimer's host that no longer run are free.
    const claimers = await this.conn.reads.rows<{ pid: number }>(
      `SELECT DISTINCT claimed_pid AS pid FROM ${this.t.retries}
       WHERE source = $1 AND next_at <= $2 AND claimed_host = $3 AND claimed_by <> $4 AND claimed_pid IS NOT NULL`,
      [source, now, who.host, who.id],
    );
    const dead = claimers.map((c) => c.pid).filter((pid) => !this.alive(pid));
    const [row] = await this.conn.write((q) =>
      q.rows<RetryRow>(
        `WITH due AS (
           SELECT id FROM ${this.t.retries}
            WHERE source = $1 AND next_at <= $2
              AND (claimed_by IS NULL OR claimed_by = $3 OR (claimed_host = $5 AND claimed_pid = ANY($6::int[])))
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE ${this.t.retries} r SET claimed_by = $3, claimed_pid = $4, claimed_host = $5 FROM due WHERE r.id = due.id
         RETURNING ${columns('r.')}`,
        [source, now, who.id, who.pid, who.host, dead],
      ),
    );
    return row ? toRetry(row) : undefined;
  }

  async update(id: number, change: { file: string; rows: number | null; attempts: number; nextAt: number; lastError: string }): Promise<boolean> {
    const n = await this.conn.write((q) =>
      q.run(
        `UPDATE ${this.t.retries} SET file = $1, rows = $2, attempts = $3, next_at = $4, last_error = $5, updated_at = $6, claimed_by = NULL,
           claimed_pid = NULL, claimed_host = NULL WHERE id = $7`,
        [change.file, change.rows, change.attempts, change.nextAt, change.lastError, new Date().toISOString(), id],
      ),
    );
    return n === 1;
  }

  async remove(id: number): Promise<RetryRecord | undefined> {
    const [row] = await this.conn.write((q) => q.rows<RetryRow>(`DELETE FROM ${this.t.retries} WHERE id = $1 RETURNING ${COLUMNS}`, [id]));
    return row ? toRetry(row) : undefined;
  }
}
