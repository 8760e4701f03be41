/**
 * Group and group-member feeds: the header tables and the pure row mappings.
 * groups — SIS: EXTERNAL_COURSE_KEY, EXTERNAL_GROUP_KEY, GROUP_NAME (or NAME), DESCRIPTION, DATA_SOURCE_KEY,
 * ROW_STATUS; tool_sync style: course, idnumber, name, description. Key `COURSE|GROUP`.
 * group-members — SIS: EXTERNAL_COURSE_KEY, EXTERNAL_GROUP_KEY, EXTERNAL_PERSON_KEY, ACTION (add | shift | delete),
 * DATA_SOURCE_KEY, ROW_STATUS; tool_sync style: course, group (or groupid), user (or userid), cmd. Key `COURSE|GROUP|PERSON`.
 */
import type { ColumnSpec, HeaderAnalysis, HeaderTable } from './headers.js';
import { COMMANDS, ROW_STATUS, encodingError, invalidValue, shapeError, type RowMapper, type RowResult } from './rows.js';
import { FeedFileError } from './types.js';
import type { GroupFields, GroupMemberFields, GroupMemberRecord, GroupRecord } from './group-types.js';

const course: ColumnSpec = { kind: 'text', field: 'course', target: 'course' };
const group: ColumnSpec = { kind: 'text', field: 'group', target: 'group' };
const person: ColumnSpec = { kind: 'text', field: 'person', target: 'person' };
const name: ColumnSpec = { kind: 'text', field: 'name', target: 'name' };
/** The per-row mode column: read as text so the members feed can also take `shift`. */
const mode: ColumnSpec = { kind: 'text', field: 'command', target: 'mode' };
const common = {
  data_source_key: { kind: 'dataSource', field: 'dataSource' },
  datasource: { kind: 'dataSource', field: 'dataSource' },
} satisfies Record<string, ColumnSpec>;

function has(specs: readonly ColumnSpec[], t: string): boolean {
  return specs.some((s) => s.kind === 'text' && s.target === t);
}

export const GROUP_HEADERS: HeaderTable = {
  type: 'groups',
  sisOnly: {
    external_course_key: course,
    external_group_key: group,
    group_name: name,
    row_status: { kind: 'rowStatus', field: 'rowStatus' },
  },
  shared: {
    name,
    description: { kind: 'text', field: 'description', target: 'description' },
    action: mode,
    cmd: mode,
    operation: mode,
    ...common,
  },
  moodleOnly: { course, courseid: course, course_idnumber: course, idnumber: group, group_idnumber: group },
  signature: ['external_group_key', 'group_name', 'group_idnumber'],
  needs: 'a groups feed needs EXTERNAL_COURSE_KEY and EXTERNAL_GROUP_KEY, or course and idnumber',
  missingKey(dialect, specs) {
    const missing = [has(specs, 'course') ? [] : [dialect === 'sis' ? 'EXTERNAL_COURSE_KEY' : 'course'], has(specs, 'group') ? [] : [dialect === 'sis' ? 'EXTERNAL_GROUP_KEY' : 'idnumber']].flat();
    if (missing.length === 0) return undefined;
    return new FeedFileError('missing-column', `missing column ${missing.map((m) => `"${m}"`).join(' and ')}: a groups feed needs the course key and the group key`);
  },
};

export const GROUP_MEMBER_HEADERS: HeaderTable = {
  type: 'group-members',
  sisOnly: {
    external_course_key: course,
    external_group_key: group,
    external_person_key: person,
    row_status: { kind: 'rowStatus', field: 'rowStatus' },
  },
  shared: { action: mode, cmd: mode, operation: mode, gcmd: mode, ...common },
  moodleOnly: { course, courseid: course, course_idnumber: course, group, groupid: group, group_idnumber: group, user: person, userid: person, user_idnumber: person },
  signature: ['groupid', 'gcmd'],
  needs: 'a group-members feed needs EXTERNAL_COURSE_KEY, EXTERNAL_GROUP_KEY and EXTERNAL_PERSON_KEY, or course, group and user',
  missingKey(dialect, specs) {
    const sis = dialect === 'sis';
    const missing = [
      has(specs, 'course') ? [] : [sis ? 'EXTERNAL_COURSE_KEY' : 'course'],
      has(specs, 'group') ? [] : [sis ? 'EXTERNAL_GROUP_KEY' : 'group'],
      has(specs, 'person') ? [] : [sis ? 'EXTERNAL_PERSON_KEY' : 'user'],
    ].flat();
    if (missing.length === 0) return undefined;
    return new FeedFileError('missing-column', `missing column ${missing.map((m) => `"${m}"`).join(' and ')}: a group-members feed needs the course, group and person keys`);
  },
};

const known = (t: HeaderTable, n: string): boolean => Object.hasOwn(t.sisOnly, n) || Object.hasOwn(t.shared, n) || Object.hasOwn(t.moodleOnly, n);

/**
 * Whether a header (not forced to a type) is a groups or group-members feed. A group column with a person column is
 * group members; EXTERNAL_GROUP_KEY or GROUP_NAME without one is groups; tool_sync's `course, idnumber, name[, description]`
 * (every column a group column) is groups.
 */
