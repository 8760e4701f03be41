/** Typed wrappers of the core_cohort_* web-service functions (see moodle-api-notes §1.4). */
import { countFormVars } from './encode.js';
import { expectOnePerRecord } from './replies.js';
import type { MoodleCaller } from './types.js';

/** The cohort wsfunctions this module wraps (its tests check each against the recorded cases). What a run needs is
 * declared per entity type in its definition (src/entities/<type>/index.ts): `run` and `doctor` check the token's service against that list. */
export const COHORT_FUNCTIONS: string[] = [
  'core_cohort_create_cohorts',
  'core_cohort_update_cohorts',
  'core_cohort_delete_cohorts',
  'core_cohort_get_cohorts',
  'core_cohort_search_cohorts',
  'core_cohort_add_cohort_members',
  'core_cohort_delete_cohort_members',
  'core_cohort_get_cohort_members',
];

/** One record of core_cohort_create_cohorts. categorytype `system` ignores the value (send ''). */
export interface CohortInput {
  categorytype: { type: 'system' | 'id' | 'idnumber'; value: string };
  name: string;
  /** Unique site-wide on create, '' included (a second cohort with an empty idnumber is refused). */
  idnumber: string;
  description?: string;
  visible?: 0 | 1;
}

/** One record of core_cohort_update_cohorts: id, categorytype, name and idnumber are all required. */
export interface UpdateCohortInput extends CohortInput {
  id: number;
}

export interface MoodleCohort {
  id: number;
  name: string;
  idnumber: string;
  description: string;
  descriptionformat: number;
  visible: boolean;
  theme: string;
  /** Only get_cohorts and search_cohorts answer it. */
  customfields?: unknown[];
}

export interface CohortMemberInput {
  cohortid: number;
  userid: number;
}

/** add_cohort_members' warnings carry no item/itemid: parseCohortMemberWarning maps them back. */
export interface CohortMemberWarning {
  warningcode: string;
  message: string;
}

export interface ParsedCohortMemberWarning {
  kind: 'already-member' | 'missing-user' | 'missing-cohort' | 'invalid' | 'unknown';
  cohortId?: number;
  userId?: number;
}

/** The wire record, key order as Moodle documents it (and as recorded). */
const cohortRecord = (c: CohortInput): Record<string, unknown> => ({
  categorytype: { type: c.categorytype.type, value: c.categorytype.value },
  name: c.name,
  idnumber: c.idnumber,
  description: c.description,
  visible: c.visible,
});

/** Always by id on both sides, so every warning names the ids it is about. */
const memberRecord = (m: CohortMemberInput): Record<string, unknown> => ({
  cohorttype: { type: 'id', value: String(m.cohortid) },
  usertype: { type: 'id', value: String(m.userid) },
});

/** Leaves one record adds to a `{cohorts: [...]}` call. */
export const cohortLeaves = (input: CohortInput | UpdateCohortInput): number =>
  countFormVars({ c: 'id' in input ? { id: input.id, ...cohortRecord(input) } : cohortRecord(input) });

/** Leaves one member adds to an add_cohort_members call (4, both sides typed); delete_cohort_members sends only 2 of them. */
export const cohortMemberLeaves = (input: CohortMemberInput): number => countFormVars({ m: memberRecord(input) });

/** All or nothing (duplicate idnumber, unknown category …). Answers the cohorts as created, in input order. */
export async function createCohorts(c: MoodleCaller, cohorts: CohortInput[]): Promise<MoodleCohort[]> {
  if (cohorts.length === 0) return [];
  const reply = await c.call<unknown>('core_cohort_create_cohorts', { cohorts: cohorts.map(cohortRecord) });
  return expectOnePerRecord<MoodleCohort>('core_cohort_create_cohorts', 'cohorts', cohorts.length, reply);
}

/** All or nothing; null reply. The idnumber is not checked for uniqueness on update. */
export async function updateCohorts(c: MoodleCaller, cohorts: UpdateCohortInput[]): Promise<void> {
  if (cohorts.length === 0) return;
  await c.call<null>('core_cohort_update_cohorts', { cohorts: cohorts.map((x) => ({ id: x.id, ...cohortRecord(x) })) });
}

/** All or nothing (an unknown id is invalidrecord); members go with the cohort. */
export async function deleteCohorts(c: MoodleCaller, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await c.call<null>('core_cohort_delete_cohorts', { cohortids: ids });
}

