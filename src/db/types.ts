/**
 * One small asynchronous SQL interface with a SQLite and a PostgreSQL implementation, so code that keeps data in a
 * database (the mirror now, the ledger later) is written once. Statements use `?` placeholders; each backend turns
 * them into its own. Write SQL both dialects share: INTEGER/BIGINT/TEXT/DOUBLE PRECISION columns, booleans as 0/1,
 * `INSERT … ON CONFLICT (…) DO UPDATE SET col = excluded.col`.
 */

export type SqlValue = string | number | null;

export type SqlBackend = 'sqlite' | 'postgres';

export interface SqlDatabase {
  readonly backend: SqlBackend;
  /** Where the data lives, for messages (a PostgreSQL URL without its password). */
  readonly where: string;
  /** Rows of a SELECT (BIGINT columns come back as numbers on both backends). */
  query<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** A statement without rows; answers how many rows it changed. */
  exec(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Several statements separated by semicolons, no parameters (schema scripts). */
  script(sql: string): Promise<void>;
  /** Runs fn in one transaction on one connection: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A PostgreSQL address (postgres:// or postgresql://); anything else is a SQLite file path. */
export const isPostgresUrl = (target: string): boolean => /^postgres(ql)?:\/\//i.test(target);

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const u = new URL(target);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** `?` → `$1, $2 …`, leaving quoted strings and identifiers alone. */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
