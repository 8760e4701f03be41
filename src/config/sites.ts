/**
 * `sites`: several Moodle sites in one config. Each site names its url and token and may override the top-level
 * ledger, data source, reports, archive, and moodle and mirror options (field by field). A site that names no ledger
 * gets a namespace of its own beside the top-level one: sites/NAME/ledger.db next to a SQLite ledger, the schema
 * mdlsync_NAME on the top-level PostgreSQL server. Its reports and archive default to REPORTS/NAME and ARCHIVE/NAME.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { redactUrl } from '../db/types.js';
import { addSecrets } from '../report/redact.js';
import { moodleSchema, type MoodleConfig } from './moodle.js';
import { mirrorSchema, type MirrorConfig } from './mirror.js';
import { isLedgerUrl, ledgerSettingSchema, resolveLedger, siteLedgerFile, siteLedgerSchema, stateDirOf, urlPassword } from './ledger.js';

/**
 * A site's name becomes a folder and part of a schema name: lowercase letters, digits, - and _. It starts with a
 * letter, so its folder in REPORTS and ARCHIVE can never pass for a run's or a day's folder (2026-11-23) and be pruned.
 */
export const siteNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'a site name: lowercase letters, digits, - and _, starting with a letter (it becomes a folder and a schema name)')
  .max(48);

/** The fields of an object schema, each optional and without its default: a site gives only what it overrides. */
function overridesOf<T extends z.ZodRawShape>(schema: z.ZodObject<T>): z.ZodType<Partial<z.output<z.ZodObject<T>>>> {
  const fields = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional()]),
  );
  return z.object(fields).strict() as unknown as z.ZodType<Partial<z.output<z.ZodObject<T>>>>;
}

export const siteSchema = z
  .object({
    url: z.string().url().optional(),
    token: z.string().min(1).optional(),
    /** A file holding the site's token, relative to the config file. */
    tokenFile: z.string().min(1).optional(),
    ledger: ledgerSettingSchema.optional(),
    dataSource: z.string().min(1).nullable().optional(),
    reports: z.string().min(1).optional(),
    archive: z.string().min(1).optional(),
    moodle: overridesOf(moodleSchema).optional(),
    mirror: overridesOf(mirrorSchema).optional(),
  })
  .strict();

export const sitesSchema = z.record(siteNameSchema, siteSchema);

export type SiteInput = z.infer<typeof siteSchema>;

/** What a site changes in the resolved config (configForSite puts it in place of the top-level values). */
export interface SiteSettings {
  moodle: MoodleConfig;
  ledger: string;
  ledgerSchema: string;
  /** The local folder of the site's companion files (mirror file, job retry files). */
  stateDir: string;
  reports: string;
  archive: string;
  dataSource: string | null;
  /** The top-level mirror options under the site's; its database is its own, else mirror.sqlite in its state folder. */
  mirror: MirrorConfig;
}

/** The resolved top-level values a site starts from: the same settings (its ledgerSchema prefixes a site's own). */
export type SiteBase = SiteSettings;

/** A site setting that cannot be used: the path in the config and why (the loader names the file). */
export class SiteSettingError extends Error {}

/**
 * A site's settings over the top-level ones. Precedence: the site's values over the environment (MDLSYNC_URL,
 * MDLSYNC_TOKEN) over the top-level file; the caller applies flags after. Paths are relative to the config file.
 */
export function resolveSite(name: string, site: SiteInput, top: SiteBase, base: string): SiteSettings {
  let tokenFromFile: string | undefined;
  if (site.tokenFile && !site.token) {
    const tokenPath = resolve(base, site.tokenFile);
    try {
      tokenFromFile = readFileSync(tokenPath, 'utf8').trim();
    } catch {
      throw new SiteSettingError(`sites.${name}.tokenFile ${tokenPath} cannot be read`);
    }
  }
  addSecrets(site.token, site.moodle?.token, tokenFromFile);
  const merged = moodleSchema.safeParse({
    ...top.moodle,
    ...site.moodle,
    url: site.url ?? site.moodle?.url ?? top.moodle.url,
    token: site.token ?? tokenFromFile ?? site.moodle?.token ?? top.moodle.token,
    ...(site.moodle?.ca ? { ca: resolve(base, site.moodle.ca) } : {}),
  });
  if (!merged.success) throw new SiteSettingError(merged.error.issues.map((i) => `sites.${name}.moodle.${i.path.join('.')}: ${i.message}`).join('; '));

  const topStateDir = top.stateDir;
  const ownLedger = site.ledger !== undefined;
  const { ledger, ledgerSchema } = ownLedger
    ? resolveLedger(site.ledger as NonNullable<SiteInput['ledger']>, base)
    : isLedgerUrl(top.ledger)
      ? { ledger: top.ledger, ledgerSchema: siteLedgerSchema(name, top.ledgerSchema) }
      : { ledger: siteLedgerFile(topStateDir, name), ledgerSchema: siteLedgerSchema(name) };
  const stateDir = stateDirOf(ledger, join(topStateDir, 'sites', name));
  // Never the top-level mirror database: that is a copy of another Moodle.
  const mirrorDb = site.mirror?.database;
  const mirror = mirrorSchema.safeParse({
    ...top.mirror,
    ...site.mirror,
    database: !mirrorDb ? join(stateDir, 'mirror.sqlite') : isLedgerUrl(mirrorDb) ? mirrorDb : resolve(base, mirrorDb),
    ...(site.mirror?.changeLog ? { changeLog: resolve(base, site.mirror.changeLog) } : {}),
  });
  if (!mirror.success) throw new SiteSettingError(mirror.error.issues.map((i) => `sites.${name}.mirror.${i.path.join('.')}: ${i.message}`).join('; '));
  if (mirrorDb && isLedgerUrl(mirrorDb)) addSecrets(...urlPassword(mirrorDb));
  return {
    moodle: merged.data,
    ledger,
    ledgerSchema,
    stateDir,
    reports: site.reports ? resolve(base, site.reports) : join(top.reports, name),
    archive: site.archive ? resolve(base, site.archive) : join(top.archive, name),
    dataSource: site.dataSource !== undefined ? site.dataSource : top.dataSource,
    mirror: mirror.data,
  };
}

/** Two sites writing one ledger namespace would mix their Moodle ids: refused, naming both and never a password. */
export function checkDistinctLedgers(sites: Record<string, SiteSettings>): void {
  const seen = new Map<string, string>();
  for (const [name, s] of Object.entries(sites)) {
    const key = isLedgerUrl(s.ledger) ? `${s.ledger}\n${s.ledgerSchema}` : s.ledger;
    const other = seen.get(key);
    if (other !== undefined) {
      const where = isLedgerUrl(s.ledger) ? `${redactUrl(s.ledger)}, schema ${s.ledgerSchema}` : s.ledger;
      throw new SiteSettingError(`sites ${other} and ${name} use the same ledger (${where}): each site needs its own, so give one of them its own "ledger" (or another site name)`);
    }
    seen.set(key, name);
  }
}
