export type { LedgerLink, LedgerStore, LinkStatus, LinkWrite, RunRecord } from './types.js';
export { SqliteLedger, DEFAULT_LEDGER_PATH, WRITER_LOCK, processAlive } from './sqlite.js';
export { LinkReader } from './reader.js';
export { LedgerError, LedgerFileError, type LedgerFileCode } from './errors.js';
export type { LockHolder, LockOwner, LockScope, RetryStore, ExportStateStore, PictureStore, TransferStore } from './types.js';
export { LEDGER_MIGRATIONS, LEDGER_SCHEMA_VERSION, migrate } from './migrations.js';
export type { Migration } from './migrations.js';
export { RetryTable, type RetryRecord, type NewRetry, type RetryClaimer } from './retries.js';
export { ExportStateTable, exportRowKey, type ExportedRow } from './exports.js';
export { PictureTable, type PictureRecord, type PictureMatch } from './pictures.js';
export { openLedger, type LedgerTarget } from './open.js';
// The PostgreSQL ledger (and pg) is loaded by openLedger only when a ledger URL asks for it: import it from
// './postgres/ledger.js' where it is needed by name.
