/** Placeholder until the PostgreSQL ledger lands (replaced by the pg-ledger branch). */
import type { LedgerStore } from '../types.js';

export const PostgresLedger = {
  open(_url: string, _opts: { schema?: string }): Promise<LedgerStore> {
    throw new Error('the PostgreSQL ledger is not built yet');
  },
};
