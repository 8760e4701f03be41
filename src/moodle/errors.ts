/** Typed errors of the REST client. None of them ever carries the token (it travels only in the POST body). */
import { MdlsyncError, asMoodleErrorcode, type MoodleErrorcode } from '../errors.js';
import type { MoodleErrorBody } from './types.js';

/** Moodle's HTTP-200 error object. Key on `errorcode`: `exception` changed names in 4.5 and `message` is localised. */
export class MoodleError extends MdlsyncError<'moodle-error'> {
  readonly wsfunction: string;
  readonly exception: string;
  readonly errorcode: MoodleErrorcode;
  readonly debuginfo?: string;

  constructor(wsfunction: string, body: MoodleErrorBody) {
    // debuginfo holds the useful text (which record, which field), but only on sites with debugging on.
    super('moodle-error', body.debuginfo ? `${body.message} — ${body.debuginfo}` : body.message);
    this.name = 'MoodleError';
    this.wsfunction = wsfunction;
    this.exception = body.exception;
    this.errorcode = asMoodleErrorcode(body.errorcode);
    if (body.debuginfo !== undefined) this.debuginfo = body.debuginfo;
  }
}

export type TransientReason = 'network' | 'timeout' | 'http-status' | 'not-json';

/** A failure worth retrying: the call may or may not have run on the site. */
export class TransientError extends MdlsyncError<'transient'> {
  readonly reason: TransientReason;
  readonly status?: number;
  /** False only when the request never reached the site (connection refused, no such host): nothing can have run. */
  readonly reachedSite: boolean;

  constructor(reason: TransientReason, message: string, status?: number, reachedSite = true) {
    super('transient', message);
    this.name = 'TransientError';
    this.reason = reason;
    if (status !== undefined) this.status = status;
    this.reachedSite = reachedSite;
  }
}

/** The site answered in a way mdlsync cannot use and retrying will not fix (REST disabled, wrong URL, truncated input). */
export class ProtocolError extends MdlsyncError<'protocol'> {
  /** The HTTP status when the site refused the request itself (403 REST disabled, 404 wrong URL …). */
  readonly status?: number;

  constructor(message: string, status?: number) {
    super('protocol', message);
    this.name = 'ProtocolError';
    if (status !== undefined) this.status = status;
  }
}

/**
 * The site's certificate could not be verified (unknown CA, wrong name, expired). Never retried: the same certificate
 * fails the same way, and the fix (--ca, or the site's certificate) is the admin's.
 */
export class TlsError extends MdlsyncError<'tls'> {
  /** Node's code for the failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID, …). */
  readonly tlsCode: string;

  constructor(message: string, tlsCode: string) {
    super('tls', message);
    this.name = 'TlsError';
    this.tlsCode = tlsCode;
  }
}

/** The run's circuit breaker opened: too many transient failures in a row, so no further call is sent. */
export class CircuitOpenError extends MdlsyncError<'circuit-open'> {
  constructor(message: string) {
    super('circuit-open', message);
    this.name = 'CircuitOpenError';
  }
}

/** Moodle error codes that come from the database or maintenance, not from the data: worth another try. */
const TRANSIENT_ERRORCODES = new Set(['dmlreadexception', 'dmlwriteexception', 'sitemaintenance']);

export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  return err instanceof MoodleError && TRANSIENT_ERRORCODES.has(err.errorcode);
}

/**
 * Error codes Moodle raises while checking a call or inside its transaction, so nothing of the call was saved.
 * Any other code (e.g. "Message was not sent.", raised by the welcome mail after enrol_manual_enrol_users committed,
 * or invalidresponse, raised while cleaning the reply) may come after the commit.
 */
const REFUSAL_ERRORCODES = new Set([
  'invalidparameter', 'invalidrecord', 'invaliduser', 'invalidtoken', 'accessexception', 'nopermissions',
  'wsaccessusersuspended', 'wsaccessusernologin', 'servicerequireslogin', 'requireloginerror', 'shortnametaken',
  'courseidnumbertaken', 'categoryidnumbertaken', 'idnumbertaken', 'unknowcategory', 'unknowncategory',
  'errorcatcontextnotvalid', 'wsusercannotassign', 'wsnoinstance', 'useradminodelete', 'cannotmovecategory',
  'dmlreadexception', 'dmlwriteexception', 'sitemaintenance',
]);

/**
 * True when a failed write may nonetheless have been saved: the request reached the site and the answer is not one
 * of Moodle's refusals (a timeout or dropped connection after sending, a 5xx or HTML page, an unknown errorcode).
 */
export function mayHaveCommitted(err: unknown): boolean {
  if (err instanceof TransientError) return err.reachedSite;
  return err instanceof MoodleError && !REFUSAL_ERRORCODES.has(err.errorcode);
}

/** True for a parsed JSON body that is Moodle's error object. */
export function isMoodleErrorBody(body: unknown): body is MoodleErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Array.isArray(body) &&
    typeof (body as Record<string, unknown>).exception === 'string' &&
    typeof (body as Record<string, unknown>).errorcode === 'string'
  );
}
