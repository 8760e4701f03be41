/**
 * A link's last_seen and last_run as the ledger reads them (migration 4): its own last write, or its seen mark when
 * that is later. The SQL the links reads and the ledger export share, over `links` with SEEN_JOIN.
 */

/** When a link was last seen. */
export const SEEN_AT = 'CASE WHEN sr.seen_at > links.last_seen THEN sr.seen_at ELSE links.last_seen END';
/** The run that last saw it. */
export const SEEN_RUN = 'CASE WHEN sr.seen_at > links.last_seen THEN sr.run_id ELSE links.last_run END';
export const SEEN_JOIN = 'LEFT JOIN link_seen ls ON ls.link = links.rowid LEFT JOIN seen_runs sr ON sr.seq = ls.seq';
