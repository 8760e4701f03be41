/**
 * Observer links: the observer gets `observers.role` (default parent) in the observed user's context. The link's
 * ledger entry remembers the (user, role) it assigned (state `ob1;user=ID;role=ID`), so a removal unassigns exactly
 * that and never a role someone gave by hand. Key `OBSERVER|USER`.
 */
import type { PlanLink } from '../../ledger/types.js';
import { EntityPlanner, unchangedByState, type ContextBase, type EntityRules } from '../../plan/fold.js';
import { DEFAULT_ROLE_IDS } from '../enrolments/rules.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';
import { lowerMap, notGiven, removalRules, storeOver, unsaid, type Membership } from '../../plan/membership.js';

// ── observers ──────────────────────────────────────────────────────────────────────────────────────────────

export interface ObserverSettings {
  /** Shortname of the role given to the observer in the observed person's user context. */
  role: string;
  /** Moodle role shortname → id (enrolments.roleIds). */
  roleIds: Record<string, number>;
}

export const DEFAULT_OBSERVER_SETTINGS: ObserverSettings = { role: 'parent', roleIds: { ...DEFAULT_ROLE_IDS } };

/** One assignment of the observer role: `observerId` holds `roleId` in the user context of `userId`. */
export interface ObserverLinkTarget {
  roleId: number;
  observerId: number;
  userId: number;
}

/** The link state of an observer link: the assignment mdlsync made. */
export function observerState(userId: number, roleId: number): string {
  return `ob1;user=${userId};role=${roleId}`;
}

export function parseObserverState(state: string | null | undefined): { userId: number; roleId: number } | undefined {
  const m = state ? /^ob1;user=(\d+);role=(\d+)$/.exec(state) : null;
  return m ? { userId: Number(m[1]), roleId: Number(m[2]) } : undefined;
}

export interface ObserverContext extends ContextBase {
  observerId?: number;
  observerProblem?: string;
  /** The observed person's user id. */
  userId?: number;
  userProblem?: string;
}

export interface ObserverTarget {
  call: 'add' | 'remove' | 'none';
  /** add: the assignment to make; remove: the one to take away. */
  assignment?: ObserverLinkTarget;
  /** add: what the link held before (another user id, another role id), unassigned first. */
  previous?: ObserverLinkTarget;
}

declare module '../types.js' {
  interface EntityActions {
    'observers': { target?: ObserverTarget };
  }
}

export type ObserverAction = ActionOf<'observers'>;

type OBC = ObserverContext;

function linkAssignment(link: PlanLink): ObserverLinkTarget | undefined {
  const h = parseObserverState(link.state);
  return h ? { roleId: h.roleId, observerId: link.moodleId, userId: h.userId } : undefined;
}

/** Removing an observer link: unassign exactly the (user, role) the link says mdlsync assigned. */
const OBSERVER_REMOVAL: Membership<'observers', OBC, { target: ObserverTarget }> = {
  removed: 'already removed',
  given(link) {
    const assignment = linkAssignment(link);
    if (!assignment) return unsaid(link, 'assigned', { target: { call: 'none' } });
    return { moodleId: link.moodleId, what: `unassign role ${assignment.roleId} in the context of user ${assignment.userId}`, fields: { target: { call: 'remove', assignment } } };
  },
  unlinked: notGiven('not linked by mdlsync'),
};

export function observerRules(settings: ObserverSettings = DEFAULT_OBSERVER_SETTINGS): EntityRules<'observers', OBC> {
  const roleId = lowerMap(settings.roleIds).get(settings.role.toLowerCase());
  return {
    moodleNoun: 'user',
    recordNoun: 'observer link',

    store(r, line, ctx, p) {
      const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
      const { observer, user } = r.fields;
      if (roleId === undefined) {
        return p.fail(r, line, ctx, 'unknown-role', `the observer role "${settings.role}" has no id: set enrolments.roleIds["${settings.role}"] to its Moodle role id (README: Observers)`);
      }
      if (ctx.observerId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.observerProblem ?? `unknown person ${observer} (EXTERNAL_OBSERVER_KEY)`);
      if (ctx.userId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.userProblem ?? `unknown person ${user} (EXTERNAL_USER_KEY)`);
      if (ctx.observerId === ctx.userId) return p.fail(r, line, ctx, 'invalid-value', `${observer} and ${user} are the same Moodle user ${ctx.userId}: a person cannot observe themselves`);
      const state = observerState(ctx.userId, roleId);
      const same = unchangedByState(r, line, ctx.link, state, base.dataSource, p, ctx.observerId);
      if (same) return same;
      const assignment: ObserverLinkTarget = { roleId, observerId: ctx.observerId, userId: ctx.userId };
      return storeOver(
        base,
        r,
        ctx.link,
        {
          moodleId: ctx.observerId,
          state,
          add: { call: 'add', assignment } as ObserverTarget,
          relink: (prev): ObserverTarget => ({ call: 'add', assignment, previous: linkAssignment(prev) }),
          linkOnly: { call: 'none' },
          what: `assign role ${roleId} to ${observer} in the context of ${user}`,
        },
        p.options.full,
      );
    },

    ...removalRules(OBSERVER_REMOVAL),
  };
}

export class ObserverPlanner extends EntityPlanner<'observers', OBC> {
  constructor(options: PlanOptions<'observers'>, settings?: ObserverSettings, sink?: (action: ActionOf<'observers'>) => void) {
    super(observerRules(settings), options, sink, 'ObserverPlanner');
  }
}
