/**
 * The entity registry of a run: per feed type, the web-service functions its run calls, its planner and its
 * Moodle look-ups. run.ts stays one path for every type; a new type adds one entry here (its feed, rules and
 * applier register in feed/index.ts, feed/headers.ts and apply/apply.ts).
 */
import { COHORT_MEMBER_RUN_FUNCTIONS, COHORT_RUN_FUNCTIONS } from './apply/cohorts.js';
import { COURSE_RUN_FUNCTIONS } from './apply/courses.js';
import { ENROLMENT_RUN_FUNCTIONS } from './apply/enrolments.js';
import { GROUP_MEMBER_RUN_FUNCTIONS, GROUP_RUN_FUNCTIONS } from './apply/groups.js';
import { categoryLookup } from './resolve/categories.js';
import { cohortLookup, cohortMemberLookup } from './resolve/cohorts.js';
import { courseLookup } from './resolve/courses.js';
import { enrolmentLookup } from './resolve/enrolments.js';
import { groupLookup, groupMemberLookup } from './resolve/groups.js';
import { resolvePersons } from './resolve/persons.js';
import { institutionRoleLookup, observerLookup } from './resolve/roles.js';
import { INSTITUTION_ROLE_RUN_FUNCTIONS, OBSERVER_RUN_FUNCTIONS } from './apply/roles.js';
import type { Config } from './config/index.js';
import type { EntityRecord, EntityType, RecordOf } from './feed/types.js';
import type { LedgerStore } from './ledger/types.js';
import { CATEGORY_FUNCTIONS, PERSON_FUNCTIONS, type MoodleCaller } from './moodle/index.js';
import { CategoryPlanner } from './plan/categories.js';
import { CohortMemberPlanner, CohortPlanner } from './plan/cohorts.js';
import { CoursePlanner } from './plan/courses.js';
import { EnrolmentPlanner, type EnrolmentSettings } from './plan/enrolments.js';
import type { ContextBase, EntityPlanner } from './plan/fold.js';
import { GroupMemberPlanner, GroupPlanner } from './plan/groups.js';
import { PersonPlanner } from './plan/persons.js';
import { InstitutionRolePlanner, ObserverPlanner, type InstitutionRoleSettings, type ObserverSettings } from './plan/roles.js';
import type { Action, PlanOptions } from './plan/types.js';

/**
 * Looks up in Moodle what the ledger cannot tell: the records it cannot place (`unplaced`: adoption, MOODLE_ID
 * checks), and whatever else the entity's rules need about the chunk's rows (a category's parent).
 */
export type EntityLookup<R extends EntityRecord, C extends ContextBase = ContextBase> = (unplaced: R[], chunk: R[]) => Promise<Map<string, Omit<C, 'link'>>>;

/** How look-ups read: retries of transient errors, and values per look-up call. */
export interface LookupReads {
  retries: number;
  backoffMs: number;
  chunkSize: number;
}

/** The per-entity configuration a plan needs (each entity reads its own part; absent parts take the defaults). */
export interface EntitySettings {
  /** Enrolment feeds: role map, role ids and what a disable does (config `enrolments`). */
  enrolments?: EnrolmentSettings;
  /** Course feeds: what an explicit delete does (config `courses.disable`). */
  courses?: { disable: 'hide' | 'delete' };
  /** Cohort feeds: what an explicit disable does (config `cohorts.disable`; refreshes always empty). */
  cohorts?: { disable: 'delete' | 'empty' };
  /** Institution-role feeds: cohort or system-role mode, ROLE_ID → shortname, role ids (config `institutionRoles`, `enrolments.roleIds`). */
  institutionRoles?: InstitutionRoleSettings;
  /** Observer feeds: the role shortname and the role ids (config `observers`, `enrolments.roleIds`). */
  observers?: ObserverSettings;
}

/** The settings of the config, for planFeed and the look-ups. */
export function entitySettings(config: Config): EntitySettings {
  return {
    enrolments: config.enrolments,
    courses: config.courses,
    cohorts: config.cohorts,
    institutionRoles: { ...config.institutionRoles, roleIds: config.enrolments.roleIds },
    observers: { role: config.observers.role, roleIds: config.enrolments.roleIds },
  };
}

export interface EntityRun<T extends EntityType> {
  /** The web-service functions a run of this type calls: checked before anything else (and by `doctor`). */
  functions: readonly string[];
  planner(options: PlanOptions, settings: EntitySettings, sink?: (action: Action<RecordOf<T>>) => void): EntityPlanner<RecordOf<T>, ContextBase>;
  lookup(client: MoodleCaller, ledger: LedgerStore, reads: LookupReads, settings: EntitySettings): EntityLookup<RecordOf<T>, ContextBase>;
}

