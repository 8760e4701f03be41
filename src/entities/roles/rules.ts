/**
 * The institution-roles and observers rules of the generic planner (fold.ts). Pure: no I/O, no clock.
 *
 * institution-roles — key `PERSON|ROLE_ID`. Cohort mode (default): the person is a member of the cohort whose idnumber
 * is `role:ROLE_ID` (created on first use; never a ledger link of its own, so no refresh ever disables it).
 * system-role mode: the person holds the Moodle role institutionRoles.roleMap[ROLE_ID] at system context. The link
 * holds the user id and, as hash, what mdlsync gave: `ir1;cohort=ID` or `ir1;role=ID`.
 *
 * observers — key `OBSERVER|USER`: the observer holds the configured role (default parent) in the observed person's
 * user context. The link holds the observer's user id and, as hash, `ob1;user=ID;role=ID`.
 *
 * Both only ever remove what a ledger link says mdlsync gave; role ids come from enrolments.roleIds (Moodle's web
 * services cannot list roles).
 */
import type { EntityRecord } from '../../feed/types.js';
import type { InstitutionRoleRecord, ObserverRecord } from './record.js';
import type { LedgerLink } from '../../ledger/types.js';
import { EntityPlanner, dataSourceChange, unchangedByLink, type ContextBase, type EntityRules, type RowPlanning } from '../../plan/fold.js';
import { ROLE_COHORT_PREFIX } from '../cohorts/rules.js';
import { DEFAULT_ROLE_IDS } from '../enrolments/rules.js';
import type { Action, PlanOptions } from '../../plan/types.js';

// The idnumber prefix of an institution role's cohort is the one cohorts feeds refuse (one definition, in cohorts.ts).
export { ROLE_COHORT_PREFIX } from '../cohorts/rules.js';

/** Case-insensitive look-up table built once per planner (the hot path then costs one Map.get). */
function lowerMap<V>(rec: Record<string, V>): Map<string, V> {
  const m = new Map<string, V>();
  for (const [k, v] of Object.entries(rec)) if (!m.has(k.toLowerCase())) m.set(k.toLowerCase(), v);
  return m;
}

type Base = { entity: Action['entity']; key: string; line: number | null; dataSource: string | null };

/** Shared store decision over a link the hot path did not settle: update (resend or link only), enable or create. */
function storeOver<R extends EntityRecord, T>(
  base: Base,
  r: R,
  link: LedgerLink | undefined,
  want: { moodleId: number; hash: string | undefined; add: T; relink: (prev: LedgerLink) => T; linkOnly: T; what: string },
  full: boolean,
): Action<R> & { target?: T } {
  const send = { ...base, moodleId: want.moodleId, record: r, hash: want.hash, status: 'active' as const };
  if (link && link.status === 'active') {
    const same = want.hash !== undefined && link.hash === want.hash && link.moodleId === want.moodleId;
    // Same content under the same data source was settled by unchangedByLink before any target was built.
    if (same && !full) return { kind: 'update', ...send, reason: dataSourceChange(link, base.dataSource), target: want.linkOnly };
    if (same) return { kind: 'update', ...send, reason: 'full re-send', target: want.add };
    return { kind: 'update', ...send, reason: `${want.what}: the link held another (${link.hash ?? 'nothing'}), replaced`, target: want.relink(link) };
  }
  if (link) return { kind: 'enable', ...send, reason: `back in the file: ${want.what} again`, target: want.add };
  return { kind: 'create', ...send, reason: want.what, target: want.add };
}

/** What a removal reads from its link: the Moodle change to undo, or undefined when the link does not say. */
interface Removal<T> {
  /** "not given by mdlsync": the reason when there is no link. */
  unlinked: string;
  /** "gave": what the link should have said mdlsync did. */
  gave: string;
  read: (link: LedgerLink) => { what: string; target: T } | undefined;
  none: T;
}

/** Shared removal over a link: only ever what the link says mdlsync gave; nothing without a link. */
function removeOver<R extends EntityRecord, T>(base: Base, link: LedgerLink | undefined, why: string, r: R | undefined, removal: Removal<T>): Action<R> & { target?: T } {
  if (!link) return { kind: 'unchanged', ...base, reason: `${removal.unlinked}: nothing to remove (${why})` };
  if (link.status === 'disabled') return { kind: 'unchanged', ...base, moodleId: link.moodleId, reason: `already removed (${why})` };
  const common = { kind: 'disable' as const, ...base, moodleId: link.moodleId, record: r, hash: link.hash ?? undefined, status: 'disabled' as const };
  const held = removal.read(link);
  if (!held) return { ...common, reason: `${why}: the link does not say what mdlsync ${removal.gave}, nothing removed`, target: removal.none };
  return { ...common, reason: `${why}: ${held.what}`, target: held.target };
}

/** The row disable, row delete and refresh disable of both rule sets: each a removal over the link. */
function removalRules<R extends EntityRecord, C extends ContextBase, T>(removal: Removal<T>): Pick<EntityRules<R, C>, 'disable' | 'delete' | 'ownedDisable'> {
  const base = (r: R, line: number, ctx: C, p: RowPlanning<R, C>): Base => ({ entity: p.options.entity, key: r.key, line, dataSource: p.ds(r, ctx) });
  return {
    disable(r, line, ctx, p) {
      return removeOver(base(r, line, ctx, p), ctx.link, r.rowStatus === 'deleted' ? 'ROW_STATUS=deleted' : 'ROW_STATUS=disabled', r, removal);
    },
    delete(r, line, ctx, p) {
      return removeOver(base(r, line, ctx, p), ctx.link, p.options.op === 'delete' ? 'delete' : 'ACTION=delete', r, removal);
    },
    ownedDisable(link, reason, p) {
      return removeOver<R, T>({ entity: p.options.entity, key: link.key, line: null, dataSource: link.dataSource }, link, reason, undefined, removal);
    },
  };
}

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

