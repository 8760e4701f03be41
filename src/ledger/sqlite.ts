/** The ledger in a SQLite file (better-sqlite3): links external key ↔ Moodle id, and runs. */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LedgerLink, LedgerStore, LinkStatus, LinkWrite, LockHolder, LockOwner, LockScope, PlanLink, RunRecord } from './types.js';
import { migrate } from './migrations.js';
import { LINK_COLUMNS, LINK_UPSERT_CONFLICT, PLAN_LINK_COLUMNS, imageAfter, imageOfLink, toLink, toPlanLink, toRun, type LinkRow, type PlanLinkRow, type RunRow } from './rows.js';
import { ImageTable } from './images.js';
import { LedgerError } from './errors.js';
import { PictureTable } from './pictures.js';
import { RetryTable } from './retries.js';
import { ExportStateTable } from './exports.js';
import { SEEN_AT, SEEN_JOIN, SEEN_RUN } from './seen.js';
import { SqliteTransfer } from './transfer/sqlite.js';
import { processAlive } from './process.js';

export { processAlive } from './process.js';

export const DEFAULT_LEDGER_PATH = '.mdlsync/ledger.db';

/** Keys per IN (…) list: well under SQLite's 32766 bound-parameter limit, and large enough to amortise calls. */
const IN_CHUNK = 500;

/**
 * SQLite's page cache (KiB) until the first link is written. The planner's page scan reads each page once and
 * markSeen goes through the links in rowid ranges, so a large cache only keeps what is not read again: on the
 * unchanged re-run of 500k enrolments (a 219 MB ledger) 64 MiB filled and cost ~55 MB of peak RSS over 16 MiB. A
 * small cache is also faster on that single pass: it reuses its slots where a large one touches fresh memory for
 * every page (100k links read cold: 170–260 ms with 16 MiB, 100–190 ms with 1–4 MiB).
 */
const READ_CACHE_KIB = 2 * 1024;
/**
 * The page cache once links are written: a 100k-link ledger with its indexes fits, so bulk upserts do not thrash
 * (a 100k-person store measured 16.4–16.7 s with it, 18.9–20.0 s with 16 MiB).
 */
const WRITE_CACHE_KIB = 64 * 1024;

/** markSeen tests a chunk's rowid range instead of seeking each key when the range holds at most this many rows. */
const RANGE_ROWS = 4 * IN_CHUNK;

/** The ledger and its -wal/-shm files: only the account running mdlsync reads them (they link people to accounts). */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Name of the per-ledger secret that keys the HMAC of passwords in content hashes (ledger_secrets). */
const PASSWORD_KEY = 'password-hmac';

/**
 * Creates the ledger's folder 0700 and its file 0600 before SQLite opens it (SQLite gives the -wal and -shm files
 * the database file's mode), and tightens what an older mdlsync left group- or world-readable. A folder is tightened
 * only when it is mdlsync's own (made now, or its state folder `.mdlsync`): a ledger put in a folder the admin chose
 * (a home, /srv/…, /tmp) must not change who can read that folder's other files.
 */
