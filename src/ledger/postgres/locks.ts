/**
 * The PostgreSQL ledger's writer locks: session-level advisory locks per (schema, entity), held on one dedicated
 * connection for as long as the lock is held, so a lost connection releases them server-side, and every write of the
 * ledger goes through that connection meanwhile (connection.ts): a run that lost its lock fails its next write.
 *
 * An entity scope takes the schema's key '*' shared and each entity's key exclusively; 'all' takes '*' exclusively.
 * So writers of different entities run side by side, and 'all' waits for every one of them (and they for it), without
 * a list of every entity there is. Keys are taken in one order (sorted) with pg_try_advisory_lock, never waiting;
 * when one is busy, those taken are given back and the holder is named.
 *
 * The locks table names who holds what (owner, pid, host, run, since when) and the holder's backend pid; a row whose
 * backend no longer holds the advisory lock (pg_locks) is stale.
 */
import { hostname } from 'node:os';
import type { LockHolder, LockOwner, LockScope } from '../types.js';
import { Runner, type LedgerConnection, type Tables } from './connection.js';

/** The schema-wide key: shared by entity writers, exclusive for 'all'. Its locks row is the 'all' holder's. */
const ALL = '*';
/** A heartbeat that gets no answer for this long means the connection is gone. */
const HEARTBEAT_TIMEOUT_MS = 30_000;
/** Server-side keepalives on the lock's connection: a holder whose host vanished loses the lock within about a minute. */
const KEEPALIVES = 'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3';

interface Key {
  name: string;
  shared: boolean;
}

function keysOf(scope: LockScope): Key[] {
  if (scope === 'all') return [{ name: ALL, shared: false }];
  return [{ name: ALL, shared: true }, ...[...new Set(scope)].sort().map((name) => ({ name, shared: false }))];
}

const keyId = (k: Key) => `${k.shared ? 's' : 'x'}:${k.name}`;

/** SQL: whether locks row `l` belongs to a connection that still holds its advisory lock ($1: the schema). */
export const LIVE_LOCK = `EXISTS (SELECT 1 FROM pg_locks p
  WHERE p.locktype = 'advisory' AND p.granted AND p.pid = l.backend_pid AND p.objsubid = 2
    AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND p.classid = hashtext($1)::oid AND p.objid = hashtext(l.name)::oid)`;

interface LockRow {
  pid: number;
  host: string;
  run_id: string | null;
  acquired_at: string;
  heartbeat_at: number;
}

const toHolder = (r: LockRow): LockHolder => ({
  pid: r.pid,
  host: r.host,
  runId: r.run_id,
  acquiredAt: r.acquired_at,
  heartbeatAt: new Date(r.heartbeat_at).toISOString(),
});

