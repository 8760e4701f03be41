/** The PostgreSQL ledger's export_state (migration 8): per export scope, the hash of every row an export last wrote. */
import { exportRowKey } from '../exports.js';
import type { ExportStateStore, ExportedRow } from '../types.js';
import type { LedgerConnection, Tables } from './connection.js';

/** Rows per insert statement. */
const ROWS = 5000;

export class PgExportStateStore implements ExportStateStore {
  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
  ) {}

  async load(scope: string): Promise<Map<string, string>> {
    const rows = await this.conn.reads.rows<ExportedRow>(`SELECT course, person, item, hash FROM ${this.t.exportState} WHERE scope = $1`, [scope]);
    return new Map(rows.map((r) => [exportRowKey(r), r.hash]));
  }

  /** The courses' rows replace what the scope held for them, in one transaction; other courses keep theirs. */
  async replace(scope: string, courses: readonly string[], rows: readonly ExportedRow[], runId: string, at: string): Promise<void> {
    // The last of two rows of one key wins, as SQLite's INSERT OR REPLACE (one statement cannot upsert a row twice).
    const unique = [...new Map(rows.map((r) => [exportRowKey(r), r])).values()];
    await this.conn.transaction(async (q) => {
      if (courses.length > 0) await q.run(`DELETE FROM ${this.t.exportState} WHERE scope = $1 AND course = ANY($2::text[])`, [scope, courses]);
      for (let i = 0; i < unique.length; i += ROWS) {
        const part = unique.slice(i, i + ROWS);
        await q.run(
          `INSERT INTO ${this.t.exportState} (scope, course, person, item, hash, run_id, exported_at)
           SELECT $1, c, p, i, h, $6, $7 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS r(c, p, i, h)
           ON CONFLICT (scope, course, person, item) DO UPDATE SET hash = excluded.hash, run_id = excluded.run_id, exported_at = excluded.exported_at`,
          [scope, part.map((r) => r.course), part.map((r) => r.person), part.map((r) => r.item), part.map((r) => r.hash), runId, at],
        );
      }
    });
  }
}
