/**
 * The REST client: POST form bodies to /webservice/rest/server.php over keep-alive connections; and files to
 * /webservice/upload.php (multipart, undici's FormData) over the same ones. The connections go through undici's
 * EnvHttpProxyAgent (HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured), at most `connections` to the site; certificates
 * are always verified, against Node's public roots plus the private CA given (--ca / moodle.ca).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { newAgent, newFormData } from './undici-core.js';
import { encodeForm } from './encode.js';
import { MoodleError, ProtocolError, TlsError, TransientError, isMoodleErrorBody } from './errors.js';
import { RateLimiter } from './rate.js';
import type { MoodleCaller } from './types.js';

export interface MoodleClientOptions {
  /** Site root, e.g. http://127.0.0.1:8080 (a trailing /webservice/rest/server.php is accepted too). */
  url: string;
  token: string;
  /** Per call; default 300000 because Moodle keeps working (and may commit) long after proxies give up. */
  timeoutMs?: number;
  /** Sockets kept open to the site; default 8. */
  connections?: number;
  /** Told every few seconds while a call waits for its answer (progress for a site that is slow or never answers). */
  onWaiting?: (line: string) => void;
  /** PEM text of a private certificate authority (--ca / moodle.ca), trusted besides Node's public roots. */
  ca?: string;
  /** Calls started per second at most (moodle.maxRequestsPerSecond); absent: no limit but the connection cap. */
  maxRequestsPerSecond?: number;
  /** The rate limiter itself (tests inject one with their own clock); overrides maxRequestsPerSecond. */
  rate?: RateLimiter;
}

const ENDPOINT = '/webservice/rest/server.php';
const UPLOAD_ENDPOINT = '/webservice/upload.php';
/** The name calls to upload.php are counted and reported under (it is a script, not a web-service function). */
export const UPLOAD_SCRIPT = 'webservice/upload.php';

/** One file for upload.php. */
export interface UploadFile {
  name: string;
  content: Buffer;
  /** MIME type sent with the part (upload.php ignores it). */
  type?: string;
}

