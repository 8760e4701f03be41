/**
 * Configuration: `mdlsync.config.json` (or --config), then environment (MDLSYNC_URL, MDLSYNC_TOKEN), then flags.
 * Validated with zod so a typo in the file is an error naming the key, not a silent default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { ENTITY_TYPES } from '../entities/index.js';
import { OPS, type Op } from '../plan/types.js';
import { windowProblem } from '../plan/windows.js';
import { addSecrets } from '../report/redact.js';
import { enrolmentsSchema } from './enrolments.js';
import { institutionRolesSchema, observersSchema } from './roles.js';
import { dialectsSchema } from './dialects.js';
import { mirrorSchema, onChangeSchema } from './mirror.js';
import { moodleSchema } from './moodle.js';
import { ledgerSettingSchema, resolveLedger, stateDirOf, urlPassword } from './ledger.js';
import { checkDistinctLedgers, resolveSite, SiteSettingError, sitesSchema, type SiteSettings } from './sites.js';
import { Refusal } from '../refusal.js';
import { MdlsyncError } from '../errors.js';

export { DEFAULT_LEDGER_SCHEMA, isLedgerUrl } from './ledger.js';
export type { SiteSettings } from './sites.js';

export const CONFIG_FILE_NAME = 'mdlsync.config.json';

/**
 * JSON has no comments, and no parser that allows them is a dependency: a key that starts with // is a comment
 * (npm's package.json convention), at any depth, and is dropped before validation. It also comments a setting out
 * ("//maxInputVars": 5000). No setting's name, nor any map's key (role names, shortnames), starts with //.
 */
export const COMMENT_KEY_PREFIX = '//';

export function withoutComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutComments);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith(COMMENT_KEY_PREFIX))
      .map(([key, v]) => [key, withoutComments(v)]),
  );
}

const personsSchema = z
  .object({
    passwords: z.enum(['create-only', 'always']).default('create-only'),
    /** What an explicit delete does: suspend the account (default) or really delete it. Refreshes always suspend. */
    disable: z.enum(['suspend', 'delete']).default('suspend'),
    /** Moodle requires an email: used on create when the row has none. {username} and {key} are replaced. */
    emailWhenMissing: z.string().nullable().default('{username}@example.invalid'),
    /** Without a password in the row, let Moodle generate one and email it (createpassword). */
    createPasswordWhenMissing: z.boolean().default(true),
    /** `mdlsync user password`: also set username = email = the person's current email (as --username-from-email). */
    usernameFromEmail: z.boolean().default(false),
  })
  .strict();

/** An IANA time zone name this Node can use. */
const timezoneSchema = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'unknown time zone (use an IANA name such as Europe/Paris)' },
);

const coursesSchema = z
  .object({
    /** What an explicit delete does to a course: hide it (default) or really delete it. Refreshes always hide. */
    disable: z.enum(['hide', 'delete']).default('hide'),
    /** Separator of the levels of a CATEGORY path such as 2026/September/Morning. */
    pathSeparator: z.string().min(1).default('/'),
    /**
     * Time zone of START_DATE / END_DATE without an offset; absent: the machine's, looked up where a date needs it
     * (asking ICU for it costs some 30 ms, which every command would pay for a value most runs never use).
     */
    timezone: timezoneSchema.optional(),
  })
  .strict();

const cohortsSchema = z
  .object({
    /** What an explicit disable does to a cohort: delete it (default) or empty it (remove its members, keep it). Refreshes always empty. */
    disable: z.enum(['delete', 'empty']).default('delete'),
  })
  .strict();

const diffSchema = z
  .object({
    /** `mdlsync diff --repair`: a record deleted in Moodle is created anew (its stale link dropped); off: reported only. */
    recreateDeleted: z.boolean().default(false),
  })
  .strict();

/** `mdlsync pictures`: how file names name people, and the size limit (default: the site's, else PHP's 2 MB). */
const picturesSchema = z
  .object({
    match: z.enum(['key', 'username', 'idnumber']).default('key'),
    maxBytes: z.number().int().min(1).optional(),
  })
  .strict();

