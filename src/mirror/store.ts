/**
 * The mirror database: opened (SQLite file or PostgreSQL URL), migrated, tied to one Moodle site, locked by one pass
 * at a time, with its bookkeeping (passes, each course's content revision and when its content and memberships were
 * last read).
 */
import { hostname } from 'node:os';
import { migrate, openDatabase, redactUrl, type SqlDatabase } from '../db/index.js';
import { MdlsyncError } from '../errors.js';
import { MIRROR_MIGRATIONS } from './schema.js';

export interface CourseState {
  course_id: number;
  cacherev: number | null;
  /** Unix seconds (Moodle's clock, less a margin) when the content was last read: the next updates_since's since. */
  content_read_at: number | null;
  members_read_at: number | null;
}

export class MirrorStore {
  private constructor(readonly db: SqlDatabase) {}

  /** Opens and migrates; a server that cannot be reached or a file that cannot be opened is a mirror-database error. */
  static async open(target: string): Promise<MirrorStore> {
    let db: SqlDatabase;
    try {
      db = openDatabase(target);
      await db.query('SELECT 1 AS ok');
    } catch (err) {
      throw new MdlsyncError('mirror-database', `the mirror database ${redactUrl(target)} cannot be opened: ${(err as Error).message}`);
    }
    try {
      await migrate(db, MIRROR_MIGRATIONS, { what: 'mirror database', tooNew: 'mirror-too-new' });
    } catch (err) {
      await db.close();
      throw err;
    }
    return new MirrorStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** Ties the mirror to the site on first use; a mirror of another site is refused (its ids would mix). */
  async claimSite(siteurl: string): Promise<void> {
    const rows = await this.db.query<{ value: string }>("SELECT value FROM mirror_meta WHERE name = 'site'");
    if (rows.length === 0) {
      await this.db.exec("INSERT INTO mirror_meta (name, value) VALUES ('site', ?)", [siteurl]);
      return;
    }
    if (rows[0].value !== siteurl) {
      throw new MdlsyncError('mirror-other-site', `the mirror database ${this.db.where} holds ${rows[0].value}, not ${siteurl}: give each site its own mirror database`);
    }
  }

  /**
   * One pass at a time per mirror database: a row in mirror_lock, taken over when its holder's heartbeat is older
   * than staleSeconds (its process died). Waits up to waitSeconds. Answers the release function.
   */
  async lock(passId: string, waitSeconds: number, staleSeconds: number): Promise<() => Promise<void>> {
    const owner = `${hostname()}:${process.pid}:${passId}`;
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const now = Math.floor(Date.now() / 1000);
      const took = await this.db.transaction(async (tx) => {
        const held = await tx.query<{ owner: string; heartbeat_at: number }>("SELECT owner, heartbeat_at FROM mirror_lock WHERE name = 'pass'");
        if (held.length > 0 && held[0].owner !== owner && now - Number(held[0].heartbeat_at) < staleSeconds) return held[0].owner;
        await tx.exec(
          "INSERT INTO mirror_lock (name, owner, heartbeat_at) VALUES ('pass', ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, heartbeat_at = excluded.heartbeat_at",
          [owner, now],
        );
        return null;
      });
      if (took === null) break;
      if (Date.now() >= deadline) {
        throw new MdlsyncError('mirror-locked', `another mirror pass (${took}) is writing ${this.db.where}: wait for it to finish, or pass --wait SECONDS`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const beat = setInterval(() => {
      this.db.exec("UPDATE mirror_lock SET heartbeat_at = ? WHERE name = 'pass' AND owner = ?", [Math.floor(Date.now() / 1000), owner]).catch(() => undefined);
    }, Math.max(1000, (staleSeconds * 1000) / 3));
    beat.unref();
    return async () => {
      clearInterval(beat);
      await this.db.exec("DELETE FROM mirror_lock WHERE name = 'pass' AND owner = ?", [owner]);
    };
  }

  async courseStates(): Promise<Map<number, CourseState>> {
    const rows = await this.db.query<CourseState>('SELECT course_id, cacherev, content_read_at, members_read_at FROM mirror_course_state');
    return new Map(rows.map((r) => [Number(r.course_id), r]));
  }

  async setContentRead(db: SqlDatabase, courseIds: readonly number[], cacherev: (id: number) => number | null, at: number): Promise<void> {
    for (const id of courseIds) {
      await db.exec(
        `INSERT INTO mirror_course_state (course_id, cacherev, content_read_at) VALUES (?, ?, ?)
         ON CONFLICT (course_id) DO UPDATE SET cacherev = excluded.cacherev, content_read_at = excluded.content_read_at`,
        [id, cacherev(id), at],
      );
    }
  }

  async setMembersRead(db: SqlDatabase, courseIds: readonly number[], at: number): Promise<void> {
    for (const id of courseIds) {
      await db.exec(
        `INSERT INTO mirror_course_state (course_id, members_read_at) VALUES (?, ?)
         ON CONFLICT (course_id) DO UPDATE SET members_read_at = excluded.members_read_at`,
        [id, at],
      );
    }
  }

  async forgetCourses(db: SqlDatabase, courseIds: readonly number[]): Promise<void> {
    for (const id of courseIds) await db.exec('DELETE FROM mirror_course_state WHERE course_id = ?', [id]);
  }

  /** Whether any pass finished before: the first pass loads the mirror, and its changes are not notified. */
  async hasFinishedPass(): Promise<boolean> {
    return (await this.db.query("SELECT id FROM mirror_passes WHERE status = 'ok' LIMIT 1")).length > 0;
  }

  async startPass(id: string, startedAt: string, full: boolean): Promise<void> {
    await this.db.exec("INSERT INTO mirror_passes (id, started_at, status, full_pass) VALUES (?, ?, 'running', ?)", [id, startedAt, full ? 1 : 0]);
  }

  async finishPass(id: string, status: string, calls: number, changes: unknown): Promise<void> {
    await this.db.exec('UPDATE mirror_passes SET finished_at = ?, status = ?, calls = ?, changes = ? WHERE id = ?', [
      new Date().toISOString(),
      status,
      calls,
      JSON.stringify(changes),
      id,
    ]);
  }
}
