export type { LedgerLink, LedgerStore, LinkStatus, LinkWrite, RunRecord } from './types.js';
export { SqliteLedger, DEFAULT_LEDGER_PATH, WRITER_LOCK, processAlive } from './sqlite.js';
export { LinkReader } from './reader.js';
export { LedgerError } from './errors.js';
export type { LockHolder, LockOwner } from './sqlite.js';
export { LEDGER_MIGRATIONS, LEDGER_SCHEMA_VERSION, migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export { RetryTable, type RetryRecord, type NewRetry, type RetryClaimer } from './retries.js';
export { PictureTable, type PictureRecord, type PictureMatch } from './pictures.js';
