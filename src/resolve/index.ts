/**
 * The resolve step: read-only look-ups (ledger first, then Moodle in batches) that give the pure planner what it
 * needs to know about each row's key before it decides. Nothing here writes to Moodle or the ledger. The resolvers
 * entities share live here (common.ts: retries, persons; courses.ts: a course by its key; groups.ts: a course's
 * groups; categories.ts: categories by name under a parent); look-ups only one entity makes stay in its folder.
 */
export { LOOKUP_CHUNK, lookupChunk } from './common.js';
