/**
 * The PostgreSQL ledger's links and runs. Lists of keys go as one array parameter (`key = ANY($2::text[])`) and
 * writes as arrays unnested into one multi-row upsert, so a chunk of 2000 keys costs one statement, one round trip.
 * An unchanged row's "seen by this run" is a link_seen mark (two integers), not a links row rewrite: PostgreSQL writes
 * a new tuple for every updated row, and a re-run of 100k unchanged persons would rewrite 100k wide rows.
 */
import { LedgerError } from '../errors.js';
import type { LedgerLink, LinkStatus, LinkWrite, PlanLink, RunRecord } from '../types.js';
import type { LedgerConnection, Runner, Tables } from './connection.js';
import { LINK_UPSERT_CONFLICT, PLAN_LINK_COLUMNS, imageAfter, imageOfLink, toLink, toPlanLink, toRun, type LinkRow, type PlanLinkRow, type RunRow } from '../rows.js';

/** Rows per write statement: bounds a statement's parameters (arrays) and its memory on both sides. */
const WRITE_ROWS = 5000;
/** Links per page of activeLinks. */
const STREAM_PAGE = 2000;

/** A links row as read, in LINK_COLUMNS order (array mode), with the row's id last. */
type IdLinkRow = [...LinkRow, number];

/** When a link was last seen, and by which run: its own last write, or its seen mark when that is later (seen.ts). */
export const PG_SEEN_AT = 'CASE WHEN sr.seen_at > l.last_seen THEN sr.seen_at ELSE l.last_seen END';
export const PG_SEEN_RUN = 'CASE WHEN sr.seen_at > l.last_seen THEN sr.run_id ELSE l.last_run END';

/**
 * A link's seen mark, looked up per link (OFFSET 0 keeps the subquery apart): joined as tables, the planner may hash
 * every mark of the ledger for a page of 2000 links.
 */
export function seenJoin(t: Tables): string {
  return `LEFT JOIN LATERAL (SELECT r.seen_at, r.run_id FROM ${t.linkSeen} ls JOIN ${t.seenRuns} r ON r.seq = ls.seq WHERE ls.link = l.id OFFSET 0) sr ON true`;
}

/**
 * Merges writes of one key within a call (one upsert cannot touch a row twice) as SQLite's upserts one after the other
 * end: the last write, with the data of an earlier one when it has none, at the first one's place (the order learnt).
 */
function lastWrites(links: readonly LinkWrite[]): readonly LinkWrite[] {
  const first = new Map<string, number>();
  let merged: (LinkWrite | null)[] | null = null;
  links.forEach((l, i) => {
    const id = `${l.entity}\u0000${l.key}`;
    const at = first.get(id);
    if (at === undefined) {
      first.set(id, i);
      return;
    }
    merged ??= [...links];
    merged[at] = { ...l, data: l.data ?? merged[at]!.data, fields: l.fields ?? merged[at]!.fields };
    merged[i] = null;
  });
  return merged ? (merged as (LinkWrite | null)[]).filter((l): l is LinkWrite => l !== null) : links;
}

export class PgLinkStore {
  private readonly read: string;
  private readonly upsert: string;

  constructor(
    private readonly conn: LedgerConnection,
    private readonly t: Tables,
  ) {
    this.read = `SELECT l.entity, l.key, l.moodle_id, l.data_source, l.hash, l.status, l.first_seen, ${PG_SEEN_AT}, ${PG_SEEN_RUN},
      l.disabled_at, l.data, l.state, l.id FROM ${t.links} l ${seenJoin(t)}`;
    // One statement: the before-images (read from the links as they were when it began, as every part of a statement
    // sees them) and the upsert. An image the run already has keeps its first before; its after is the last write.
    this.upsert = `WITH w AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $11::text[], $12::text[])
          AS w(e, k, m, ds, h, st, r, d, s, f, a)),
      images AS (
        INSERT INTO ${t.of('before_images')} (run_id, entity, key, moodle_id, before_state, after_state)
        SELECT w.r, w.e, w.k, w.m, (SELECT ${imageOfLink('json_build_object')}::text FROM ${t.links} l WHERE l.entity = w.e AND l.key = w.k), w.a FROM w
        ON CONFLICT (run_id, entity, key) DO UPDATE SET moodle_id = excluded.moodle_id, after_state = excluded.after_state)
      INSERT INTO ${t.links} AS links (entity, key, moodle_id, data_source, hash, status, first_seen, last_seen, last_run, disabled_at, data, state, fields)
      SELECT e, k, m, ds, h, st, $10::text, $10::text, r, CASE WHEN st = 'disabled' THEN $10::text END, d, s, f FROM w
      ${LINK_UPSERT_CONFLICT}`;
  }

