/**
 * The sandbox Moodle: an HTTP server answering /webservice/rest/server.php the way a Moodle 4.5 site does for the
 * functions mdlsync uses (see contract/), with fault injection and a worker queue so tests and
 * the benchmark can reproduce a real server's failures and throughput. This module puts the pieces together: the
 * web service (rest.ts), the site's database (user-store.ts), the HTTP side (http.ts), the simulated capacity
 * (capacity.ts), the faults (faults.ts) and the direct views tests read (site-view.ts).
 */
import type http from 'node:http';
import type { FunctionContext, SandboxMail, SandboxService } from './context.js';
import { UserStore } from './user-store.js';
import { restCall, webService, type WebService } from './rest.js';
import { listen, POST_MAX_SIZE, readBody, requestVars, REST_PATH, send, sendNotFound, SERVER_ERROR, stopListening, type Reply } from './http.js';
import { parseUploadRequest, UPLOAD_PATH, uploadPhp } from './files.js';
import { WorkerPool } from './capacity.js';
import { type Fault, faultAfterCall, faultBeforeCall, FaultQueue, type RandomFaults } from './faults.js';
import { siteView, type SiteView } from './site-view.js';
import { type SchoolSeed, type SeededSchool, seedSchool } from './seed.js';

export { REST_PATH } from './http.js';
export { UPLOAD_PATH } from './files.js';
export type { SandboxService } from './context.js';
export { phpJsonEncode } from './rest.js';
export { BENCH_SCHOOL, DEMO_SCHOOL, type SchoolSeed, type SeededSchool } from './seed.js';
export type { Fault, RandomFaults } from './faults.js';
export type {
  SandboxCategory,
  SandboxCohort,
  SandboxCourse,
  SandboxEnrolment,
  SandboxGroup,
  SandboxRoleAssignment,
  SandboxUser,
} from './site-view.js';

export interface SandboxOptions {
  /** 0 (default) = any free port; host is always 127.0.0.1. */
  port?: number;
  /** Default 'sandbox-token'. */
  token?: string;
  /** Default true: error objects carry debuginfo (developer debugging); false = production (no debuginfo key). */
  debug?: boolean;
  /** SQLite file (better-sqlite3) so state survives restarts; default in memory. */
  stateFile?: string;
  /** Default true: Moodle's default policy (8 chars, 1 digit, 1 lower, 1 upper, 1 non-alphanumeric). */
  passwordPolicy?: boolean;
  /** Default false. */
  allowAccountsSameEmail?: boolean;
  /** The token's service functions; default: every function the sandbox implements. */
  functions?: string[];
  /** Default 5000. */
  maxInputVars?: number;
  /** Default 2: calls processed at once, like a 2-core server; others queue. */
  workers?: number;
  /** Default 0: simulated bootstrap cost per call. */
  perCallCostMs?: number;
  /** Default 0: simulated cost per created/updated user (password hashing etc.). */
  perRecordCostMs?: number;
  /**
   * Default 0: simulated cost of Moodle's case-insensitive duplicate-email check, per created user and per 1,000
   * rows of the user table (a table scan per new user; see EmailScanModel in capacity.ts). Calibrated to the
   * measured site: 0.54 (23.3 ms per user at 43k users).
   */
  emailScanMsPer1000Users?: number;
  /** Default false: the site has an index on lower(email), so the duplicate-email check costs nothing measurable. */
  emailIndex?: boolean;
  /** Default 0: users the simulated site holds besides the sandbox's own: the email scan counts them, new ids follow them. */
  siteUsers?: number;
  /** A school written into a site that has no course yet (a state file that has one is left as it is). */
  seed?: SchoolSeed;
  /** Default true: the service's "Can upload files" (webservice/upload.php answers accessexception without it). */
  uploadFiles?: boolean;
  /** Default 0 (PHP's 2 MB only): $CFG->maxbytes, the site's upload limit per file. */
  maxBytes?: number;
}

/** What startSandbox gives back: where it listens, the direct views of the site, and the test controls. */
export interface SandboxHandle extends SiteView {
  /** e.g. http://127.0.0.1:PORT (the REST endpoint is url + '/webservice/rest/server.php'). */
  url: string;
  port: number;
  token: string;
  /** writeCalls counts calls of functions that change state. */
  stats: CallStats;
  /**
   * add: a fault for the next matching call(s); randomly: faults striking a share of all calls from now on (seeded);
   * clear: none any more. randomHits counts the calls a random fault struck.
   */
  faults: { add(f: Fault): void; randomly(r: RandomFaults): void; clear(): void; readonly randomHits: number };
  /** The site's mail transport: set `failing` to make every message fail (as a broken sendmail does). */
  mail: SandboxMail;
  /** Writes a whole school straight into the site (one transaction, no web-service calls, deterministic). */
  seedSchool(seed: SchoolSeed): SeededSchool;
  /** The service's upload flag and the site's upload limit: change them to see a run meet another site's settings. */
  service: SandboxService;
  close(): Promise<void>;
}

interface CallStats {
  calls: number;
  writeCalls: number;
  byFunction: Record<string, number>;
  /** Simulated cost charged (latency faults, per call, per record), in ms. */
  readonly paidMs: number;
  /** The most calls that ran at once, and the calls that waited for a worker. */
  readonly peakBusy: number;
  readonly queued: number;
  reset(): void;
}