function privateLedgerFiles(path: string): void {
  const dir = dirname(path);
  const made = mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if (made !== undefined || basename(dir) === '.mdlsync') tighten(dir, DIR_MODE);
  closeSync(openSync(path, 'a', FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) tighten(file, FILE_MODE);
}

/** Drops group/other bits; a folder we do not own (EPERM) is left as it is rather than failing the run. */
function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

/** What reads select, in LINK_COLUMNS order, from links with SEEN_JOIN (last_seen, last_run: with the seen marks). */
const READ_COLUMNS = `links.entity, links.key, links.moodle_id, links.data_source, links.hash, links.status, links.first_seen,
  ${SEEN_AT}, ${SEEN_RUN}, links.disabled_at, links.data, links.state`;

export const WRITER_LOCK = 'writer';

/**
 * A run still `running` whose process is gone (killed, power loss) becomes `interrupted`. A run runs under the writer
 * lock naming it: no such lock, or one whose holder on this host is dead, means nobody is running it any more.
 */
function markInterruptedRuns(db: Database.Database): void {
  const running = db.prepare(`SELECT id FROM runs WHERE status = 'running'`).pluck().all() as string[];
  if (running.length === 0) return;
  const holder = db.prepare('SELECT pid, host FROM locks WHERE run_id = ?');
  const mark = db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ? AND status = 'running'`);
  const here = hostname();
  for (const id of running) {
    const lock = holder.get(id) as { pid: number; host: string } | undefined;
    if (!lock || (lock.host === here && !processAlive(lock.pid))) mark.run(id);
  }
}

interface LockRow {
  name: string;
  owner: string;
  pid: number;
  host: string;
  run_id: string | null;
  acquired_at: string;
  heartbeat_at: number;
}

function toHolder(r: LockRow): LockHolder {
  return { pid: r.pid, host: r.host, runId: r.run_id, acquiredAt: r.acquired_at, heartbeatAt: new Date(r.heartbeat_at).toISOString() };
}


/** Links per multi-row upsert statement (WRITE_ROWS × UPSERT_PARAMS bound values). */
const WRITE_ROWS = 50;
const UPSERT_PARAMS = 13;
const UPSERT_HEAD = `INSERT INTO links (${LINK_COLUMNS}, fields) VALUES `;
const UPSERT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * A write's before-image: the link as it is now (none: the run makes it), unless the run already wrote the link (its
 * first before stays); the write as `after` (the run's last write wins). Run before the link's upsert.
 */
function imageSql(rows: number): string {
  return `INSERT INTO before_images (run_id, entity, key, moodle_id, before_state, after_state)
  SELECT w.column1, w.column2, w.column3, w.column4, (SELECT ${imageOfLink('json_object')} FROM links l WHERE l.entity = w.column2 AND l.key = w.column3), w.column5
    FROM (VALUES ${new Array<string>(rows).fill('(?, ?, ?, ?, ?)').join(', ')}) AS w WHERE true
  ON CONFLICT (run_id, entity, key) DO UPDATE SET moodle_id = excluded.moodle_id, after_state = excluded.after_state`;
}
const IMAGE_PARAMS = 5;
const UPSERT_TAIL = `\n  ${LINK_UPSERT_CONFLICT}`;

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
  readonly backend = 'sqlite' as const;
  private readonly stmts = new Map<string, Database.Statement>();
  private key: Buffer | null = null;
  private exportTable?: ExportStateTable;
  private retryTable?: RetryTable;
  private pictureTable?: PictureTable;
  private imageTable?: ImageTable;
  /** Set by a heartbeat that found the writer lock taken over: the apply engine then sends nothing more. */
  private lost: string | null = null;
  /** The page cache has grown to WRITE_CACHE_KIB (the first writeLinks). */
  private writing = false;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating folders and file when missing) and migrates the ledger. ':memory:' gives a throwaway one. */
  static open(path: string): SqliteLedger {
    if (path !== ':memory:' && path !== '') privateLedgerFiles(path);
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // WAL + NORMAL stays consistent after a crash and only risks the last commits on power loss; the
      // apply step re-sends unconfirmed rows anyway, so the speed is worth it.
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma(`cache_size = -${READ_CACHE_KIB}`);
      migrate(db);
      markInterruptedRuns(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteLedger(path, db);
  }

  /**
   * The per-ledger random secret (32 bytes) that keys the HMAC of passwords in content hashes: a copy of the hashes
   * alone cannot confirm a guessed password. Made on first use; INSERT OR IGNORE keeps the first of two racing makers.
   */
  async passwordKey(): Promise<Buffer> {
    if (this.key) return this.key;
    const read = this.stmt('SELECT value FROM ledger_secrets WHERE name = ?').pluck();
    let value = read.get(PASSWORD_KEY) as Buffer | undefined;
    if (!value) {
      this.stmt('INSERT OR IGNORE INTO ledger_secrets (name, value) VALUES (?, ?)').run(PASSWORD_KEY, randomBytes(32));
      value = read.get(PASSWORD_KEY) as Buffer;
    }
    this.key = value;
    return value;
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

  /** A cached SELECT over links returning raw arrays in LINK_COLUMNS order. */
  private linkQuery(where: string): Database.Statement {
    const sql = `SELECT ${READ_COLUMNS} FROM links ${SEEN_JOIN} WHERE ${where}`;
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql).raw(true);
      this.stmts.set(sql, s);
    }
    return s;
  }

  async getLinks(entity: string, keys: readonly string[]): Promise<Map<string, LedgerLink>> {
    const out = new Map<string, LedgerLink>();
    if (keys.length === 0) return out;
    const s = this.linkQuery(`entity = ? AND key IN (${IN_LIST})`);
    for (let i = 0; i < keys.length; i += IN_CHUNK) {
      for (const r of s.all(entity, ...padChunk(keys, i)) as LinkRow[]) out.set(r[1], toLink(r));
    }
    return out;
  }

  /**
   * Pages by rowid (the order links were first written); NOT INDEXED keeps SQLite on the rowid range. Only the columns
   * a plan is decided on: the bookkeeping ones (and their seen marks) made reading a page 2.5 × slower.
   */
  async linkPage(entity: string, after: number, limit: number): Promise<{ links: PlanLink[]; last: number }> {
    const sql = `SELECT ${PLAN_LINK_COLUMNS}, rowid FROM links NOT INDEXED WHERE rowid > ? AND entity = ? ORDER BY rowid LIMIT ?`;
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql).raw(true);
      this.stmts.set(sql, s);
    }
    const rows = s.all(after, entity, limit) as [...PlanLinkRow, number][];
    const links = new Array<PlanLink>(rows.length);
    for (let i = 0; i < rows.length; i++) links[i] = toPlanLink(entity, rows[i]);
    return { links, last: rows.length > 0 ? rows[rows.length - 1][7] : after };
  }

  async linkPosition(entity: string, key: string): Promise<number> {
    return this.position(entity, key);
  }

  private position(entity: string, key: string): number {
    const r = this.stmt('SELECT rowid FROM links WHERE entity = ? AND key = ?').pluck().get(entity, key) as number | undefined;
    return r ?? 0;
  }

  /**
   * Streams with .iterate(): while the iterator is open the connection can still read but not write, so
   * consume it (e.g. in the planner's finish) before applying.
   */
  async *activeLinks(entity: string, dataSource: string | null): AsyncGenerator<LedgerLink> {
    const rows =
      dataSource === null
        ? this.linkQuery(`entity = ? AND status = 'active'`).iterate(entity)
        : this.linkQuery(`entity = ? AND data_source = ? AND status = 'active'`).iterate(entity, dataSource);
    for (const r of rows as IterableIterator<LinkRow>) yield toLink(r);
  }

  async hasLinks(entity: string): Promise<boolean> {
    return this.stmt('SELECT 1 FROM links WHERE entity = ? LIMIT 1').get(entity) !== undefined;
  }

  async countLinks(entity: string, dataSource: string | null, status: LinkStatus = 'active'): Promise<number> {
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

  async writeLinks(links: readonly LinkWrite[]): Promise<void> {
    if (links.length === 0) return;
    this.cacheForWrites();
    // Multi-row VALUES: one native call per WRITE_ROWS links measured ~25% faster than one per link.
    const batch = this.stmt(UPSERT_HEAD + new Array<string>(WRITE_ROWS).fill(UPSERT_ROW).join(', ') + UPSERT_TAIL);
    const single = this.stmt(UPSERT_HEAD + UPSERT_ROW + UPSERT_TAIL);
    const now = new Date().toISOString();
    const params = new Array<string | number | null>(WRITE_ROWS * UPSERT_PARAMS);
    const fill = (p: (string | number | null)[], at: number, l: LinkWrite) => {
      p[at] = l.entity;
      p[at + 1] = l.key;
      p[at + 2] = l.moodleId;
      p[at + 3] = l.dataSource;
      p[at + 4] = l.hash;
      p[at + 5] = l.status;
      p[at + 6] = now;
      p[at + 7] = now;
      p[at + 8] = l.runId;
      p[at + 9] = l.status === 'disabled' ? now : null;
      p[at + 10] = l.data ?? null;
      p[at + 11] = l.state ?? null;
      p[at + 12] = l.fields ?? null;
    };
    // Each chunk's before-images first (the links as they are), then the chunk's upsert.
    const images = this.stmt(imageSql(WRITE_ROWS));
    const image = this.stmt(imageSql(1));
    const imageParams = new Array<string | number | null>(WRITE_ROWS * IMAGE_PARAMS);
    const fillImage = (p: (string | number | null)[], at: number, l: LinkWrite) => {
      p[at] = l.runId;
      p[at + 1] = l.entity;
      p[at + 2] = l.key;
      p[at + 3] = l.moodleId;
      p[at + 4] = imageAfter(l);
    };
    const one = new Array<string | number | null>(UPSERT_PARAMS);
    const oneImage = new Array<string | number | null>(IMAGE_PARAMS);
    this.db.transaction(() => {
      let i = 0;
      for (; i + WRITE_ROWS <= links.length; i += WRITE_ROWS) {
        for (let j = 0; j < WRITE_ROWS; j++) {
          fillImage(imageParams, j * IMAGE_PARAMS, links[i + j]);
          fill(params, j * UPSERT_PARAMS, links[i + j]);
        }
        images.run(imageParams);
        batch.run(params);
      }
      for (; i < links.length; i++) {
        fillImage(oneImage, 0, links[i]);
        image.run(oneImage);
        fill(one, 0, links[i]);
        single.run(one);
      }
    })();
  }

  /** The page cache for the upserts' index look-ups, from the first link written on (reads stay at READ_CACHE_KIB). */
  private cacheForWrites(): void {
    if (this.writing) return;
    this.writing = true;
    this.db.pragma(`cache_size = -${WRITE_CACHE_KIB}`);
  }

  /**
   * A seen mark per link (link_seen → seen_runs), not a links row rewrite. The run's seen_runs row takes the time of
   * its latest mark, so every link a run marked reads as seen at that time (seconds apart at most within a run).
   */
  async markSeen(entity: string, keys: readonly string[], runId: string): Promise<void> {
    if (keys.length === 0) return;
    const run = this.stmt(
      'INSERT INTO seen_runs (run_id, seen_at) VALUES (?, ?) ON CONFLICT (run_id) DO UPDATE SET seen_at = excluded.seen_at RETURNING seq',
    );
    const mark = this.stmt(
      `INSERT INTO link_seen (link, seq) SELECT rowid, ? FROM links WHERE entity = ? AND key IN (${IN_LIST})
       ON CONFLICT (link) DO UPDATE SET seq = excluded.seq`,
    );
    // Keys in the order the ledger learnt them (a re-run of the same export) sit in a short rowid range: testing the
    // range's rows against the list costs less than an index seek per key.
    const markRange = this.stmt(
      `INSERT INTO link_seen (link, seq) SELECT rowid, ? FROM links NOT INDEXED
       WHERE rowid BETWEEN ? AND ? AND entity = ? AND key IN (${IN_LIST})
       ON CONFLICT (link) DO UPDATE SET seq = excluded.seq`,
    );
    const tx = this.db.transaction(() => {
      const { seq } = run.get(runId, new Date().toISOString()) as { seq: number };
      for (let i = 0; i < keys.length; i += IN_CHUNK) {
        const chunk = padChunk(keys, i);
        const n = Math.min(IN_CHUNK, keys.length - i);
        const from = this.position(entity, chunk[0]);
        const to = this.position(entity, chunk[n - 1]);
        const inRange = from > 0 && to > 0 && Math.abs(to - from) < RANGE_ROWS;
        // Marking is idempotent: when the range missed a key (another order, a duplicate, no such link), the seek
        // form marks the whole chunk.
        if (inRange && markRange.run(seq, Math.min(from, to), Math.max(from, to), entity, ...chunk).changes === n) continue;
        mark.run(seq, entity, ...chunk);
      }
    });
    tx();
  }

  async dropLink(entity: string, key: string): Promise<void> {
    this.stmt('DELETE FROM links WHERE entity = ? AND key = ?').run(entity, key);
  }

  /** The active link wins when a Moodle id is linked more than once (an old disabled key and a re-keyed one). */
  async findByMoodleId(entity: string, moodleId: number): Promise<LedgerLink | undefined> {
    const r = this.linkQuery(
      `entity = ? AND moodle_id = ? ORDER BY status = 'active' DESC, ${SEEN_AT} DESC LIMIT 1`,
    ).get(entity, moodleId) as LinkRow | undefined;
    return r ? toLink(r) : undefined;
  }

  /** dataSource null or absent = every data source; ordered by entity and key so pages are stable. */
  async listLinks(filter: {
    entity?: string;
    dataSource?: string | null;
    status?: LinkStatus;
    limit: number;
    offset: number;
  }): Promise<LedgerLink[]> {
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
    where.push('1');
    params.push(Math.max(0, Math.floor(filter.limit)), Math.max(0, Math.floor(filter.offset)));
    return (this.linkQuery(`${where.join(' AND ')} ORDER BY entity, key LIMIT ? OFFSET ?`).all(...params) as LinkRow[]).map(toLink);
  }

  async startRun(run: Omit<RunRecord, 'finishedAt' | 'status' | 'summary'>): Promise<void> {
    this.stmt(
      `INSERT INTO runs (id, file, sha256, type, op, data_source, started_at, finished_at, status, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'running', NULL)`,
    ).run(run.id, run.file, run.sha256, run.type, run.op, run.dataSource, run.startedAt);
  }

  /** summary: a string is stored as given, anything else as JSON (null/undefined: none). */
  async finishRun(id: string, status: string, summary: unknown): Promise<void> {
    const text = summary === undefined || summary === null ? null : typeof summary === 'string' ? summary : JSON.stringify(summary);
    const res = this.stmt('UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?').run(
      new Date().toISOString(),
      status,
      text,
      id,
    );
    if (res.changes === 0) throw new LedgerError('ledger-no-run', `No run ${id} in the ledger ${this.path}: it was never started.`);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return r ? toRun(r) : undefined;
  }

  /** Newest first. */
  async listRuns(limit: number): Promise<RunRecord[]> {
    return (this.stmt('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?').all(Math.max(0, Math.floor(limit))) as RunRow[]).map(
      toRun,
    );
  }

  /**
   * One writer per ledger across processes (manual runs, watch, schedule): takes the named lock when it is free,
   * already ours, or stale: its process is gone (same host, pid not running — a kill -9) or it sent no heartbeat for
   * staleMs (another host). Inside an IMMEDIATE transaction, so two processes cannot both take it. Returns the holder
   * when someone else has it.
   */
  async acquireLock(owner: LockOwner, staleMs: number, _scope: LockScope = 'all'): Promise<LockHolder | null> {
    this.lost = null;
    const name = WRITER_LOCK;
    const now = Date.now();
    const take = this.db.transaction((): LockHolder | null => {
      const row = this.stmt('SELECT * FROM locks WHERE name = ?').get(name) as LockRow | undefined;
      const dead = row !== undefined && row.host === owner.host && !processAlive(row.pid);
      if (row && row.owner !== owner.id && now - row.heartbeat_at <= staleMs && !dead) return toHolder(row);
      this.stmt(
        `INSERT INTO locks (name, owner, pid, host, run_id, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
           run_id = excluded.run_id, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
      ).run(name, owner.id, owner.pid, owner.host, owner.runId ?? null, new Date(now).toISOString(), now);
      return null;
    });
    return take.immediate();
  }

  /** Keeps a held lock fresh; false when it was taken over (the holder looked dead). */
  async heartbeatLock(owner: LockOwner): Promise<boolean> {
    const held = this.stmt('UPDATE locks SET heartbeat_at = ? WHERE name = ? AND owner = ?').run(Date.now(), WRITER_LOCK, owner.id).changes === 1;
    if (!held) this.lost ??= 'another run took it over after this one sent no heartbeat in time';
    return held;
  }

  lockLost(): string | null {
    return this.lost;
  }

  async releaseLock(owner: LockOwner): Promise<void> {
    this.lost = null;
    this.stmt('DELETE FROM locks WHERE name = ? AND owner = ?').run(WRITER_LOCK, owner.id);
  }

  /** Links of an entity whose key ends with this text (e.g. `|P0001`: a person's enrolments), any status, by key. */
  async linksWithKeySuffix(entity: string, suffix: string): Promise<LedgerLink[]> {
    if (suffix === '') return [];
    return (this.linkQuery('entity = ? AND substr(key, -?) = ? ORDER BY key').all(entity, suffix.length, suffix) as LinkRow[]).map(toLink);
  }

  /** Replaces a link's data (JSON text, or null to clear it); false when there is no such link. */
  async setLinkData(entity: string, key: string, data: string | null): Promise<boolean> {
    return this.stmt('UPDATE links SET data = ? WHERE entity = ? AND key = ?').run(data, entity, key).changes === 1;
  }

  /** What the last exports of grades and completions wrote (migration 8). */
  get exports(): ExportStateTable {
    return (this.exportTable ??= new ExportStateTable(this.db));
  }

  /** Rows kept for retry by watch and schedule (migration 5). */
  get retries(): RetryTable {
    return (this.retryTable ??= new RetryTable(this.db, processAlive));
  }

  /** Pictures sent by `mdlsync pictures` (migration 9). */
  get pictures(): PictureTable {
    return (this.pictureTable ??= new PictureTable(this.db));
  }

  /** What each run changed, as it was before (migration 10). */
  get images(): ImageTable {
    return (this.imageTable ??= new ImageTable(this.db));
  }

  /** Reads every record for `mdlsync ledger export`, and loads an export (see transfer/format.ts). */
  get transfer(): SqliteTransfer {
    return new SqliteTransfer(this.db, () => {
      this.key = null;
    });
  }

  /** PRAGMA user_version: the latest migration applied (for `doctor`). */
  async schemaVersion(): Promise<number> {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  async close(): Promise<void> {
    this.stmts.clear();
    if (this.db.open) this.db.close();
  }
}
