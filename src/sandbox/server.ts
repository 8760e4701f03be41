/**
 * The sandbox Moodle: an HTTP server answering /webservice/rest/server.php the way a Moodle 4.5 site does for the
 * functions mdlsync uses (see contract/), with fault injection and a worker queue so tests and
 * the benchmark can reproduce a real server's failures and throughput.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { MoodleException, missingRecord, invalidParameter, webserviceAccessException, moodleException } from './errors.js';
import { cleanReturnValue, validateParameters, xmlize, htmlspecialchars } from './params.js';
import type { FunctionContext, SandboxMail, WsFunction } from './context.js';
import { FUNCTIONS, OTHER_MOODLE_FUNCTIONS } from './functions.js';
import { deleteUserRecord } from './users.js';
import { UserRow, UserStore } from './user-store.js';
import type { CategoryRow, CohortRow, CourseRow } from './course-store.js';

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
}

export interface SandboxUser {
  id: number;
  username: string;
  firstname: string;
  lastname: string;
  email: string;
  idnumber: string;
  auth: string;
  suspended: boolean;
  deleted: boolean;
  confirmed: boolean;
  city: string;
  country: string;
  lang: string;
  timezone: string;
  institution: string;
  department: string;
  phone1: string;
  phone2: string;
  address: string;
  description: string | null;
  middlename: string | null;
  alternatename: string | null;
  firstnamephonetic: string | null;
  lastnamephonetic: string | null;
  interests: string[];
  /** Profile fields by shortname. */
  customfields: Record<string, string>;
  preferences: Record<string, string>;
  /** A usable password is stored (never the password itself); false for external auths. */
  passwordSet: boolean;
  /** Unix seconds, Moodle's timecreated. */
  createdAt: number;
  /** Unix seconds, Moodle's timemodified. */
  modifiedAt: number;
}

export interface SandboxCategory {
  id: number;
  name: string;
  idnumber: string;
  description: string;
  /** 0 = top level. */
  parent: number;
  sortorder: number;
  depth: number;
  /** e.g. '/5/6'. */
  path: string;
  visible: boolean;
  coursecount: number;
  theme: string;
}

export interface SandboxCourse {
  id: number;
  /** 0 for the site course (id 1). */
  categoryid: number;
  shortname: string;
  fullname: string;
  idnumber: string;
  summary: string;
  format: string;
  visible: boolean;
  startdate: number;
  enddate: number;
  sortorder: number;
  /** Unix seconds. */
  createdAt: number;
  modifiedAt: number;
}

export interface SandboxEnrolment {
  userid: number;
  /** 0 = active (ENROL_USER_ACTIVE), 1 = suspended (ENROL_USER_SUSPENDED). */
  status: number;
  timestart: number;
  timeend: number;
  /** Role ids assigned to the user in the course context, ascending. */
  roles: number[];
}

export interface SandboxGroup {
  id: number;
  courseid: number;
  name: string;
  idnumber: string;
  description: string;
  visibility: number;
  participation: boolean;
  /** Member user ids, ascending. */
  members: number[];
}

export interface SandboxCohort {
  id: number;
  /** 0: system context; else the course category holding the cohort. */
  categoryid: number;
  name: string;
  idnumber: string;
  description: string;
  visible: boolean;
  /** Member user ids, ascending. */
  members: number[];
}

export interface SandboxRoleAssignment {
  roleid: number;
  userid: number;
  /** 10 system, 30 user, 40 coursecat, 50 course. */
  contextlevel: number;
  /** 0 for system; else the user, category or course id. */
  instanceid: number;
  /** '' for manual assignments (core_role_assign_roles and enrol_manual alike). */
  component: string;
}

