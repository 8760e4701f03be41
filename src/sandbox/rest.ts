/**
 * Moodle's REST server (webservice/rest/server.php and webservice_base_server::run()): from a request's parameters
 * to the reply: the token, the function's lookup and access, its parameters, the call, the cleaning of its result,
 * and the JSON or XML encoding of the result or of the error object.
 */
import { MoodleException, PhpError, missingRecord, invalidParameter, webserviceAccessException, moodleException } from './errors.js';
import { cleanReturnValue, validateParameters, xmlize, htmlspecialchars } from './params.js';
import type { FunctionContext, WsFunction } from './context.js';
import { FUNCTIONS, OTHER_MOODLE_FUNCTIONS } from './functions.js';
import { CostMeter, emailScanCostMs, type EmailScanModel } from './capacity.js';
import { SERVER_ERROR, type Reply } from './http.js';
import { phpJsonEncode } from './json.js';

/** The web service the token opens: its functions and how it answers. */
export interface WebService {
  token: string;
  /** Error objects carry debuginfo (developer debugging); false = production (no debuginfo key). */
  debug: boolean;
  /** Every function the sandbox implements, by name. */
  implemented: Map<string, WsFunction>;
  /** The token's service functions (what site info lists and what may be called). */
  serviceFunctions: string[];
  /** Every Moodle 4.5 function name, implemented or not: any other name is an unknown function. */
  known: Set<string>;
  /** Simulated cost per created/updated user record. */
  perRecordCostMs: number;
  /** Simulated cost of Moodle's case-insensitive duplicate-email check per created user (grows with the table). */
  emailScan: EmailScanModel;
  /** Every simulated cost the site pays goes through it. */
  meter: CostMeter;
}

/** The service from the sandbox's options; a service function the sandbox does not implement is a setup error. */
export function webService(opts: {
  token?: string;
  debug?: boolean;
  functions?: string[];
  perRecordCostMs?: number;
  emailScanMsPer1000Users?: number;
  emailIndex?: boolean;
  siteUsers?: number;
}): WebService {
  const implemented = new Map(FUNCTIONS.map((f) => [f.name, f]));
  const serviceFunctions = opts.functions ?? FUNCTIONS.map((f) => f.name);
  for (const name of serviceFunctions) {
    if (!implemented.has(name)) throw new Error(`The sandbox does not implement ${name}`);
  }
  return {
    token: opts.token ?? 'sandbox-token',
    debug: opts.debug ?? true,
    implemented,
    serviceFunctions,
    known: new Set([...implemented.keys(), ...OTHER_MOODLE_FUNCTIONS]),
    perRecordCostMs: opts.perRecordCostMs ?? 0,
    emailScan: { msPer1000Users: opts.emailScanMsPer1000Users ?? 0, index: opts.emailIndex ?? false, extraRows: opts.siteUsers ?? 0 },
    meter: new CostMeter(),
  };
}

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

export { phpJsonEncode } from './json.js';

type Format = 'json' | 'xml';

function errorReply(e: MoodleException, format: Format, debug: boolean): Reply {
  const withDebug = debug && e.debuginfo !== undefined;
  if (format === 'json') {
    const obj: Record<string, string> = e instanceof PhpError ? { exception: e.exceptionClass, message: e.message } : { exception: e.exceptionClass, errorcode: e.errorcode, message: e.message };
    if (withDebug) obj.debuginfo = e.debuginfo as string;
    return { status: 200, contentType: 'application/json', body: phpJsonEncode(obj) };
  }
  let xml = '<?xml version="1.0" encoding="UTF-8" ?>\n';
  xml += `<EXCEPTION class="${e.exceptionClass}">\n`;
  if (!(e instanceof PhpError)) xml += `<ERRORCODE>${htmlspecialchars(e.errorcode)}</ERRORCODE>\n`;
  xml += `<MESSAGE>${htmlspecialchars(e.message)}</MESSAGE>\n`;
  if (withDebug) xml += `<DEBUGINFO>${htmlspecialchars(e.debuginfo as string)}</DEBUGINFO>\n`;
  xml += '</EXCEPTION>\n';
  return { status: 200, contentType: 'application/xml; charset=utf-8', body: xml };
}

function resultReply(fn: WsFunction, result: unknown, format: Format): Reply {
  if (fn.returns === null) {
    if (format === 'json') return { status: 200, contentType: 'application/json', body: 'null' };
    return {
      status: 200,
      contentType: 'application/xml; charset=utf-8',
      body: '<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n</RESPONSE>\n',
    };
  }
  const cleaned = cleanReturnValue(fn.returns, result);
  if (format === 'json') return { status: 200, contentType: 'application/json', body: phpJsonEncode(cleaned) };
  const xml = `<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n${xmlize(cleaned, fn.returns)}</RESPONSE>\n`;
  return { status: 200, contentType: 'application/xml; charset=utf-8', body: xml };
}

/** webservice_base_server::run(): token, function lookup, access, parameters, call, cleaning of the result. */
export async function restCall(service: WebService, ctx: FunctionContext, vars: Record<string, unknown>): Promise<Reply> {
  const format: Format = vars.moodlewsrestformat === 'json' ? 'json' : 'xml';
  const { wstoken, wsfunction } = vars;
  const params: Record<string, unknown> = { ...vars };
  delete params.moodlewsrestformat;
  delete params.wstoken;
  delete params.wsfunction;
  for (const k of Object.keys(params)) if (k.startsWith('moodlewssetting')) delete params[k];
  try {
    if (typeof wstoken !== 'string' || wstoken !== service.token) {
      throw moodleException('invalidtoken', 'Invalid token - token not found');
    }
    if (typeof wsfunction !== 'string' || wsfunction === '' || wsfunction === '0') {
      throw invalidParameter('Missing function name');
    }
    if (!service.known.has(wsfunction)) {
      throw missingRecord('external_functions', 'SELECT * FROM {external_functions} WHERE name = ?', [wsfunction]);
    }
    const fn = service.implemented.get(wsfunction);
    if (!fn || !service.serviceFunctions.includes(wsfunction)) throw accessDenied(wsfunction);
    const validated = validateParameters(fn.params, params) as Record<string, unknown>;
    if (fn.records && service.perRecordCostMs > 0) await service.meter.pay(fn.records(validated) * service.perRecordCostMs);
    // Moodle skips the check when the site allows accounts with the same email.
    if (fn.emailChecks && !ctx.allowAccountsSameEmail) {
      await service.meter.pay(emailScanCostMs(service.emailScan, ctx.store.userRows(), fn.emailChecks(validated)));
    }
    return resultReply(fn, fn.run(ctx, validated), format);
  } catch (e) {
    if (e instanceof MoodleException) return errorReply(e, format, service.debug);
    // A PHP fatal error: no Moodle error object, just a 500 page.
    process.emitWarning(`sandbox: internal error: ${(e as Error).stack ?? String(e)}`);
    return SERVER_ERROR;
  }
}
