export {
  EXPORT_FORMAT,
  EXPORT_TABLES,
  EXPORT_VERSION,
  FIRST_EXPORT_SCHEMA,
  ROW_UPGRADES,
  ExportDecoder,
  sameSite,
  siteOf,
  type ExportCounts,
  type ExportHeader,
  type ExportRecord,
  type TableSpec,
} from './format.js';
export { EXPORT_FILE_MODE, ExportFile, streamWriter, writeExport, writeFileAtomically, type ChunkWriter, type LedgerSource } from './file.js';
export { SQLITE_NOT_EXPORTED, SqliteTransfer } from './sqlite.js';
