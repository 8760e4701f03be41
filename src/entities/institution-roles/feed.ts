/**
 * Institution-role feeds: the header table and the pure row mapping, and the two-key row mapper observers share.
 * institution-roles — EXTERNAL_PERSON_KEY, ROLE_ID, ROW_STATUS, DATA_SOURCE_KEY, ACTION. Key `PERSON|ROLE_ID`, the role
 * lower-cased (the SIS guide spells one role ENGINEERING_STUDENT and engineering_student).
 */
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from '../../feed/columns.js';
import { COMMAND_COLUMNS, DATA_SOURCE_COLUMNS, ROW_STATUS_COLUMN, baseCell, cellAt, emptyKeyError, missingKeyColumns, encodingError, invalidValue, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { EntityRecord } from '../../feed/types.js';
import type { InstitutionRoleRecord } from './record.js';

export const text = (target: string): ColumnSpec => ({ kind: 'text', field: target, target });
export const common = { row_status: ROW_STATUS_COLUMN, ...DATA_SOURCE_COLUMNS, ...COMMAND_COLUMNS } satisfies Record<string, ColumnSpec>;

export const INSTITUTION_ROLE_HEADERS: HeaderTable = {
  type: 'institution-roles',
  // EXTERNAL_OBSERVER_KEY / ROLE_ID belong to no other feed.
  // After observers (EXTERNAL_OBSERVER_KEY), whose files may name a role too.
  detect: { rank: 21, test: (lower) => lower.includes('role_id') },
  keyTargets: () => ['person', 'role'],
  sisOnly: { external_person_key: text('person'), role_id: text('role') },
  shared: common,
  moodleOnly: {},
  signature: ['role_id'],
  needs: 'an institution-roles feed needs EXTERNAL_PERSON_KEY and ROLE_ID',
  missingKey: (_d, specs) => missingKeyColumns(specs, [['person', 'EXTERNAL_PERSON_KEY'], ['role', 'ROLE_ID']], 'an institution-roles feed needs the person key and the role'),
};


/**
 * A row of two key columns and the base columns (ROW_STATUS, DATA_SOURCE_KEY, ACTION). The first key part must not
 * hold a pipe: the key `A|B` could not be split back.
 */
export function pairMapper<R extends EntityRecord>(header: HeaderAnalysis, columns: readonly string[], targets: [string, string], build: (a: string, b: string) => { key: string; record: R }): RowMapper<R> {
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

/** `A|B` → its parts (the first part never holds a pipe: the reader refuses it). */
export function pairKeyParts(key: string): [string, string] {
  const i = key.indexOf('|');
  return [key.slice(0, i), key.slice(i + 1)];
}