export function groupFeedType(lower: readonly string[]): 'groups' | 'group-members' | undefined {
  const groupCol = lower.some((n) => ['external_group_key', 'group', 'groupid', 'group_idnumber'].includes(n));
  const personCol = lower.some((n) => ['external_person_key', 'user', 'userid', 'user_idnumber'].includes(n));
  if (groupCol && personCol && lower.every((n) => known(GROUP_MEMBER_HEADERS, n))) return 'group-members';
  if (lower.some((n) => GROUP_HEADERS.signature.includes(n)) && !personCol) return 'groups';
  if (lower.some((n) => n === 'course' || n === 'courseid') && lower.includes('idnumber') && lower.includes('name') && lower.every((n) => known(GROUP_HEADERS, n))) return 'groups';
  return undefined;
}

type Cell = (cells: readonly string[], i: number) => string;
const cellOf: Cell = (cells, i) => (i >= 0 && i < cells.length ? cells[i].trim() : '');

/** The key columns' cells → the key, or a row error (empty key cell, a pipe inside a key part). */
function readKey(cells: readonly string[], columns: readonly string[], idx: number[]): { key: string; parts: string[] } | { error: RowResult<GroupRecord>['error'] } {
  const parts = idx.map((i) => cellOf(cells, i));
  const key = parts.join('|');
  if (parts.some((p) => p === '')) {
    const bad = cells.findIndex((x) => x.includes('\uFFFD'));
    if (bad !== -1) return { error: encodingError(columns[bad], undefined) };
    const empty = idx.filter((_, k) => parts[k] === '').map((i) => columns[i]);
    return { error: { code: 'missing-value', message: `the key column${empty.length > 1 ? 's' : ''} ${empty.join(' and ')} ${empty.length > 1 ? 'are' : 'is'} empty` } };
  }
  // The key joins the parts with a pipe; a part holding one (other than the last) could not be split back.
  for (let k = 0; k < parts.length - 1; k++) {
    if (parts[k].includes('|')) return { error: invalidValue(columns[idx[k]], parts[k], 'a key without "|"', key) };
  }
  return { key, parts };
}

export function groupRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<GroupRecord> {
  const specs = header.specs;
  const n = specs.length;
  const idx = ['course', 'group'].map((t) => specs.findIndex((s) => s.kind === 'text' && s.target === t));
  return {
    map(cells, spanLines): RowResult<GroupRecord> {
      if (cells.length !== n) {
        const k = readKey(cells, columns, idx);
        return { error: shapeError(cells, n, spanLines, 'key' in k ? k.key : undefined) };
      }
      const k = readKey(cells, columns, idx);
      if (!('key' in k)) return { error: k.error! };
      const fields: GroupFields = { course: k.parts[0], group: k.parts[1] };
      const record: GroupRecord = { key: k.key, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], k.key) };
        const s = specs[i];
        if (s.kind === 'text' && (s.target === 'name' || s.target === 'description')) fields[s.target] = v;
        else if (s.kind === 'text' && s.target === 'mode') {
          const cmd = COMMANDS[v.toLowerCase()];
          if (cmd === undefined) return { error: invalidValue(columns[i], v, 'add, store, del or delete', k.key) };
          record.command = cmd;
        } else if (s.kind === 'rowStatus') {
          const st = ROW_STATUS[v.toLowerCase()];
          if (st === undefined) return { error: invalidValue(columns[i], v, 'enabled, disabled or deleted', k.key) };
          record.rowStatus = st;
        } else if (s.kind === 'dataSource') record.dataSource = v;
      }
      return { record };
    },
  };
}

export function groupMemberRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<GroupMemberRecord> {
  const specs = header.specs;
  const n = specs.length;
  const idx = ['course', 'group', 'person'].map((t) => specs.findIndex((s) => s.kind === 'text' && s.target === t));
  return {
    map(cells, spanLines): RowResult<GroupMemberRecord> {
      if (cells.length !== n) {
        const k = readKey(cells, columns, idx);
        return { error: shapeError(cells, n, spanLines, 'key' in k ? k.key : undefined) };
      }
      const k = readKey(cells, columns, idx);
      if (!('key' in k)) return { error: k.error! };
      const fields: GroupMemberFields = { course: k.parts[0], group: k.parts[1], person: k.parts[2] };
      const record: GroupMemberRecord = { key: k.key, fields };
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], k.key) };
        const s = specs[i];
        if (s.kind === 'text' && s.target === 'mode') {
          const lower = v.toLowerCase();
          if (lower === 'shift') fields.shift = true;
          else {
            const cmd = COMMANDS[lower];
            if (cmd === undefined) return { error: invalidValue(columns[i], v, 'add, shift, del or delete', k.key) };
            record.command = cmd;
          }
        } else if (s.kind === 'rowStatus') {
          const st = ROW_STATUS[v.toLowerCase()];
          if (st === undefined) return { error: invalidValue(columns[i], v, 'enabled, disabled or deleted', k.key) };
          record.rowStatus = st;
        } else if (s.kind === 'dataSource') record.dataSource = v;
      }
      return { record };
    },
  };
}
