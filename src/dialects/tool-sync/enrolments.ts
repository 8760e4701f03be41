/**
 * tool_sync's enrolments file (enrols/enrols.class.php): `rolename;uid;cid[;cmd;starttime;endtime;enrol;gcmd;g1…g9]`.
 * A row is a manual enrolment with a role (native enrolments), and its `g<N>` groups are group memberships by group
 * name (native group-members; the `…create` verbs create a missing group first, as a native groups row).
 */
import { FeedFileError } from '../../feed/types.js';
import type { DialectColumn, DialectKind, DialectPart, NativeRow } from '../definition.js';
import { PartFailure, columnWarnings } from '../values.js';
import { courseColumn, localTime, userColumn } from './common.js';

const CMDS: Record<string, 'add' | 'del'> = { add: 'add', shift: 'add', del: 'del', delete: 'del' };
const GCMDS = new Set(['gadd', 'gaddcreate', 'greplace', 'greplacecreate', 'gdel']);
const GROUPS = /^g([1-9])$/;

export const COLUMNS: readonly DialectColumn[] = [
  { name: 'rolename', treatment: 'acts', means: 'the role shortname (ROLE)' },
  { name: 'uid', treatment: 'acts', means: 'the user, by dialects.toolSync.userIdentifier (idnumber by default; username)' },
  { name: 'cid', treatment: 'acts', means: 'the course, by dialects.toolSync.courseIdentifier (shortname by default; idnumber)' },
  { name: 'cmd', treatment: 'acts', means: '`add` (default) enrols, `shift` enrols with this role in place of the role mdlsync gave before, `del`/`delete` unenrols (enrolments.disable)' },
  { name: 'starttime', treatment: 'acts', means: 'enrolment start, `YYYY-MM-DD hh:mm:ss` in dialects.timezone (or a Unix time)' },
  { name: 'endtime', treatment: 'acts', means: 'enrolment end, same form' },
  { name: 'enrol', treatment: 'acts', means: 'empty or `manual`: a manual enrolment; another method fails the row (mdlsync enrols with the manual method only)' },
  { name: 'gcmd', treatment: 'acts', means: '`gadd`/`gaddcreate` add to the g<N> groups, `greplace`/`greplacecreate` move there (leaving the other groups mdlsync manages in the course), `gdel` removes; `…create` creates a missing group' },
  { name: 'g<N>', treatment: 'acts', means: 'a group of the course, by name (group-members group_name)' },
  { name: 'hidden', treatment: 'refuses', means: 'hidden role assignments are gone from tool_sync itself (its header check refuses the column) and from Moodle: remove the column' },
];

