/**
 * tool_sync's groups file (`courseid;name;idnumber;description…`, add-only mode) and group members file
 * (`groupid;userid;courseid;cmd`), as native groups and group-members rows.
 */
import { FeedFileError } from '../../feed/types.js';
import type { DialectColumn, DialectKind } from '../definition.js';
import { columnWarnings } from '../values.js';
import { courseColumn, userColumn } from './common.js';

export const GROUP_COLUMNS: readonly DialectColumn[] = [
  { name: 'courseid', treatment: 'acts', means: 'the course, by dialects.toolSync.courseIdentifier (groups: idnumber only)' },
  { name: 'name', treatment: 'acts', means: 'the group name (required)' },
  { name: 'idnumber', treatment: 'acts', means: "the group's idnumber (its key in the course); empty: the name is the key and becomes the idnumber of a new group" },
  { name: 'description', treatment: 'acts', means: 'description' },
  { name: 'type', treatment: 'acts', means: 'group (default); grouping fails the row (mdlsync does not make groupings)' },
  { name: 'grouping', treatment: 'warns', means: 'not read: mdlsync does not make groupings' },
  { name: 'selfgrouping', treatment: 'warns', means: 'not read: mdlsync does not make groupings' },
  { name: 'updateid', treatment: 'refuses', means: 'the update mode renames the group updateid names: remove the column; mdlsync renames a group found by its idnumber when the row\'s name differs' },
];

export const groupsKind: DialectKind = {
  name: 'groups',
  title: 'groups file',
  entities: ['groups'],
  // mdlsync's own groups table reads `courseid,idnumber,name,description` (course by idnumber): only a column of
  // tool_sync's alone claims the header; otherwise --dialect tool-sync/groups applies the identifier settings.
  claims: (lower) => lower.includes('courseid') && lower.includes('name') && lower.some((n) => ['type', 'grouping', 'selfgrouping', 'updateid'].includes(n)),
  columns: GROUP_COLUMNS,
  compile(lower, columns, settings) {
    const unknown = columns.filter((_, i) => lower[i] !== '' && !GROUP_COLUMNS.some((c) => c.name === lower[i]));
    if (unknown.length > 0) throw new FeedFileError('unknown-header', `the tool_sync groups file has columns it does not read: ${unknown.join(', ')}`);
    if (lower.includes('updateid')) throw new FeedFileError('unknown-header', `column updateid: ${GROUP_COLUMNS.at(-1)!.means}`);
    const course = courseColumn('groups', settings.toolSync.courseIdentifier, 'course', 'groups');
    const at = (n: string): number => lower.indexOf(n);
    const [iCourse, iName, iId, iDesc, iType] = ['courseid', 'name', 'idnumber', 'description', 'type'].map(at);
    return {
      parts: [{ type: 'groups', header: [course, 'idnumber', 'name', ...(iDesc >= 0 ? ['description'] : [])] }],
      warnings: columnWarnings(lower, columns, GROUP_COLUMNS),
      translate(cells) {
        const cell = (i: number): string => (i < 0 ? '' : (cells[i] ?? '').trim());
        const [c, name] = [cell(iCourse), cell(iName)];
        const key = `${c}|${cell(iId) || name}`;
        const type = cell(iType).toLowerCase() || 'group';
        if (type !== 'group') return { error: { code: 'invalid-value', message: `type ${cell(iType)}: mdlsync makes groups only (no groupings)`, key } };
        if (c === '' || name === '') return { error: { code: 'missing-value', message: `the ${c === '' ? 'courseid' : 'name'} is empty`, key } };
        return { rows: { groups: [{ [course]: c, idnumber: cell(iId) || name, name, ...(iDesc >= 0 ? { description: cell(iDesc) } : {}) }] } };
      },
    };
  },
};

export const MEMBER_COLUMNS: readonly DialectColumn[] = [
  { name: 'groupid', treatment: 'acts', means: 'the group, by dialects.toolSync.groupIdentifier (idnumber by default, or name), within the course' },
  { name: 'userid', treatment: 'acts', means: 'the user, by dialects.toolSync.userIdentifier' },
  { name: 'courseid', treatment: 'acts', means: 'the course, by dialects.toolSync.courseIdentifier' },
  { name: 'cmd', treatment: 'acts', means: '`add` (default), `shift` (leave the other groups mdlsync manages in the course, then join), `del`' },
];

export const groupMembersKind: DialectKind = {
  name: 'group-members',
  title: 'group members file',
  entities: ['group-members'],
  // mdlsync's own group-members table reads `groupid,userid,courseid,cmd` as idnumbers: the header is left to it, and
  // --dialect tool-sync/group-members applies dialects.toolSync's identifiers (course shortname, group name…).
  claims: () => false,
  columns: MEMBER_COLUMNS,
  compile(lower, columns, settings) {
    const unknown = columns.filter((_, i) => lower[i] !== '' && !MEMBER_COLUMNS.some((c) => c.name === lower[i]));
    if (unknown.length > 0) throw new FeedFileError('unknown-header', `the tool_sync group members file has columns it does not read: ${unknown.join(', ')} (it reads groupid, userid, courseid, cmd)`);
    const ts = settings.toolSync;
    const by = ts.groupIdentifier ?? 'idnumber';
    if (by === 'id') throw new FeedFileError('unknown-header', 'the tool_sync group members file names groups by Moodle id: set dialects.toolSync.groupIdentifier to idnumber or name');
    const course = courseColumn('group-members', ts.courseIdentifier, 'course', 'group members');
    const user = userColumn('group-members', ts.userIdentifier, 'user', 'group members');
    const group = by === 'name' ? 'group_name' : 'group';
    const at = (n: string): number => lower.indexOf(n);
    const [iGroup, iUser, iCourse, iCmd] = ['groupid', 'userid', 'courseid', 'cmd'].map(at);
    return {
      parts: [{ type: 'group-members', header: [course, group, user, 'action'] }],
      warnings: [],
      translate(cells) {
        const cell = (i: number): string => (i < 0 ? '' : (cells[i] ?? '').trim());
        // The native mapper reads add/shift/del/delete and fails anything else with the value named.
        return { rows: { 'group-members': [{ [course]: cell(iCourse), [group]: cell(iGroup), [user]: cell(iUser), action: cell(iCmd) || 'add' }] } };
      },
    };
  },
};