// The planners' context types are each entity's own; the registry hands them out as the base type.
type AnyPlanner<T extends EntityType> = EntityPlanner<RecordOf<T>, ContextBase>;
type AnyLookup<T extends EntityType> = EntityLookup<RecordOf<T>, ContextBase>;

export const ENTITY_RUNS: { [T in EntityType]: EntityRun<T> } = {
  persons: {
    functions: PERSON_FUNCTIONS,
    planner: (o, _s, sink) => new PersonPlanner(o, sink) as unknown as AnyPlanner<'persons'>,
    // Usernames are left to the applier (see ResolveOptions.byUsername): a first load then costs few look-ups.
    lookup: (client, _ledger, reads) => (async (unplaced) => (unplaced.length > 0 ? resolvePersons(client, unplaced, { byUsername: false, ...reads }) : new Map())) as AnyLookup<'persons'>,
  },
  categories: {
    functions: CATEGORY_FUNCTIONS,
    planner: (o, _s, sink) => new CategoryPlanner(o, sink) as unknown as AnyPlanner<'categories'>,
    lookup: (client, ledger, reads) => categoryLookup(client, ledger, reads) as AnyLookup<'categories'>,
  },
  courses: {
    functions: COURSE_RUN_FUNCTIONS,
    // A course's explicit delete hides it unless courses.disable says delete.
    planner: (o, s, sink) => new CoursePlanner({ ...o, disable: s.courses?.disable === 'delete' ? 'delete' : 'suspend' }, sink) as unknown as AnyPlanner<'courses'>,
    lookup: (client, ledger, reads) => courseLookup(client, ledger, reads) as AnyLookup<'courses'>,
  },
  enrolments: {
    functions: ENROLMENT_RUN_FUNCTIONS,
    planner: (o, s, sink) => new EnrolmentPlanner(o, s.enrolments, sink) as unknown as AnyPlanner<'enrolments'>,
    lookup: (client, ledger, reads) => enrolmentLookup(client, ledger, reads) as AnyLookup<'enrolments'>,
  },
  groups: {
    functions: GROUP_RUN_FUNCTIONS,
    planner: (o, _s, sink) => new GroupPlanner(o, sink) as unknown as AnyPlanner<'groups'>,
    lookup: (client, ledger, reads) => groupLookup(client, ledger, reads) as AnyLookup<'groups'>,
  },
  'group-members': {
    functions: GROUP_MEMBER_RUN_FUNCTIONS,
    planner: (o, _s, sink) => new GroupMemberPlanner(o, sink) as unknown as AnyPlanner<'group-members'>,
    lookup: (client, ledger, reads) => groupMemberLookup(client, ledger, reads) as AnyLookup<'group-members'>,
  },
  cohorts: {
    functions: COHORT_RUN_FUNCTIONS,
    // An explicit disable deletes the cohort unless cohorts.disable says empty; the fold never hard-deletes in a refresh.
    planner: (o, s, sink) => new CohortPlanner({ ...o, disable: (s.cohorts?.disable ?? 'delete') === 'delete' ? 'delete' : 'suspend' }, sink) as unknown as AnyPlanner<'cohorts'>,
    lookup: (client, ledger, reads) => cohortLookup(client, ledger, reads) as AnyLookup<'cohorts'>,
  },
  'cohort-members': {
    functions: COHORT_MEMBER_RUN_FUNCTIONS,
    planner: (o, _s, sink) => new CohortMemberPlanner(o, sink) as unknown as AnyPlanner<'cohort-members'>,
    lookup: (client, ledger, reads) => cohortMemberLookup(client, ledger, reads) as AnyLookup<'cohort-members'>,
  },
  'institution-roles': {
    functions: INSTITUTION_ROLE_RUN_FUNCTIONS,
    planner: (o, s, sink) => new InstitutionRolePlanner(o, s.institutionRoles, sink) as unknown as AnyPlanner<'institution-roles'>,
    lookup: (client, ledger, reads, s) => institutionRoleLookup(client, ledger, { ...reads, mode: s.institutionRoles?.mode }) as AnyLookup<'institution-roles'>,
  },
  observers: {
    functions: OBSERVER_RUN_FUNCTIONS,
    planner: (o, s, sink) => new ObserverPlanner(o, s.observers, sink) as unknown as AnyPlanner<'observers'>,
    lookup: (client, ledger, reads) => observerLookup(client, ledger, reads) as AnyLookup<'observers'>,
  },
};

/** The web-service functions each entity's run calls. */
export const ENTITY_FUNCTIONS = Object.fromEntries(Object.entries(ENTITY_RUNS).map(([t, r]) => [t, r.functions])) as Record<EntityType, readonly string[]>;
