/**
 * The resolve step: read-only look-ups (ledger first, then Moodle in batches) that give the pure planner what it
 * needs to know about each row's key before it decides. Nothing here writes to Moodle or the ledger.
 */
export { LOOKUP_CHUNK, lookupChunk } from './common.js';