/** Unknown ids are skipped silently. An empty list asks for every cohort of the site. */
export async function getCohorts(c: MoodleCaller, ids: number[]): Promise<MoodleCohort[]> {
  const reply = await c.call<MoodleCohort[] | null>('core_cohort_get_cohorts', { cohortids: ids });
  return reply ?? [];
}

/**
 * Case-insensitive substring search on name, idnumber and description; filter client-side for an exact match.
 * Defaults: system context (id 1), includes 'all', first page of 25. Moodle reads limitfrom as a PAGE number
 * (offset = limitfrom × limitnum), so page on with limitfrom 0, 1, 2 …
 */
export async function searchCohorts(
  c: MoodleCaller,
  query: string,
  opts: { contextid?: number; includes?: 'parents' | 'self' | 'all'; limitfrom?: number; limitnum?: number } = {},
): Promise<MoodleCohort[]> {
  const reply = await c.call<{ cohorts?: MoodleCohort[] } | null>('core_cohort_search_cohorts', {
    query,
    context: { contextid: opts.contextid ?? 1 },
    includes: opts.includes ?? 'all',
    limitfrom: opts.limitfrom ?? 0,
    limitnum: opts.limitnum ?? 25,
  });
  return reply?.cohorts ?? [];
}

/**
 * Soft problems (unknown user or cohort, already a member) come back as warnings while the valid members are
 * still added; capability problems throw and roll everything back. Re-adding a member is a warning '3', not an error.
 */
export async function addCohortMembers(c: MoodleCaller, members: CohortMemberInput[]): Promise<CohortMemberWarning[]> {
  if (members.length === 0) return [];
  const reply = await c.call<{ warnings?: CohortMemberWarning[] } | null>('core_cohort_add_cohort_members', {
    members: members.map(memberRecord),
  });
  return reply?.warnings ?? [];
}

const idOf = (type: string, value: string): number | undefined => (type === 'id' && /^\d+$/.test(value) ? Number(value) : undefined);

/**
 * Reads the ids back out of add_cohort_members' messages as cohort/externallib.php builds them:
 *  '3' 'record already exists: cohort(TYPE=VALUE TYPE=VALUE)'; '2' 'cohort TYPE=VALUE not exists' /
 *  'user TYPE=VALUE not exists'; '1' 'invalid parameter: cohortype=…' (sic) / 'usertype=…' / 'Invalid context: N'.
 */
export function parseCohortMemberWarning(w: CohortMemberWarning): ParsedCohortMemberWarning {
  const msg = w.message;
  if (w.warningcode === '3') {
    const m = /^record already exists: cohort\((id|idnumber)=(.*) (id|username)=(.*)\)$/s.exec(msg);
    if (m) return { kind: 'already-member', cohortId: idOf(m[1], m[2]), userId: idOf(m[3], m[4]) };
  } else if (w.warningcode === '2') {
    const cohort = /^cohort (id|idnumber)=(.*) not exists$/s.exec(msg);
    if (cohort) return { kind: 'missing-cohort', cohortId: idOf(cohort[1], cohort[2]) };
    const user = /^user (id|username)=(.*) not exists$/s.exec(msg);
    if (user) return { kind: 'missing-user', userId: idOf(user[1], user[2]) };
  } else if (w.warningcode === '1') {
    if (/^invalid parameter: (cohortype|usertype)=/.test(msg) || /^Invalid context: /.test(msg)) return { kind: 'invalid' };
  }
  return { kind: 'unknown' };
}

/** All or nothing: an unknown cohort is invalidrecord, an unknown or deleted user invaliduser. A non-member is no error. */
export async function deleteCohortMembers(c: MoodleCaller, members: CohortMemberInput[]): Promise<void> {
  if (members.length === 0) return;
  await c.call<null>('core_cohort_delete_cohort_members', {
    members: members.map((m) => ({ cohortid: m.cohortid, userid: m.userid })),
  });
}

/** One entry per cohort: [{cohortid, userids}]. An unknown id fails the whole call. An empty list makes no call. */
export async function getCohortMembers(c: MoodleCaller, cohortids: number[]): Promise<{ cohortid: number; userids: number[] }[]> {
  if (cohortids.length === 0) return [];
  const reply = await c.call<{ cohortid: number; userids: number[] }[] | null>('core_cohort_get_cohort_members', { cohortids });
  return reply ?? [];
}
