/** The ledger in a SQLite file (better-sqlite3): links external key ↔ Moodle id, and runs. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LedgerLink, LedgerStore, LinkStatus, LinkWrite, RunRecord } from './types.js';
import { migrate } from './migrations.js';

export const DEFAULT_LEDGER_PATH = '.mdlsync/ledger.db';

/** Keys per IN (…) list: well under SQLite's 32766 bound-parameter limit, and large enough to amortise calls. */
const IN_CHUNK = 500;

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

interface LinkRow {
  entity: string;
  key: string;
  moodle_id: number;
  data_source: string | null;
  hash: string | null;
  status: LinkStatus;
  first_seen: string;
  last_seen: string;
  last_run: string | null;
  disabled_at: string | null;
}

interface RunRow {
  id: string;
  file: string;
  sha256: string;
  type: string;
  op: string;
  data_source: string | null;
  started_at: string;
  finished_at: string | null;
  status: string;
  summary: string | null;
}

const LINK_COLUMNS = 'entity, key, moodle_id, data_source, hash, status, first_seen, last_seen, last_run, disabled_at';

function toLink(r: LinkRow): LedgerLink {
  return {
    entity: r.entity,
    key: r.key,
    moodleId: r.moodle_id,
    dataSource: r.data_source,
    hash: r.hash,
    status: r.status,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    lastRun: r.last_run,
    disabledAt: r.disabled_at,
  };
}

function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    file: r.file,
    sha256: r.sha256,
    type: r.type,
    op: r.op,
    dataSource: r.data_source,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    summary: r.summary,
  };
}

/** "?, ?, …" for an IN list of IN_CHUNK keys. */
const IN_LIST = new Array<string>(IN_CHUNK).fill('?').join(', ');

/**
 * Fills a chunk to exactly IN_CHUNK values by repeating its last key, so one prepared statement serves every
 * chunk size (duplicates in IN (…) change neither a SELECT's rows nor an UPDATE's effect).
 */
function padChunk(keys: readonly string[], start: number): string[] {
  const end = Math.min(start + IN_CHUNK, keys.length);
  const chunk = keys.slice(start, end);
  const last = chunk[chunk.length - 1];
  while (chunk.length < IN_CHUNK) chunk.push(last);
  return chunk;
}

