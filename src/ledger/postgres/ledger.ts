/**
 * The ledger in a PostgreSQL schema (pg), shared by mdlsync processes on several hosts: the same operations and
 * meaning as SqliteLedger, over a pool of connections; the writer lock is advisory locks on one dedicated connection,
 * through which every write goes while it is held (locks.ts, connection.ts).
 */
import { randomBytes } from 'node:crypto';
import { processAlive } from '../process.js';
import type { LedgerLink, LedgerStore, LinkStatus, LinkWrite, LockHolder, LockOwner, LockScope, PlanLink, RunRecord } from '../types.js';
import { LedgerError } from '../errors.js';
import { LEDGER_UNREACHABLE, LedgerConnection, Tables, checkSchemaName, connectionLost } from './connection.js';
import { PgExportStateStore } from './exports.js';
import { PgLinkStore } from './links.js';
import { PgLocks, markInterruptedRuns } from './locks.js';
import { currentVersion, migratePg } from './migrations.js';
import { PgPictureStore } from './pictures.js';
import { PgImageStore } from './images.js';
import { PgRetryStore } from './retries.js';
import { PgTransfer } from './transfer.js';

/** The schema a PostgreSQL ledger lives in unless told otherwise. */
export const DEFAULT_LEDGER_SCHEMA = 'mdlsync';

/** Name of the per-ledger secret that keys the HMAC of passwords in content hashes (as SQLite's). */
const PASSWORD_KEY = 'password-hmac';

export interface PostgresLedgerOptions {
  /** The PostgreSQL schema of the ledger's tables (created when missing); default DEFAULT_LEDGER_SCHEMA. */
  schema?: string;
  /** Connections in the pool (reads; writes while no lock is held). */
  poolSize?: number;
}

export class PostgresLedger implements LedgerStore {
  readonly backend = 'postgres' as const;
  readonly exports: PgExportStateStore;
  readonly retries: PgRetryStore;
  readonly pictures: PgPictureStore;
  readonly images: PgImageStore;
  private readonly links: PgLinkStore;
  private readonly locks: PgLocks;
  private key: Buffer | null = null;

