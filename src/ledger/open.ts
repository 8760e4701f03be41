/** Opens the ledger a target names: a postgres:// URL is a PostgreSQL ledger (in a schema), anything else a SQLite file. */
import { isPostgresUrl } from '../db/types.js';
import { PostgresLedger } from './postgres/ledger.js';
import { SqliteLedger } from './sqlite.js';
import type { LedgerStore } from './types.js';

export interface OpenLedgerOptions {
  /** The PostgreSQL schema (default `mdlsync`); ignored for a SQLite file. */
  schema?: string;
}

export async function openLedger(target: string, opts: OpenLedgerOptions = {}): Promise<LedgerStore> {
  return isPostgresUrl(target) ? PostgresLedger.open(target, { schema: opts.schema }) : SqliteLedger.open(target);
}
