/**
 * The ledger's pictures table (migration 9): which image went to which Moodle user, by the image's SHA-256, so that
 * `mdlsync pictures` skips an unchanged picture without a call. Keyed by the file's name and how names were
 * matched (person key, username or idnumber), since that is what the next run knows before any Moodle call.
 */
import type Database from 'better-sqlite3';
import type { PictureMatch, PictureRecord, PictureStore } from './types.js';

export type { PictureMatch, PictureRecord } from './types.js';

const COLUMNS = `match_by AS match, name, moodle_id AS moodleId, sha256, bytes, revision, last_run AS lastRun,
  updated_at AS updatedAt`;

export class PictureTable implements PictureStore {
  constructor(private readonly db: Database.Database) {}

  /** The pictures sent so far for these names, by name. */
  async get(match: PictureMatch, names: readonly string[]): Promise<Map<string, PictureRecord>> {
    const out = new Map<string, PictureRecord>();
    const stmt = this.db.prepare(`SELECT ${COLUMNS} FROM pictures WHERE match_by = ? AND name = ?`);
    for (const name of names) {
      const row = stmt.get(match, name) as PictureRecord | undefined;
      if (row) out.set(name, row);
    }
    return out;
  }

  /** The picture Moodle confirmed for this name (replaces the one before). */
  async put(p: Omit<PictureRecord, 'updatedAt'>): Promise<void> {
    this.db
      .prepare(`INSERT INTO pictures (match_by, name, moodle_id, sha256, bytes, revision, last_run, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (match_by, name) DO UPDATE SET moodle_id = excluded.moodle_id, sha256 = excluded.sha256,
          bytes = excluded.bytes, revision = excluded.revision, last_run = excluded.last_run, updated_at = excluded.updated_at`)
      .run(p.match, p.name, p.moodleId, p.sha256, p.bytes, p.revision, p.lastRun, new Date().toISOString());
  }

  /** The last picture mdlsync gave this Moodle user (any name), for reading back a reply that never came. */
  async lastFor(moodleId: number): Promise<PictureRecord | undefined> {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM pictures WHERE moodle_id = ? ORDER BY updated_at DESC LIMIT 1`)
      .get(moodleId) as PictureRecord | undefined;
  }
}