export interface SandboxHandle {
  /** e.g. http://127.0.0.1:PORT (the REST endpoint is url + '/webservice/rest/server.php'). */
  url: string;
  port: number;
  token: string;
  users: {
    list(): SandboxUser[];
    byUsername(u: string): SandboxUser | undefined;
    byId(id: number): SandboxUser | undefined;
    byIdnumber(idn: string): SandboxUser[];
    /** What an admin deleting the account in the UI does (delete_user()). */
    deleteByHand(id: number): void;
  };
  categories: {
    /** Ordered by sortorder (depth first), as Moodle lists them. */
    list(): SandboxCategory[];
  };
  courses: {
    /** Ordered by id; includes the site course (id 1). */
    list(): SandboxCourse[];
    /** Course idnumbers are unique (when not empty), so at most one: undefined for '' or no match. */
    byIdnumber(idnumber: string): SandboxCourse | undefined;
    byShortname(shortname: string): SandboxCourse | undefined;
  };
  enrolments: {
    /** The course's manual enrolments (any status), by userid. */
    of(courseId: number): SandboxEnrolment[];
  };
  groups: {
    /** The course's groups, by name, with their members. */
    of(courseId: number): SandboxGroup[];
  };
  cohorts: {
    /** Every cohort, by id. */
    list(): SandboxCohort[];
    /** The first cohort (by id) with that idnumber. */
    byIdnumber(idnumber: string): SandboxCohort | undefined;
    /** Member user ids of the cohort with that idnumber, ascending ([] when there is no such cohort). */
    cohortMembers(cohortIdnumber: string): number[];
  };
  roles: {
    /** Role assignments in any context matching every given field, by id. */
    roleAssignments(filter?: Partial<SandboxRoleAssignment>): SandboxRoleAssignment[];
  };
  /** writeCalls counts calls of functions that change state. */
  stats: { calls: number; writeCalls: number; byFunction: Record<string, number>; reset(): void };
  faults: { add(f: Fault): void; clear(): void };
  /** The site's mail transport: set `failing` to make every message fail (as a broken sendmail does). */
  mail: SandboxMail;
  close(): Promise<void>;
}

export type Fault = { fn?: string; times?: number } & (
  | { kind: 'http500' }
  | { kind: 'drop' }
  | { kind: 'commit-then-drop' }
  /** The call runs and commits, then the answer is held back for ms before the connection drops (a proxy timeout). */
  | { kind: 'commit-then-stall'; ms: number }
  | { kind: 'latency'; ms: number }
);

export const REST_PATH = '/webservice/rest/server.php';
/** PHP's post_max_size default: a bigger body makes PHP drop all of $_POST. */
const POST_MAX_SIZE = 8 * 1024 * 1024;

const ACCESS_REASONS = [
  'There could be multiple reasons for this:',
  '1. The service linked to the user token does not contain the function.',
  '2. The service is user-restricted and the user is not listed.',
  '3. The service is IP-restricted and the user IP is not listed.',
  '4. The service is time-restricted and the time has expired.',
  '5. The token is time-restricted and the time has expired.',
  '6. The service requires a specific capability which the user does not have.',
  '7. The function is called with username/password (no user token is sent)',
  'and none of the services has the function to allow the user.',
  'These settings can be found in Administration > Site administration',
  '> Server > Web services > External services and Manage tokens.',
];

function accessDenied(fn: string): MoodleException {
  const indent = '\n' + ' '.repeat(21);
  return webserviceAccessException(`Access to the function ${fn}() is not allowed.${indent}${ACCESS_REASONS.join(indent)}`);
}

