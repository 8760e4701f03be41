/**
 * Institution-role and observer feeds: the header tables and the pure row mappings.
 * institution-roles — EXTERNAL_PERSON_KEY, ROLE_ID, ROW_STATUS, DATA_SOURCE_KEY, ACTION. Key `PERSON|ROLE_ID`, the role
 * lower-cased (the SIS guide spells one role ENGINEERING_STUDENT and engineering_student).
 * observers — EXTERNAL_OBSERVER_KEY, EXTERNAL_USER_KEY, ROW_STATUS, DATA_SOURCE_KEY, ACTION. Key `OBSERVER|USER`.
 */
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from '../../feed/columns.js';
import { COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, ROW_STATUS_COLUMN, baseCell, cellAt, emptyKeyError, missingKeyColumns, encodingError, invalidValue, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { EntityRecord } from '../../feed/types.js';
import type { InstitutionRoleRecord, ObserverRecord } from './record.js';

const text = (target: string): ColumnSpec => ({ kind: 'text', field: target, target });
const common = { row_status: ROW_STATUS_COLUMN, ...DATA_SOURCE_COLUMNS, ...COMMAND_COLUMNS } satisfies Record<string, ColumnSpec>;

export const INSTITUTION_ROLE_HEADERS: HeaderTable = {
  type: 'institution-roles',
  // EXTERNAL_OBSERVER_KEY / ROLE_ID belong to no other feed.
  detect: { rank: 20, test: (lower) => roleFeedType(lower) === 'institution-roles' },
  keyTargets: () => ['person', 'role'],
  sisOnly: { external_person_key: text('person'), role_id: text('role') },
  shared: common,
  moodleOnly: {},
  signature: ['role_id'],
  needs: 'an institution-roles feed needs EXTERNAL_PERSON_KEY and ROLE_ID',
  missingKey: (_d, specs) => missingKeyColumns(specs, [['person', 'EXTERNAL_PERSON_KEY'], ['role', 'ROLE_ID']], 'an institution-roles feed needs the person key and the role'),
};

export const OBSERVER_HEADERS: HeaderTable = {
  type: 'observers',
  detect: { rank: 20, test: (lower) => roleFeedType(lower) === 'observers' },
  keyTargets: () => ['observer', 'user'],
  sisOnly: { external_observer_key: text('observer'), external_user_key: text('user') },
  shared: common,
  moodleOnly: {},
  signature: ['external_observer_key', 'external_user_key'],
  needs: 'an observers feed needs EXTERNAL_OBSERVER_KEY and EXTERNAL_USER_KEY',
  missingKey: (_d, specs) => missingKeyColumns(specs, [['observer', 'EXTERNAL_OBSERVER_KEY'], ['user', 'EXTERNAL_USER_KEY']], 'an observers feed needs the observer key and the observed person key'),
};

/** Whether a header (not forced to a type) is an observers or institution-roles feed: their key columns say so. */
export function roleFeedType(lower: readonly string[]): 'observers' | 'institution-roles' | undefined {
  if (lower.some((n) => OBSERVER_HEADERS.signature.includes(n))) return 'observers';
  if (lower.includes('role_id')) return 'institution-roles';
  return undefined;
}

/**
 * A row of two key columns and the base columns (ROW_STATUS, DATA_SOURCE_KEY, ACTION). The first key part must not
 * hold a pipe: the key `A|B` could not be split back.
 */
function pairMapper<R extends EntityRecord>(header: HeaderAnalysis, columns: readonly string[], targets: [string, string], build: (a: string, b: string) => { key: string; record: R }): RowMapper<R> {
  const specs = header.specs;
  const n = specs.length;
  const ia = specs.findIndex((s) => s.kind === 'text' && s.target === targets[0]);
  const ib = specs.findIndex((s) => s.kind === 'text' && s.target === targets[1]);
  return {
    map(cells, spanLines): RowResult<R> {
      const a = cellAt(cells, ia);
      const b = cellAt(cells, ib);
      const rawKey = `${a}|${b}`;
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, a && b ? rawKey : undefined) };
      if (a === '' || b === '') return { error: emptyKeyError(cells, columns, [a === '' ? columns[ia] : '', b === '' ? columns[ib] : ''].filter(Boolean)) };
      if (a.includes('|')) return { error: invalidValue(columns[ia], a, 'a key without "|"', rawKey) };
      const { key, record } = build(a, b);
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], key) };
        const err = baseCell(record, specs[i].kind, columns[i], v);
        if (err) return { error: err };
      }
      return { record };
    },
  };
}

export function institutionRoleRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<InstitutionRoleRecord> {
  return pairMapper<InstitutionRoleRecord>(header, columns, ['person', 'role'], (person, r) => {
    const role = r.toLowerCase();
    const key = `${person}|${role}`;
    return { key, record: { key, fields: { person, role } } };
  });
}

export function observerRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<ObserverRecord> {
  return pairMapper<ObserverRecord>(header, columns, ['observer', 'user'], (observer, user) => {
    const key = `${observer}|${user}`;
    return { key, record: { key, fields: { observer, user } } };
  });
}

/** `A|B` → its parts (the first part never holds a pipe: the reader refuses it). */
export function pairKeyParts(key: string): [string, string] {
  const i = key.indexOf('|');
  return [key.slice(0, i), key.slice(i + 1)];
}