  private constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
  ) {
    this.links = new PgLinkStore(conn, t);
    this.locks = new PgLocks(conn, t);
    this.exports = new PgExportStateStore(conn, t);
    this.retries = new PgRetryStore(conn, t, processAlive);
    this.pictures = new PgPictureStore(conn, t);
    this.images = new PgImageStore(conn, t);
  }

  /** The URL without its password, and the schema: `postgres://me:***@db/mdlsync#mdlsync`. */
  get path(): string {
    return this.conn.where;
  }

  /** The schema the ledger's tables are in. */
  get schema(): string {
    return this.t.schema;
  }

  /** Connects, creates the schema when missing, migrates it, and marks runs whose process is gone as interrupted. */
  static async open(url: string, opts: PostgresLedgerOptions = {}): Promise<PostgresLedger> {
    const schema = checkSchemaName(opts.schema ?? DEFAULT_LEDGER_SCHEMA);
    const conn = new LedgerConnection(url, schema, { poolSize: opts.poolSize });
    const t = new Tables(schema);
    try {
      await migratePg(conn);
      await markInterruptedRuns(conn.reads, t, processAlive);
    } catch (err) {
      await conn.close().catch(() => undefined);
      if (err instanceof LedgerError || !connectionLost(err)) throw err;
      throw new LedgerError(LEDGER_UNREACHABLE, `The ledger ${conn.where} cannot be opened: ${(err as Error).message}`);
    }
    return new PostgresLedger(conn, t);
  }

  getLinks(entity: string, keys: readonly string[]): Promise<Map<string, LedgerLink>> {
    return this.links.getLinks(entity, keys);
  }

  linkPage(entity: string, after: number, limit: number): Promise<{ links: PlanLink[]; last: number }> {
    return this.links.linkPage(entity, after, limit);
  }

  linkPosition(entity: string, key: string): Promise<number> {
    return this.links.linkPosition(entity, key);
  }

  activeLinks(entity: string, dataSource: string | null): AsyncIterable<LedgerLink> {
    return this.links.activeLinks(entity, dataSource);
  }

  hasLinks(entity: string): Promise<boolean> {
    return this.links.hasLinks(entity);
  }

  countLinks(entity: string, dataSource: string | null, status?: LinkStatus): Promise<number> {
    return this.links.countLinks(entity, dataSource, status);
  }

  writeLinks(links: readonly LinkWrite[]): Promise<void> {
    return this.links.writeLinks(links);
  }

  markSeen(entity: string, keys: readonly string[], runId: string): Promise<void> {
    return this.links.markSeen(entity, keys, runId);
  }

  dropLink(entity: string, key: string): Promise<void> {
    return this.links.dropLink(entity, key);
  }

  findByMoodleId(entity: string, moodleId: number): Promise<LedgerLink | undefined> {
    return this.links.findByMoodleId(entity, moodleId);
  }

  linksWithKeySuffix(entity: string, suffix: string): Promise<LedgerLink[]> {
    return this.links.linksWithKeySuffix(entity, suffix);
  }

  setLinkData(entity: string, key: string, data: string | null): Promise<boolean> {
    return this.links.setLinkData(entity, key, data);
  }

  listLinks(filter: { entity?: string; dataSource?: string | null; status?: LinkStatus; limit: number; offset: number }): Promise<LedgerLink[]> {
    return this.links.listLinks(filter);
  }

  startRun(run: Omit<RunRecord, 'finishedAt' | 'status' | 'summary'>): Promise<void> {
    return this.links.startRun(run);
  }

  finishRun(id: string, status: string, summary: unknown): Promise<void> {
    return this.links.finishRun(id, status, summary, this.path);
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.links.getRun(id);
  }

  listRuns(limit: number): Promise<RunRecord[]> {
    return this.links.listRuns(limit);
  }

  /** Made on first use; INSERT … ON CONFLICT DO NOTHING keeps the first of two racing makers, then it is read. */
  async passwordKey(): Promise<Buffer> {
    if (this.key) return this.key;
    const read = async () => (await this.conn.reads.rows<{ value: Buffer }>(`SELECT value FROM ${this.t.secrets} WHERE name = $1`, [PASSWORD_KEY]))[0]?.value;
    let value = await read();
    if (!value) {
      await this.conn.write((r) => r.run(`INSERT INTO ${this.t.secrets} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [PASSWORD_KEY, randomBytes(32)]));
      value = (await read())!;
    }
    this.key = value;
    return value;
  }

  /**
   * Advisory locks per entity of the scope ('all': every entity), on a connection of their own; staleMs is not used:
   * a holder's locks end with its connection. Returns the holder when someone else has one of them.
   */
  acquireLock(owner: LockOwner, _staleMs: number, scope: LockScope = 'all'): Promise<LockHolder | null> {
    return this.locks.acquire(owner, scope);
  }

  /** A round trip on the lock's connection; false when it is gone (writes then throw 'ledger-lock-lost'). */
  heartbeatLock(owner: LockOwner): Promise<boolean> {
    return this.locks.heartbeat(owner);
  }

  /** Why the lock's connection was lost while held (writes now throw 'ledger-lock-lost'); null otherwise. */
  lockLost(): string | null {
    return this.conn.held ? this.conn.lostReason : null;
  }

  /** Gives the locks back (and, after a loss, lets writes go through the pool again). */
  releaseLock(owner: LockOwner): Promise<void> {
    return this.locks.release(owner);
  }

  get transfer(): PgTransfer {
    return new PgTransfer(this.conn, this.t, () => {
      this.key = null;
    });
  }

  schemaVersion(): Promise<number> {
    return currentVersion(this.conn.reads, this.t.schema);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.conn.close();
  }
}
