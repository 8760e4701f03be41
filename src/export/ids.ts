/**
 * `mdlsync export ids`: for every active record the ledger links, its key → Moodle id, with the username (persons),
 * shortname (courses) or name (categories, groups, cohorts), as a feed of its type in the header style the SIS sends
 * (SIS snapshot or mdlsync's Moodle-style headers) with a MOODLE_ID column. Fed back with `--op store`, every row only
 * confirms its link (src/resolve/confirm.ts) and is `unchanged`.
 *
 * Names: a group's is in its link's state; the others are read from Moodle by id (src/resolve/names.ts), so the file
 * says what Moodle has now. A linked record Moodle no longer has is left out and counted (`missing`): a row naming it
 * would fail when fed back (mdlsync diff finds them).
 */
import type { Dialect } from '../feed/types.js';
import type { LedgerLink, LedgerStore, RunRecord } from '../ledger/types.js';
import { parseGroupState } from '../entities/groups/rules.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { Retry } from '../resolve/common.js';
import { moodleNames, type NamedType } from '../resolve/names.js';

/** The types whose records get a Moodle id of their own, in the order they are exported. */
export const ID_TYPES = ['persons', 'courses', 'categories', 'groups', 'cohorts'] as const;
export type IdType = (typeof ID_TYPES)[number];

/** The two header styles of mdlsync's own feeds: `sis` (EXTERNAL_PERSON_KEY|USER_ID|…) and `moodle` (idnumber,username,…). */
export type HeaderStyle = Dialect;

/** Each style's usual delimiter, when the ledger does not say which one the SIS used. */
export const STYLE_DELIMITER: Record<HeaderStyle, string> = { sis: '|', moodle: ',' };

interface Columns {
  /** The key's columns (groups: course key, then group key). */
  key: readonly string[];
  name: string;
  dataSource: string;
  moodleId: string;
}

/** The columns of each type's ids file; every name is one the type's header table reads (feed tests check). */
export const ID_COLUMNS: Record<IdType, Record<HeaderStyle, Columns>> = {
  persons: {
    sis: { key: ['EXTERNAL_PERSON_KEY'], name: 'USER_ID', dataSource: 'DATA_SOURCE_KEY', moodleId: 'MOODLE_ID' },
    moodle: { key: ['idnumber'], name: 'username', dataSource: 'data_source_key', moodleId: 'moodle_id' },
  },
  courses: {
    sis: { key: ['EXTERNAL_COURSE_KEY'], name: 'COURSE_ID', dataSource: 'DATA_SOURCE_KEY', moodleId: 'MOODLE_ID' },
    moodle: { key: ['idnumber'], name: 'shortname', dataSource: 'data_source_key', moodleId: 'moodle_id' },
  },
  categories: {
    sis: { key: ['EXTERNAL_CATEGORY_KEY'], name: 'NAME', dataSource: 'DATA_SOURCE_KEY', moodleId: 'MOODLE_ID' },
    moodle: { key: ['idnumber'], name: 'name', dataSource: 'data_source_key', moodleId: 'moodle_id' },
  },
  groups: {
    sis: { key: ['EXTERNAL_COURSE_KEY', 'EXTERNAL_GROUP_KEY'], name: 'GROUP_NAME', dataSource: 'DATA_SOURCE_KEY', moodleId: 'MOODLE_ID' },
    moodle: { key: ['course', 'idnumber'], name: 'name', dataSource: 'data_source_key', moodleId: 'moodle_id' },
  },
  cohorts: {
    sis: { key: ['EXTERNAL_COHORT_KEY'], name: 'NAME', dataSource: 'DATA_SOURCE_KEY', moodleId: 'MOODLE_ID' },
    moodle: { key: ['idnumber'], name: 'name', dataSource: 'data_source_key', moodleId: 'moodle_id' },
  },
};

/** One record of an ids file. */
export interface IdRecord {
  key: string;
  moodleId: number;
  dataSource: string | null;
  /** Username, shortname or name; undefined when not known (a group link without state). */
  name?: string;
}

/** How a type's records were fed, as far as the ledger's run records tell. */
export interface FeedStyle {
  headers: HeaderStyle;
  delimiter: string;
  /** The run it was read from; null when no run says (the SIS snapshot style is then assumed) or when chosen by flag. */
  run: string | null;
  /** Why the style is not the one asked for or fed. */
  note?: string;
}

/**
 * Types written in SIS snapshot headers whatever was asked: a Moodle-style cohorts ids file (`idnumber,name,moodle_id`)
 * is also a categories header, and would be read as one.
 */
const SIS_ONLY: Partial<Record<IdType, string>> = {
  cohorts: 'SIS snapshot headers: a Moodle-style cohorts ids file (idnumber,name,moodle_id) would be read as a categories feed',
};

/**
 * The header style and delimiter of the most recent of these runs that recorded its file's format (runs record it
 * since `export ids` exists); undefined when none did.
 */