  /**
   * A page of links by id, cut first (entity and id only: the ordered index scan, whatever the statistics say); then
   * the marks of its id range, read as one range of link_seen (a page's ids are close together) and joined by hash,
   * where a lookup per link costs two index probes; then `filter`. Every row also carries the page's last id and size
   * (a page whose links the filter all dropped is one row of nulls with them), so a scan goes on past it.
   */
  private page(limit: string, filter = 'true'): string {
    const t = this.t;
    return `WITH l AS MATERIALIZED (SELECT * FROM ${t.links} WHERE entity = $1 AND id > $2 ORDER BY id LIMIT ${limit}),
      sr AS MATERIALIZED (SELECT ls.link, r.seen_at, r.run_id FROM ${t.linkSeen} ls JOIN ${t.seenRuns} r ON r.seq = ls.seq
        WHERE ls.link BETWEEN (SELECT min(id) FROM l) AND (SELECT max(id) FROM l)),
      b AS (SELECT max(id) AS last, count(*) AS n FROM l)
      SELECT p.*, b.last, b.n FROM b LEFT JOIN (
        SELECT l.entity, l.key, l.moodle_id, l.data_source, l.hash, l.status, l.first_seen, ${PG_SEEN_AT}, ${PG_SEEN_RUN},
          l.disabled_at, l.data, l.state, l.id FROM l LEFT JOIN sr ON sr.link = l.id WHERE ${filter}) p ON true
      ORDER BY p.id`;
  }

  /** The links of a page, its last id (or `after` when empty) and how many links it read before the filter. */
  private async readPage(sql: string, values: unknown[], after: number): Promise<{ links: LedgerLink[]; last: number; read: number }> {
    const rows = await this.conn.reads.arrays<[...IdLinkRow, number | null, number]>(sql, values, true);
    const links: LedgerLink[] = [];
    for (const r of rows) if (r[0] !== null) links.push(toLink(r));
    const [, , , , , , , , , , , , , last, read] = rows[0];
    return { links, last: last ?? after, read };
  }

  private async links(where: string, values: unknown[], prepared = true): Promise<LedgerLink[]> {
    return (await this.conn.reads.arrays<IdLinkRow>(`${this.read} WHERE ${where}`, values, prepared)).map(toLink);
  }

  async getLinks(entity: string, keys: readonly string[]): Promise<Map<string, LedgerLink>> {
    const out = new Map<string, LedgerLink>();
    if (keys.length === 0) return out;
    for (const link of await this.links('l.entity = $1 AND l.key = ANY($2::text[])', [entity, keys])) out.set(link.key, link);
    return out;
  }

  /** A page of the planner's scan: only the columns a plan is decided on (PlanLink), no seen marks. */
  async linkPage(entity: string, after: number, limit: number): Promise<{ links: PlanLink[]; last: number }> {
    const sql = `SELECT ${PLAN_LINK_COLUMNS}, id FROM ${this.t.links} WHERE entity = $1 AND id > $2 ORDER BY id LIMIT $3`;
    const rows = await this.conn.reads.arrays<[...PlanLinkRow, number]>(sql, [entity, after, limit], true);
    const links = new Array<PlanLink>(rows.length);
    for (let i = 0; i < rows.length; i++) links[i] = toPlanLink(entity, rows[i]);
    return { links, last: rows.length > 0 ? Number(rows[rows.length - 1][7]) : after };
  }

  async linkPosition(entity: string, key: string): Promise<number> {
    const rows = await this.conn.reads.arrays<[number]>(`SELECT id FROM ${this.t.links} WHERE entity = $1 AND key = $2`, [entity, key], true);
    return rows.length > 0 ? rows[0][0] : 0;
  }

  /**
   * Pages of the entity's links by id, filtered: never all rows at once, and no cursor held open between pages
   * (writes may come between). One pass over the entity's links, as SQLite's scope index reads its scope.
   */
  async *activeLinks(entity: string, dataSource: string | null): AsyncGenerator<LedgerLink> {
    const sql =
      dataSource === null
        ? this.page(String(STREAM_PAGE), `l.status = 'active'`)
        : this.page(String(STREAM_PAGE), `l.status = 'active' AND l.data_source = $3`);
    let after = 0;
    for (;;) {
      const page = await this.readPage(sql, dataSource === null ? [entity, after] : [entity, after, dataSource], after);
      yield* page.links;
      if (page.read < STREAM_PAGE) return;
      after = page.last;
    }
  }

  async hasLinks(entity: string): Promise<boolean> {
    return (await this.conn.reads.arrays(`SELECT 1 FROM ${this.t.links} WHERE entity = $1 LIMIT 1`, [entity], true)).length > 0;
  }

  async countLinks(entity: string, dataSource: string | null, status: LinkStatus = 'active'): Promise<number> {
    const rows =
      dataSource === null
        ? await this.conn.reads.arrays<[number]>(`SELECT count(*) FROM ${this.t.links} WHERE entity = $1 AND status = $2`, [entity, status], true)
        : await this.conn.reads.arrays<[number]>(`SELECT count(*) FROM ${this.t.links} WHERE entity = $1 AND data_source = $3 AND status = $2`, [entity, status, dataSource], true);
    return rows[0][0];
  }

