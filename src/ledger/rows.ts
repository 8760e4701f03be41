/** A ledger row as both backends read it: links as arrays in LINK_COLUMNS order, runs as objects. */
import type { BeforeImage, LedgerLink, LinkImage, LinkStatus, LinkWrite, PlanLink, RunRecord } from './types.js';

/** The columns a link is read in, in this order (array rows skip building a row object per link). */
export const LINK_COLUMNS = 'entity, key, moodle_id, data_source, hash, status, first_seen, last_seen, last_run, disabled_at, data, state';

/** A links row read as an array, in LINK_COLUMNS order; a backend may append its position (rowid, id) after them. */
export type LinkRow = [string, string, number, string | null, string | null, LinkStatus, string, string, string | null, string | null, string | null, string | null];

/** The columns a plan's link (PlanLink) is read in, in this order: the page scan's, without the bookkeeping columns. */
export const PLAN_LINK_COLUMNS = 'key, moodle_id, data_source, hash, status, data, state';

/** A PlanLink row as read, in PLAN_LINK_COLUMNS order; a backend may append its position (rowid, id) after them. */
export type PlanLinkRow = [string, number, string | null, string | null, LinkStatus, string | null, string | null];

/** The entity is the page's: one string for every link, not one read per row. */
export function toPlanLink(entity: string, r: PlanLinkRow | [...PlanLinkRow, ...unknown[]]): PlanLink {
  return { entity, key: r[0], moodleId: r[1], dataSource: r[2], hash: r[3], status: r[4], data: r[5], state: r[6] };
}

/** The plan's part of a full link (a link getLinks read, for keys the page scan did not bring). */
export function planPart(l: PlanLink): PlanLink {
  return { entity: l.entity, key: l.key, moodleId: l.moodleId, dataSource: l.dataSource, hash: l.hash, status: l.status, data: l.data ?? null, state: l.state ?? null };
}

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

/**
 * How a link write meets the link it replaces, in the SQL both backends share. disabled_at: set on the first disable
 * and kept on later disables (the retention period counts from when the record was first disabled), cleared when the
 * link is active again; first_seen is never updated; data is kept when a write has none.
 */
export const LINK_UPSERT_CONFLICT = `ON CONFLICT (entity, key) DO UPDATE SET
    moodle_id   = excluded.moodle_id,
    data_source = excluded.data_source,
    hash        = excluded.hash,
    state       = excluded.state,
    status      = excluded.status,
    last_seen   = excluded.last_seen,
    last_run    = excluded.last_run,
    disabled_at = CASE WHEN excluded.status = 'disabled' THEN coalesce(links.disabled_at, excluded.disabled_at) END,
    data        = coalesce(excluded.data, links.data),
    fields      = coalesce(excluded.fields, links.fields)`;

/** The link as a before-image keeps it (LinkImage), built by the database from the row a write replaces (alias `l`). */
export function imageOfLink(fn: 'json_object' | 'json_build_object'): string {
  return `${fn}('moodleId', l.moodle_id, 'dataSource', l.data_source, 'status', l.status, 'hash', l.hash, 'state', l.state, 'fields', l.fields)`;
}

/**
 * A write as its before-image's `after` keeps it. Not the values it sent: while the link is as the run left it (the
 * only case an undo acts on), the link's own fields are those (BeforeImageStore.fields).
 */
export function imageAfter(l: LinkWrite): string {
  const after: Record<string, unknown> = { moodleId: l.moodleId, dataSource: l.dataSource, status: l.status, hash: l.hash, state: l.state ?? null };
  if (l.action !== undefined) after.action = l.action;
  return JSON.stringify(after);
}

/** A before_images row as both backends read it. */
export interface ImageRow {
  run_id: string;
  entity: string;
  key: string;
  before_state: string | null;
  after_state: string;
}

export function toImage(r: ImageRow): BeforeImage {
  return {
    runId: r.run_id,
    entity: r.entity,
    key: r.key,
    before: r.before_state === null ? null : (JSON.parse(r.before_state) as LinkImage),
    after: JSON.parse(r.after_state) as BeforeImage['after'],
  };
}

/** Run ids of runs started before this instant sort before this text (a run id starts with its UTC start: newRunId). */
export function runIdBefore(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}
