/**
 * The PostgreSQL ledger's connections: a pool for reads, and the way writes go. While the ledger holds a writer lock,
 * every write goes through the one connection that holds the lock's advisory locks (the lock dies with it), one
 * statement or transaction at a time; once that connection is lost, writes throw instead of landing after another
 * process took the lock over.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PG_TYPES } from '../../db/postgres.js';
import { redactUrl } from '../../db/types.js';
import { MdlsyncError, type LedgerCode } from '../../errors.js';
import { LedgerError, lockLostError } from '../errors.js';

/** The code of a write refused because the writer lock's connection was lost (src/errors.ts adds it). */
export const LOCK_LOST: LedgerCode = 'ledger-lock-lost';
/** The code of a PostgreSQL ledger that cannot be reached or opened (src/errors.ts adds it). */
export const LEDGER_UNREACHABLE: LedgerCode = 'ledger-unreachable';

/** A PostgreSQL schema name mdlsync accepts: lower-case letters, digits and _, as PostgreSQL folds unquoted names. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new LedgerError('ledger-migration', `The ledger schema name "${schema}" is not one mdlsync uses: lower-case letters, digits and _ (at most 63), not starting with a digit.`);
  }
  return schema;
}

/** Qualified table names of a ledger schema. */
export class Tables {
  readonly links: string;
  readonly runs: string;
  readonly locks: string;
  readonly seenRuns: string;
  readonly linkSeen: string;
  readonly secrets: string;
  readonly retries: string;
  readonly exportState: string;
  readonly pictures: string;
  readonly migrations: string;
  constructor(readonly schema: string) {
    const q = (t: string) => `"${schema}".${t}`;
    this.links = q('links');
    this.runs = q('runs');
    this.locks = q('locks');
    this.seenRuns = q('seen_runs');
    this.linkSeen = q('link_seen');
    this.secrets = q('ledger_secrets');
    this.retries = q('retries');
    this.exportState = q('export_state');
    this.pictures = q('pictures');
    this.migrations = q('schema_migrations');
  }

  /** Any table of the schema by its own name. */
  of(name: string): string {
    return `"${this.schema}".${name}`;
  }
}

/** Statement names by text: a statement is parsed and planned once per connection, then only bound and run. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let n = names.get(text);
  if (!n) {
    n = `mdl_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, n);
  }
  return n;
}

type Queryable = pg.Pool | pg.ClientBase;

/**
 * The ledger's sessions commit without waiting for the WAL flush, as the SQLite ledger runs WAL with synchronous=NORMAL:
 * a crash of the server may lose the last commits, never consistency, and the apply step re-sends unconfirmed rows.
 * A flush per commit was most of a 2000-key markSeen or writeLinks.
 * No bitmap scans: on a ledger whose statistics lag behind a large first store, the planner took a page of links
 * (entity = $1 AND id > $2 ORDER BY id LIMIT n) as a bitmap scan of every later link and a sort, ~100 ms a page,
 * where the ordered index scan reads the page alone; the ledger's lookups by key lists read as well without them.
 */
const SESSION = '-c synchronous_commit=off -c enable_bitmapscan=off';

/** Runs statements on a pool or one connection: rows as objects or as arrays, prepared once when named. */
export class Runner {
  constructor(readonly q: Queryable) {}

  async rows<T = Record<string, unknown>>(text: string, values: unknown[] = [], prepared = false): Promise<T[]> {
    const res = await this.q.query(prepared ? { name: statementName(text), text, values } : { text, values });
    return res.rows as T[];
  }

  async arrays<T extends unknown[] = unknown[]>(text: string, values: unknown[] = [], prepared = false): Promise<T[]> {
    const config = prepared ? { name: statementName(text), text, values, rowMode: 'array' as const } : { text, values, rowMode: 'array' as const };
    const res = await this.q.query(config);
    return res.rows as T[];
  }

  /** A statement without rows: how many it changed. */
  async run(text: string, values: unknown[] = [], prepared = false): Promise<number> {
    const res = await this.q.query(prepared ? { name: statementName(text), text, values } : { text, values });
    return res.rowCount ?? 0;
  }
}

/**
 * Whether a failure is the connection's (gone, reset, terminated by the server) rather than a statement's, or mdlsync's
 * own refusal thrown inside a transaction (an import into a ledger that holds state is no lost connection).
 */
