/** The observers applier, on the shared BatchEngine: core_role_assign_roles / core_role_unassign_roles in the user context. */
import { roleAssignmentLeaves } from '../../moodle/index.js';
import type { RoleAssignmentInput } from '../../moodle/index.js';
import { type ObserverLinkTarget } from './rules.js';
import type { EntityApplier, Row } from '../../apply/engine.js';
import { Item, failed, roleSpec } from '../institution-roles/apply.js';
import { LocalRowError } from '../../apply/pack.js';
import { prepareRows, sendPacked } from '../../apply/prepare.js';

type ORow = Row<'observers'>;

// ── observers ──────────────────────────────────────────────────────────────────────────────────────────────

function inUserContext(t: ObserverLinkTarget): RoleAssignmentInput {
  return { roleid: t.roleId, userid: t.observerId, contextlevel: 'user', instanceid: t.userId };
}

export const observersApplier: EntityApplier<'observers'> = {
  prepare(engine, rows) {
    return prepareRows(
      engine,
      rows,
      { none: [] as ORow[], removes: [] as Item<RoleAssignmentInput, 'observers'>[], adds: [] as Item<RoleAssignmentInput, 'observers'>[] },
      (row) => {
        const t = row.action.target;
        if (!t || row.action.moodleId === undefined || (t.call !== 'none' && !t.assignment)) throw new LocalRowError('internal', 'the planned observer link has no target');
        if (t.call === 'none') return { to: 'none', item: row };
        if (t.call === 'remove') return { to: 'removes', item: { row, input: inUserContext(t.assignment!) } };
        const add = { to: 'adds', item: { row, input: inUserContext(t.assignment!) } } as const;
        return t.previous ? [{ to: 'removes', item: { row, input: inUserContext(t.previous), pre: true } }, add] : add;
      },
      async ({ none, removes, adds }) => {
        await engine.settleLinkOnly(none);
        await sendPacked(engine, removes, (i) => roleAssignmentLeaves(i.input), roleSpec(engine, 'core_role_unassign_roles', (i) => i.row.action.state ?? null));
        const ready = adds.filter((a) => !failed(engine, a.row));
        await sendPacked(engine, ready, (i) => roleAssignmentLeaves(i.input), roleSpec(engine, 'core_role_assign_roles', (i) => i.row.action.state ?? null));
      },
    );
  },
};
