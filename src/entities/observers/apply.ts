/** The observers applier, on the shared BatchEngine: core_role_assign_roles / core_role_unassign_roles in the user context. */
import { roleAssignmentLeaves } from '../../moodle/index.js';
import type { RoleAssignmentInput } from '../../moodle/index.js';
import { type ObserverLinkTarget } from './rules.js';
import type { EntityApplier, Row } from '../../apply/engine.js';
import { Item, failed, roleSpec, sendPacked } from '../institution-roles/apply.js';

type ORow = Row<'observers'>;

// ── observers ──────────────────────────────────────────────────────────────────────────────────────────────

function inUserContext(t: ObserverLinkTarget): RoleAssignmentInput {
  return { roleid: t.roleId, userid: t.observerId, contextlevel: 'user', instanceid: t.userId };
}

export const observersApplier: EntityApplier<'observers'> = {
  prepare(engine, rows) {
    const none: ORow[] = [];
    const removes: Item<RoleAssignmentInput, 'observers'>[] = [];
    const adds: Item<RoleAssignmentInput, 'observers'>[] = [];
    for (const row of rows) {
      const t = row.action.target;
      if (!t || row.action.moodleId === undefined || (t.call !== 'none' && !t.assignment)) {
        engine.fail(row, 'internal', 'the planned observer link has no target');
        continue;
      }
      if (t.call === 'none') none.push(row);
      else if (t.call === 'remove') removes.push({ row, input: inUserContext(t.assignment!) });
      else {
        if (t.previous) removes.push({ row, input: inUserContext(t.previous), pre: true });
        adds.push({ row, input: inUserContext(t.assignment!) });
      }
    }
    return async () => {
      engine.settleLinkOnly(none);
      await sendPacked(engine, removes, roleAssignmentLeaves, roleSpec(engine, 'core_role_unassign_roles', (i) => i.row.action.hash ?? null));
      const ready = adds.filter((a) => !failed(engine, a.row));
      await sendPacked(engine, ready, roleAssignmentLeaves, roleSpec(engine, 'core_role_assign_roles', (i) => i.row.action.hash ?? null));
    };
  },
};
