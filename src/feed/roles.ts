/**
 * Institution-role and observer feeds: the header tables and the pure row mappings.
 * institution-roles — EXTERNAL_PERSON_KEY, ROLE_ID, ROW_STATUS, DATA_SOURCE_KEY, ACTION. Key `PERSON|ROLE_ID`, the role
 * lower-cased (the SIS guide spells one role ENGINEERING_STUDENT and engineering_student).
 * observers — EXTERNAL_OBSERVER_KEY, EXTERNAL_USER_KEY, ROW_STATUS, DATA_SOURCE_KEY, ACTION. Key `OBSERVER|USER`.
 */
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from './headers.js';
import { COMMANDS, ROW_STATUS, encodingError, invalidValue, shapeError, type RowMapper, type RowResult } from './rows.js';
import { FeedFileError, type EntityRecord } from './types.js';
import type { InstitutionRoleRecord, ObserverRecord } from './role-types.js';

const text = (target: string): ColumnSpec => ({ kind: 'text', field: target, target });
const mode: ColumnSpec = { kind: 'command', field: 'command' };
const common = {
  row_status: { kind: 'rowStatus', field: 'rowStatus' },
  data_source_key: { kind: 'dataSource', field: 'dataSource' },
  datasource: { kind: 'dataSource', field: 'dataSource' },
  action: mode,
  cmd: mode,
  operation: mode,
} satisfies Record<string, ColumnSpec>;

function missing(specs: readonly ColumnSpec[], needed: [string, string][], what: string): FeedFileError | undefined {
  const gone = needed.filter(([t]) => !specs.some((s) => s.kind === 'text' && s.target === t)).map(([, col]) => `"${col}"`);
  if (gone.length === 0) return undefined;
  return new FeedFileError('missing-column', `missing column ${gone.join(' and ')}: ${what}`);
}

export const INSTITUTION_ROLE_HEADERS: HeaderTable = {
  type: 'institution-roles',
  sisOnly: { external_person_key: text('person'), role_id: text('role') },
  shared: common,
  moodleOnly: {},
  signature: ['role_id'],
  needs: 'an institution-roles feed needs EXTERNAL_PERSON_KEY and ROLE_ID',
  missingKey: (_d, specs) => missing(specs, [['person', 'EXTERNAL_PERSON_KEY'], ['role', 'ROLE_ID']], 'an institution-roles feed needs the person key and the role'),
};

export const OBSERVER_HEADERS: HeaderTable = {
  type: 'observers',
  sisOnly: { external_observer_key: text('observer'), external_user_key: text('user') },
  shared: common,
  moodleOnly: {},
  signature: ['external_observer_key', 'external_user_key'],
  needs: 'an observers feed needs EXTERNAL_OBSERVER_KEY and EXTERNAL_USER_KEY',
  missingKey: (_d, specs) => missing(specs, [['observer', 'EXTERNAL_OBSERVER_KEY'], ['user', 'EXTERNAL_USER_KEY']], 'an observers feed needs the observer key and the observed person key'),
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
  const cell = (cells: readonly string[], i: number): string => (i < cells.length ? cells[i].trim() : '');
  return {
    map(cells, spanLines): RowResult<R> {
      const a = cell(cells, ia);
      const b = cell(cells, ib);
      const rawKey = `${a}|${b}`;
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, a && b ? rawKey : undefined) };
      if (a === '' || b === '') {
        const bad = cells.findIndex((x) => x.includes('\uFFFD'));
        if (bad !== -1) return { error: encodingError(columns[bad], undefined) };
        const empty = [a === '' ? columns[ia] : '', b === '' ? columns[ib] : ''].filter(Boolean);
        return { error: { code: 'missing-value', message: `the key column${empty.length > 1 ? 's' : ''} ${empty.join(' and ')} ${empty.length > 1 ? 'are' : 'is'} empty` } };
      }
      if (a.includes('|')) return { error: invalidValue(columns[ia], a, 'a key without "|"', rawKey) };
      const { key, record } = build(a, b);
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], key) };
        const s = specs[i];
        if (s.kind === 'command') {
          const cmd = COMMANDS[v.toLowerCase()];
          if (cmd === undefined) return { error: invalidValue(columns[i], v, 'add, store, del or delete', key) };
          record.command = cmd;
        } else if (s.kind === 'rowStatus') {
          const st = ROW_STATUS[v.toLowerCase()];
          if (st === undefined) return { error: invalidValue(columns[i], v, 'enabled, disabled or deleted', key) };
          record.rowStatus = st;
        } else if (s.kind === 'dataSource') record.dataSource = v;
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