export class SqliteLedger implements LedgerStore {
  private readonly stmts = new Map<string, Database.Statement>();

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating folders and file when missing) and migrates the ledger. ':memory:' gives a throwaway one. */
  static open(path: string): SqliteLedger {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // WAL + NORMAL stays consistent after a crash and only risks the last commits on power loss; the
      // apply step re-sends unconfirmed rows anyway, so the speed is worth it.
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteLedger(path, db);
  }

  /** Prepared statements are compiled once per ledger and reused. */
  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  getLinks(entity: string, keys: readonly string[]): Map<string, LedgerLink> {
    const out = new Map<string, LedgerLink>();
    if (keys.length === 0) return out;
    const s = this.stmt(`SELECT ${LINK_COLUMNS} FROM links WHERE entity = ? AND key IN (${IN_LIST})`);
    for (let i = 0; i < keys.length; i += IN_CHUNK) {
      for (const r of s.all(entity, ...padChunk(keys, i)) as LinkRow[]) out.set(r.key, toLink(r));
    }
    return out;
  }

  /**
   * Streams with .iterate(): while the iterator is open the connection can still read but not write, so
   * consume it (e.g. in the planner's finish) before applying.
   */
  *activeLinks(entity: string, dataSource: string | null): IterableIterator<LedgerLink> {
    const rows =
      dataSource === null
        ? this.stmt(`SELECT ${LINK_COLUMNS} FROM links WHERE entity = ? AND status = 'active'`).iterate(entity)
        : this.stmt(`SELECT ${LINK_COLUMNS} FROM links WHERE entity = ? AND data_source = ? AND status = 'active'`).iterate(
            entity,
            dataSource,
          );
    for (const r of rows as IterableIterator<LinkRow>) yield toLink(r);
  }

  countLinks(entity: string, dataSource: string | null, status: LinkStatus = 'active'): number {
    const row =
      dataSource === null
        ? this.stmt('SELECT count(*) AS n FROM links WHERE entity = ? AND status = ?').get(entity, status)
        : this.stmt('SELECT count(*) AS n FROM links WHERE entity = ? AND data_source = ? AND status = ?').get(
            entity,
            dataSource,
            status,
          );
    return (row as { n: number }).n;
  }

  writeLinks(links: readonly LinkWrite[]): void {
    if (links.length === 0) return;
    // disabled_at: set on the first disable and kept on later disables (the retention period counts from
    // when the person was first disabled); cleared when the link becomes active again.
    const s = this.stmt(`
      INSERT INTO links (${LINK_COLUMNS})
      VALUES (@entity, @key, @moodleId, @dataSource, @hash, @status, @now, @now, @runId,
              CASE WHEN @status = 'disabled' THEN @now END)
      ON CONFLICT (entity, key) DO UPDATE SET
        moodle_id   = excluded.moodle_id,
        data_source = excluded.data_source,
        hash        = excluded.hash,
        status      = excluded.status,
        last_seen   = excluded.last_seen,
        last_run    = excluded.last_run,
        disabled_at = CASE WHEN excluded.status = 'disabled' THEN coalesce(links.disabled_at, excluded.disabled_at) END`);
    const now = new Date().toISOString();
    const tx = this.db.transaction((rows: readonly LinkWrite[]) => {
      for (const l of rows) {
        s.run({
          entity: l.entity,
          key: l.key,
          moodleId: l.moodleId,
          dataSource: l.dataSource,
          hash: l.hash,
          status: l.status,
          runId: l.runId,
          now,
        });
      }
    });
    tx(links);
  }

  markSeen(entity: string, keys: readonly string[], runId: string): void {
    if (keys.length === 0) return;
    const s = this.stmt(`UPDATE links SET last_seen = ?, last_run = ? WHERE entity = ? AND key IN (${IN_LIST})`);
    const now = new Date().toISOString();
    const tx = this.db.transaction(() => {
      for (let i = 0; i < keys.length; i += IN_CHUNK) s.run(now, runId, entity, ...padChunk(keys, i));
    });
    tx();
  }

  dropLink(entity: string, key: string): void {
    this.stmt('DELETE FROM links WHERE entity = ? AND key = ?').run(entity, key);
  }

  /** The active link wins when a Moodle id is linked more than once (an old disabled key and a re-keyed one). */
  findByMoodleId(entity: string, moodleId: number): LedgerLink | undefined {
    const r = this.stmt(
      `SELECT ${LINK_COLUMNS} FROM links WHERE entity = ? AND moodle_id = ?
       ORDER BY status = 'active' DESC, last_seen DESC LIMIT 1`,
    ).get(entity, moodleId) as LinkRow | undefined;
    return r ? toLink(r) : undefined;
  }

  /** dataSource null or absent = every data source; ordered by entity and key so pages are stable. */
  listLinks(filter: {
    entity?: string;
    dataSource?: string | null;
    status?: LinkStatus;
    limit: number;
    offset: number;
  }): LedgerLink[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.entity !== undefined) {
      where.push('entity = ?');
      params.push(filter.entity);
    }
    if (filter.dataSource !== undefined && filter.dataSource !== null) {
      where.push('data_source = ?');
      params.push(filter.dataSource);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    const sql =
      `SELECT ${LINK_COLUMNS} FROM links` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY entity, key LIMIT ? OFFSET ?';
    params.push(Math.max(0, Math.floor(filter.limit)), Math.max(0, Math.floor(filter.offset)));
    return (this.stmt(sql).all(...params) as LinkRow[]).map(toLink);
  }

  startRun(run: Omit<RunRecord, 'finishedAt' | 'status' | 'summary'>): void {
    this.stmt(
      `INSERT INTO runs (id, file, sha256, type, op, data_source, started_at, finished_at, status, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'running', NULL)`,
    ).run(run.id, run.file, run.sha256, run.type, run.op, run.dataSource, run.startedAt);
  }

  /** summary: a string is stored as given, anything else as JSON (null/undefined: none). */
  finishRun(id: string, status: string, summary: unknown): void {
    const text = summary === undefined || summary === null ? null : typeof summary === 'string' ? summary : JSON.stringify(summary);
    const res = this.stmt('UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?').run(
      new Date().toISOString(),
      status,
      text,
      id,
    );
    if (res.changes === 0) throw new Error(`No run ${id} in the ledger ${this.path}: it was never started.`);
  }

  getRun(id: string): RunRecord | undefined {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return r ? toRun(r) : undefined;
  }

  /** Newest first. */
  listRuns(limit: number): RunRecord[] {
    return (this.stmt('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?').all(Math.max(0, Math.floor(limit))) as RunRow[]).map(
      toRun,
    );
  }

  /** PRAGMA user_version: the latest migration applied (for `doctor`). */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.stmts.clear();
    if (this.db.open) this.db.close();
  }
}