export function styleOfRuns(runs: Iterable<RunRecord>): FeedStyle | undefined {
  let best: { at: string; style: FeedStyle } | undefined;
  for (const run of runs) {
    const format = formatOf(run);
    if (!format) continue;
    if (best && best.at >= run.startedAt) continue;
    best = { at: run.startedAt, style: { headers: format.headers, delimiter: format.delimiter ?? STYLE_DELIMITER[format.headers], run: run.id } };
  }
  return best?.style;
}

function formatOf(run: RunRecord): { headers: HeaderStyle; delimiter?: string } | undefined {
  if (!run.summary) return undefined;
  try {
    const format = (JSON.parse(run.summary) as { format?: { headers?: unknown; delimiter?: unknown } }).format;
    if (format?.headers !== 'sis' && format?.headers !== 'moodle') return undefined;
    return { headers: format.headers, delimiter: typeof format.delimiter === 'string' && format.delimiter !== '' ? format.delimiter : undefined };
  } catch {
    return undefined;
  }
}

/**
 * The style to write: the flag's when given (with the delimiter the SIS used for that style, else the style's usual
 * one), else the latest recorded run's, else the SIS snapshot style. `--delimiter` beats both.
 */
export function chooseStyle(recorded: FeedStyle | undefined, flags: { headers?: HeaderStyle; delimiter?: string }, type?: IdType): FeedStyle {
  const wanted = flags.headers ?? recorded?.headers ?? 'sis';
  if (type !== undefined && wanted === 'moodle' && SIS_ONLY[type]) {
    return { headers: 'sis', delimiter: flags.delimiter ?? STYLE_DELIMITER.sis, run: null, note: SIS_ONLY[type] };
  }
  const headers = wanted;
  const sameAsFed = recorded !== undefined && recorded.headers === headers;
  const delimiter = flags.delimiter ?? (sameAsFed ? recorded.delimiter : STYLE_DELIMITER[headers]);
  return { headers, delimiter, run: sameAsFed ? recorded.run : null };
}

/** The file: a header row, then one row per record in key order. DATA_SOURCE_KEY only when a record has one. */
export function idsTable(type: IdType, headers: HeaderStyle, records: readonly IdRecord[]): string[][] {
  const c = ID_COLUMNS[type][headers];
  const withDataSource = records.some((r) => r.dataSource !== null);
  const header = [...c.key, c.name, ...(withDataSource ? [c.dataSource] : []), c.moodleId];
  const rows = [...records]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => [...keyCells(type, r.key), r.name ?? '', ...(withDataSource ? [r.dataSource ?? ''] : []), String(r.moodleId)]);
  return [header, ...rows];
}

/** A group's key is `COURSE|GROUP`: the course key holds no pipe (the reader refuses one), the group key may. */
function keyCells(type: IdType, key: string): string[] {
  if (type !== 'groups') return [key];
  const i = key.indexOf('|');
  return [key.slice(0, i), key.slice(i + 1)];
}

export interface IdsExport {
  type: IdType;
  style: FeedStyle;
  records: IdRecord[];
  /** Active links whose Moodle record Moodle no longer has: left out of the file. */
  missing: IdRecord[];
}

export interface IdsRequest {
  type: IdType;
  /** Only the links of this data source; null: every data source. */
  dataSource: string | null;
  headers?: HeaderStyle;
  delimiter?: string;
}

/** Reads one type's active links, its feed style and the names, and returns what the file holds. */
export async function exportIds(req: IdsRequest, deps: { ledger: LedgerStore; client: MoodleCaller | null; retry: Retry }): Promise<IdsExport> {
  const links: LedgerLink[] = [];
  for await (const link of deps.ledger.activeLinks(req.type, req.dataSource)) links.push(link);
  const runs = new Map<string, RunRecord>();
  for (const l of links) {
    if (l.lastRun === null || runs.has(l.lastRun)) continue;
    const run = await deps.ledger.getRun(l.lastRun);
    if (run) runs.set(run.id, run);
  }
  const style = chooseStyle(styleOfRuns(runs.values()), req, req.type);
  const records: IdRecord[] = links.map((l) => ({ key: l.key, moodleId: l.moodleId, dataSource: l.dataSource }));
  if (req.type === 'groups') {
    for (const [i, l] of links.entries()) records[i].name = parseGroupState(l.state)?.name;
    return { type: req.type, style, records, missing: [] };
  }
  // Groups (above) read no Moodle: every other type's names do.
  if (!deps.client) throw new Error(`export ids: the ${req.type} names are read from Moodle, and no Moodle client was given`);
  const names = await moodleNames(deps.client, req.type as NamedType, records.map((r) => r.moodleId), deps.retry);
  const kept: IdRecord[] = [];
  const missing: IdRecord[] = [];
  for (const r of records) {
    const name = names.get(r.moodleId);
    if (name === undefined) missing.push(r);
    else kept.push({ ...r, name });
  }
  return { type: req.type, style, records: kept, missing };
}
