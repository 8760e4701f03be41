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
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from '../../feed/columns.js';
import { COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, ROW_STATUS_COLUMN, YES_NO, baseCell, cellAt, encodingError, invalidValue, missingKeyColumns, missingKeyError, parseMoodleId, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import { FeedFileError } from '../../feed/types.js';
import type { CohortFields, CohortMemberFields, CohortMemberRecord, CohortRecord } from './record.js';

const key: ColumnSpec = { kind: 'key', field: 'key' };
const common = { ...COMMAND_COLUMNS, ...DATA_SOURCE_COLUMNS } satisfies Record<string, ColumnSpec>;
/** Every way of saying where the cohort lives feeds one slot, so a header with two of them is refused as a duplicate. */
const where = (field: string): ColumnSpec => ({ kind: 'text', field, target: 'context' });
const cohort: ColumnSpec = { kind: 'text', field: 'cohort', target: 'cohort' };
const person: ColumnSpec = { kind: 'text', field: 'person', target: 'person' };

export const COHORT_HEADERS: HeaderTable = {
  type: 'cohorts',
  // Before courses: a Moodle cohorts file may carry category_idnumber, a course column too.
  detect: { rank: 10, test: (lower) => cohortFeedType(lower) === 'cohorts' },
  keyTargets: () => [],
  sisOnly: { external_cohort_key: key, row_status: ROW_STATUS_COLUMN },
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
  detect: { rank: 10, test: (lower) => cohortFeedType(lower) === 'cohort-members' },
  keyTargets: () => ['cohort', 'person'],
  sisOnly: { external_cohort_key: cohort, external_person_key: person, row_status: ROW_STATUS_COLUMN },
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
    return missingKeyColumns(specs, [['cohort', sis ? 'EXTERNAL_COHORT_KEY' : 'cohort'], ['person', sis ? 'EXTERNAL_PERSON_KEY' : 'user']], 'a cohort-members feed needs the cohort key and the person key');
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
      const k = cellAt(cells, keyAt);
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, k === '' ? undefined : k) };
      if (k === '') return { error: missingKeyError([columns[keyAt]]) };
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
          const err = baseCell(record, s.kind, columns[i], v);
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
    const parts = idx.map((i) => cellAt(cells, i));
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
        return { error: missingKeyError(idx.filter((_, j) => parts[j] === '').map((i) => columns[i])) };
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
        const err = baseCell(record, specs[i].kind, columns[i], v);
        if (err) return { error: err };
      }
      return { record };
    },
  };
}
