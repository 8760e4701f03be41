/**
 * What every sandbox web-service function is given and what it declares: the call's context (user store, site
 * settings, mail transport) and the WsFunction shape the registry (functions.ts) holds. Types only: every function
 * module imports it, and it imports none of them.
 */
import type { Desc, SingleDesc } from './params.js';
import type { UserStore } from './user-store.js';

export interface FunctionContext {
  store: UserStore;
  siteUrl: string;
  passwordPolicy: boolean;
  allowAccountsSameEmail: boolean;
  serviceFunctions: string[];
  /** The site's mail transport: when failing, every message Moodle sends raises "Message was not sent.". */
  mail: SandboxMail;
  /** The token's service settings and the site's upload limit (tests may change them while the site runs). */
  service: SandboxService;
}

export interface SandboxService {
  /** The service's "Can upload files" (uploadfiles): guards webservice/upload.php, reported by site info. */
  uploadfiles: boolean;
  /** $CFG->maxbytes: the site's upload limit per file (0: only PHP's upload_max_filesize, 2 MB). */
  maxBytes: number;
}

export interface SandboxMail {
  failing: boolean;
  /** Messages delivered so far (what a fake sendmail would have written). */
  sent: number;
}

export interface WsFunction {
  name: string;
  /** external_function_parameters: a single structure over the request's parameters. */
  params: SingleDesc;
  /** null: the function returns nothing (JSON body `null`). */
  returns: Desc | null;
  /** Changes state (counted in stats.writeCalls). */
  write: boolean;
  /** How many user records the call creates or updates (for the simulated per-record cost). */
  records?: (params: Record<string, unknown>) => number;
  /** How many new users' emails the call checks against the whole user table (for the simulated email scan). */
  emailChecks?: (params: Record<string, unknown>) => number;
  run: (ctx: FunctionContext, params: Record<string, unknown>) => unknown;
}
