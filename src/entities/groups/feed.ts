/**
 * Group feeds: the header table and the pure row mapping, and the keyed row mapper group members share.
 * groups — SIS: EXTERNAL_COURSE_KEY, EXTERNAL_GROUP_KEY, GROUP_NAME (or NAME), DESCRIPTION, DATA_SOURCE_KEY,
 * ROW_STATUS; tool_sync style: course, idnumber, name, description. Key `COURSE|GROUP`.
 * group-members — SIS: EXTERNAL_COURSE_KEY, EXTERNAL_GROUP_KEY, EXTERNAL_PERSON_KEY, ACTION (add | shift | delete),
 * DATA_SOURCE_KEY, ROW_STATUS; tool_sync style: course, group (or groupid), user (or userid), cmd. Key `COURSE|GROUP|PERSON`.
 */
import { knowsColumn, type ColumnSpec, type HeaderAnalysis, type HeaderTable } from '../../feed/columns.js';
import { COMMANDS, DATA_SOURCE_COLUMNS, MOODLE_ID_COLUMNS, ROW_STATUS_COLUMN, baseCell, cellAt, emptyKeyError, encodingError, missingKeyColumns, invalidValue, shapeError, type RowMapper, type RowResult } from '../../feed/rows.js';
import type { RowError } from '../../feed/types.js';
import type { GroupRecord } from './record.js';
import type { GroupMemberRecord } from '../group-members/record.js';

/** A row error before the reader adds its line number. */
type CellError = Omit<RowError, 'line'>;

export const course: ColumnSpec = { kind: 'text', field: 'course', target: 'course' };
export const group: ColumnSpec = { kind: 'text', field: 'group', target: 'group' };
export const person: ColumnSpec = { kind: 'text', field: 'person', target: 'person' };
const name: ColumnSpec = { kind: 'text', field: 'name', target: 'name' };
/** The per-row mode column: read as text so the members feed can also take `shift`. */
export const mode: ColumnSpec = { kind: 'text', field: 'command', target: 'mode' };

export const GROUP_HEADERS: HeaderTable = {
  type: 'groups',
  detect: { rank: 41, test: isGroupsHeader },
  keyTargets: () => ['course', 'group'],
  sisOnly: {
    external_course_key: course,
    external_group_key: group,
    group_name: name,
    row_status: ROW_STATUS_COLUMN,
  },
  shared: {
    name,
    description: { kind: 'text', field: 'description', target: 'description' },
    action: mode,
    cmd: mode,
    operation: mode,
    ...DATA_SOURCE_COLUMNS,
    // The group id `mdlsync export ids` wrote: checked against the link, never content.
    ...MOODLE_ID_COLUMNS,
  },
  moodleOnly: {
    course,
    courseid: course,
    course_idnumber: course,
    course_shortname: { kind: 'text', field: 'course_shortname', target: 'course' },
    idnumber: group,
    group_idnumber: group,
  },
  signature: ['external_group_key', 'group_name', 'group_idnumber'],
  needs: 'a groups feed needs EXTERNAL_COURSE_KEY and EXTERNAL_GROUP_KEY, or course and idnumber (or course and name)',
  missingKey(dialect, specs) {
    const sis = dialect === 'sis';
    // Moodle style: a name without an idnumber is a group known by its name (groupBy name).
    if (!sis && !specs.some((s) => s.kind === 'text' && s.target === 'group') && specs.some((s) => s.kind === 'text' && s.target === 'name')) {
      return missingKeyColumns(specs, [['course', 'course']], 'a groups feed needs the course key');
    }
    return missingKeyColumns(specs, [['course', sis ? 'EXTERNAL_COURSE_KEY' : 'course'], ['group', sis ? 'EXTERNAL_GROUP_KEY' : 'idnumber']], 'a groups feed needs the course key and the group key');
  },
};

export const GROUP_COLUMNS = ['external_group_key', 'group', 'groupid', 'group_idnumber', 'group_name', 'groupname'];
export const GROUP_PERSON_COLUMNS = ['external_person_key', 'user', 'userid', 'user_idnumber', 'username'];

