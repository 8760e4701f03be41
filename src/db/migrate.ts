/**
 * Versioned migrations on either backend: a `schema_migrations` table (version, name, applied_at) says what has
 * run; each pending migration runs in its own transaction with its row. A database newer than the code is refused.
 */
import { MdlsyncError, type ErrorCode } from '../errors.js';
import type { SqlDatabase } from './types.js';

export interface SqlMigration {
  version: number;
  name: string;
  /** Statements separated by semicolons, in the SQL both backends share. */
  sql: string;
}

/** Brings the database to the last migration; answers the versions it applied. */
export async function migrate(
  db: SqlDatabase,
  migrations: readonly SqlMigration[],
  opts: { what: string; tooNew: ErrorCode },
): Promise<number[]> {
  await db.script('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const newest = Math.max(0, ...done);
  if (newest > latest) {
    throw new MdlsyncError(opts.tooNew, `the ${opts.what} at ${db.where} has schema version ${newest}, newer than this mdlsync knows (${latest}): upgrade mdlsync`);
  }
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    await db.transaction(async (tx) => {
      for (const statement of m.sql.split(';').map((s) => s.trim()).filter(Boolean)) await tx.exec(statement);
      await tx.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
    });
    applied.push(m.version);
  }
  return applied;
}
