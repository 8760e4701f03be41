/** The PostgreSQL ledger's pictures (migration 9): which image went to which Moodle user, by the image's SHA-256. */
import type { PictureMatch, PictureRecord, PictureStore } from '../types.js';
import type { LedgerConnection, Tables } from './connection.js';

const COLUMNS = `match_by AS match, name, moodle_id AS "moodleId", sha256, bytes, revision, last_run AS "lastRun", updated_at AS "updatedAt"`;

export class PgPictureStore implements PictureStore {
  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
  ) {}

  async get(match: PictureMatch, names: readonly string[]): Promise<Map<string, PictureRecord>> {
    const out = new Map<string, PictureRecord>();
    if (names.length === 0) return out;
    const rows = await this.conn.reads.rows<PictureRecord>(`SELECT ${COLUMNS} FROM ${this.t.pictures} WHERE match_by = $1 AND name = ANY($2::text[])`, [match, names]);
    for (const r of rows) out.set(r.name, r);
    return out;
  }

  async put(p: Omit<PictureRecord, 'updatedAt'>): Promise<void> {
    await this.conn.write((q) =>
      q.run(
        `INSERT INTO ${this.t.pictures} (match_by, name, moodle_id, sha256, bytes, revision, last_run, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (match_by, name) DO UPDATE SET moodle_id = excluded.moodle_id, sha256 = excluded.sha256,
           bytes = excluded.bytes, revision = excluded.revision, last_run = excluded.last_run, updated_at = excluded.updated_at`,
        [p.match, p.name, p.moodleId, p.sha256, p.bytes, p.revision, p.lastRun, new Date().toISOString()],
      ),
    );
  }

  async lastFor(moodleId: number): Promise<PictureRecord | undefined> {
    const [row] = await this.conn.reads.rows<PictureRecord>(`SELECT ${COLUMNS} FROM ${this.t.pictures} WHERE moodle_id = $1 ORDER BY updated_at DESC LIMIT 1`, [moodleId]);
    return row;
  }
}