export function holdHash(h: RoleHold): string {
  return `ir1;${h.kind}=${h.id}`;
}

export function parseHoldHash(hash: string | null | undefined): RoleHold | undefined {
  const m = hash ? /^ir1;(cohort|role)=(\d+)$/.exec(hash) : null;
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

export type InstitutionRoleAction = Action<InstitutionRoleRecord> & { target?: InstitutionRoleTarget };

type IR = InstitutionRoleRecord;
type IRC = InstitutionRoleContext;

const ROLE_REMOVAL: Removal<InstitutionRoleTarget> = {
  unlinked: 'not given by mdlsync',
  gave: 'gave',
  read: (link) => {
    const hold = parseHoldHash(link.hash);
    if (!hold) return undefined;
    const what = hold.kind === 'cohort' ? `leave cohort ${hold.id}` : `unassign role ${hold.id} (system)`;
    return { what, target: { call: 'remove', from: { ...hold, userId: link.moodleId } } };
  },
  none: { call: 'none' },
};

export function institutionRoleRules(settings: InstitutionRoleSettings = DEFAULT_INSTITUTION_ROLE_SETTINGS): EntityRules<IR, IRC> {
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
      const hash = to.id === undefined ? undefined : holdHash(to as RoleHold);
      const same = unchangedByLink(r, line, ctx.link, hash, base.dataSource, p, ctx.userId);
      if (same) return same;
      const what = to.kind === 'cohort' ? `add to cohort ${to.idnumber}${to.id === undefined ? ' (created first)' : ''}` : `assign role ${to.id} at system context`;
      return storeOver(
        base,
        r,
        ctx.link,
        {
          moodleId: ctx.userId,
          hash,
          add: { call: 'add', to } as InstitutionRoleTarget,
          relink: (prev): InstitutionRoleTarget => {
            const hold = parseHoldHash(prev.hash);
            return { call: 'add', to, from: hold ? { ...hold, userId: prev.moodleId } : undefined };
          },
          linkOnly: { call: 'none' },
          what,
        },
        p.options.full,
      );
    },

    ...removalRules<IR, IRC, InstitutionRoleTarget>(ROLE_REMOVAL),
  };
}

export class InstitutionRolePlanner extends EntityPlanner<IR, IRC> {
  constructor(options: PlanOptions, settings?: InstitutionRoleSettings, sink?: (action: Action<IR>) => void) {
    super(institutionRoleRules(settings), options, sink, 'InstitutionRolePlanner');
  }
}

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

export function observerHash(userId: number, roleId: number): string {
  return `ob1;user=${userId};role=${roleId}`;
}

export function parseObserverHash(hash: string | null | undefined): { userId: number; roleId: number } | undefined {
  const m = hash ? /^ob1;user=(\d+);role=(\d+)$/.exec(hash) : null;
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

export type ObserverAction = Action<ObserverRecord> & { target?: ObserverTarget };

type OB = ObserverRecord;
type OBC = ObserverContext;

function linkAssignment(link: LedgerLink): ObserverLinkTarget | undefined {
  const h = parseObserverHash(link.hash);
  return h ? { roleId: h.roleId, observerId: link.moodleId, userId: h.userId } : undefined;
}

const OBSERVER_REMOVAL: Removal<ObserverTarget> = {
  unlinked: 'not linked by mdlsync',
  gave: 'assigned',
  read: (link) => {
    const assignment = linkAssignment(link);
    return assignment && { what: `unassign role ${assignment.roleId} in the context of user ${assignment.userId}`, target: { call: 'remove', assignment } };
  },
  none: { call: 'none' },
};

export function observerRules(settings: ObserverSettings = DEFAULT_OBSERVER_SETTINGS): EntityRules<OB, OBC> {
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
      const hash = observerHash(ctx.userId, roleId);
      const same = unchangedByLink(r, line, ctx.link, hash, base.dataSource, p, ctx.observerId);
      if (same) return same;
      const assignment: ObserverLinkTarget = { roleId, observerId: ctx.observerId, userId: ctx.userId };
      return storeOver(
        base,
        r,
        ctx.link,
        {
          moodleId: ctx.observerId,
          hash,
          add: { call: 'add', assignment } as ObserverTarget,
          relink: (prev): ObserverTarget => ({ call: 'add', assignment, previous: linkAssignment(prev) }),
          linkOnly: { call: 'none' },
          what: `assign role ${roleId} to ${observer} in the context of ${user}`,
        },
        p.options.full,
      );
    },

    ...removalRules<OB, OBC, ObserverTarget>(OBSERVER_REMOVAL),
  };
}

export class ObserverPlanner extends EntityPlanner<OB, OBC> {
  constructor(options: PlanOptions, settings?: ObserverSettings, sink?: (action: Action<OB>) => void) {
    super(observerRules(settings), options, sink, 'ObserverPlanner');
  }
}