  async writeLinks(links: readonly LinkWrite[]): Promise<void> {
    if (links.length === 0) return;
    const writes = lastWrites(links);
    const now = new Date().toISOString();
    const chunk = async (r: Runner, from: number) => {
      const part = writes.slice(from, from + WRITE_ROWS);
      await r.run(
        this.upsert,
        [
          part.map((l) => l.entity),
          part.map((l) => l.key),
          part.map((l) => l.moodleId),
          part.map((l) => l.dataSource),
          part.map((l) => l.hash),
          part.map((l) => l.status),
          part.map((l) => l.runId),
          part.map((l) => l.data ?? null),
          part.map((l) => l.state ?? null),
          now,
          part.map((l) => l.fields ?? null),
          part.map((l) => imageAfter(l)),
        ],
        true,
      );
    };
    if (writes.length <= WRITE_ROWS) return this.conn.write((r) => chunk(r, 0));
    await this.conn.transaction(async (r) => {
      for (let i = 0; i < writes.length; i += WRITE_ROWS) await chunk(r, i);
    });
  }

  /**
   * One statement: the run's seen_runs row (its time moves on with its latest mark) and a mark per link. Every link a
   * run marked reads as seen at that time.
   */
  async markSeen(entity: string, keys: readonly string[], runId: string): Promise<void> {
    if (keys.length === 0) return;
    await this.conn.write((r) =>
      r.run(
        `WITH run AS (
           INSERT INTO ${this.t.seenRuns} (run_id, seen_at) VALUES ($1, $2)
           ON CONFLICT (run_id) DO UPDATE SET seen_at = excluded.seen_at RETURNING seq)
         INSERT INTO ${this.t.linkSeen} (link, seq)
           SELECT l.id, run.seq FROM ${this.t.links} l, run WHERE l.entity = $3 AND l.key = ANY($4::text[])
         ON CONFLICT (link) DO UPDATE SET seq = excluded.seq`,
        [runId, new Date().toISOString(), entity, keys],
        true,
      ),
    );
  }

  async dropLink(entity: string, key: string): Promise<void> {
    await this.conn.write((r) => r.run(`DELETE FROM ${this.t.links} WHERE entity = $1 AND key = $2`, [entity, key], true));
  }

  async findByMoodleId(entity: string, moodleId: number): Promise<LedgerLink | undefined> {
    const [link] = await this.links(`l.entity = $1 AND l.moodle_id = $2 ORDER BY l.status = 'active' DESC, ${PG_SEEN_AT} DESC LIMIT 1`, [entity, moodleId]);
    return link;
  }

  async linksWithKeySuffix(entity: string, suffix: string): Promise<LedgerLink[]> {
    if (suffix === '') return [];
    return this.links('l.entity = $1 AND right(l.key, length($2)) = $2 ORDER BY l.key', [entity, suffix]);
  }

  async setLinkData(entity: string, key: string, data: string | null): Promise<boolean> {
    return (await this.conn.write((r) => r.run(`UPDATE ${this.t.links} SET data = $3 WHERE entity = $1 AND key = $2`, [entity, key, data], true))) === 1;
  }

  async listLinks(filter: { entity?: string; dataSource?: string | null; status?: LinkStatus; limit: number; offset: number }): Promise<LedgerLink[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      values.push(v);
      where.push(`${sql} = $${values.length}`);
    };
    if (filter.entity !== undefined) add('l.entity', filter.entity);
    if (filter.dataSource !== undefined && filter.dataSource !== null) add('l.data_source', filter.dataSource);
    if (filter.status !== undefined) add('l.status', filter.status);
    where.push('true');
    values.push(Math.max(0, Math.floor(filter.limit)), Math.max(0, Math.floor(filter.offset)));
    return this.links(`${where.join(' AND ')} ORDER BY l.entity, l.key LIMIT $${values.length - 1} OFFSET $${values.length}`, values, false);
  }

  async startRun(run: Omit<RunRecord, 'finishedAt' | 'status' | 'summary'>): Promise<void> {
    await this.conn.write((r) =>
      r.run(
        `INSERT INTO ${this.t.runs} (id, file, sha256, type, op, data_source, started_at, finished_at, status, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 'running', NULL)`,
        [run.id, run.file, run.sha256, run.type, run.op, run.dataSource, run.startedAt],
      ),
    );
  }

  async finishRun(id: string, status: string, summary: unknown, where: string): Promise<void> {
    const text = summary === undefined || summary === null ? null : typeof summary === 'string' ? summary : JSON.stringify(summary);
    const n = await this.conn.write((r) =>
      r.run(`UPDATE ${this.t.runs} SET finished_at = $1, status = $2, summary = $3 WHERE id = $4`, [new Date().toISOString(), status, text, id]),
    );
    if (n === 0) throw new LedgerError('ledger-no-run', `No run ${id} in the ledger ${where}: it was never started.`);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const [row] = await this.conn.reads.rows<RunRow>(`SELECT * FROM ${this.t.runs} WHERE id = $1`, [id]);
    return row ? toRun(row) : undefined;
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    return (await this.conn.reads.rows<RunRow>(`SELECT * FROM ${this.t.runs} ORDER BY started_at DESC, id DESC LIMIT $1`, [Math.max(0, Math.floor(limit))])).map(toRun);
  }
}
