/**
 * Cohort feeds: the header table and the pure row mapping (cohort members reuse its column specs).
 * cohorts — SIS: EXTERNAL_COHORT_KEY, NAME, DESCRIPTION, CONTEXT (`system`, empty = system, or a category key),
 * VISIBLE (Y/N, 1/0), DATA_SOURCE_KEY, ROW_STATUS, ACTION; Moodle dialect (cohort upload): idnumber, name,
 * description, category / category_idnumber (a category idnumber), category_id, contextid (1 = system), context,
 * visible. Key = the cohort idnumber.
 * cohort-members — SIS: EXTERNAL_COHORT_KEY, EXTERNAL_PERSON_KEY, ACTION, DATA_SOURCE_KEY, ROW_STATUS; Moodle /
 * tool_sync style: cohort (or cohortid, cohort_idnumber: the cohort's idnumber), user (or userid, user_idnumber: the
 * user's idnumber) or username, cmd. Key `COHORT|PERSON`.
 */
import { knowsColumn, type ColumnSpec, type HeaderAnalysis, type HeaderTable } from '../../feed/columns.js';
import { COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, MOODLE_ID_COLUMNS, ROW_STATUS_COLUMN, YES_NO, baseCell, cellAt, encodingError, invalidValue, missingKeyError, parseMoodleId, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import { FeedFileError } from '../../feed/types.js';
import type { CohortFields, CohortRecord } from './record.js';

export const key: ColumnSpec = { kind: 'key', field: 'key' };
export const common = { ...COMMAND_COLUMNS, ...DATA_SOURCE_COLUMNS } satisfies Record<string, ColumnSpec>;
/** Every way of saying where the cohort lives feeds one slot, so a header with two of them is refused as a duplicate. */
const where = (field: string): ColumnSpec => ({ kind: 'text', field, target: 'context' });
export const cohort: ColumnSpec = { kind: 'text', field: 'cohort', target: 'cohort' };
export const person: ColumnSpec = { kind: 'text', field: 'person', target: 'person' };

export const COHORT_HEADERS: HeaderTable = {
  type: 'cohorts',
  // Before courses: a Moodle cohorts file may carry category_idnumber, a course column too.
  detect: { rank: 11, test: isCohortsHeader },
  keyTargets: () => [],
  sisOnly: { external_cohort_key: key, row_status: ROW_STATUS_COLUMN },
  shared: {
    name: { kind: 'text', field: 'name', target: 'name' },
    description: { kind: 'text', field: 'description', target: 'description' },
    visible: { kind: 'text', field: 'visible', target: 'visible' },
    context: where('context'),
    ...common,
    // The cohort id `mdlsync export ids` wrote (not in `common`: cohort members take no MOODLE_ID).
    ...MOODLE_ID_COLUMNS,
  },
  moodleOnly: {
    idnumber: key,
    category: where('category'),
    category_idnumber: where('category'),
    category_id: where('categoryId'),
    contextid: where('contextid'),
    upload_type: { kind: 'uploadType', field: 'uploadType' },
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

export const COHORT_COLUMNS = ['external_cohort_key', 'cohort', 'cohortid', 'cohort_idnumber', 'cohort_name'];
export const MEMBER_PERSON_COLUMNS = ['external_person_key', 'user', 'userid', 'user_idnumber', 'username'];
/** Columns only a Moodle-style cohorts file has next to idnumber and name. */
const COHORT_PLACE_COLUMNS = ['context', 'contextid', 'category', 'category_id', 'category_idnumber', 'visible'];

/**
 * A cohorts header: EXTERNAL_COHORT_KEY without a person column, or Moodle's `idnumber, name` with a cohort place
 * or visibility column (and nothing a cohorts feed lacks). Tested after cohort members.
 */
export function isCohortsHeader(lower: readonly string[]): boolean {
  if (lower.includes('external_cohort_key') && !lower.some((n) => MEMBER_PERSON_COLUMNS.includes(n))) return true;
  return lower.includes('idnumber') && lower.includes('name') && lower.some((n) => COHORT_PLACE_COLUMNS.includes(n)) && lower.every((n) => knowsColumn(COHORT_HEADERS, n));
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
        } else if (s.kind === 'uploadType') {
          const t = v.toLowerCase();
          if (t !== 'addnew' && t !== 'addupdate') return { error: invalidValue(columns[i], v, 'addnew or addupdate', k) };
          if (t === 'addnew') record.uploadType = 'addnew';
        } else {
          const err = baseCell(record, s.kind, columns[i], v, 'cohort');
          if (err) return { error: err };
        }
      }
      return { record };
    },
  };
}
