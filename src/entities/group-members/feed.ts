/** Group-member feed headers and row mapper: course key, group key and person key (SIS or Moodle/tool_sync names). */
import { knowsColumn, type HeaderAnalysis, type HeaderTable } from '../../feed/columns.js';
import { COMMANDS, DATA_SOURCE_COLUMNS, ROW_STATUS_COLUMN, missingKeyColumns, invalidValue, type RowMapper } from '../../feed/rows.js';
import type { GroupMemberRecord } from './record.js';
import { course, group, person, mode, GROUP_COLUMNS, GROUP_PERSON_COLUMNS, keyedMapper } from '../groups/feed.js';

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
  moodleOnly: { course, courseid: course, course_idnumber: course, group, groupid: group, group_idnumber: group, user: person, userid: person, user_idnumber: person },
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
  return keyedMapper<GroupMemberRecord>(
    header,
    columns,
    ['course', 'group', 'person'],
    (key, [course, group, person]) => ({ key, fields: { course, group, person } }),
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
  );
}