/** Starts a sandbox site on 127.0.0.1 (state in memory unless stateFile says); close() stops it and its database. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  // The service first: a bad function list fails before any state file is opened.
  const service = webService(opts);
  const store = new UserStore(opts.stateFile);
  if (opts.seed && store.courses.courses().length === 1) seedSchool(store, opts.seed);
  // The simulated site's earlier users took their ids: new users' ids say how large the table is, as on a real site.
  if (opts.siteUsers) store.advanceIds(opts.siteUsers + 3);
  const ctx = functionContext(store, service, opts);
  const pool = new WorkerPool(Math.max(1, opts.workers ?? 2));
  const stats = callStats(service, pool);
  const faults = new FaultQueue();
  const handler = requestHandler({
    service,
    ctx,
    stats,
    faults,
    pool,
    perCallCostMs: opts.perCallCostMs ?? 0,
    maxInputVars: opts.maxInputVars ?? 5000,
  });
  const { server, port } = await listen(opts.port ?? 0, handler);
  const url = `http://127.0.0.1:${port}`;
  // Site info and the picture URLs name the site by the address it got.
  ctx.siteUrl = url;
  return {
    url,
    port,
    token: service.token,
    ...siteView(store),
    stats,
    mail: ctx.mail,
    seedSchool: (seed) => seedSchool(store, seed),
    service: ctx.service,
    faults: {
      add: (f) => faults.add(f),
      randomly: (r) => faults.randomly(r),
      clear: () => faults.clear(),
      get randomHits() {
        return faults.randomHits;
      },
    },
    close: async () => {
      await stopListening(server);
      store.close();
    },
  };
}

/** What every function call is given: the store, the site's settings and its mail transport. */
function functionContext(store: UserStore, service: WebService, opts: SandboxOptions): FunctionContext {
  return {
    store,
    siteUrl: '',
    passwordPolicy: opts.passwordPolicy ?? true,
    allowAccountsSameEmail: opts.allowAccountsSameEmail ?? false,
    serviceFunctions: service.serviceFunctions,
    mail: { failing: false, sent: 0 },
    service: { uploadfiles: opts.uploadFiles ?? true, maxBytes: opts.maxBytes ?? 0 },
  };
}

function callStats(service: WebService, pool: WorkerPool): CallStats {
  const stats: CallStats = {
    calls: 0,
    writeCalls: 0,
    byFunction: {},
    get paidMs() {
      return service.meter.paidMs;
    },
    get peakBusy() {
      return pool.peak;
    },
    get queued() {
      return pool.queued;
    },
    reset() {
      stats.calls = 0;
      stats.writeCalls = 0;
      stats.byFunction = {};
      service.meter.paidMs = 0;
      pool.peak = 0;
      pool.queued = 0;
    },
  };
  return stats;
}

/** Every request to the REST endpoint is counted, whether it then fails, is faulted or succeeds. */
function countCall(stats: CallStats, service: WebService, fnName: string | undefined): void {
  stats.calls++;
  if (fnName === undefined) return;
  stats.byFunction[fnName] = (stats.byFunction[fnName] ?? 0) + 1;
  if (service.implemented.get(fnName)?.write || fnName === UPLOAD_PATH.slice(1)) stats.writeCalls++;
}

interface HandlerParts {
  service: WebService;
  ctx: FunctionContext;
  stats: CallStats;
  faults: FaultQueue;
  pool: WorkerPool;
  perCallCostMs: number;
  maxInputVars: number;
}

/**
 * One request: its parameters, counting, a fault before the call, a worker for the call (with its simulated cost),
 * a fault after it, then the reply. An error escaping all that is the web server's 500 page.
 */
function requestHandler(p: HandlerParts): http.RequestListener {
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    let fnName: string | undefined;
    let call: () => Promise<Reply>;
    if (url.pathname === REST_PATH) {
      const vars = requestVars(req, url, body, p.maxInputVars);
      fnName = typeof vars.wsfunction === 'string' ? vars.wsfunction : undefined;
      call = () => restCall(p.service, p.ctx, vars);
    } else if (url.pathname === UPLOAD_PATH && req.method === 'POST') {
      // Counted and faulted like a function, under the script's name.
      fnName = UPLOAD_PATH.slice(1);
      const upload = await parseUploadRequest(req.headers['content-type'] ?? '', body, url.searchParams, POST_MAX_SIZE);
      const service = { token: p.service.token, debug: p.service.debug, ...p.ctx.service };
      call = () => Promise.resolve(uploadPhp(p.ctx, service, upload));
    } else {
      sendNotFound(res);
      return;
    }
    countCall(p.stats, p.service, fnName);
    const fault = p.faults.take(fnName);
    if (await faultBeforeCall(fault, req, res, p.service.meter)) return;
    const reply = await p.pool.run(async () => {
      await p.service.meter.pay(p.perCallCostMs);
      return call();
    });
    if (await faultAfterCall(fault, req)) return;
    send(res, reply);
  }
  return (req, res) => {
    handle(req, res).catch((e) => {
      process.emitWarning(`sandbox: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) send(res, SERVER_ERROR);
      else res.destroy();
    });
  };
}
