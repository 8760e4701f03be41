/**
 * The ledger's export_state table (migration 8): per export scope, the hash of every row `mdlsync export
 * grades|completions` last wrote, keyed by course, person and item, so `--changes` writes only what changed since.
 */
import type Database from 'better-sqlite3';
import type { ExportStateStore, ExportedRow } from './types.js';

export type { ExportedRow } from './types.js';

export class ExportStateTable implements ExportStateStore {
  constructor(private readonly db: Database.Database) {}

  /** The scope's rows as last exported: `course\tperson\titem` → hash. */
  async load(scope: string): Promise<Map<string, string>> {
    const rows = this.db.prepare('SELECT course, person, item, hash FROM export_state WHERE scope = ?').all(scope) as ExportedRow[];
    return new Map(rows.map((r) => [exportRowKey(r), r.hash]));
  }

  /**
   * What an export wrote for these courses replaces what the scope held for them, in one transaction; courses not
   * named (a course that failed this time) keep their rows.
   */
  async replace(scope: string, courses: readonly string[], rows: readonly ExportedRow[], runId: string, at: string): Promise<void> {
    const drop = this.db.prepare('DELETE FROM export_state WHERE scope = ? AND course = ?');
    const put = this.db.prepare(`INSERT OR REPLACE INTO export_state (scope, course, person, item, hash, run_id, exported_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const c of courses) drop.run(scope, c);
      for (const r of rows) put.run(scope, r.course, r.person, r.item, r.hash, runId, at);
    })();
  }
}

export function exportRowKey(r: { course: string; person: string; item: string }): string {
  return `${r.course}\t${r.person}\t${r.item}`;
}
