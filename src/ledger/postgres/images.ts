/** The PostgreSQL ledger's before-images (migration 10), as SQLite's (images.ts); writeLinks records them (links.ts). */
import type { BeforeImage, BeforeImageStore } from '../types.js';
import { runIdBefore, toImage, type ImageRow } from '../rows.js';
import type { LedgerConnection, Tables } from './connection.js';

export class PgImageStore implements BeforeImageStore {
  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
  ) {}

  async forRun(runId: string): Promise<BeforeImage[]> {
    const rows = await this.conn.reads.rows<ImageRow>(
      `SELECT run_id, entity, key, before_state, after_state FROM ${this.t.of('before_images')} WHERE run_id = $1 ORDER BY entity, key`,
      [runId],
    );
    return rows.map(toImage);
  }

  async fields(entity: string, keys: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (keys.length === 0) return out;
    const rows = await this.conn.reads.rows<{ key: string; fields: string | null }>(`SELECT key, fields FROM ${this.t.links} WHERE entity = $1 AND key = ANY($2::text[])`, [entity, keys]);
    for (const r of rows) out.set(r.key, r.fields);
    return out;
  }

  async purge(before: Date): Promise<number> {
    return this.conn.write((r) => r.run(`DELETE FROM ${this.t.of('before_images')} WHERE run_id < $1`, [runIdBefore(before)]));
  }
}