export function connectionLost(err: unknown): boolean {
  if (err instanceof MdlsyncError) return false;
  if (!(err instanceof pg.DatabaseError)) return true;
  const code = err.code ?? '';
  return code.startsWith('08') || code.startsWith('57P');
}

export interface LockConnection {
  client: pg.Client;
  runner: Runner;
  /** The owner id the lock was taken for. */
  owner: string;
}

export class LedgerConnection {
  readonly pool: pg.Pool;
  /** Reads, and writes while no lock is held. */
  readonly reads: Runner;
  readonly where: string;
  private lock: LockConnection | null = null;
  /** Why the lock's connection was lost; writes throw until the lock is released. */
  private lost: string | null = null;
  /** Writes on the lock's connection wait for each other: a transaction never interleaves with another statement. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly url: string,
    readonly schema: string,
    opts: { poolSize?: number } = {},
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 4, types: PG_TYPES, idleTimeoutMillis: 10_000, application_name: 'mdlsync ledger', options: SESSION });
    // An idle connection the server drops must not crash the process; the next query takes another.
    this.pool.on('error', () => undefined);
    this.reads = new Runner(this.pool);
    this.where = `${redactUrl(url)}#${schema}`;
  }

  /** A new connection outside the pool (the writer lock's). */
  async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, types: PG_TYPES, keepAlive: true, application_name: 'mdlsync ledger lock', options: SESSION });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  get held(): LockConnection | null {
    return this.lock;
  }

  get lostReason(): string | null {
    return this.lost;
  }

  /** From now on writes go through the lock's connection; its loss (error, end) stops them. */
  attach(lock: LockConnection): void {
    this.lock = lock;
    this.lost = null;
    const gone = (why: string) => {
      if (this.lock === lock) this.lost ??= why;
    };
    lock.client.on('error', (err: Error) => gone(err.message));
    lock.client.on('end', () => gone('the connection closed'));
  }

  /** Writes go back to the pool (the lock was released, or its loss acknowledged). */
  detach(): LockConnection | null {
    const lock = this.lock;
    this.lock = null;
    this.lost = null;
    return lock;
  }

  markLost(why: string): void {
    if (this.lock) this.lost ??= why;
  }

  private lostError(): LedgerError {
    return lockLostError(this.where, this.lost ?? 'the connection closed');
  }

  /**
   * Runs fn on the lock's connection, after the writes before it; a lost connection fails it with LOCK_LOST. With a
   * timeout (counted from its turn): no answer in time counts as a lost connection, which is closed.
   */
  onLockConnection<T>(fn: (r: Runner) => Promise<T>, timeoutMs?: number): Promise<T> {
    const lock = this.lock;
    if (!lock) return Promise.reject(new Error('LedgerConnection: no lock is held'));
    const turn = this.queue.then(async () => {
      if (this.lost !== null) throw this.lostError();
      let timer: NodeJS.Timeout | undefined;
      try {
        if (timeoutMs === undefined) return await fn(lock.runner);
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
        });
        return await Promise.race([fn(lock.runner), late]);
      } catch (err) {
        if (connectionLost(err)) {
          this.markLost((err as Error).message);
          if (timer !== undefined) void lock.client.end().catch(() => undefined);
          throw this.lostError();
        }
        throw err;
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Waits for the writes queued on the lock's connection. */
  async drain(): Promise<void> {
    await this.queue;
  }

  /** One write statement (or several that need no transaction). */
  write<T>(fn: (r: Runner) => Promise<T>): Promise<T> {
    if (this.lost !== null) return Promise.reject(this.lostError());
    const lock = this.lock;
    return lock ? this.onLockConnection(fn) : fn(this.reads);
  }

  /** Writes in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (r: Runner) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    if (this.lost !== null) return Promise.reject(this.lostError());
    const lock = this.lock;
    if (lock) return this.onLockConnection((r) => inTransaction(r, fn, begin));
    return this.pooled((r) => inTransaction(r, fn, begin));
  }

  /** fn on one pooled connection (a transaction, a cursor), released after. */
  async pooled<T>(fn: (r: Runner) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(new Runner(client));
    } catch (err) {
      if (connectionLost(err)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    const lock = this.detach();
    if (lock) await lock.client.end().catch(() => undefined);
    await this.pool.end();
  }
}

async function inTransaction<T>(r: Runner, fn: (r: Runner) => Promise<T>, begin: string): Promise<T> {
  await r.run(begin);
  try {
    const out = await fn(r);
    await r.run('COMMIT');
    return out;
  } catch (err) {
    await r.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