/** PHP json_encode() defaults: slashes and non-ASCII characters escaped. */
export function phpJsonEncode(v: unknown): string {
  return JSON.stringify(v)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** A FIFO semaphore: `workers` calls run at once, the rest wait, like PHP-FPM children on a small server. */
class WorkerPool {
  private busy = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async acquire(): Promise<void> {
    if (this.busy < this.size) {
      this.busy++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }
}

function toSandboxUser(u: UserRow): SandboxUser {
  return {
    id: u.id,
    username: u.username,
    firstname: u.firstname,
    lastname: u.lastname,
    email: u.email,
    idnumber: u.idnumber,
    auth: u.auth,
    suspended: u.suspended === 1,
    deleted: u.deleted === 1,
    confirmed: u.confirmed === 1,
    city: u.city,
    country: u.country,
    lang: u.lang,
    timezone: u.timezone,
    institution: u.institution,
    department: u.department,
    phone1: u.phone1,
    phone2: u.phone2,
    address: u.address,
    description: u.description,
    middlename: u.middlename,
    alternatename: u.alternatename,
    firstnamephonetic: u.firstnamephonetic,
    lastnamephonetic: u.lastnamephonetic,
    interests: JSON.parse(u.interests) as string[],
    customfields: JSON.parse(u.customfields) as Record<string, string>,
    preferences: JSON.parse(u.preferences) as Record<string, string>,
    passwordSet: u.password !== '' && u.password !== 'not cached',
    createdAt: u.timecreated,
    modifiedAt: u.timemodified,
  };
}

function toSandboxCategory(c: CategoryRow): SandboxCategory {
  return {
    id: c.id, name: c.name, idnumber: c.idnumber, description: c.description, parent: c.parent, sortorder: c.sortorder,
    depth: c.depth, path: c.path, visible: c.visible === 1, coursecount: c.coursecount, theme: c.theme,
  };
}

function toSandboxCourse(c: CourseRow): SandboxCourse {
  return {
    id: c.id, categoryid: c.category, shortname: c.shortname, fullname: c.fullname, idnumber: c.idnumber,
    summary: c.summary, format: c.format, visible: c.visible === 1, startdate: c.startdate, enddate: c.enddate,
    sortorder: c.sortorder, createdAt: c.timecreated, modifiedAt: c.timemodified,
  };
}

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

const HTML_500 =
  '<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>' +
  '<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>\n';

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const token = opts.token ?? 'sandbox-token';
  const debug = opts.debug ?? true;
  const maxInputVars = opts.maxInputVars ?? 5000;
  const perCallCostMs = opts.perCallCostMs ?? 0;
  const perRecordCostMs = opts.perRecordCostMs ?? 0;
  const implemented = new Map(FUNCTIONS.map((f) => [f.name, f]));
  const serviceFunctions = opts.functions ?? FUNCTIONS.map((f) => f.name);
  for (const name of serviceFunctions) {
    if (!implemented.has(name)) throw new Error(`The sandbox does not implement ${name}`);
  }
  const known = new Set([...implemented.keys(), ...OTHER_MOODLE_FUNCTIONS]);
  const store = new UserStore(opts.stateFile);
  const pool = new WorkerPool(Math.max(1, opts.workers ?? 2));
  const faults: (Fault & { left: number })[] = [];
  const stats = {
    calls: 0,
    writeCalls: 0,
    byFunction: {} as Record<string, number>,
    reset() {
      stats.calls = 0;
      stats.writeCalls = 0;
      stats.byFunction = {};
    },
  };
  const ctx: FunctionContext = {
    store,
    siteUrl: '',
    passwordPolicy: opts.passwordPolicy ?? true,
    allowAccountsSameEmail: opts.allowAccountsSameEmail ?? false,
    serviceFunctions,
    mail: { failing: false, sent: 0 },
  };

  const parseForm = (s: string) =>
    qs.parse(s, {
      depth: 64,
      arrayLimit: 1_000_000,
      parameterLimit: maxInputVars,
      duplicates: 'last',
      allowPrototypes: false,
    }) as Record<string, unknown>;

  function errorReply(e: MoodleException, format: 'json' | 'xml'): Reply {
    const withDebug = debug && e.debuginfo !== undefined;
    if (format === 'json') {
      const obj: Record<string, string> = { exception: e.exceptionClass, errorcode: e.errorcode, message: e.message };
      if (withDebug) obj.debuginfo = e.debuginfo as string;
      return { status: 200, contentType: 'application/json', body: phpJsonEncode(obj) };
    }
    let xml = '<?xml version="1.0" encoding="UTF-8" ?>\n';
    xml += `<EXCEPTION class="${e.exceptionClass}">\n`;
    xml += `<ERRORCODE>${htmlspecialchars(e.errorcode)}</ERRORCODE>\n`;
    xml += `<MESSAGE>${htmlspecialchars(e.message)}</MESSAGE>\n`;
    if (withDebug) xml += `<DEBUGINFO>${htmlspecialchars(e.debuginfo as string)}</DEBUGINFO>\n`;
    xml += '</EXCEPTION>\n';
    return { status: 200, contentType: 'application/xml; charset=utf-8', body: xml };
  }

  /** webservice_base_server::run(): token, function lookup, access, parameters, call, cleaning of the result. */
  async function execute(vars: Record<string, unknown>): Promise<Reply> {
    const fmt = vars.moodlewsrestformat === 'json' ? 'json' : 'xml';
    const { wstoken, wsfunction } = vars;
    const params: Record<string, unknown> = { ...vars };
    delete params.moodlewsrestformat;
    delete params.wstoken;
    delete params.wsfunction;
    for (const k of Object.keys(params)) if (k.startsWith('moodlewssetting')) delete params[k];
    try {
      if (typeof wstoken !== 'string' || wstoken !== token) {
        throw moodleException('invalidtoken', 'Invalid token - token not found');
      }
      if (typeof wsfunction !== 'string' || wsfunction === '' || wsfunction === '0') {
        throw invalidParameter('Missing function name');
      }
      if (!known.has(wsfunction)) {
        throw missingRecord('external_functions', 'SELECT * FROM {external_functions} WHERE name = ?', [wsfunction]);
      }
      const fn = implemented.get(wsfunction) as WsFunction | undefined;
      if (!fn || !serviceFunctions.includes(wsfunction)) throw accessDenied(wsfunction);
      const validated = validateParameters(fn.params, params) as Record<string, unknown>;
      if (fn.records && perRecordCostMs > 0) await sleep(fn.records(validated) * perRecordCostMs);
      const result = fn.run(ctx, validated);
      if (fn.returns === null) {
        if (fmt === 'json') return { status: 200, contentType: 'application/json', body: 'null' };
        return {
          status: 200,
          contentType: 'application/xml; charset=utf-8',
          body: '<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n</RESPONSE>\n',
        };
      }
      const cleaned = cleanReturnValue(fn.returns, result);
      if (fmt === 'json') return { status: 200, contentType: 'application/json', body: phpJsonEncode(cleaned) };
      const xml = `<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n${xmlize(cleaned, fn.returns)}</RESPONSE>\n`;
      return { status: 200, contentType: 'application/xml; charset=utf-8', body: xml };
    } catch (e) {
      if (e instanceof MoodleException) return errorReply(e, fmt);
      // A PHP fatal error: no Moodle error object, just a 500 page.
      process.emitWarning(`sandbox: internal error: ${(e as Error).stack ?? String(e)}`);
      return { status: 500, contentType: 'text/html; charset=utf-8', body: HTML_500 };
    }
  }

  function takeFault(fn: string | undefined): Fault | undefined {
    const i = faults.findIndex((f) => f.fn === undefined || f.fn === fn);
    if (i < 0) return undefined;
    const f = faults[i];
    if (--f.left <= 0) faults.splice(i, 1);
    return f;
  }

  function send(res: http.ServerResponse, r: Reply): void {
    res.writeHead(r.status, {
      'Content-Type': r.contentType,
      'Content-Length': Buffer.byteLength(r.body),
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'private, must-revalidate, pre-check=0, post-check=0, max-age=0',
      Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
      Pragma: 'no-cache',
      'Accept-Ranges': 'none',
    });
    res.end(r.body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (url.pathname !== REST_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>\n');
      return;
    }
    const body = Buffer.concat(chunks);
    // PHP fills $_POST only for a form-encoded POST body (a JSON body leaves every parameter missing).
    const isForm = req.method === 'POST' &&
      (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    // $_GET and $_POST are each cut at max_input_vars; array_merge($_GET, $_POST): POST wins.
    const get = parseForm(url.search.slice(1));
    const post = isForm && body.length <= POST_MAX_SIZE ? parseForm(body.toString('utf8')) : {};
    const vars = { ...get, ...post };
    const fnName = typeof vars.wsfunction === 'string' ? vars.wsfunction : undefined;
    stats.calls++;
    if (fnName !== undefined) stats.byFunction[fnName] = (stats.byFunction[fnName] ?? 0) + 1;
    if (fnName !== undefined && implemented.get(fnName)?.write) stats.writeCalls++;

    const fault = takeFault(fnName);
    if (fault?.kind === 'http500') {
      send(res, { status: 500, contentType: 'text/html; charset=utf-8', body: HTML_500 });
      return;
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'latency') await sleep(fault.ms);

    await pool.acquire();
    let reply: Reply;
    try {
      await sleep(perCallCostMs);
      reply = await execute(vars);
    } finally {
      pool.release();
    }
    if (fault?.kind === 'commit-then-stall') await sleep(fault.ms);
    if (fault?.kind === 'commit-then-drop' || fault?.kind === 'commit-then-stall') {
      req.socket.destroy();
      return;
    }
    send(res, reply);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      process.emitWarning(`sandbox: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) send(res, { status: 500, contentType: 'text/html; charset=utf-8', body: HTML_500 });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  ctx.siteUrl = url;

  const toSandboxCohort = (c: CohortRow): SandboxCohort => ({
    id: c.id, categoryid: c.categoryid, name: c.name, idnumber: c.idnumber, description: c.description,
    visible: c.visible === 1, members: store.courses.cohortMembers(c.id),
  });

  const byId = (id: number) => {
    const u = store.get(id);
    return u ? toSandboxUser(u) : undefined;
  };

  return {
    url,
    port,
    token,
    users: {
      list: () => store.all().map(toSandboxUser),
      byUsername: (u) => {
        const row = store.byUsername(u);
        return row ? toSandboxUser(row) : undefined;
      },
      byId,
      byIdnumber: (idn) => store.listWhereIn('idnumber', [idn]).map(toSandboxUser),
      deleteByHand: (id) => {
        const u = store.get(id);
        if (!u || u.deleted) throw new Error(`No user ${id} to delete`);
        if (id === 1 || id === 2) throw new Error('The guest and admin accounts cannot be deleted');
        store.transaction(() => deleteUserRecord(store, u));
      },
    },
    categories: {
      list: () => store.courses.categories().map(toSandboxCategory),
    },
    courses: {
      list: () => store.courses.courses().map(toSandboxCourse),
      byIdnumber: (idn) => {
        const c = idn === '' ? undefined : store.courses.coursesWhere('idnumber', idn)[0];
        return c ? toSandboxCourse(c) : undefined;
      },
      byShortname: (sn) => {
        const c = store.courses.coursesWhere('shortname', sn)[0];
        return c ? toSandboxCourse(c) : undefined;
      },
    },
    enrolments: {
      of: (courseId) => {
        const instance = store.courses.manualInstance(courseId);
        if (!instance) return [];
        return store.courses.userEnrolments(courseId)
          .filter((ue) => ue.enrolid === instance.id)
          .map((ue) => ({
            userid: ue.userid, status: ue.status, timestart: ue.timestart, timeend: ue.timeend,
            roles: store.courses.roles(courseId, ue.userid),
          }));
      },
    },
    groups: {
      of: (courseId) => store.courses.groups(courseId).map((g) => ({
        id: g.id, courseid: g.courseid, name: g.name, idnumber: g.idnumber, description: g.description ?? '',
        visibility: g.visibility, participation: g.participation === 1, members: store.courses.members(g.id),
      })),
    },
    cohorts: {
      list: () => store.courses.cohorts().map(toSandboxCohort),
      byIdnumber: (idn) => {
        const c = store.courses.cohorts().find((x) => x.idnumber === idn);
        return c ? toSandboxCohort(c) : undefined;
      },
      cohortMembers: (idn) => {
        const c = store.courses.cohorts().find((x) => x.idnumber === idn);
        return c ? store.courses.cohortMembers(c.id) : [];
      },
    },
    roles: {
      roleAssignments: (filter = {}) => store.courses.roleAssignments(filter).map((r) => ({
        roleid: r.roleid, userid: r.userid, contextlevel: r.contextlevel, instanceid: r.instanceid, component: r.component,
      })),
    },
    stats,
    mail: ctx.mail,
    faults: {
      add: (f) => {
        faults.push({ ...f, left: f.times ?? 1 });
      },
      clear: () => {
        faults.length = 0;
      },
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}