/** Node and undici error codes of a dropped or refused connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** OpenSSL's and Node's codes of a certificate that cannot be verified: the same every time, never retried. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Codes of a request that never reached the site: nothing of the call can have run there. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export class MoodleClient implements MoodleCaller {
  readonly stats: { calls: number; byFunction: Record<string, number> } = { calls: 0, byFunction: {} };
  private readonly pool: Dispatcher;
  private readonly origin: string;
  private readonly privateCa: boolean;
  private readonly rate: RateLimiter | null;
  private readonly path: string;
  private readonly uploadPath: string;
  private readonly endpoint: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly onWaiting?: (line: string) => void;

  constructor(opts: MoodleClientOptions) {
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Moodle URL must be http(s): ${url.origin}`);
    const base = url.pathname.replace(/\/+$/, '').replace(/\/webservice\/rest\/server\.php$/, '');
    this.path = base + ENDPOINT;
    this.uploadPath = base + UPLOAD_ENDPOINT;
    this.endpoint = url.origin + this.path;
    this.token = opts.token;
    const timeout = opts.timeoutMs ?? 300_000;
    this.timeoutMs = timeout;
    this.onWaiting = opts.onWaiting;
    this.origin = url.origin;
    this.privateCa = opts.ca !== undefined;
    this.rate = opts.rate ?? (opts.maxRequestsPerSecond ? new RateLimiter(opts.maxRequestsPerSecond) : null);
    // Given explicitly, rejectUnauthorized wins over NODE_TLS_REJECT_UNAUTHORIZED=0: nothing turns verification off.
    // One secure context for every connection: parsing the public roots again for each one costs some 70 ms.
    const tls = { rejectUnauthorized: true, ...(opts.ca !== undefined ? { secureContext: createSecureContext({ ca: trustedRoots(opts.ca) }) } : {}) };
    this.pool = newAgent({
      // Per origin, direct or through the proxy: the cap on connections (keep-alive) to the site.
      connections: opts.connections ?? 8,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      // undici's own 10 s for a host that never completes the connection, but never longer than moodle.timeoutMs.
      connectTimeout: Math.min(timeout, 10_000),
      keepAliveTimeout: 30_000,
      // Direct connections; through a proxy, the tunnelled connection to the site, and to an https:// proxy.
      connect: tls,
      requestTls: tls,
      proxyTls: tls,
    });
  }

  async call<T>(wsfunction: string, params: Record<string, unknown>): Promise<T> {
    this.stats.calls++;
    this.stats.byFunction[wsfunction] = (this.stats.byFunction[wsfunction] ?? 0) + 1;
    let status: number;
    let text: string;
    await this.rate?.take();
    const waiting = this.waitingNotice(wsfunction);
    try {
      // POST, never GET: a query string would put the token in access logs.
      const res = await this.pool.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: encodeForm(this.token, wsfunction, params),
        // undici's header/body timers tick coarsely (up to ~1 s late): this deadline holds the call to moodle.timeoutMs.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw this.networkError(wsfunction, err);
    } finally {
      if (waiting) clearInterval(waiting);
    }
    return this.interpret<T>(wsfunction, status, text);
  }

  /**
   * POSTs files to webservice/upload.php (the token user's draft area; itemid 0: a new draft area). The reply is
   * upload.php's JSON (an array, one entry per file) as parsed; its own error shape {error, errorcode, …} is thrown as
   * MoodleError. The token travels as a form field of the body, never in the URL.
   */
  async upload(files: readonly UploadFile[], itemid = 0): Promise<unknown> {
    this.stats.calls++;
    this.stats.byFunction[UPLOAD_SCRIPT] = (this.stats.byFunction[UPLOAD_SCRIPT] ?? 0) + 1;
    const form = await newFormData();
    form.append('token', this.token);
    form.append('filearea', 'draft');
    form.append('itemid', String(itemid));
    files.forEach((f, i) => form.append(`file_${i + 1}`, new Blob([f.content], { type: f.type ?? 'application/octet-stream' }), f.name));
    let status: number;
    let text: string;
    await this.rate?.take();
    const waiting = this.waitingNotice(UPLOAD_SCRIPT);
    try {
      const res = await this.pool.request({
        origin: this.origin,
        path: this.uploadPath,
        method: 'POST',
        body: form,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw this.networkError(UPLOAD_SCRIPT, err);
    } finally {
      if (waiting) clearInterval(waiting);
    }
    const body = this.interpret<unknown>(UPLOAD_SCRIPT, status, text);
    // upload.php is an AJAX script: its errors are {error, errorcode, stacktrace, debuginfo, reproductionlink}.
    if (isUploadErrorBody(body)) {
      throw new MoodleError(UPLOAD_SCRIPT, {
        exception: 'moodle_exception',
        errorcode: body.errorcode,
        message: this.scrub(String(body.error)),
        ...(typeof body.debuginfo === 'string' ? { debuginfo: this.scrub(body.debuginfo) } : {}),
      });
    }
    return body;
  }

  /** A line every few seconds (at most a third of the timeout) while the call has no answer; none without a listener. */
  private waitingNotice(wsfunction: string): NodeJS.Timeout | null {
    const notify = this.onWaiting;
    if (!notify) return null;
    const started = Date.now();
    const every = Math.max(200, Math.min(5000, Math.floor(this.timeoutMs / 3)));
    const timer = setInterval(() => {
      const waited = ((Date.now() - started) / 1000).toFixed(1);
      notify(`waiting for Moodle to answer ${wsfunction} (${waited} s so far; mdlsync gives up after moodle.timeoutMs = ${this.timeoutMs} ms)`);
    }, every);
    timer.unref();
    return timer;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private interpret<T>(wsfunction: string, status: number, text: string): T {
    const where = `${wsfunction} at ${this.endpoint}`;
    const trimmed = text.trim();
    if (status === 403 && trimmed === '') {
      throw new ProtocolError(
        `${where}: HTTP 403 with an empty body: web services or the REST protocol are disabled on the site (Site administration › Server › Web services)`,
        403,
      );
    }
    if (status !== 200) {
      // 5xx (PHP fatal, maintenance, proxy timeouts) and throttling pass; other 4xx (wrong URL, 413/414) will not.
      if (status >= 500 || status === 408 || status === 429) {
        // 408 and 429 come before the request is processed (request timeout, throttling): nothing ran.
        throw new TransientError('http-status', this.scrub(`${where}: HTTP ${status}`), status, status >= 500);
      }
      throw new ProtocolError(this.scrub(`${where}: HTTP ${status}${status === 404 ? ' (is this the Moodle site root?)' : ''}`), status);
    }
    let body: unknown;
    try {
      body = JSON.parse(trimmed);
    } catch {
      // An HTML or empty 200 is a PHP fatal error or a proxy page, not Moodle's answer.
      throw new TransientError('not-json', this.scrub(`${where}: the reply is not JSON (${describeBody(trimmed)})`), status);
    }
    if (isMoodleErrorBody(body)) {
      const err = new MoodleError(wsfunction, {
        exception: body.exception,
        errorcode: body.errorcode,
        message: this.scrub(String(body.message ?? '')),
        ...(typeof body.debuginfo === 'string' ? { debuginfo: this.scrub(body.debuginfo) } : {}),
      });
      throw err;
    }
    return body as T;
  }

  private networkError(wsfunction: string, err: unknown): Error {
    const code = (err as { code?: unknown })?.code;
    const codeText = typeof code === 'string' ? code : 'unknown error';
    const where = `${wsfunction} at ${this.endpoint}`;
    const certificate = certificateFailure(err);
    if (certificate) {
      const fix = this.privateCa
        ? 'the certificate authority given with --ca (moodle.ca) did not sign it either: give the CA that issued the site\'s certificate'
        : 'if the site uses a private certificate authority, pass its certificate with --ca FILE (or set moodle.ca)';
      return new TlsError(this.scrub(`${where}: the site's certificate could not be verified (${certificate.code}: ${certificate.message}): ${fix}`), certificate.code);
    }
    const reached = !(typeof code === 'string' && NOT_SENT_CODES.has(code));
    if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || (err as Error)?.name === 'TimeoutError') {
      return new TransientError('timeout', `${where}: no answer within moodle.timeoutMs (${this.timeoutMs} ms); the call may still complete on the site`, undefined, reached);
    }
    if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      return new TransientError('network', `${where}: connection failed (${codeText})`, undefined, reached);
    }
    // Unknown failures are treated as network trouble; the message is ours, never the request's.
    return new TransientError('network', this.scrub(`${where}: request failed (${codeText}: ${(err as Error)?.message ?? String(err)})`));
  }

  /** Belt and braces: nothing the site or a library says is allowed to echo the token back to the user. */
  private scrub(text: string): string {
    return this.token ? text.split(this.token).join('[token]') : text;
  }
}

/** Node's public roots, NODE_EXTRA_CA_CERTS (which an explicit ca would otherwise drop) and the private CA. */
function trustedRoots(ca: string): string[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  let extraPem: string[] = [];
  if (extra) {
    try {
      extraPem = [readFileSync(extra, 'utf8')];
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so does this (by leaving it out).
    }
  }
  return [...rootCertificates, ...extraPem, ca];
}

/** The certificate failure in an error or its causes (a proxy tunnel wraps the TLS error), if any. */
function certificateFailure(err: unknown): { code: string; message: string } | null {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CERTIFICATE_CODES.has(code)) return { code, message: (e as Error).message };
  }
  return null;
}

function isUploadErrorBody(body: unknown): body is { error: unknown; errorcode: string; debuginfo?: unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) &&
    typeof (body as Record<string, unknown>).errorcode === 'string' && 'error' in body;
}

function describeBody(text: string): string {
  if (text === '') return 'empty body';
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  if (title) return `HTML page "${title.slice(0, 80)}"`;
  return `starts with ${JSON.stringify(text.slice(0, 60))}`;
}
