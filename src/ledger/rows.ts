/** A ledger row as both backends read it: links as arrays in LINK_COLUMNS order, runs as objects. */
import type { LedgerLink, LinkStatus, RunRecord } from './types.js';

/** The columns a link is read in, in this order (array rows skip building a row object per link). */
export const LINK_COLUMNS = 'entity, key, moodle_id, data_source, hash, status, first_seen, last_seen, last_run, disabled_at, data, state';

/** A links row read as an array, in LINK_COLUMNS order; a backend may append its position (rowid, id) after them. */
export type LinkRow = [string, string, number, string | null, string | null, LinkStatus, string, string, string | null, string | null, string | null, string | null];

export function toLink(r: LinkRow | [...LinkRow, ...unknown[]]): LedgerLink {
  return {
    entity: r[0],
    key: r[1],
    moodleId: r[2],
    dataSource: r[3],
    hash: r[4],
    status: r[5],
    firstSeen: r[6],
    lastSeen: r[7],
    lastRun: r[8],
    disabledAt: r[9],
    data: r[10],
    state: r[11],
  };
}

/** A runs row (SELECT *). */
export interface RunRow {
  id: string;
  file: string;
  sha256: string;
  type: string;
  op: string;
  data_source: string | null;
  started_at: string;
  finished_at: string | null;
  status: string;
  summary: string | null;
}

export function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    file: r.file,
    sha256: r.sha256,
    type: r.type,
    op: r.op,
    dataSource: r.data_source,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    summary: r.summary,
  };
}