const guardSchema = z
  .object({
    maxPercent: z.number().min(0).max(100).default(10),
    maxCount: z.number().int().min(0).default(1000),
    /** Refuse a store or refresh that would change one field of more than this percent of the owned records; null: off. */
    maxUpdatePercent: z.number().min(0).max(100).nullable().default(25),
    /** The update guard applies from this many owned records of the type on. */
    updateMinOwned: z.number().int().min(0).default(100),
    /** Windows (inclusive; plain dates in courses.timezone) in which a refresh stores and holds every disable. */
    additionsOnly: z
      .array(z.object({ from: z.string().min(1), to: z.string().min(1) }).strict())
      .default([])
      .superRefine((windows, ctx) => {
        for (const [i, w] of windows.entries()) {
          const problem = windowProblem(w);
          if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
        }
      }),
  })
  .strict();


const opSchema = z.enum(OPS as [Op, ...Op[]]);

/** A watch rule: the first whose glob matches the file name decides type, op and data source. */
const watchRuleSchema = z
  .object({
    match: z.string().min(1),
    type: z.enum(ENTITY_TYPES).optional(),
    /** refresh / refresh-ds here is the explicit permission; a file name alone never asks for a refresh. */
    op: opSchema,
    datasource: z.string().min(1).optional(),
    force: z.boolean().default(false),
    /** The site (a name under "sites") the file runs against; default: the one the watch runs for. */
    site: z.string().min(1).optional(),
  })
  .strict();

export const watchSchema = z
  .object({
    rules: z.array(watchRuleSchema).default([]),
    /** A file counts as completely written once its size has not changed for this long. */
    stabilityMs: z.number().int().min(50).default(2000),
    pollMs: z.number().int().min(10).default(100),
    /** How long a run waits for the ledger's writer lock held by another run before it is refused. */
    lockWaitSeconds: z.number().int().min(0).default(600),
    /** After the files waiting together have run, a mirror pass (`mdlsync mirror`) when one of them was applied. */
    mirror: z.boolean().default(false),
  })
  .strict();

/** watch and schedule: rows Moodle could not take (outage, timeouts, 5xx) are tried again after a delay that doubles. */
export const retrySchema = z
  .object({
    firstDelayMs: z.number().int().min(10).default(60_000),
    maxDelayMs: z.number().int().min(10).default(3_600_000),
  })
  .strict();

