/**
 * `mdlsync doctor`'s checks: is everything a run needs in place? The Moodle URL, the token (site info), the functions
 * each named feed type calls, the observer and system roles (probed: src/doctor/roles.ts), the ledger, the reports and
 * archive folders and the log file. Each check is a result (status, what was checked, what to do when it fails); the
 * CLI (src/cli/doctor.ts) only prints them.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { requireMoodle, siteConnection, type Config } from '../config/index.js';
import { ENTITY_TYPES, functionsOf, type EntityType } from '../entities/index.js';
import { isPostgresUrl, redactUrl } from '../db/types.js';
import { openLedger } from '../ledger/index.js';
import { MoodleClient, MoodleError, PICTURE_FUNCTIONS, TlsError, getSiteInfo } from '../moodle/index.js';
import { networkChecks } from './network.js';
import { logFileProblem } from '../report/logger.js';
import { roleChecks } from './roles.js';
import { capabilityChecks, enrolmentMethodCheck } from './capabilities.js';
import { inputVarsCheck } from './input-vars.js';
import { EXPORT_FUNCTIONS, EXPORT_KINDS } from '../export/functions.js';
import type { ExportKind } from '../export/rows.js';
import type { DoctorCheck, DoctorReport } from './types.js';

export type { CheckStatus, DoctorCheck, DoctorReport } from './types.js';

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every check, in the order they are shown; a Moodle that cannot be reached fails one check and the rest still run.
 * `pictures`: also what `mdlsync pictures` needs (its functions, and the service's "Can upload files");
 * `functions`: those of other commands to check too (`--mirror`: those of mdlsync mirror).
 */
export async function runDoctor(
  config: Config,
  types: readonly EntityType[],
  exports: readonly ExportKind[] = [],
  opts: { pictures?: boolean; functions?: readonly string[] } = {},
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const check = (name: string, ok: boolean, message: string, hint?: string): void => {
    checks.push({ name, status: ok ? 'ok' : 'fail', message, ...(!ok && hint !== undefined ? { hint } : {}) });
  };
  const { url, token } = requireMoodle(config);
  check('moodle-url', true, `Moodle URL ${url}`);
  checks.push(...networkChecks(config, process.env));
  const client = new MoodleClient({ ...siteConnection(config), url, token, timeoutMs: 30_000 });
  try {
    const info = await getSiteInfo(client);
    if (typeof info !== 'object' || info === null || !Array.isArray(info.functions)) {
      throw new Error(`${url} answered the site check with JSON that is not Moodle's site information (is moodle.url the Moodle site root?)`);
    }
    check('token', true, `token accepted: site "${info.sitename}", Moodle ${info.release}, user ${info.username}`);
    const have = new Set(info.functions.map((f) => f.name));
    const needed = [...new Set([
      ...types.flatMap((t) => functionsOf(t)),
      ...exports.flatMap((e) => EXPORT_FUNCTIONS[e]),
      ...(opts.pictures ? PICTURE_FUNCTIONS : []),
      ...(opts.functions ?? []),
    ])];
    for (const fn of needed) {
      check(`function:${fn}`, have.has(fn), `function ${fn} in the service`, `add ${fn} to the token's external service (Site administration › Server › Web services › External services › Functions)`);
    }
    if (opts.pictures) {
      // Site info's uploadfiles is the service's "Can upload files": webservice/upload.php refuses every file without it.
      check('uploads', info.uploadfiles === 1, `file uploads ${info.uploadfiles === 1 ? 'allowed' : 'not allowed'} by the service (site info uploadfiles = ${String(info.uploadfiles ?? 'absent')})`,
        'tick "Can upload files" on the token\'s external service (Site administration › Server › Web services › External services › Edit): mdlsync pictures uploads through webservice/upload.php');
    }
    checks.push(...capabilityChecks(info.userissiteadmin === true, types, exports, opts));
    if (types.includes('enrolments')) checks.push(enrolmentMethodCheck());
    // Observer and system roles: probed, since the web services cannot list roles.
    checks.push(...(await roleChecks(client, config, types, info.userid, have)));
    if (have.has('core_user_get_users_by_field')) checks.push(await inputVarsCheck(client, config.moodle.maxInputVars));
    else checks.push({ name: 'max-input-vars', status: 'info', message: `max_input_vars not checked (its probe reads with core_user_get_users_by_field, which the service lacks); mdlsync sends up to ${config.moodle.maxInputVars} form variables a call`, hint: "set moodle.maxInputVars to the site's PHP max_input_vars" });
    // What else this service could sync, so an admin adding a feed type knows before the first run.
    const others = ENTITY_TYPES.filter((t) => !types.includes(t));
    const ready = others.filter((t) => functionsOf(t).every((fn) => have.has(fn)));
    if (others.length) checks.push({ name: 'other-types', status: 'info', message: `the service also has every function for: ${ready.length ? ready.join(', ') : '(no other feed type)'}` });
    // The exports not asked for: which this service could run, so the SIS side knows before its first export.
    const otherExports = EXPORT_KINDS.filter((e) => !exports.includes(e));
    if (otherExports.length) {
      const can = otherExports.filter((e) => EXPORT_FUNCTIONS[e].every((fn) => have.has(fn))).map((e) => `export ${e}`);
      checks.push({ name: 'other-exports', status: 'info', message: `the service also has every function for: ${can.length ? can.join(', ') : '(no export)'}` });
    }
  } catch (err) {
    if (err instanceof TlsError) {
      check('tls', false, `Moodle cannot be trusted: ${err.message}`, err.hint);
    } else if (err instanceof MoodleError) {
      check('token', false, `token refused (${err.errorcode})`, 'create a token for the service user (Site administration › Server › Web services › Manage tokens) and set MDLSYNC_TOKEN');
    } else {
      check('token', false, `Moodle unreachable: ${(err as Error).message}`, 'check moodle.url, that web services and the REST protocol are enabled, and that the site is up');
    }
  } finally {
    await client.close();
  }
  try {
    const ledger = await openLedger(config);
    await ledger.close();
    check('ledger', true, `ledger ${ledger.path} (${ledger.backend === 'postgres' ? 'PostgreSQL' : 'SQLite'})`);
  } catch (err) {
    const where = redactUrl(config.ledger);
    const fix = isPostgresUrl(config.ledger)
      ? 'check the PostgreSQL server, the URL (host, port, database, user, password) and that the user may create the schema'
      : `make ${dirname(config.ledger)} writable or set "ledger" in the config`;
    check('ledger', false, `ledger ${where}: ${(err as Error).message}`, fix);
  }
  for (const [name, dir] of [
    ['reports', config.reports],
    ['archive', config.archive],
  ] as const) {
    check(`folder:${name}`, writable(dir), `${name} folder ${dir}${existsSync(dir) ? '' : ' (created)'}`, `make ${dir} writable or set "${name}" in the config`);
  }
  const log = join(config.reports, 'mdlsync.log');
  const logProblem = logFileProblem(log);
  check('log-file', logProblem === null, `log file ${log}${logProblem ? ` ${logProblem}` : ''}`, `remove or rename ${log}: mdlsync only appends to a regular file of its own there`);
  return { checks, problems: checks.filter((c) => c.status === 'fail').length };
}
