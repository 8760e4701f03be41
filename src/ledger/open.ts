/** Opens the ledger a config names: a SQLite file, or PostgreSQL for a postgres:// URL (in the config's schema). */
import { isPostgresUrl, redactUrl } from '../db/types.js';
import { MdlsyncError } from '../errors.js';
import { SqliteLedger } from './sqlite.js';
import type { LedgerStore } from './types.js';

export interface LedgerTarget {
  /** A file path or a postgres:// URL. */
  ledger: string;
  /** The PostgreSQL schema holding the ledger (several sites share one database in several schemas). */
  ledgerSchema?: string;
}

export async function openLedger(target: LedgerTarget): Promise<LedgerStore> {
  if (!isPostgresUrl(target.ledger)) return SqliteLedger.open(target.ledger);
  // Loaded only for a PostgreSQL ledger: the SQLite default never pays for pg.
  const { PostgresLedger } = await import('./postgres/ledger.js');
  try {
    return await PostgresLedger.open(target.ledger, { schema: target.ledgerSchema });
  } catch (err) {
    // A ledger this build cannot use (too new …) says so itself; a server that cannot be reached is ledger-database.
    if (err instanceof MdlsyncError) throw err;
    throw new MdlsyncError('ledger-unreachable', `the ledger ${redactUrl(target.ledger)} cannot be opened: ${(err as Error).message}`);
  }
}
