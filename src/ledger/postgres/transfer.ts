/**
 * The PostgreSQL ledger's side of `mdlsync ledger export|import` (the format is ../transfer/format.ts, the same as
 * SQLite's, so an export of either backend loads into the other): the records read through cursors in one REPEATABLE
 * READ snapshot, a page at a time; an export loaded in one transaction, a batch of rows per statement.
 */
import { LedgerFileError } from '../errors.js';
import { EXPORT_TABLES, emptyCounts, type DbValue, type ExportCounts, type ExportRecord, type TableSpec } from '../transfer/format.js';
import type { TransferStore } from '../types.js';
import { connectionLost, type LedgerConnection, type Runner, type Tables } from './connection.js';
import { PG_SEEN_AT, PG_SEEN_RUN, seenJoin } from './links.js';
import { currentVersion } from './migrations.js';

/** What the PostgreSQL ledger holds and an export leaves out, and why (the transfer test checks the schema against it). */
export const PG_NOT_EXPORTED = {
  tables: {
    locks: 'who holds the writer locks: rows of processes connected to this server, for as long as they run',
    schema_migrations: "this ledger's migration history: the header's schemaVersion says where the records stand",
    seen_runs: "the seen marks of unchanged rows: folded into links' last_seen and last_run",
    link_seen: "the seen marks of unchanged rows: folded into links' last_seen and last_run",
  },
  columns: {
    links: ['id'],
    retries: ['claimed_by', 'claimed_pid', 'claimed_host'],
  } as Record<string, readonly string[]>,
} as const;

/** Rows per FETCH of a cursor. */
const FETCH = 1000;
/** Records per INSERT of a load (a links row binds 12 values: well under PostgreSQL's 65535). */
const BATCH = 1000;

function selectSql(t: TableSpec, tables: Tables): string {
  if (t.order === 'learnt') {
    const cols = t.columns.map((c) => (c.name === 'last_seen' ? PG_SEEN_AT : c.name === 'last_run' ? PG_SEEN_RUN : `l.${c.name}`));
    return `SELECT ${cols.join(', ')} FROM ${tables.links} l ${seenJoin(tables)} ORDER BY l.id`;
  }
  return `SELECT ${t.columns.map((c) => c.name).join(', ')} FROM ${tables.of(t.name)} ORDER BY ${t.order.join(', ')}`;
}

export class PgTransfer implements TransferStore {
  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
    /** Called once a load committed (the ledger forgets its cached password key). */
    private readonly loaded: () => void = () => undefined,
  ) {}

  schemaVersion(): Promise<number> {
    return currentVersion(this.conn.reads, this.t.schema);
  }

  /** Every record, table by table, in one REPEATABLE READ snapshot; a cursor per table, FETCH rows at a time. */
  async *records(opts: { secrets: boolean }): AsyncGenerator<{ table: TableSpec; values: DbValue[] }> {
    const client = await this.conn.pool.connect();
    let done = false;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      for (const table of EXPORT_TABLES) {
        if (table.secret && !opts.secrets) continue;
        await client.query(`DECLARE mdlsync_export NO SCROLL CURSOR FOR ${selectSql(table, this.t)}`);
        for (;;) {
          const res = await client.query({ text: `FETCH ${FETCH} FROM mdlsync_export`, rowMode: 'array' });
          for (const values of res.rows as DbValue[][]) yield { table, values };
          if (res.rows.length < FETCH) break;
        }
        await client.query('CLOSE mdlsync_export');
      }
      await client.query('COMMIT');
      done = true;
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // Returned early (return() of the iterator) or failed: the snapshot ends here.
      if (!done) await client.query('ROLLBACK').catch(() => undefined);
      client.release(broken);
    }
  }

  async holdsState(): Promise<boolean> {
    return this.holds(this.conn.reads);
  }

  private async holds(r: Runner): Promise<boolean> {
    const probe = EXPORT_TABLES.filter((t) => !t.secret)
      .map((t) => `EXISTS (SELECT 1 FROM ${this.t.of(t.name)})`)
      .join(' OR ');
    const [{ held }] = await r.rows<{ held: boolean }>(`SELECT ${probe} AS held`);
    return held;
  }

  /**
   * Replaces what the exported tables hold with `records`, in one transaction (the writer lock's connection while one
   * is held): any error rolls it all back. A batch the ledger refuses is tried again row by row to name the line.
   */
  async load(records: Iterable<ExportRecord>, opts: { replace: boolean; source: string }): Promise<ExportCounts> {
    const counts = emptyCounts();
    await this.conn.transaction(async (r) => {
      if (!opts.replace && (await this.holds(r))) {
        throw new LedgerFileError(
          'ledger-not-empty',
          `the ledger ${this.conn.where} already holds links or runs: import into a new ledger (--ledger URL or FILE), or pass --replace to replace them; nothing was imported`,
        );
      }
      const names = [this.t.linkSeen, this.t.seenRuns, ...EXPORT_TABLES.map((t) => this.t.of(t.name))];
      // RESTART IDENTITY: links are numbered again in the file's order (the order learnt), retries take the file's ids.
      await r.run(`TRUNCATE ${names.join(', ')} RESTART IDENTITY`);
      let batch: ExportRecord[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await this.insert(r, batch, opts.source);
        for (const rec of batch) counts[rec.table.name]++;
        batch = [];
      };
      for (const rec of records) {
        if (batch.length > 0 && (batch[0].table !== rec.table || batch.length >= BATCH)) await flush();
        batch.push(rec);
      }
      await flush();
      await r.run(`SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false) FROM ${this.t.retries}`, [this.t.retries]);
    });
    this.loaded();
    return counts;
  }

  private async insert(r: Runner, batch: readonly ExportRecord[], source: string): Promise<void> {
    const table = batch[0].table;
    const cols = table.columns.map((c) => c.name).join(', ');
    const sql = (rows: number) => {
      const n = table.columns.length;
      const tuples = Array.from({ length: rows }, (_, i) => `(${table.columns.map((_, j) => `$${i * n + j + 1}`).join(', ')})`);
      return `INSERT INTO ${this.t.of(table.name)} (${cols}) VALUES ${tuples.join(', ')}`;
    };
    await r.run('SAVEPOINT mdlsync_batch');
    try {
      await r.run(sql(batch.length), batch.flatMap((rec) => rec.values));
      await r.run('RELEASE SAVEPOINT mdlsync_batch');
      return;
    } catch {
      await r.run('ROLLBACK TO SAVEPOINT mdlsync_batch');
    }
    // Which line: one row at a time (PostgreSQL's message names the constraint; its detail, with the values, is left out).
    for (const rec of batch) {
      try {
        await r.run('SAVEPOINT mdlsync_row');
        await r.run(sql(1), rec.values);
        await r.run('RELEASE SAVEPOINT mdlsync_row');
      } catch (err) {
        if (connectionLost(err)) throw err;
        throw new LedgerFileError('invalid-ledger-file', `${source}, line ${rec.line}: the ledger refuses the ${table.name} row (${(err as Error).message}); nothing was imported`);
      }
    }
  }
}
