/** SqlDatabase on a SQLite file (better-sqlite3): synchronous underneath, one connection, WAL. */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDatabase, SqlValue } from './types.js';

export class SqliteDatabase implements SqlDatabase {
  readonly backend = 'sqlite' as const;
  private depth = 0;

  private constructor(
    private readonly db: Database.Database,
    readonly where: string,
  ) {}

  /** Opens (creating it mode 0600, its folder when missing) a database file; ':memory:' for tests. */
  static open(path: string): SqliteDatabase {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      // Created 0600 before SQLite opens it: a mirror holds names and emails.
      // SQLite gives its -wal and -shm files the database file's mode; ones an older run left wider are tightened.
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    }
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    return new SqliteDatabase(db, path);
  }

  query<T = Record<string, SqlValue>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return Promise.resolve(this.db.prepare(sql).all(...params) as T[]);
  }

  exec(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return Promise.resolve({ changes: this.db.prepare(sql).run(...params).changes });
  }

  script(sql: string): Promise<void> {
    this.db.exec(sql);
    return Promise.resolve();
  }

  /** One connection: a nested call joins the open transaction (SQLite has one writer anyway). */
  async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    if (this.depth > 0) return fn(this);
    this.db.exec('BEGIN IMMEDIATE');
    this.depth++;
    try {
      const result = await fn(this);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.depth--;
    }
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
