/**
 * tool_sync's cohorts file (cohorts/cohorts.class.php): `cidnumber;cname;cdescription;userid;cmd` and friends. One row
 * may create or update a cohort (native cohorts) and add or remove one member (native cohort-members); `del` without
 * a user deletes the cohort (cohorts.disable).
 */
import { FeedFileError } from '../../feed/types.js';
import type { DialectColumn, DialectKind, NativeRow } from '../definition.js';
import { PartFailure, columnWarnings } from '../values.js';
import { firstLines, userColumn } from './common.js';

export const COLUMNS: readonly DialectColumn[] = [
  { name: 'cidnumber', treatment: 'acts', means: "the cohort's idnumber (its key): created when missing, updated" },
  { name: 'cname', treatment: 'acts', means: 'the cohort name; without a cidnumber column, the cohort is named by it (members only)' },
  { name: 'cdescription', treatment: 'acts', means: 'description' },
  { name: 'userid', treatment: 'acts', means: 'a member, by dialects.toolSync.userIdentifier (idnumber by default; username)' },
  { name: 'cmd', treatment: 'acts', means: '`add` (default) creates/updates and adds the member; `del` removes the member, or without userid deletes the cohort (cohorts.disable); `free` fails the row (see the docs)' },
  { name: 'ccatcontext', treatment: 'acts', means: 'a category cohort: the Moodle category id (category_id)' },
  { name: 'ccatcontextidnumber', treatment: 'acts', means: "a category cohort: the category's idnumber (category)" },
  { name: 'component', treatment: 'warns', means: 'not read: the cohorts mdlsync makes belong to no plugin' },
  { name: 'cid', treatment: 'refuses', means: 'cohorts named by Moodle id: name them by cidnumber (their idnumber) instead' },
];

export const cohortsKind: DialectKind = {
  name: 'cohorts',
  title: 'cohorts file',
  entities: ['cohorts', 'cohort-members'],
  claims: (lower) => (lower.includes('cidnumber') || lower.includes('cname')) && !lower.includes('rolename'),
  columns: COLUMNS,
  compile(lower, columns, settings) {
    const unknown = columns.filter((_, i) => lower[i] !== '' && !COLUMNS.some((c) => c.name === lower[i]));
    if (unknown.length > 0) throw new FeedFileError('unknown-header', `the tool_sync cohorts file has columns it does not read: ${unknown.join(', ')} (it reads ${COLUMNS.map((c) => c.name).join(', ')})`);
    if (lower.includes('cid')) throw new FeedFileError('unknown-header', `column cid: ${COLUMNS.at(-1)!.means}`);
    if (lower.includes('ccatcontext') && lower.includes('ccatcontextidnumber')) throw new FeedFileError('unknown-header', 'columns ccatcontext and ccatcontextidnumber both name the category: keep one');
    const at = (n: string): number => lower.indexOf(n);
    const [iId, iName, iDesc, iUser, iCmd, iCat, iCatId] = ['cidnumber', 'cname', 'cdescription', 'userid', 'cmd', 'ccatcontext', 'ccatcontextidnumber'].map(at);
    const byName = iId === -1;
    const parts: { type: 'cohorts' | 'cohort-members'; header: string[] }[] = [];
    const catCol = iCat >= 0 ? 'category_id' : iCatId >= 0 ? 'category_idnumber' : '';
    if (!byName) parts.push({ type: 'cohorts', header: ['idnumber', 'name', ...(iDesc >= 0 ? ['description'] : []), ...(catCol ? [catCol] : []), 'action'] });
    const member = iUser >= 0 ? userColumn('cohort-members', settings.toolSync.userIdentifier, 'user', 'cohorts') : '';
    const cohortCol = byName ? 'cohort_name' : 'cohort';
    if (iUser >= 0) parts.push({ type: 'cohort-members', header: [cohortCol, member, 'action'] });
    const first = firstLines();

    return {
      parts,
      warnings: columnWarnings(lower, columns, COLUMNS),
      translate(cells, line) {
        const cell = (i: number): string => (i < 0 ? '' : (cells[i] ?? '').trim());
        const [id, name, user] = [cell(iId), cell(iName), cell(iUser)];
        const cohort = byName ? name : id;
        const cmd = cell(iCmd).toLowerCase() || 'add';
        const key = user === '' ? cohort : `${cohort}|${user}`;
        if (cohort === '') return { error: { code: 'missing-value', message: `the ${byName ? 'cname' : 'cidnumber'} is empty`, key } };
        if (cmd === 'free') {
          return { error: { code: 'invalid-value', message: 'cmd free (remove every member) is not a row mdlsync runs: list the members in a cohort-members refresh, or delete with cohorts.disable: empty to empty the cohort', key } };
        }
        if (cmd !== 'add' && cmd !== 'del') return { error: { code: 'invalid-value', message: `column cmd has "${cell(iCmd)}", expected add, del or free`, key } };
        // Without a cidnumber column there is no cohorts part: a row that is not a membership cannot run.
        if (byName && user === '') return { error: { code: 'missing-value', message: 'creating, updating or deleting a cohort needs its cidnumber (mdlsync keys cohorts by idnumber): add the column', key } };
        const cohorts: Array<NativeRow | PartFailure> = [];
        const members: NativeRow[] = [];
        if (user !== '') members.push({ [cohortCol]: cohort, [member]: user, action: cmd });
        if (cmd === 'del' && user === '') {
          // tool_sync deletes the cohort when a del row names no member (and also when its member is unknown: not here).
          cohorts.push({ idnumber: id, name, action: 'del' });
        } else if (cmd === 'add' && name !== '' && !byName && first(id, line)) {
          const row: NativeRow = { idnumber: id, name, action: 'add' };
          if (iDesc >= 0) row.description = cell(iDesc);
          if (catCol) row[catCol] = cell(iCat >= 0 ? iCat : iCatId);
          cohorts.push(row);
        } else if (cmd === 'add' && user === '' && name === '') {
          cohorts.push(new PartFailure('missing-value', 'the cname is empty: a cohort needs a name', key));
        }
        return { rows: { cohorts, 'cohort-members': members } };
      },
    };
  },
};