export const enrolmentsKind: DialectKind = {
  name: 'enrolments',
  title: 'enrolments file',
  entities: ['enrolments', 'groups', 'group-members'],
  claims: (lower) => lower.includes('rolename') && lower.includes('uid') && lower.includes('cid'),
  columns: COLUMNS,
  compile(lower, columns, settings) {
    const ts = settings.toolSync;
    const unknown = lower.filter((n) => n !== '' && !COLUMNS.some((c) => c.name === n || (c.name === 'g<N>' && GROUPS.test(n))));
    if (unknown.length > 0 || lower.includes('hidden')) {
      const hidden = lower.includes('hidden') ? ` ${COLUMNS.at(-1)!.means}.` : '';
      throw new FeedFileError('unknown-header', `the tool_sync enrolments file has columns it does not know: ${unknown.join(', ')} (it reads rolename, uid, cid, cmd, starttime, endtime, enrol, gcmd, g1…g9).${hidden}`);
    }
    const at = (name: string): number => lower.indexOf(name);
    const [iRole, iUid, iCid, iCmd, iStart, iEnd, iEnrol, iGcmd] = ['rolename', 'uid', 'cid', 'cmd', 'starttime', 'endtime', 'enrol', 'gcmd'].map(at);
    const groupCols = lower.flatMap((n, i) => (GROUPS.test(n) ? [i] : []));
    const courseCol = courseColumn('enrolments', ts.courseIdentifier, 'idnumber_course', 'enrolments');
    const userCol = userColumn('enrolments', ts.userIdentifier, 'idnumber_user', 'enrolments');
    const parts: DialectPart[] = [{ type: 'enrolments', header: [courseCol, userCol, 'role', 'timestart', 'timeend', 'action'] }];
    let gmCourse = '';
    let gmUser = '';
    // The course column of the groups a `…create` verb makes: groups are named within a course found by idnumber or shortname.
    const groupCourse = ts.courseIdentifier === 'shortname' ? 'course_shortname' : ts.courseIdentifier === 'idnumber' ? 'course' : undefined;
    if (groupCols.length > 0) {
      gmCourse = courseColumn('group-members', ts.courseIdentifier, 'course', 'enrolments');
      gmUser = userColumn('group-members', ts.userIdentifier, 'user', 'enrolments');
      parts.push({ type: 'group-members', header: [gmCourse, 'group_name', gmUser, 'action'] });
      // A missing group is created as tool_sync creates it (that name, no idnumber); one that exists is left as it is.
      if (groupCourse) parts.push({ type: 'groups', header: [groupCourse, 'name'], storeOnly: true, distinct: true });
    }
    const warnings = columnWarnings(lower, columns, COLUMNS);
    if (iGcmd >= 0 && !groupCourse) {
      warnings.push('gcmd gaddcreate/greplacecreate: a missing group is created only when courses are named by idnumber or shortname (dialects.toolSync.courseIdentifier); here a membership in a group the course lacks fails its row');
    }
    if (iEnrol === -1) {
      warnings.push('no enrol column: tool_sync would only assign the roles, without enrolling; mdlsync enrols (manual method) with the role, so the users appear as participants');
    }
    const cell = (cells: readonly string[], i: number): string => (i === -1 ? '' : (cells[i] ?? '').trim());

    return {
      parts,
      warnings,
      translate(cells) {
        const [role, uid, cid] = [cell(cells, iRole), cell(cells, iUid), cell(cells, iCid)];
        const key = `${cid}|${uid}`;
        const cmdText = cell(cells, iCmd).toLowerCase() || 'add';
        const cmd = CMDS[cmdText];
        if (cmd === undefined) return { error: { code: 'invalid-value', message: `column cmd has "${cell(cells, iCmd)}", expected add, del or shift`, key } };
        // tool_sync enrols an arbitrary account for an empty uid (its lookup by an empty key); mdlsync refuses.
        if (uid === '' || cid === '') return { error: { code: 'missing-value', message: `the ${uid === '' ? 'uid' : 'cid'} is empty`, key } };
        const out: { enrolments: Array<NativeRow | PartFailure>; groups: NativeRow[]; 'group-members': Array<NativeRow | PartFailure> } = { enrolments: [], groups: [], 'group-members': [] };
        const enrol = cell(cells, iEnrol).toLowerCase();
        const start = localTime(cell(cells, iStart), 'starttime', key, settings);
        const end = localTime(cell(cells, iEnd), 'endtime', key, settings);
        if (enrol !== '' && enrol !== 'manual') out.enrolments.push(new PartFailure('invalid-value', `column enrol has "${cell(cells, iEnrol)}": mdlsync enrols with the manual method only (leave it empty or write manual)`, key));
        else if (start instanceof PartFailure) out.enrolments.push(start);
        else if (end instanceof PartFailure) out.enrolments.push(end);
        else out.enrolments.push({ [courseCol]: cid, [userCol]: uid, role, timestart: cmd === 'del' ? '' : start, timeend: cmd === 'del' ? '' : end, action: cmd });

        // Unenrolling removes the group memberships with the enrolment (Moodle does), as tool_sync's del does.
        const names = groupCols.map((i) => cell(cells, i)).filter((g) => g !== '');
        if (cmd === 'add' && names.length > 0) {
          const gcmd = cell(cells, iGcmd).toLowerCase() || 'gadd';
          if (!GCMDS.has(gcmd)) {
            out['group-members'].push(new PartFailure('invalid-value', `column gcmd has "${cell(cells, iGcmd)}", expected gadd, gaddcreate, greplace, greplacecreate or gdel`, key));
          } else {
            names.forEach((name, n) => {
              const action = gcmd === 'gdel' ? 'del' : gcmd.startsWith('greplace') && n === 0 ? 'shift' : 'add';
              out['group-members'].push({ [gmCourse]: cid, group_name: name, [gmUser]: uid, action });
              if (gcmd.endsWith('create') && groupCourse) out.groups.push({ [groupCourse]: cid, name });
            });
          }
        }
        return { rows: out };
      },
    };
  },
};
