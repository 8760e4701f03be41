/**
 * The SQLite ledger's side of `mdlsync ledger export|import` (the format is transfer/format.ts): its records read with
 * .iterate() in one snapshot, so a ledger of a million links is never held in memory, and an export loaded in one
 * IMMEDIATE transaction, so a bad line leaves the ledger as it was.
 */
import type Database from 'better-sqlite3';
import { LedgerFileError } from '../errors.js';
import { SEEN_AT, SEEN_JOIN, SEEN_RUN } from '../seen.js';
import type { TransferStore } from '../types.js';
import { EXPORT_TABLES, emptyCounts, type DbValue, type ExportCounts, type ExportRecord, type TableSpec } from './format.js';

/** What the SQLite ledger holds and an export leaves out, and why (test/ledger-transfer checks the schema against it). */
export const SQLITE_NOT_EXPORTED = {
  tables: {
    locks: 'the writer lock: held by a process on this machine, for as long as it runs',
    schema_migrations: "this ledger's migration history: the header's schemaVersion says where the records stand",
    seen_runs: "the seen marks of unchanged rows: folded into links' last_seen and last_run",
    link_seen: "the seen marks of unchanged rows: folded into links' last_seen and last_run",
    sqlite_sequence: "SQLite's AUTOINCREMENT counter: retries get the ids the file gives",
  },
  columns: {
    retries: ['claimed_by', 'claimed_pid', 'claimed_host'],
  } as Record<string, readonly string[]>,
} as const;

/** The SELECT list of a table, in its column order; links read last_seen and last_run through their seen marks. */
function selectSql(t: TableSpec): string {
  if (t.order === 'learnt') {
    const cols = t.columns.map((c) => (c.name === 'last_seen' ? SEEN_AT : c.name === 'last_run' ? SEEN_RUN : `${t.name}.${c.name}`));
    return `SELECT ${cols.join(', ')} FROM ${t.name} ${SEEN_JOIN} ORDER BY ${t.name}.rowid`;
  }
  return `SELECT ${t.columns.map((c) => c.name).join(', ')} FROM ${t.name} ORDER BY ${t.order.join(', ')}`;
}

export class SqliteTransfer implements TransferStore {
  constructor(
    private readonly db: Database.Database,
    /** Called once a load committed (the ledger forgets what it cached of the tables replaced: its password key). */
    private readonly loaded: () => void = () => undefined,
  ) {}

  async schemaVersion(): Promise<number> {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /**
   * Every record, table by table, as one snapshot (a read transaction: runs may write meanwhile, the export sees the
   * ledger as it was when it began). Consume it to the end or return() it: the transaction ends with the iterator.
   */
  async *records(opts: { secrets: boolean }): AsyncGenerator<{ table: TableSpec; values: DbValue[] }> {
    this.db.exec('BEGIN');
    try {
      for (const table of EXPORT_TABLES) {
        if (table.secret && !opts.secrets) continue;
        for (const values of this.db.prepare(selectSql(table)).raw(true).iterate() as IterableIterator<DbValue[]>) yield { table, values };
      }
    } finally {
      this.db.exec('COMMIT');
    }
  }

  /** Whether any table of an export holds a row (a secret alone does not count: no hash was made with it). */
  async holdsState(): Promise<boolean> {
    return this.holds();
  }

  private holds(): boolean {
    return EXPORT_TABLES.some((t) => !t.secret && this.db.prepare(`SELECT 1 FROM ${t.name} LIMIT 1`).get() !== undefined);
  }

  /**
   * Replaces what the exported tables hold with `records`, in one IMMEDIATE transaction: any error (a bad line the
   * iterable throws on, a row the ledger refuses) rolls it all back. Refuses a ledger that holds state unless `replace`.
   * `source`: the file's name, for the messages.
   */
  async load(records: Iterable<ExportRecord>, opts: { replace: boolean; source: string }): Promise<ExportCounts> {
    const counts = emptyCounts();
    const tx = this.db.transaction(() => {
      if (!opts.replace && this.holds()) {
        throw new LedgerFileError('ledger-not-empty', `the ledger ${this.db.name} already holds links or runs: import into a new ledger (--ledger FILE), or pass --replace to replace them; nothing was imported`);
      }
      // Marks first: links' delete trigger then has none to look up.
      this.db.exec('DELETE FROM link_seen; DELETE FROM seen_runs');
      for (const t of EXPORT_TABLES) this.db.exec(`DELETE FROM ${t.name}`);
      this.db.exec(`DELETE FROM sqlite_sequence WHERE name = 'retries'`);
      const inserts = new Map(
        EXPORT_TABLES.map((t) => [t, this.db.prepare(`INSERT INTO ${t.name} (${t.columns.map((c) => c.name).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`)]),
      );
      for (const r of records) {
        try {
          inserts.get(r.table)!.run(r.values);
        } catch (err) {
          // SQLite's message names the constraint and columns, never the values.
          throw new LedgerFileError('invalid-ledger-file', `${opts.source}, line ${r.line}: the ledger refuses the ${r.table.name} row (${(err as Error).message}); nothing was imported`);
        }
        counts[r.table.name]++;
      }
    });
    tx.immediate();
    this.loaded();
    return counts;
  }
}
