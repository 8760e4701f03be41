/**
 * One mirrored table brought in step with what Moodle answered, within a scope (every row, or the rows of some
 * courses): rows Moodle no longer has are deleted, new ones inserted, changed ones updated; unchanged rows are not
 * written. Answers one change per created, updated or deleted row, for the change log.
 */
import type { SqlDatabase, SqlValue } from '../db/index.js';
import type { TableSpec } from './schema.js';

export type Row = Record<string, SqlValue>;

/** A row as read from Moodle, before norm(): booleans and undefined allowed. */
export type Fields = Record<string, unknown>;

/** The rows a scope covers: a WHERE clause with `?` placeholders, or null for the whole table. */
export type Scope = { where: string; params: SqlValue[] } | null;

export interface RowChange {
  object: string;
  action: 'created' | 'updated' | 'deleted';
  key: Row;
  /** The row as it now is (created, updated) or was (deleted). */
  record: Row;
  /** updated: the old values of the columns that changed. */
  before?: Row;
}

/** A scope of rows whose `column` is one of `ids` (an empty list matches nothing). */
export function inScope(column: string, ids: readonly number[]): Scope {
  if (ids.length === 0) return { where: '1 = 0', params: [] };
  return { where: `${column} IN (${ids.map(() => '?').join(', ')})`, params: [...ids] };
}

/** Values as both backends store them: booleans 0/1, undefined null. */
export function norm(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return String(v);
}

const same = (a: SqlValue, b: SqlValue): boolean => (a === null || b === null ? a === b : String(a) === String(b));

const keyOf = (spec: TableSpec, row: Row): string => spec.key.map((k) => String(row[k])).join('|');

/** Statement parameters stay well under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 20_000;

export async function syncTable(db: SqlDatabase, spec: TableSpec, scope: Scope, incoming: readonly Fields[]): Promise<RowChange[]> {
  const cols = [...spec.key, ...spec.columns];
  const existing = new Map<string, Row>();
  const sql = `SELECT ${cols.join(', ')} FROM ${spec.table}${scope ? ` WHERE ${scope.where}` : ''}`;
  for (const r of await db.query<Row>(sql, scope?.params ?? [])) existing.set(keyOf(spec, r), r);

  const changes: RowChange[] = [];
  const writes = new Map<string, Row>();
  for (const raw of incoming) {
    const row: Row = {};
    for (const c of cols) row[c] = norm(raw[c]);
    const k = keyOf(spec, row);
    if (writes.has(k)) continue; // Moodle listed it twice (a user in two groups' lists …): once is enough
    const old = existing.get(k);
    existing.delete(k);
    const key = Object.fromEntries(spec.key.map((c) => [c, row[c]]));
    if (!old) {
      writes.set(k, row);
      changes.push({ object: spec.object, action: 'created', key, record: row });
      continue;
    }
    const before: Row = {};
    for (const c of spec.columns) if (!same(old[c], row[c])) before[c] = old[c];
    if (Object.keys(before).length > 0) {
      writes.set(k, row);
      changes.push({ object: spec.object, action: 'updated', key, record: row, before });
    }
  }
  for (const old of existing.values()) {
    changes.push({ object: spec.object, action: 'deleted', key: Object.fromEntries(spec.key.map((c) => [c, old[c]])), record: old });
  }

  await upsert(db, spec, [...writes.values()]);
  await remove(db, spec, [...existing.values()]);
  return changes;
}

async function upsert(db: SqlDatabase, spec: TableSpec, rows: Row[]): Promise<void> {
  const cols = [...spec.key, ...spec.columns];
  const onConflict = spec.columns.length === 0
    ? 'DO NOTHING'
    : `DO UPDATE SET ${spec.columns.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  const per = Math.max(1, Math.min(500, Math.floor(MAX_PARAMS / cols.length)));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    await db.exec(
      `INSERT INTO ${spec.table} (${cols.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ON CONFLICT (${spec.key.join(', ')}) ${onConflict}`,
      chunk.flatMap((r) => cols.map((c) => r[c])),
    );
  }
}

async function remove(db: SqlDatabase, spec: TableSpec, rows: Row[]): Promise<void> {
  const per = Math.max(1, Math.floor(500 / spec.key.length));
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    if (spec.key.length === 1) {
      const k = spec.key[0];
      await db.exec(`DELETE FROM ${spec.table} WHERE ${k} IN (${chunk.map(() => '?').join(', ')})`, chunk.map((r) => r[k]));
    } else {
      const one = `(${spec.key.map((k) => `${k} = ?`).join(' AND ')})`;
      await db.exec(`DELETE FROM ${spec.table} WHERE ${chunk.map(() => one).join(' OR ')}`, chunk.flatMap((r) => spec.key.map((k) => r[k])));
    }
  }
}
