/**
 * Cohort and cohort-member feeds: the header tables and the pure row mappings.
 * cohorts — SIS: EXTERNAL_COHORT_KEY, NAME, DESCRIPTION, CONTEXT (`system`, empty = system, or a category key),
 * VISIBLE (Y/N, 1/0), DATA_SOURCE_KEY, ROW_STATUS, ACTION; Moodle dialect (cohort upload): idnumber, name,
 * description, category / category_idnumber (a category idnumber), category_id, contextid (1 = system), context,
 * visible. Key = the cohort idnumber.
 * cohort-members — SIS: EXTERNAL_COHORT_KEY, EXTERNAL_PERSON_KEY, ACTION, DATA_SOURCE_KEY, ROW_STATUS; Moodle /
 * tool_sync style: cohort (or cohortid, cohort_idnumber: the cohort's idnumber), user (or userid, user_idnumber: the
 * user's idnumber) or username, cmd. Key `COHORT|PERSON`.
 */
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from './headers.js';
import { COMMANDS, ROW_STATUS, YES_NO, encodingError, invalidValue, parseMoodleId, shapeError, type RowMapper, type RowResult } from './rows.js';
import { FeedFileError } from './types.js';
import type { CohortFields, CohortMemberFields, CohortMemberRecord, CohortRecord } from './cohort-types.js';

const key: ColumnSpec = { kind: 'key', field: 'key' };
const command: ColumnSpec = { kind: 'command', field: 'command' };
const rowStatus: ColumnSpec = { kind: 'rowStatus', field: 'rowStatus' };
const common = {
  action: command,
  cmd: command,
  operation: command,
  data_source_key: { kind: 'dataSource', field: 'dataSource' },
  datasource: { kind: 'dataSource', field: 'dataSource' },
} satisfies Record<string, ColumnSpec>;
/** Every way of saying where the cohort lives feeds one slot, so a header with two of them is refused as a duplicate. */
const where = (field: string): ColumnSpec => ({ kind: 'text', field, target: 'context' });
const cohort: ColumnSpec = { kind: 'text', field: 'cohort', target: 'cohort' };
const person: ColumnSpec = { kind: 'text', field: 'person', target: 'person' };

export const COHORT_HEADERS: HeaderTable = {
  type: 'cohorts',
  sisOnly: { external_cohort_key: key, row_status: rowStatus },
  shared: {
    name: { kind: 'text', field: 'name', target: 'name' },
    description: { kind: 'text', field: 'description', target: 'description' },
    visible: { kind: 'text', field: 'visible', target: 'visible' },
    context: where('context'),
    ...common,
  },
  moodleOnly: {
    idnumber: key,
    category: where('category'),
    category_idnumber: where('category'),
    category_id: where('categoryId'),
    contextid: where('contextid'),
  },
  signature: ['external_cohort_key'],
  needs: 'a cohorts feed needs EXTERNAL_COHORT_KEY, or idnumber and name',
  missingKey(dialect, specs) {
    if (specs.some((s) => s.kind === 'key')) return undefined;
    return dialect === 'sis'
      ? new FeedFileError('missing-column', 'missing column "EXTERNAL_COHORT_KEY": a SIS cohorts feed needs it as the record key')
      : new FeedFileError('missing-column', 'missing column "idnumber": a Moodle-style cohorts feed needs it as the record key (or EXTERNAL_COHORT_KEY for the SIS format)');
  },
};

export const COHORT_MEMBER_HEADERS: HeaderTable = {
  type: 'cohort-members',
  sisOnly: { external_cohort_key: cohort, external_person_key: person, row_status: rowStatus },
  shared: common,
  moodleOnly: {
    cohort,
    cohortid: cohort,
    cohort_idnumber: cohort,
    user: person,
    userid: person,
    user_idnumber: person,
    username: { kind: 'text', field: 'username', target: 'person' },
  },
  signature: ['cohort_idnumber'],
  needs: 'a cohort-members feed needs EXTERNAL_COHORT_KEY and EXTERNAL_PERSON_KEY, or cohort and user',
  missingKey(dialect, specs) {
    const sis = dialect === 'sis';
    const has = (t: string): boolean => specs.some((s) => s.kind === 'text' && s.target === t);
    const missing = [has('cohort') ? [] : [sis ? 'EXTERNAL_COHORT_KEY' : 'cohort'], has('person') ? [] : [sis ? 'EXTERNAL_PERSON_KEY' : 'user']].flat();
    if (missing.length === 0) return undefined;
    return new FeedFileError('missing-column', `missing column ${missing.map((m) => `"${m}"`).join(' and ')}: a cohort-members feed needs the cohort key and the person key`);
  },
};

const known = (t: HeaderTable, n: string): boolean => Object.hasOwn(t.sisOnly, n) || Object.hasOwn(t.shared, n) || Object.hasOwn(t.moodleOnly, n);
const COHORT_COLUMNS = ['external_cohort_key', 'cohort', 'cohortid', 'cohort_idnumber'];
const MEMBER_PERSON_COLUMNS = ['external_person_key', 'user', 'userid', 'user_idnumber', 'username'];
/** Columns only a Moodle-style cohorts file has next to idnumber and name. */
const COHORT_PLACE_COLUMNS = ['context', 'contextid', 'category', 'category_id', 'category_idnumber', 'visible'];

/**
 * Whether a header (not forced to a type) is a cohorts or cohort-members feed: a cohort column with a person column
 * is cohort members; EXTERNAL_COHORT_KEY without one is cohorts; Moodle's `idnumber, name` with a cohort place or
 * visibility column (and nothing a cohorts feed lacks) is cohorts.
 */
