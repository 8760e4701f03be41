/** The SQL databases mdlsync keeps data in: a SQLite file, or PostgreSQL for a postgres:// URL. */
import { PostgresDatabase } from './postgres.js';
import { SqliteDatabase } from './sqlite.js';
import { isPostgresUrl, type SqlDatabase } from './types.js';

export { SqliteDatabase } from './sqlite.js';
export { PostgresDatabase } from './postgres.js';
export { isPostgresUrl, redactUrl, numberPlaceholders } from './types.js';
export type { SqlDatabase, SqlValue, SqlBackend } from './types.js';
export { migrate, type SqlMigration } from './migrate.js';

/** Opens the database a target names: a postgres:// URL or a SQLite file path. */
export function openDatabase(target: string): SqlDatabase {
  return isPostgresUrl(target) ? PostgresDatabase.open(target) : SqliteDatabase.open(target);
}
