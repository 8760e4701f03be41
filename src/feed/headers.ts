/**
 * Pure header analysis: header names → entity type, canonical fields, dialect, key column. One table per entity.
 * No I/O here; the stream shell (read.ts) hands in the header cells.
 */
import { closest, distance } from 'fastest-levenshtein';
import { columnSpec } from './columns.js';
import { FeedFileError, type Dialect, type EntityType } from './types.js';
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from './columns.js';

export type { ColumnKind, ColumnSpec, HeaderAnalysis, HeaderTable } from './columns.js';

/**
 * The type the header names: the tables' own tests, lowest rank first (a narrower signature before a wider one);
 * when none claims it, the fallback table's type (persons), whose messages then name the unknown columns.
 */
function inferType(tables: readonly HeaderTable[], columns: readonly string[], lower: readonly string[]): EntityType {
  const ranked = tables.filter((t) => t.detect !== undefined).sort((x, y) => x.detect!.rank - y.detect!.rank);
  const claimed = ranked.find((t) => t.detect!.test(lower, columns));
  if (claimed) return claimed.type;
  const fallback = tables.find((t) => t.fallback);
  if (!fallback) throw new FeedFileError('unknown-type', `cannot tell the feed type from the header "${columns.join(' ')}"`);
  return fallback.type;
}

/** The header's type, dialect and column specs, read against the entities' tables (entities/index.ts gives them in run order). */
export function analyseHeaderWith(tables: readonly HeaderTable[], columns: readonly string[], type?: EntityType): HeaderAnalysis {
  const tableOf = (t: EntityType): HeaderTable => tables.find((x) => x.type === t)!;
  const lower = columns.map((c) => c.trim().toLowerCase());
  const inferred = inferType(tables, columns, lower);
  if (type !== undefined) {
    // A forced type must not read another entity's file as its own.
    const looksLike = tables.find((t) => t.type !== type && lower.some((n) => t.signature.includes(n) && columnSpec(tableOf(type), n, n) === undefined))?.type;
    if (looksLike !== undefined) throw new FeedFileError('unknown-type', `the header looks like a ${looksLike} feed, not a ${type} feed`);
  }
  const table = tableOf(type ?? inferred);
  const specs: Array<ColumnSpec | undefined> = lower.map((n, i) => columnSpec(table, n, columns[i]));

  if (specs.every((s) => s === undefined)) {
    throw new FeedFileError(
      'unknown-type',
      type === undefined
        ? `cannot tell the feed type from the header "${columns.join(' ')}": ${tables.map((t) => t.needs).join('; ')}`
        : `the header has no ${type} column: ${table.needs}`,
    );
  }
  const unknown = columns.flatMap((_c, i) => (specs[i] === undefined ? [i] : []));
  if (unknown.length > 0) {
    const named = unknown.map((i) => {
      const c = columns[i];
      if (c.trim() === '') return `"" (column ${i + 1} has no name)`;
      const hint = suggest(c.trim(), table);
      return hint === undefined ? `"${c}"` : `"${c}" (did you mean "${hint}"?)`;
    });
    const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
    throw new FeedFileError('unknown-header', `unknown column${unknown.length > 1 ? 's' : ''} ${list}`);
  }
  const known = specs as ColumnSpec[];

  const dialect: Dialect = lower.some((n) => Object.hasOwn(table.sisOnly, n)) ? 'sis' : 'moodle';

  // Two columns feeding the same value would make one silently win over the other.
  const seen = new Map<string, number>();
  known.forEach((s, i) => {
    let slot = s.kind === 'text' || s.kind === 'customfield' ? `${s.kind}:${s.target}` : s.kind;
    if (s.kind === 'suspended') slot = 'available';
    // In the SIS dialect the key is stored in idnumber, so an idnumber column would fight with it.
    if (dialect === 'sis' && (s.kind === 'key' || (s.kind === 'text' && s.target === 'idnumber'))) slot = 'key';
    const first = seen.get(slot);
    if (first !== undefined) {
      const msg =
        lower[first] === lower[i]
          ? `column "${columns[i]}" appears twice`
          : `columns "${columns[first]}" and "${columns[i]}" both give ${s.kind === 'suspended' ? 'the availability' : s.field}: keep one`;
      throw new FeedFileError('duplicate-header', msg);
    }
    seen.set(slot, i);
  });

  const missing = table.missingKey(dialect, known);
  if (missing) throw missing;
  return { type: table.type, dialect, fields: known.map((s) => s.field), specs: known };
}

/**
 * Closest accepted name, written in the same case style as the unknown one; undefined when nothing is close. Only a
 * typo is suggested: a name that holds the other and a word more (`oldusername`, `institution_role`) is another
 * column with another meaning, and a short name two edits away (`uid` → `cmd`) is another word, not a slip.
 */
export function suggest(name: string, table: HeaderTable): string | undefined {
  const lower = name.toLowerCase();
  const best = closest(lower, [...Object.keys(table.sisOnly), ...Object.keys(table.shared), ...Object.keys(table.moodleOnly)]);
  const d = distance(lower, best);
  if (d > Math.max(2, Math.floor(lower.length / 3))) return undefined;
  if ((lower.includes(best) || best.includes(lower)) && Math.abs(lower.length - best.length) >= 3) return undefined;
  if (Math.min(lower.length, best.length) <= 4 && d > 1) return undefined;
  return name === name.toUpperCase() ? best.toUpperCase() : best;
}
