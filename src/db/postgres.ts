/** SqlDatabase on PostgreSQL (pg): a pool of connections; a transaction holds one of them until it ends. */
import pg from 'pg';
import { numberPlaceholders, redactUrl, type SqlDatabase, type SqlValue } from './types.js';

/** BIGINT (int8) and NUMERIC as JS numbers, like SQLite: Moodle ids and unix times fit in a double. Shared by the ledger's pool. */
export const PG_TYPES = {
  getTypeParser: (oid: number, format?: string) => {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

class PgSession implements SqlDatabase {
  readonly backend = 'postgres' as const;
  constructor(
    protected readonly q: Queryable,
    readonly where: string,
  ) {}

  async query<T = Record<string, SqlValue>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.q.query(numberPlaceholders(sql), [...params])).rows as T[];
  }

  async exec(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: (await this.q.query(numberPlaceholders(sql), [...params])).rowCount ?? 0 };
  }

  async script(sql: string): Promise<void> {
    await this.q.query(sql);
  }

  /** Already inside one: joins it. */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    return fn(this);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class PostgresDatabase extends PgSession {
  private constructor(private readonly pool: pg.Pool, where: string) {
    super(pool, where);
  }

  static open(url: string, opts: { max?: number } = {}): PostgresDatabase {
    const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 4, types: PG_TYPES, idleTimeoutMillis: 10_000 });
    // An idle connection the server drops must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return new PostgresDatabase(pool, redactUrl(url));
  }

  override async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgSession(client, this.where));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  override close(): Promise<void> {
    return this.pool.end();
  }
}
