/**
 * The preamble every writing command shares (run, purge, user …): a Moodle client, a preflight of the site and the
 * service's functions, the ledger, and the ledger's writer lock; close() gives them all back in reverse order.
 */
import { hostname } from 'node:os';
import { requireMoodle, siteConnection, type Config } from './config/index.js';
import { openLedger, type LedgerStore, type LockOwner, type LockScope } from './ledger/index.js';
import { MoodleClient, MoodleError, TlsError, getSiteInfo, PERSON_FUNCTIONS, type SiteInfo } from './moodle/index.js';
import type { Failure, FailureCode } from './errors.js';
import { retrier, type Retry } from './resolve/common.js';

/** Why a session could not open: the preflight failed, or another run holds the writer lock. */
export interface SessionRefusal extends Failure<FailureCode> {
  stage: 'preflight' | 'locked';
}

export interface SessionOpenOptions {
  /** Web-service functions the command calls (checked before anything is written). */
  functions: readonly string[];
  /** Take the writer lock (false for a dry run, which writes nothing). */
  lock: boolean;
  /** Seconds to wait for another run holding the writer lock (default 0: refuse at once). */
  wait?: number;
  /** The entity types whose links the command writes (default all): PostgreSQL locks each, SQLite the one ledger. */
  scope?: LockScope;
}

export class MoodleSession {
  readonly client: MoodleClient;
  private handle: LedgerStore | null = null;
  private readonly url: string;
  /** Site information as the preflight read it (the service's upload flags, limits …); null before open(). */
  siteInfo: SiteInfo | null = null;

  constructor(
    private readonly config: Config,
    private readonly runId: string,
    connections: number,
    onWaiting?: (line: string) => void,
  ) {
    this.url = requireMoodle(config).url;
    this.client = new MoodleClient({ ...siteConnection(config), connections, onWaiting });
  }

  /** The open ledger; only valid once open() returned null. */
  get ledger(): LedgerStore {
    if (!this.handle) throw new Error('the session is not open');
    return this.handle;
  }

  /** Preflight, ledger, writer lock: null once all are in hand, else why not (the ledger is then closed again). */
  async open(opts: SessionOpenOptions): Promise<SessionRefusal | null> {
    // A read, safe to repeat: one dropped connection or 5xx does not turn a whole run away as "unreachable".
    const retry = retrier({ retries: this.config.moodle.retries, backoffMs: this.config.moodle.backoffMs });
    // The ledger opens while the site answers (a round trip to a real Moodle costs more than opening SQLite).
    const checking = checkMoodle(this.client, this.url, opts.functions, (info) => {
      this.siteInfo = info;
    }, retry);
    let ledger: LedgerStore;
    try {
      ledger = await openLedger(this.config);
    } catch (err) {
      // A site that cannot be used says so first, as when it was checked before the ledger opened.
      const preflight = await checking;
      if (preflight) return { stage: 'preflight', ...preflight };
      throw err;
    }
    const preflight = await checking.catch(async (err: unknown) => {
      await ledger.close();
      throw err;
    });
    if (preflight) {
      await ledger.close();
      return { stage: 'preflight', ...preflight };
    }
    if (opts.lock) {
      const held = await takeWriterLock(ledger, this.runId, opts.wait ?? 0, this.config.lockStaleSeconds * 1000, opts.scope);
      if (held) {
        await ledger.close();
        return { stage: 'locked', code: 'locked', message: held };
      }
    }
    this.handle = ledger;
    return null;
  }

  /** The Moodle calls made so far, for the summary. */
  calls(): { total: number; byFunction: Record<string, number> } {
    return { total: this.client.stats.calls, byFunction: { ...this.client.stats.byFunction } };
  }

  /** Releases the writer lock, closes the ledger, then the client. */
  async close(): Promise<void> {
    if (this.handle) {
      await releaseWriterLock(this.handle, this.runId);
      await this.handle.close();
      this.handle = null;
    }
    await this.client.close();
  }
}

const lockOwners = new Map<string, { owner: LockOwner; timer: NodeJS.Timeout }>();

/**
 * One writer per ledger: waits up to `waitSeconds` for another run, then gives up with a sentence naming it.
 * While held, a heartbeat keeps it fresh; a holder that died is taken over once its heartbeat is staleMs old.
 */
export async function takeWriterLock(ledger: LedgerStore, runId: string, waitSeconds: number, staleMs: number, scope: LockScope = 'all'): Promise<string | null> {
  const owner: LockOwner = { id: `${hostname()}:${process.pid}:${runId}`, pid: process.pid, host: hostname(), runId };
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const holder = await ledger.acquireLock(owner, staleMs, scope);
    if (!holder) break;
    if (Date.now() >= deadline) {
      // PostgreSQL locks per entity: say which records the two runs both write (SQLite has one lock for any run).
      const which = ledger.backend === 'postgres' && scope !== 'all' ? ` (for ${scope.join(', ')})` : '';
      return `the ledger ${ledger.path}${which} is in use by another mdlsync run (pid ${holder.pid} on ${holder.host}${holder.runId ? `, run ${holder.runId}` : ''}, since ${holder.acquiredAt}): wait for it to finish, or pass --wait SECONDS`;
    }
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
  // A heartbeat that fails (the ledger's server unreachable, the lock taken over) is a lost lock: the ledger notes it
  // (lockLost), the apply engine then sends nothing more and the run ends with ledger-lock-lost.
  const timer = setInterval(() => void ledger.heartbeatLock(owner).catch(() => false), Math.max(1000, Math.floor(staleMs / 3)));
  timer.unref();
  lockOwners.set(runId, { owner, timer });
  return null;
}

export async function releaseWriterLock(ledger: LedgerStore, runId: string): Promise<void> {
  const held = lockOwners.get(runId);
  if (!held) return;
  clearInterval(held.timer);
  lockOwners.delete(runId);
  await ledger.releaseLock(held.owner);
}

/**
 * Site info and the service's functions, before anything else: a wrong URL or token stops the run cleanly (not-moodle,
 * functions-missing, unreachable, or Moodle's errorcode for a refused token).
 */
export async function checkMoodle(client: MoodleClient, url: string, functions: readonly string[] = PERSON_FUNCTIONS,
  onInfo?: (info: SiteInfo) => void, retry: Retry = (fn) => fn()): Promise<Failure<FailureCode> | null> {
  try {
    const info = await retry(() => getSiteInfo(client));
    // A proxy or another application can answer JSON too (`{}`): without Moodle's functions list it is not the site.
    if (typeof info !== 'object' || info === null || !Array.isArray(info.functions)) {
      return { code: 'not-moodle', message: `${url} answered the site check with JSON that is not Moodle's site information: check that moodle.url is the Moodle site root` };
    }
    onInfo?.(info);
    const available = new Set(info.functions.map((f) => f.name));
    const missing = functions.filter((f) => !available.has(f));
    if (missing.length > 0) {
      return { code: 'functions-missing', message: `the token's web service lacks ${missing.join(', ')}: add them to the service (Site administration › Server › Web services › External services)` };
    }
    return null;
  } catch (err) {
    if (err instanceof MoodleError) {
      const hint = err.errorcode === 'invalidtoken' ? ': check MDLSYNC_TOKEN / moodle.token' : '';
      return { code: err.errorcode, message: `Moodle refused the web-service token (${err.errorcode})${hint}` };
    }
    if (err instanceof TlsError) return { code: 'tls', message: `Moodle at ${url} cannot be trusted: ${err.message}` };
    return { code: 'unreachable', message: `Moodle at ${url} is unreachable (${(err as Error).message}): check moodle.url and that the site is up, then run again` };
  }
}
