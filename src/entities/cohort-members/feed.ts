/** Cohort-member feed headers and row mapper: cohort key and person key (SIS or Moodle names). */
import { knowsColumn, type HeaderAnalysis, type HeaderTable } from '../../feed/columns.js';
import { ROW_STATUS_COLUMN, baseCell, cellAt, encodingError, invalidValue, missingKeyColumns, missingKeyError, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { CohortMemberFields, CohortMemberRecord } from './record.js';
import { common, cohort, person, COHORT_COLUMNS, MEMBER_PERSON_COLUMNS } from '../cohorts/feed.js';

export const COHORT_MEMBER_HEADERS: HeaderTable = {
  type: 'cohort-members',
  detect: { rank: 10, test: isCohortMembersHeader },
  keyTargets: () => ['cohort', 'person'],
  sisOnly: { external_cohort_key: cohort, external_person_key: person, row_status: ROW_STATUS_COLUMN },
  shared: common,
  moodleOnly: {
    cohort,
    cohortid: cohort,
    cohort_idnumber: cohort,
    cohort_name: { kind: 'text', field: 'cohort_name', target: 'cohort' },
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

/** A cohort-members header: a cohort column with a person column, and no column a cohort-members feed lacks. */
export function isCohortMembersHeader(lower: readonly string[]): boolean {
  return lower.some((n) => COHORT_COLUMNS.includes(n)) && lower.some((n) => MEMBER_PERSON_COLUMNS.includes(n)) && lower.every((n) => knowsColumn(COHORT_MEMBER_HEADERS, n));
}

export function cohortMemberRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<CohortMemberRecord> {
  const specs = header.specs;
  const n = specs.length;
  const idx = ['cohort', 'person'].map((t) => specs.findIndex((s) => s.kind === 'text' && s.target === t));
  const byName = specs[idx[0]]?.field === 'cohort_name';
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
      if (parts[0].includes('|')) return { error: invalidValue(columns[idx[0]], parts[0], byName ? 'a name without "|"' : 'a key without "|"', k) };
      const fields: CohortMemberFields = { cohort: parts[0], person: parts[1] };
      if (byName) fields.cohortBy = 'name';
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