export function cohortFeedType(lower: readonly string[]): 'cohorts' | 'cohort-members' | undefined {
  const cohortCol = lower.some((n) => COHORT_COLUMNS.includes(n));
  const personCol = lower.some((n) => MEMBER_PERSON_COLUMNS.includes(n));
  if (cohortCol && personCol && lower.every((n) => known(COHORT_MEMBER_HEADERS, n))) return 'cohort-members';
  if (lower.includes('external_cohort_key') && !personCol) return 'cohorts';
  if (lower.includes('idnumber') && lower.includes('name') && lower.some((n) => COHORT_PLACE_COLUMNS.includes(n)) && lower.every((n) => known(COHORT_HEADERS, n))) return 'cohorts';
  return undefined;
}

const cellOf = (cells: readonly string[], i: number): string => (i >= 0 && i < cells.length ? cells[i].trim() : '');

/** ROW_STATUS, ACTION and DATA_SOURCE_KEY cells; an error result when a value is not one the column takes. */
function base(record: CohortRecord | CohortMemberRecord, s: ColumnSpec, column: string, v: string): RowResult<CohortRecord>['error'] | undefined {
  if (s.kind === 'command') {
    const cmd = COMMANDS[v.toLowerCase()];
    if (cmd === undefined) return invalidValue(column, v, 'add, store, del or delete', record.key);
    record.command = cmd;
  } else if (s.kind === 'rowStatus') {
    const st = ROW_STATUS[v.toLowerCase()];
    if (st === undefined) return invalidValue(column, v, 'enabled, disabled or deleted', record.key);
    record.rowStatus = st;
  } else if (s.kind === 'dataSource') record.dataSource = v;
  return undefined;
}

/** A CONTEXT-like cell → where the cohort lives (system when absent), or the reason it cannot be read. */
function readPlace(fields: CohortFields, field: string, v: string): string | undefined {
  if (field === 'contextid') {
    // Only the system context's id is the same on every site; a category's context id is not its category id.
    if (v === '1') return undefined;
    return 'only 1 (the system context) can be given by context id: give a category cohort its category idnumber (category) or id (category_id)';
  }
  if (field === 'categoryId') {
    const id = parseMoodleId(v);
    if (Number.isNaN(id)) return 'a category id (a positive whole number)';
    fields.categoryId = id;
    return undefined;
  }
  if (v.toLowerCase() !== 'system') fields.category = v;
  return undefined;
}

export function cohortRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<CohortRecord> {
  const specs = header.specs;
  const n = specs.length;
  const keyAt = specs.findIndex((s) => s.kind === 'key');
  return {
    map(cells, spanLines): RowResult<CohortRecord> {
      const k = cellOf(cells, keyAt);
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, k === '' ? undefined : k) };
      if (k === '') {
        return { error: { code: 'missing-value', message: `the key column ${columns[keyAt]} is empty` } };
      }
      const fields: CohortFields = {};
      const record: CohortRecord = { key: k, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], k) };
        const s = specs[i];
        if (s.kind === 'text') {
          if (s.target === 'name' || s.target === 'description') fields[s.target] = v;
          else if (s.target === 'visible') {
            const b = YES_NO[v.toLowerCase()];
            if (b === undefined) return { error: invalidValue(columns[i], v, 'Y, N, 1 or 0', k) };
            fields.visible = b;
          } else if (s.target === 'context') {
            const bad = readPlace(fields, s.field, v);
            if (bad !== undefined) return { error: invalidValue(columns[i], v, bad, k) };
          }
        } else {
          const err = base(record, s, columns[i], v);
          if (err) return { error: err };
        }
      }
      return { record };
    },
  };
}

export function cohortMemberRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<CohortMemberRecord> {
  const specs = header.specs;
  const n = specs.length;
  const idx = ['cohort', 'person'].map((t) => specs.findIndex((s) => s.kind === 'text' && s.target === t));
  const byUsername = specs[idx[1]]?.field === 'username';
  const keyOf = (cells: readonly string[]): { key: string; parts: string[] } => {
    const parts = idx.map((i) => cellOf(cells, i));
    // Moodle lower-cases usernames; the key must too, or `Ann` and `ann` would be two memberships of one user.
    if (byUsername) parts[1] = parts[1].toLowerCase();
    return { key: parts.join('|'), parts };
  };
  return {
    map(cells, spanLines): RowResult<CohortMemberRecord> {
      const { key: k, parts } = keyOf(cells);
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, parts.every((p) => p !== '') ? k : undefined) };
      if (parts.some((p) => p === '')) {
        const bad = idx.find((i) => cells[i].includes('\uFFFD'));
        if (bad !== undefined) return { error: encodingError(columns[bad], undefined) };
        const empty = idx.filter((_, j) => parts[j] === '').map((i) => columns[i]);
        return { error: { code: 'missing-value', message: `the key column${empty.length > 1 ? 's' : ''} ${empty.join(' and ')} ${empty.length > 1 ? 'are' : 'is'} empty` } };
      }
      // The key joins cohort and person with a pipe: a cohort key holding one could not be split back.
      if (parts[0].includes('|')) return { error: invalidValue(columns[idx[0]], parts[0], 'a key without "|"', k) };
      const fields: CohortMemberFields = { cohort: parts[0], person: parts[1] };
      if (byUsername) fields.personBy = 'username';
      const record: CohortMemberRecord = { key: k, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], k) };
        const err = base(record, specs[i], columns[i], v);
        if (err) return { error: err };
      }
      return { record };
    },
  };
}
