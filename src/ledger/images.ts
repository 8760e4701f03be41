/**
 * The SQLite ledger's before-images (migration 10): what each run changed, as it was before. writeLinks records them
 * (sqlite.ts, in its own transaction); `mdlsync undo RUNID` reads them; retention forgets them after undoKeepDays.
 */
import type Database from 'better-sqlite3';
import type { BeforeImage, BeforeImageStore } from './types.js';
import { runIdBefore, toImage, type ImageRow } from './rows.js';

export class ImageTable implements BeforeImageStore {
  constructor(private readonly db: Database.Database) {}

  async forRun(runId: string): Promise<BeforeImage[]> {
    const rows = this.db
      .prepare('SELECT run_id, entity, key, before_state, after_state FROM before_images WHERE run_id = ? ORDER BY entity, key')
      .all(runId) as ImageRow[];
    return rows.map(toImage);
  }

  async fields(entity: string, keys: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    const stmt = this.db.prepare('SELECT fields FROM links WHERE entity = ? AND key = ?').pluck();
    for (const key of keys) {
      const f = stmt.get(entity, key) as string | null | undefined;
      if (f !== undefined) out.set(key, f);
    }
    return out;
  }

  async purge(before: Date): Promise<number> {
    return this.db.prepare('DELETE FROM before_images WHERE run_id < ?').run(runIdBefore(before)).changes;
  }
}
