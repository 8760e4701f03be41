/** Group-member feed headers and row mapper: course key, group key and person key (SIS or Moodle/tool_sync names). */
import { knowsColumn, type ColumnSpec, type HeaderAnalysis, type HeaderTable } from '../../feed/columns.js';
import { COMMANDS, DATA_SOURCE_COLUMNS, ROW_STATUS_COLUMN, missingKeyColumns, invalidValue, type RowMapper } from '../../feed/rows.js';
import type { GroupMemberRecord } from './record.js';
import { course, group, person, mode, GROUP_COLUMNS, GROUP_PERSON_COLUMNS, keyedMapper } from '../groups/feed.js';

/** A group named by its name within the course, not by its idnumber. */
const groupName: ColumnSpec = { kind: 'text', field: 'group_name', target: 'group' };

export const GROUP_MEMBER_HEADERS: HeaderTable = {
  type: 'group-members',
  detect: { rank: 40, test: isGroupMembersHeader },
  keyTargets: () => ['course', 'group', 'person'],
  sisOnly: {
    external_course_key: course,
    external_group_key: group,
    external_person_key: person,
    row_status: ROW_STATUS_COLUMN,
  },
  shared: { action: mode, cmd: mode, operation: mode, gcmd: mode, ...DATA_SOURCE_COLUMNS },
  moodleOnly: {
    course,
    courseid: course,
    course_idnumber: course,
    course_shortname: { kind: 'text', field: 'course_shortname', target: 'course' },
    group,
    groupid: group,
    group_idnumber: group,
    group_name: groupName,
    groupname: groupName,
    user: person,
    userid: person,
    user_idnumber: person,
    username: { kind: 'text', field: 'username', target: 'person' },
  },
  signature: ['groupid', 'gcmd'],
  needs: 'a group-members feed needs EXTERNAL_COURSE_KEY, EXTERNAL_GROUP_KEY and EXTERNAL_PERSON_KEY, or course, group and user',
  missingKey(dialect, specs) {
    const sis = dialect === 'sis';
    return missingKeyColumns(
      specs,
      [['course', sis ? 'EXTERNAL_COURSE_KEY' : 'course'], ['group', sis ? 'EXTERNAL_GROUP_KEY' : 'group'], ['person', sis ? 'EXTERNAL_PERSON_KEY' : 'user']],
      'a group-members feed needs the course, group and person keys',
    );
  },
};

/** A group-members header: a group column with a person column, and no column a group-members feed lacks. */
export function isGroupMembersHeader(lower: readonly string[]): boolean {
  return lower.some((n) => GROUP_COLUMNS.includes(n)) && lower.some((n) => GROUP_PERSON_COLUMNS.includes(n)) && lower.every((n) => knowsColumn(GROUP_MEMBER_HEADERS, n));
}

export function groupMemberRowMapper(header: HeaderAnalysis, columns: readonly string[]): RowMapper<GroupMemberRecord> {
  const fieldOf = (target: string): string | undefined => header.specs.find((s) => s.kind === 'text' && s.target === target)?.field;
  const byShortname = fieldOf('course') === 'course_shortname';
  const byName = fieldOf('group') === 'group_name';
  const byUsername = fieldOf('person') === 'username';
  return keyedMapper<GroupMemberRecord>(
    header,
    columns,
    ['course', 'group', 'person'],
    (key, [course, group, person]) => {
      const record: GroupMemberRecord = { key, fields: { course, group, person } };
      if (byShortname) record.fields.courseBy = 'shortname';
      if (byName) record.fields.groupBy = 'name';
      if (byUsername) record.fields.personBy = 'username';
      return record;
    },
    (record, v, column) => {
      const lower = v.toLowerCase();
      if (lower === 'shift') {
        record.fields.shift = true;
        return undefined;
      }
      const cmd = COMMANDS[lower];
      if (cmd === undefined) return invalidValue(column, v, 'add, shift, del or delete', record.key);
      record.command = cmd;
      return undefined;
    },
    () => undefined, // the key columns, already read
    // Moodle lower-cases usernames; the key must too, or `Ann` and `ann` would be two memberships of one user.
    byUsername ? (parts) => (parts[2] = parts[2].toLowerCase()) : undefined,
  );
}