export class PgLocks {
  private owner: LockOwner | null = null;
  private readonly taken = new Set<string>();

  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
  ) {}

  /** Takes the scope's keys (those this owner lacks); the holder when one is busy, or another owner of this ledger holds it. */
  async acquire(owner: LockOwner, scope: LockScope): Promise<LockHolder | null> {
    if (this.owner && this.owner.id !== owner.id) {
      const o = this.owner;
      return { pid: o.pid, host: o.host, runId: o.runId ?? null, acquiredAt: new Date().toISOString(), heartbeatAt: new Date().toISOString() };
    }
    const held = this.conn.held;
    if (this.owner && held && this.conn.lostReason === null) {
      const wanted = keysOf(scope).filter((k) => !this.taken.has(keyId(k)));
      if (wanted.length === 0) return null;
      return this.conn.onLockConnection(async (r) => {
        const busy = await this.take(r, wanted);
        if (busy) return busy;
        await this.writeRows(r, owner, wanted);
        return null;
      });
    }
    if (this.owner) await this.release(this.owner);
    const client = await this.conn.connect();
    const r = new Runner(client);
    try {
      await r.run(KEEPALIVES);
      const keys = keysOf(scope);
      const busy = await this.take(r, keys);
      if (busy) {
        await client.end().catch(() => undefined);
        return busy;
      }
      await this.writeRows(r, owner, keys);
    } catch (err) {
      await client.end().catch(() => undefined);
      this.taken.clear();
      throw err;
    }
    this.owner = owner;
    this.conn.attach({ client, runner: r, owner: owner.id });
    return null;
  }

  /** Tries each key in order; on a busy one gives back what this call took and answers who holds it. */
  private async take(r: Runner, keys: readonly Key[]): Promise<LockHolder | null> {
    const now: Key[] = [];
    for (const k of keys) {
      const [{ ok }] = await r.rows<{ ok: boolean }>(`SELECT pg_try_advisory_lock${k.shared ? '_shared' : ''}(hashtext($1), hashtext($2)) AS ok`, [this.t.schema, k.name]);
      if (!ok) {
        for (const got of now.reverse()) {
          await r.run(`SELECT pg_advisory_unlock${got.shared ? '_shared' : ''}(hashtext($1), hashtext($2))`, [this.t.schema, got.name]);
          this.taken.delete(keyId(got));
        }
        return this.holder(r, k);
      }
      now.push(k);
      this.taken.add(keyId(k));
    }
    return null;
  }

  /** One row per exclusive key: who holds it, to name them to whoever is refused. */
  private async writeRows(r: Runner, owner: LockOwner, keys: readonly Key[]): Promise<void> {
    const names = keys.filter((k) => !k.shared).map((k) => k.name);
    if (names.length === 0) return;
    await r.run(
      `INSERT INTO ${this.t.locks} (name, owner, pid, host, run_id, acquired_at, heartbeat_at, backend_pid)
       SELECT n, $2, $3, $4, $5, $6, $7, pg_backend_pid() FROM unnest($1::text[]) AS n
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host, run_id = excluded.run_id,
         acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, backend_pid = excluded.backend_pid`,
      [names, owner.id, owner.pid, owner.host, owner.runId ?? null, new Date().toISOString(), Date.now()],
    );
  }

  /** Who holds a busy key: its live row (for '*' taken exclusively, any live row: an entity writer or 'all'). */
  private async holder(r: Runner, busy: Key): Promise<LockHolder> {
    const names = busy.name === ALL && !busy.shared ? null : [busy.name];
    const [row] = await r.rows<LockRow>(
      `SELECT l.pid, l.host, l.run_id, l.acquired_at, l.heartbeat_at FROM ${this.t.locks} l
       WHERE ($2::text[] IS NULL OR l.name = ANY($2::text[])) AND ${LIVE_LOCK} ORDER BY l.acquired_at LIMIT 1`,
      [this.t.schema, names],
    );
    if (row) return toHolder(row);
    // Taken a moment ago, its row not written yet.
    const now = new Date().toISOString();
    return { pid: 0, host: 'unknown (the lock was just taken)', runId: null, acquiredAt: now, heartbeatAt: now };
  }

  /** A cheap round trip on the lock's connection (and the rows' heartbeat); false when it is gone or was lost. */
  async heartbeat(owner: LockOwner): Promise<boolean> {
    if (!this.owner || this.owner.id !== owner.id || !this.conn.held || this.conn.lostReason !== null) return false;
    try {
      await this.conn.onLockConnection(
        (r) => r.run(`UPDATE ${this.t.locks} SET heartbeat_at = $1 WHERE owner = $2 AND backend_pid = pg_backend_pid()`, [Date.now(), owner.id]),
        HEARTBEAT_TIMEOUT_MS,
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Gives the keys back and closes their connection; writes go through the pool again. */
  async release(owner: LockOwner): Promise<void> {
    if (!this.owner || this.owner.id !== owner.id) return;
    await this.conn.drain();
    const lock = this.conn.detach();
    this.owner = null;
    this.taken.clear();
    if (!lock) return;
    try {
      await lock.runner.run(`DELETE FROM ${this.t.locks} WHERE owner = $1 AND backend_pid = pg_backend_pid()`, [owner.id]);
      await lock.runner.run('SELECT pg_advisory_unlock_all()');
    } catch {
      // A lost connection: the server released the locks with it.
    } finally {
      await lock.client.end().catch(() => undefined);
    }
  }
}

/**
 * A run still `running` that no live lock names (its process died, its connection is gone; or, on this host, its
 * process no longer runs) becomes `interrupted`, as SQLite's markInterruptedRuns.
 */
export async function markInterruptedRuns(r: Runner, t: Tables, alive: (pid: number) => boolean): Promise<void> {
  const rows = await r.rows<{ id: string; pid: number | null; host: string | null; live: boolean | null }>(
    `SELECT r.id, l.pid, l.host, ${LIVE_LOCK} AS live FROM ${t.runs} r LEFT JOIN ${t.locks} l ON l.run_id = r.id WHERE r.status = 'running'`,
    [t.schema],
  );
  if (rows.length === 0) return;
  const here = hostname();
  const running = new Set<string>();
  for (const row of rows) {
    if (row.pid !== null && row.live && !(row.host === here && !alive(row.pid))) running.add(row.id);
  }
  const gone = [...new Set(rows.map((x) => x.id))].filter((id) => !running.has(id));
  if (gone.length > 0) await r.run(`UPDATE ${t.runs} SET status = 'interrupted' WHERE id = ANY($1::text[]) AND status = 'running'`, [gone]);
}
