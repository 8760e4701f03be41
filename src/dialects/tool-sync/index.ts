/**
 * tool_sync (vfremaux/moodle-tool_sync), Valery Fremaux's "synchronisation by files" admin tool: `;`-separated files
 * with a header (users, course creation, enrolments, cohorts, group members) and headerless lists (course deletion,
 * existence check). Lines starting with `#` or `/` are comments. Source: the plugin's documentation
 * (https://docsen.activeprolearn.com/doku.php?id=tools:sync) and its code; see docs/dialects/tool-sync.md.
 */
import type { DialectDefinition } from '../definition.js';
import { enrolmentsKind } from './enrolments.js';
import { usersKind } from './users.js';
import { cohortsKind } from './cohorts.js';
import { groupMembersKind, groupsKind } from './groups.js';
import { checkKind, coursesKind, deleteKind } from './courses.js';

export const toolSync: DialectDefinition = {
  name: 'tool-sync',
  title: 'tool_sync',
  source: 'https://docsen.activeprolearn.com/doku.php?id=tools:sync',
  delimiter: ';',
  commentStarts: ['#', '/'],
  kinds: [usersKind, coursesKind, enrolmentsKind, groupsKind, groupMembersKind, cohortsKind, deleteKind, checkKind],
};