export const jobSchema = z
  .object({
    name: z.string().min(1),
    /** node-cron expression; six fields = with seconds. */
    cron: z.string().refine((c) => cron.validate(c), { message: 'not a valid cron expression' }),
    file: z.string().min(1).optional(),
    glob: z.string().min(1).optional(),
    type: z.enum(ENTITY_TYPES).optional(),
    op: opSchema.default('store'),
    datasource: z.string().min(1).optional(),
    /** Overrides the refresh guard (only meaningful with allowRefresh). */
    force: z.boolean().default(false),
    /** refresh / refresh-ds jobs must say so: a scheduled refresh can disable many accounts. */
    allowRefresh: z.boolean().default(false),
    timezone: timezoneSchema.optional(),
    /** Delete the input after its run (the archive keeps a copy). Default: true for glob jobs, false for file jobs. */
    consume: z.boolean().optional(),
    /** Seconds a run waits for the ledger's writer lock (default 600). */
    wait: z.number().int().min(0).optional(),
    /** A folder or .zip of user pictures: the job runs `mdlsync pictures` on it (instead of a feed file or glob). */
    pictures: z.string().min(1).optional(),
    /** A pictures job's file names: person keys, usernames or idnumbers (default: pictures.match). */
    match: z.enum(['key', 'username', 'idnumber']).optional(),
    /** A mirror pass instead of a file (`mdlsync mirror`); `full` reads every course. */
    mirror: z.boolean().default(false),
    full: z.boolean().default(false),
    /** The site (a name under "sites") the job runs against; default: the one the schedule runs for. */
    site: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((job, ctx) => {
    if (job.mirror) {
      if (job.file || job.glob || job.pictures) ctx.addIssue({ code: 'custom', message: 'a mirror job reads Moodle, not a file: remove "file" / "glob" / "pictures"' });
    } else if ([job.file, job.glob, job.pictures].filter(Boolean).length !== 1) {
      ctx.addIssue({ code: 'custom', message: job.pictures ? 'a pictures job gives "pictures" only, not "file" or "glob"' : 'give exactly one of "file" or "glob" (or "pictures", or "mirror": true)' });
    }
    if ((job.op === 'refresh' || job.op === 'refresh-ds') && !job.allowRefresh) {
      ctx.addIssue({ code: 'custom', path: ['allowRefresh'], message: `op ${job.op} in a scheduled job needs "allowRefresh": true` });
    }
  });

export type WatchConfig = z.infer<typeof watchSchema>;
export type RetryConfig = z.infer<typeof retrySchema>;
export type WatchRule = z.infer<typeof watchRuleSchema>;
export type JobConfig = z.infer<typeof jobSchema>;

export const configSchema = z
  .object({
    moodle: moodleSchema.default(() => moodleSchema.parse({})),
    /** A SQLite file, a postgres:// URL, or {url, schema} (schema default mdlsync). */
    ledger: ledgerSettingSchema.default('.mdlsync/ledger.db'),
    /** Several Moodle sites in one config (src/config/sites.ts); --site NAME or MDLSYNC_SITE chooses one. */
    sites: sitesSchema.optional(),
    reports: z.string().default('reports'),
    archive: z.string().default('archive'),
    /** Retention: archive day folders / report run folders older than this many days are pruned after each run (absent = keep forever). */
    archiveKeepDays: z.number().int().min(1).optional(),
    reportsKeepDays: z.number().int().min(1).optional(),
    /** Before-images of runs (what `mdlsync undo RUNID` puts back) are kept this many days, then forgotten after a run. */
    undoKeepDays: z.number().int().min(1).default(90),
    dataSource: z.string().min(1).nullable().default(null),
    /**
     * Data sources that own containers together (Blackboard: SIS.PERSON, SIS.COURSE, SIS.MEMBERSHIP): a row of one may
     * enrol into a course, or add to a group or cohort, that another of its family owns. Each record keeps its own owner.
     */
    dataSourceFamilies: z.array(z.array(z.string().min(1)).min(2)).default(() => []),
    persons: personsSchema.default(() => personsSchema.parse({})),
    enrolments: enrolmentsSchema.default(() => enrolmentsSchema.parse({})),
    institutionRoles: institutionRolesSchema.default(() => institutionRolesSchema.parse({})),
    observers: observersSchema.default(() => observersSchema.parse({})),
    guard: guardSchema.default(() => guardSchema.parse({})),
    courses: coursesSchema.default(() => coursesSchema.parse({})),
    cohorts: cohortsSchema.default(() => cohortsSchema.parse({})),
    diff: diffSchema.default(() => diffSchema.parse({})),
    /** How other tools' files (dialects) are read. */
    dialects: dialectsSchema.default(() => dialectsSchema.parse({})),
    logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /** Console log lines: text for people, json (one object a line on stderr) for log shippers; --log-format. */
    logFormat: z.enum(['text', 'json']).default('text'),
    /** A writer lock whose holder has not sent a heartbeat for this long is taken over (its process died). */
    lockStaleSeconds: z.number().int().min(5).default(120),
    /** `mdlsync watch`: rules and timings (optional). */
    watch: watchSchema.optional(),
    retry: retrySchema.default(() => retrySchema.parse({})),
    pictures: picturesSchema.default(() => picturesSchema.parse({})),
    /** `mdlsync mirror`: the local copy of Moodle. */
    mirror: mirrorSchema.default(() => mirrorSchema.parse({})),
    /** Called when watch or schedule holds a refused refresh's plan (src/held/): a command (JSON on stdin) or a URL (JSON body). */
    onHeld: onChangeSchema.optional(),
    /** `mdlsync schedule`: the jobs (optional). */
    jobs: z
      .array(jobSchema)
      .optional()
      .superRefine((jobs, ctx) => {
        const seen = new Set<string>();
        for (const [i, j] of (jobs ?? []).entries()) {
          if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `job name "${j.name}" is used twice` });
          seen.add(j.name);
        }
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    // A rule's or a job's site must be one of the config's.
    const names = Object.keys(config.sites ?? {});
    const known = names.length ? `sites: ${names.join(', ')}` : 'the config has no "sites"';
    const check = (site: string | undefined, path: (string | number)[]) => {
      if (site !== undefined && !names.includes(site)) ctx.addIssue({ code: 'custom', path, message: `unknown site "${site}" (${known})` });
    };
    for (const [i, rule] of (config.watch?.rules ?? []).entries()) check(rule.site, ['watch', 'rules', i, 'site']);
    for (const [i, job] of (config.jobs ?? []).entries()) check(job.site, ['jobs', i, 'site']);
  });

type FileConfig = z.infer<typeof configSchema>;

/**
 * The resolved config: the file's values with the environment and flags applied, paths made absolute, and the chosen
 * site's values (if any) in place of the top-level ones.
 */
export type Config = Omit<FileConfig, 'ledger' | 'sites'> & {
  /** An absolute SQLite file path, or a postgres:// URL exactly as given (its password is a secret). */
  ledger: string;
  /** The PostgreSQL schema holding this config's ledger (default mdlsync; a site's: mdlsync_NAME). */
  ledgerSchema: string;
  /** The local folder for the ledger's companion files: the SQLite ledger's folder, or .mdlsync beside the config. */
  stateDir: string;
  /** The site chosen (--site, MDLSYNC_SITE, or the config's only site), or null for the top-level one. */
  site: string | null;
  /** Every site's resolved settings, by name (empty without "sites"): configForSite() applies one. */
  sites: Record<string, SiteSettings>;
};

/** Flags that override the config file (all optional). */
export interface ConfigOverrides {
  url?: string;
  token?: string;
  ledger?: string;
  reports?: string;
  archive?: string;
  dataSource?: string;
  /** --site: one of the config's sites (else MDLSYNC_SITE). */
  site?: string;
  batchSize?: number;
  concurrency?: number;
  maxInputVars?: number;
  logFormat?: 'text' | 'json';
  /** --ca: relative to the working directory, like any path given on the command line. */
  ca?: string;
  maxRequestsPerSecond?: number;
}

export class ConfigError extends MdlsyncError<'invalid-config'> {
  constructor(message: string) {
    super('invalid-config', message);
    this.name = 'ConfigError';
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
}

/**
 * Loads the config file (explicit path, or mdlsync.config.json in cwd when present), applies the environment and
 * flags, and resolves relative paths against the config file's folder (or cwd).
 */
export function loadConfig(opts: { path?: string; cwd?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides } = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  // Before anything can fail: an error sentence about the config file must not show the token either.
  addSecrets(env.MDLSYNC_TOKEN);
  const explicit = opts.path !== undefined;
  const file = resolve(cwd, opts.path ?? CONFIG_FILE_NAME);
  let raw: unknown = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      // V8 quotes the text around the error, which may be the token itself (pasted without quotes), unknown here.
      const why = (err as Error).message.replace(/,?\s*(\.\.\.)?"[\s\S]*"(\.\.\.)?\s*is not valid JSON$/, '');
      throw new ConfigError(`${file} is not valid JSON (${why}): check the quotes and commas; every string value, the token too, needs double quotes`);
    }
  } else if (explicit) {
    throw new ConfigError(`config file ${file} does not exist`);
  }
  const parsed = configSchema.safeParse(withoutComments(raw));
  if (!parsed.success) throw new ConfigError(`${file}: ${formatIssues(parsed.error)}`);
  const config = parsed.data;
  const base = existsSync(file) ? dirname(file) : cwd;
  // A config whose only site is one of its "sites" (no top-level moodle.url) runs that site without --site.
  const urlInFile = config.moodle.url;

  const tokenInConfig = config.moodle.token;
  let tokenFromFile: string | undefined;
  if (config.moodle.tokenFile && !config.moodle.token) {
    const tokenPath = resolve(base, config.moodle.tokenFile);
    try {
      config.moodle.token = tokenFromFile = readFileSync(tokenPath, 'utf8').trim();
    } catch {
      throw new ConfigError(`moodle.tokenFile ${tokenPath} cannot be read`);
    }
  }
  if (env.MDLSYNC_URL) config.moodle.url = env.MDLSYNC_URL;
  if (env.MDLSYNC_TOKEN) config.moodle.token = env.MDLSYNC_TOKEN;

  const o = opts.overrides ?? {};
  // Every token read (file, config, environment, flag), not only the one used: none may ever be shown.
  addSecrets(tokenInConfig, tokenFromFile, env.MDLSYNC_TOKEN, o.token);
  // A proxy's password (http://user:pass@proxy:3128) must not show in an error sentence about the proxy either.
  for (const proxy of [env.https_proxy, env.HTTPS_PROXY, env.http_proxy, env.HTTP_PROXY]) if (proxy) addSecrets(...urlPassword(proxy));
  if (config.moodle.ca && !o.ca) config.moodle.ca = resolve(base, config.moodle.ca);
  applyMoodleFlags(config.moodle, o, cwd);
  addSecrets(config.moodle.token);
  if (o.reports) config.reports = o.reports;
  if (o.archive) config.archive = o.archive;
  if (o.dataSource) config.dataSource = o.dataSource;
  if (o.logFormat) config.logFormat = o.logFormat;
  // A CA file that cannot be used stops every command at once, not at its first call.
  if (config.moodle.ca) readCa(config.moodle.ca);

  // The ledger: a file relative to the config file, or a postgres:// URL as given (--ledger replaces the address).
  const { ledger, ledgerSchema } = resolveLedger(config.ledger, base, { address: o.ledger });
  const stateDir = stateDirOf(ledger, resolve(base, DEFAULT_STATE_DIR));
  config.reports = resolve(base, config.reports);
  config.archive = resolve(base, config.archive);
  // The mirror database: a postgres:// URL as given, a file relative to the config file, by default beside the ledger.
  const mirrorDb = config.mirror.database;
  if (!mirrorDb) config.mirror.database = join(stateDir, 'mirror.sqlite');
  else if (!/^postgres(ql)?:\/\//i.test(mirrorDb)) config.mirror.database = resolve(base, mirrorDb);
  else addSecrets(...urlPassword(mirrorDb));
  if (config.mirror.changeLog) config.mirror.changeLog = resolve(base, config.mirror.changeLog);
  // Job paths are relative to the config file, like the ledger, so cron's working directory does not matter.
  for (const job of config.jobs ?? []) {
    if (job.file) job.file = resolve(base, job.file);
    if (job.glob) job.glob = resolve(base, job.glob);
  }
  const again = configSchema.safeParse({ ...config, ledger });
  if (!again.success) throw new ConfigError(formatIssues(again.error));
  const { sites: siteInputs, ...top } = again.data;

  const sites: Record<string, SiteSettings> = {};
  const siteBase = { moodle: top.moodle, ledger, ledgerSchema, stateDir, reports: top.reports, archive: top.archive, dataSource: top.dataSource, mirror: top.mirror };
  try {
    for (const [name, site] of Object.entries(siteInputs ?? {})) sites[name] = resolveSite(name, site, siteBase, base);
    checkDistinctLedgers(sites);
  } catch (err) {
    if (err instanceof SiteSettingError) throw new ConfigError(`${file}: ${err.message}`);
    throw err;
  }
  for (const s of Object.values(sites)) if (s.moodle.ca) readCa(s.moodle.ca);
  const resolved: Config = { ...top, ledger, ledgerSchema, stateDir, site: null, sites };
  const site = chosenSite(o.site ?? (env.MDLSYNC_SITE || undefined), Object.keys(sites), urlInFile, file);
  if (site === null) return resolved;
  // The command line names the command's own site: its flags apply over that site's values.
  sites[site] = siteWithFlags(sites[site], o, base, cwd);
  return configForSite(resolved, site);
}

/** The folder of the default ledger, and of the local state of a config whose ledger is on PostgreSQL. */
const DEFAULT_STATE_DIR = '.mdlsync';

/** The flags that set moodle options, on the top-level moodle object or a chosen site's. */
function applyMoodleFlags(moodle: Config['moodle'], o: ConfigOverrides, cwd: string): void {
  if (o.url) moodle.url = o.url;
  if (o.token) moodle.token = o.token;
  if (o.batchSize !== undefined) moodle.batchSize = o.batchSize;
  if (o.concurrency !== undefined) moodle.concurrency = o.concurrency;
  if (o.maxInputVars !== undefined) moodle.maxInputVars = o.maxInputVars;
  if (o.maxRequestsPerSecond !== undefined) moodle.maxRequestsPerSecond = o.maxRequestsPerSecond;
  // --ca: relative to the working directory, like any path given on the command line.
  if (o.ca) moodle.ca = resolve(cwd, o.ca);
}

/** A chosen site with the command's flags over its values; --ledger replaces its ledger's address, not its schema. */
function siteWithFlags(s: SiteSettings, o: ConfigOverrides, base: string, cwd: string): SiteSettings {
  const moodle = { ...s.moodle };
  applyMoodleFlags(moodle, o, cwd);
  const checked = moodleSchema.safeParse(moodle);
  if (!checked.success) throw new ConfigError(formatIssues(checked.error));
  if (checked.data.ca) readCa(checked.data.ca);
  const out: SiteSettings = {
    ...s,
    moodle: checked.data,
    reports: o.reports ? resolve(base, o.reports) : s.reports,
    archive: o.archive ? resolve(base, o.archive) : s.archive,
    dataSource: o.dataSource ?? s.dataSource,
  };
  if (!o.ledger) return out;
  const { ledger, ledgerSchema } = resolveLedger({ url: o.ledger }, base, { address: o.ledger, fallbackSchema: s.ledgerSchema });
  const stateDir = stateDirOf(ledger, s.stateDir);
  const movedMirror = s.mirror.database === join(s.stateDir, 'mirror.sqlite') ? { ...s.mirror, database: join(stateDir, 'mirror.sqlite') } : s.mirror;
  return { ...out, ledger, ledgerSchema, stateDir, mirror: movedMirror };
}

/** --site, else MDLSYNC_SITE, else the only site of a config without a top-level moodle.url; null: the top level. */
function chosenSite(requested: string | undefined, names: string[], urlInFile: string | undefined, file: string): string | null {
  if (requested !== undefined) {
    if (!names.includes(requested)) throw new ConfigError(unknownSite(requested, names, file));
    return requested;
  }
  return names.length === 1 && !urlInFile ? names[0] : null;
}

function unknownSite(name: string, names: string[], where = 'the config'): string {
  return names.length
    ? `no site "${name}" in ${where}: its sites are ${names.join(', ')} (--site NAME or MDLSYNC_SITE)`
    : `no site "${name}" in ${where}: it has no "sites" (remove --site / MDLSYNC_SITE, or add the site under "sites")`;
}

/** The names of the config's sites (none without "sites"). */
export function siteNames(config: Config): string[] {
  return Object.keys(config.sites ?? {});
}

/** The config of one of its sites: the site's Moodle, token, ledger, reports, archive, data source and mirror. */
export function configForSite(config: Config, name: string): Config {
  const sites = config.sites ?? {};
  if (!Object.hasOwn(sites, name)) throw new ConfigError(unknownSite(name, siteNames(config)));
  const s = sites[name];
  return {
    ...config,
    site: name,
    moodle: s.moodle,
    ledger: s.ledger,
    ledgerSchema: s.ledgerSchema,
    stateDir: s.stateDir,
    reports: s.reports,
    archive: s.archive,
    dataSource: s.dataSource,
    mirror: s.mirror,
  };
}

/** The config a rule or job runs with: its own site's, else the one loaded (the --site chosen, or the top level). */
export function configForTarget(config: Config, site: string | undefined): Config {
  return site === undefined || site === config.site ? config : configForSite(config, site);
}

/** The PEM text of the private CA file, or a ConfigError naming the file and what is wrong with it. */
export function readCa(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`the CA file ${path} (--ca / moodle.ca) cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`the CA file ${path} (--ca / moodle.ca) holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block): give the CA's certificate in PEM form`);
  }
  return pem;
}

