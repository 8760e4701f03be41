/**
 * The institution-roles rules of the generic planner (fold.ts). Pure: no I/O, no clock.
 *
 * institution-roles — key `PERSON|ROLE_ID`. Cohort mode (default): the person is a member of the cohort whose idnumber
 * is `role:ROLE_ID` (created on first use; never a ledger link of its own, so no refresh ever disables it).
 * system-role mode: the person holds the Moodle role institutionRoles.roleMap[ROLE_ID] at system context. The link
 * holds the user id and, as state, what mdlsync gave: `ir1;cohort=ID` or `ir1;role=ID`.
 *
 * Only ever removes what a ledger link says mdlsync gave; role ids come from enrolments.roleIds (Moodle's web
 * services cannot list roles).
 */
import { EntityPlanner, unchangedByState, type ContextBase, type EntityRules } from '../../plan/fold.js';
import { ROLE_COHORT_PREFIX } from '../cohorts/rules.js';
import { DEFAULT_ROLE_IDS } from '../enrolments/rules.js';
import type { ActionOf, PlanOptions } from '../../plan/types.js';
import { lowerMap, notGiven, removalRules, storeOver, unsaid, type Membership } from '../../plan/membership.js';

// The idnumber prefix of an institution role's cohort is the one cohorts feeds refuse (one definition, in cohorts.ts).
export { ROLE_COHORT_PREFIX } from '../cohorts/rules.js';

// ── institution roles ──────────────────────────────────────────────────────────────────────────────────────

export interface InstitutionRoleSettings {
  mode: 'cohort' | 'system-role';
  /** system-role mode: ROLE_ID → Moodle role shortname. */
  roleMap: Record<string, string>;
  /** Moodle role shortname → id (enrolments.roleIds). */
  roleIds: Record<string, number>;
}

export const DEFAULT_INSTITUTION_ROLE_SETTINGS: InstitutionRoleSettings = { mode: 'cohort', roleMap: {}, roleIds: { ...DEFAULT_ROLE_IDS } };

/** What a link says mdlsync gave: membership of a cohort, or a role at system context. */
export interface RoleHold {
  kind: 'cohort' | 'role';
  id: number;
}

/** The link state of an institution role: what mdlsync gave. */
export function holdState(h: RoleHold): string {
  return `ir1;${h.kind}=${h.id}`;
}

export function parseHoldState(state: string | null | undefined): RoleHold | undefined {
  const m = state ? /^ir1;(cohort|role)=(\d+)$/.exec(state) : null;
  return m ? { kind: m[1] as RoleHold['kind'], id: Number(m[2]) } : undefined;
}

export interface InstitutionRoleContext extends ContextBase {
  userId?: number;
  personProblem?: string;
  /** Cohort mode: the id of the cohort `role:ROLE_ID` when Moodle has it (else it is created first). */
  cohortId?: number;
  cohortProblem?: string;
}

export interface InstitutionRoleTarget {
  /** add: add_cohort_members / assign_roles; remove: delete_cohort_members / unassign_roles; none: the link only. */
  call: 'add' | 'remove' | 'none';
  /** add: where to. A cohort without id is created first (system context, idnumber role:ROLE_ID). */
  to?: { kind: 'cohort'; id?: number; idnumber: string; name: string } | { kind: 'role'; id: number };
  /** remove: what the link holds; add: what the link held before, removed first (the role changed, or the mode). */
  from?: RoleHold & { userId: number };
}

declare module '../types.js' {
  interface EntityActions {
    'institution-roles': { target?: InstitutionRoleTarget };
  }
}

export type InstitutionRoleAction = ActionOf<'institution-roles'>;

type IRC = InstitutionRoleContext;

/** Removing an institution role: leave the cohort or unassign the system role the link says mdlsync gave. */
const ROLE_REMOVAL: Membership<'institution-roles', IRC, { target: InstitutionRoleTarget }> = {
  removed: 'already removed',
  given(link) {
    const hold = parseHoldState(link.state);
    if (!hold) return unsaid(link, 'gave', { target: { call: 'none' } });
    const what = hold.kind === 'cohort' ? `leave cohort ${hold.id}` : `unassign role ${hold.id} (system)`;
    return { moodleId: link.moodleId, what, fields: { target: { call: 'remove', from: { ...hold, userId: link.moodleId } } } };
  },
  unlinked: notGiven('not given by mdlsync'),
};

export function institutionRoleRules(settings: InstitutionRoleSettings = DEFAULT_INSTITUTION_ROLE_SETTINGS): EntityRules<'institution-roles', IRC> {
  const roleMap = lowerMap(settings.roleMap);
  const roleIds = lowerMap(settings.roleIds);
  const cohortMode = settings.mode === 'cohort';
  return {
    moodleNoun: 'user',
    recordNoun: 'institution role',

    store(r, line, ctx, p) {
      const base = { entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) };
      const { person, role } = r.fields;
      if (ctx.userId === undefined) return p.fail(r, line, ctx, 'unknown-person', ctx.personProblem ?? `unknown person ${person}`);
      let to: NonNullable<InstitutionRoleTarget['to']>;
      if (cohortMode) {
        if (ctx.cohortProblem !== undefined) return p.fail(r, line, ctx, 'cohort-lookup', ctx.cohortProblem);
        to = { kind: 'cohort', id: ctx.cohortId, idnumber: `${ROLE_COHORT_PREFIX}${role}`, name: role };
      } else {
        const shortname = roleMap.get(role);
        if (shortname === undefined) {
          return p.fail(r, line, ctx, 'unknown-role', `ROLE_ID ${role} has no Moodle role: set institutionRoles.roleMap["${role}"] to a Moodle role shortname (institutionRoles.mode is system-role)`);
        }
        const id = roleIds.get(shortname.toLowerCase());
        if (id === undefined) return p.fail(r, line, ctx, 'unknown-role', `role "${shortname}" (ROLE_ID ${role}) has no id: set enrolments.roleIds["${shortname}"] to its Moodle role id`);
        to = { kind: 'role', id };
      }
      const state = to.id === undefined ? undefined : holdState(to as RoleHold);
      const same = unchangedByState(r, line, ctx.link, state, base.dataSource, p, ctx.userId);
      if (same) return same;
      const what = to.kind === 'cohort' ? `add to cohort ${to.idnumber}${to.id === undefined ? ' (created first)' : ''}` : `assign role ${to.id} at system context`;
      return storeOver(
        base,
        r,
        ctx.link,
        {
          moodleId: ctx.userId,
          state,
          add: { call: 'add', to } as InstitutionRoleTarget,
          relink: (prev): InstitutionRoleTarget => {
            const hold = parseHoldState(prev.state);
            return { call: 'add', to, from: hold ? { ...hold, userId: prev.moodleId } : undefined };
          },
          linkOnly: { call: 'none' },
          what,
        },
        p.options.full,
      );
    },

    ...removalRules(ROLE_REMOVAL),
  };
}

export class InstitutionRolePlanner extends EntityPlanner<'institution-roles', IRC> {
  constructor(options: PlanOptions<'institution-roles'>, settings?: InstitutionRoleSettings, sink?: (action: ActionOf<'institution-roles'>) => void) {
    super(institutionRoleRules(settings), options, sink, 'InstitutionRolePlanner');
  }
}