/**
 * A groups header: EXTERNAL_GROUP_KEY or GROUP_NAME without a person column, or tool_sync's
 * `course, idnumber, name[, description]` (every column a group column). Tested after group members.
 */
export function isGroupsHeader(lower: readonly string[]): boolean {
  if (lower.some((n) => GROUP_HEADERS.signature.includes(n)) && !lower.some((n) => GROUP_PERSON_COLUMNS.includes(n))) return true;
  return lower.some((n) => n === 'course' || n === 'courseid') && lower.includes('idnumber') && lower.includes('name') && lower.every((n) => knowsColumn(GROUP_HEADERS, n));
}

/** The key columns' cells → the key, or a row error (empty key cell, a pipe inside a key part). */
function readKey(cells: readonly string[], columns: readonly string[], idx: number[], normalize?: (parts: string[]) => void): { key: string; parts: string[] } | { error: CellError } {
  const parts = idx.map((i) => cellAt(cells, i));
  normalize?.(parts);
  const key = parts.join('|');
  if (parts.some((p) => p === '')) return { error: emptyKeyError(cells, columns, idx.filter((_, k) => parts[k] === '').map((i) => columns[i])) };
  // The key joins the parts with a pipe; a part holding one (other than the last) could not be split back.
  for (let k = 0; k < parts.length - 1; k++) {
    if (parts[k].includes('|')) return { error: invalidValue(columns[idx[k]], parts[k], 'a key without "|"', key) };
  }
  return { key, parts };
}

/**
 * The mapper both group feeds share: the key from the `targets` columns, then every other cell; `mode` reads the
 * ACTION-like column (the members feed also takes `shift`), `text` any other text column.
 */
export function keyedMapper<R extends GroupRecord | GroupMemberRecord>(
  header: HeaderAnalysis,
  columns: readonly string[],
  targets: readonly string[],
  build: (key: string, parts: string[]) => R,
  mode: (record: R, v: string, column: string) => CellError | undefined,
  text: (record: R, target: string | undefined, v: string) => void,
  /** Rewrites the key parts before they are joined (a username is lower-cased, as Moodle stores it). */
  normalize?: (parts: string[]) => void,
): RowMapper<R> {
  const specs = header.specs;
  const n = specs.length;
  const idx = targets.map((t) => specs.findIndex((s) => s.kind === 'text' && s.target === t));
  return {
    map(cells, spanLines): RowResult<R> {
      const k = readKey(cells, columns, idx, normalize);
      if (cells.length !== n) return { error: shapeError(cells, n, spanLines, 'key' in k ? k.key : undefined) };
      if ('error' in k) return { error: k.error };
      const record = build(k.key, k.parts);
      for (let i = 0; i < n; i++) {
        const v = cells[i].trim();
        if (v === '') continue;
        if (v.includes('\uFFFD')) return { error: encodingError(columns[i], k.key) };
        const s = specs[i];
        let err: CellError | undefined;
        if (s.kind !== 'text') err = baseCell(record, s.kind, columns[i], v, 'group');
        else if (s.target === 'mode') err = mode(record, v, columns[i]);
        else text(record, s.target, v);
        if (err) return { error: err };
      }
      return { record };
    },
  };
}

export function groupRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<GroupRecord> {
  const has = (target: string): boolean => header.specs.some((s) => s.kind === 'text' && s.target === target);
  const byShortname = header.specs.some((s) => s.kind === 'text' && s.target === 'course' && s.field === 'course_shortname');
  const byName = !has('group') && has('name');
  return keyedMapper<GroupRecord>(
    header,
    columns,
    ['course', byName ? 'name' : 'group'],
    (key, [course, group]) => {
      const record: GroupRecord = { key, fields: { course, group } };
      if (byShortname) record.fields.courseBy = 'shortname';
      if (byName) {
        record.fields.groupBy = 'name';
        record.fields.name = group;
      }
      return record;
    },
    (record, v, column) => {
      const cmd = COMMANDS[v.toLowerCase()];
      if (cmd === undefined) return invalidValue(column, v, 'add, store, del or delete', record.key);
      record.command = cmd;
      return undefined;
    },
    (record, target, v) => {
      if (target === 'name' || target === 'description') record.fields[target] = v;
    },
  );
}