/** What a Moodle client of the configured site is built from (MoodleClientOptions, less what a command chooses). */
export function siteConnection(config: Config): { url: string; token: string; timeoutMs: number; ca?: string; maxRequestsPerSecond?: number } {
  const { url, token } = requireMoodle(config);
  const { timeoutMs, ca, maxRequestsPerSecond } = config.moodle;
  return {
    url,
    token,
    timeoutMs,
    ...(ca ? { ca: readCa(ca) } : {}),
    ...(maxRequestsPerSecond !== undefined ? { maxRequestsPerSecond } : {}),
  };
}

/** The Moodle connection, or a ConfigError saying what is missing. */
/**
 * A config of several sites with none chosen (and no Moodle of its own at the top level) names no ledger either: the
 * commands that read one (ledger show, export, import) say so instead of opening the top level's, which no run writes.
 */
export function requireSiteChosen(config: Config): void {
  const names = siteNames(config);
  if (!config.moodle.url && config.site === null && names.length > 0) {
    throw new ConfigError(`the config has ${names.length} sites (${names.join(', ')}) and none was chosen: pass --site NAME (or set MDLSYNC_SITE)`);
  }
}

export function requireMoodle(config: Config): { url: string; token: string } {
  const { url, token } = config.moodle;
  requireSiteChosen(config);
  if (!url) throw new ConfigError(`no Moodle URL: set ${config.site ? `sites.${config.site}.url` : 'moodle.url'} in mdlsync.config.json or MDLSYNC_URL`);
  if (!token) throw new ConfigError('no web-service token: set MDLSYNC_TOKEN, moodle.token or moodle.tokenFile');
  const protocol = new URL(url).protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Refusal(`The Moodle URL ${url} is not a web address (${protocol.replace(':', '')}): set moodle.url, MDLSYNC_URL or --url to the site's https:// (or http://) address.`);
  }
  return { url, token };
}
