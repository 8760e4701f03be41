/**
 * The `ledger` setting: a SQLite file (relative to the config file), a postgres:// URL, or {url, schema}. A resolved
 * config keeps the address as one string (an absolute file path, or the URL exactly as given) and the PostgreSQL
 * schema that holds this config's ledger apart, so several sites can share one server, each in a schema of its own.
 */
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { isPostgresUrl } from '../db/types.js';
import { addSecrets } from '../report/redact.js';

/** The schema of a PostgreSQL ledger when the config names none. */
export const DEFAULT_LEDGER_SCHEMA = 'mdlsync';

/** A PostgreSQL identifier mdlsync can use unquoted: lowercase, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1). */
const schemaNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'a PostgreSQL schema name: lowercase letters, digits and _, not starting with a digit')
  .max(63);

const postgresUrlSchema = z.string().refine(isPostgresUrl, { message: 'a postgres:// or postgresql:// URL' });

export const ledgerSettingSchema = z.union([
  z.string().min(1),
  z.object({ url: postgresUrlSchema, schema: schemaNameSchema.optional() }).strict(),
]);

export type LedgerSetting = z.infer<typeof ledgerSettingSchema>;

export interface ResolvedLedger {
  /** An absolute SQLite file path, or the PostgreSQL URL as given. */
  ledger: string;
  /** The PostgreSQL schema holding the ledger (unused by SQLite). */
  ledgerSchema: string;
}

/** A database URL's password, as written and decoded (neither may be shown). */
export function urlPassword(url: string): string[] {
  try {
    const p = new URL(url).password;
    return p ? [p, decodeURIComponent(p)] : [];
  } catch {
    return [];
  }
}

/**
 * The ledger a setting names. `address` (--ledger) replaces the file or URL and keeps the schema the setting gives
 * (`fallbackSchema` when it gives none). A URL is never path-resolved, and its password is a secret from here on.
 */
export function resolveLedger(setting: LedgerSetting, base: string, opts: { address?: string; fallbackSchema?: string } = {}): ResolvedLedger {
  const given = typeof setting === 'string' ? { url: setting, schema: undefined } : setting;
  const address = opts.address ?? given.url;
  const ledgerSchema = given.schema ?? opts.fallbackSchema ?? DEFAULT_LEDGER_SCHEMA;
  if (isPostgresUrl(address)) {
    addSecrets(...urlPassword(address));
    return { ledger: address, ledgerSchema };
  }
  return { ledger: resolve(base, address), ledgerSchema };
}

export function isLedgerUrl(ledger: string): boolean {
  return isPostgresUrl(ledger);
}

/**
 * The local folder for a ledger's companion files (the mirror's SQLite file, a job's retry files): the SQLite
 * ledger's own folder; for a PostgreSQL ledger, `fallback` (.mdlsync beside the config file).
 */
export function stateDirOf(ledger: string, fallback: string): string {
  return isLedgerUrl(ledger) ? fallback : dirname(ledger);
}

/**
 * The schema of a site's ledger on the top-level PostgreSQL server: the top level's schema and the site's name,
 * mdlsync_NAME by default (a dash is no identifier letter).
 */
export function siteLedgerSchema(site: string, topSchema: string = DEFAULT_LEDGER_SCHEMA): string {
  return `${topSchema}_${site.replace(/-/g, '_')}`;
}

/** A site's SQLite ledger when it names none: its own folder under the top-level ledger's. */
export function siteLedgerFile(topStateDir: string, site: string): string {
  return join(topStateDir, 'sites', site, 'ledger.db');
}
