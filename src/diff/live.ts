/**
 * Moodle's live state for a diff, read in batches through the src/moodle/ wrappers, every call retried on transient
 * errors. Read-only: nothing here writes.
 */
import { lookupAll, retryingLookup } from '../entities/persons/lookup.js';
import { MoodleError, getCohortMembers, getCohorts, getEnrolledUsers, getGroupMembers } from '../moodle/index.js';
import { coursesByIds } from '../resolve/names.js';
import type { MoodleCaller, MoodleCourse, MoodleUser } from '../moodle/types.js';
import type { MoodleCohort } from '../moodle/cohorts.js';
import type { Retry } from '../resolve/common.js';
import type { LiveMember } from './memberships.js';

export interface LiveReads {
  client: MoodleCaller;
  retry: Retry;
  retries: number;
  backoffMs: number;
  /** Values per get_users_by_field call (max_input_vars). */
  chunkSize: number;
}

/** Ids per core_course_get_courses_by_field `ids` call (one comma list: one form variable). */
const COURSE_IDS_CHUNK = 500;

/**
 * A user record Moodle's delete_user() has rewritten (lib/moodlelib.php): username `<cleaned email>.<time>`, email
 * md5(old username), idnumber cleared. get_users_by_field does not filter deleted accounts (notes §core_user_get_users_by_field),
 * so by id such a record may still come back; no live account has a bare md5 for an email.
 */
export function looksDeleted(u: MoodleUser): boolean {
  if ((u as { deleted?: unknown }).deleted === true || (u as { deleted?: unknown }).deleted === 1) return true;
  return /^[0-9a-f]{32}$/.test(u.email ?? '') && !u.idnumber && /\.\d+$/.test(u.username);
}

/** Users that exist (deleted accounts left out), by id. */
export async function liveUsers(r: LiveReads, ids: Iterable<number>): Promise<Map<number, MoodleUser>> {
  const want = [...new Set(ids)].map(String);
  const users = await lookupAll(retryingLookup(r.client, r.retries, r.backoffMs), 'id', want, 2, r.chunkSize);
  return new Map(users.filter((u) => !looksDeleted(u)).map((u) => [u.id, u]));
}

/** Courses that exist, by id. */
export async function liveCourses(r: LiveReads, ids: Iterable<number>): Promise<Map<number, MoodleCourse>> {
  const want = [...new Set(ids)];
  const out = new Map<number, MoodleCourse>();
  for (let i = 0; i < want.length; i += COURSE_IDS_CHUNK) {
    const part = want.slice(i, i + COURSE_IDS_CHUNK);
    // One id Moodle lacks fails a whole `ids` call (contract 2026-12/150): coursesByIds narrows it down.
    for (const c of await r.retry(() => coursesByIds(r.client, part))) out.set(c.id, c);
  }
  return out;
}

/** Cohorts that exist, by id (core_cohort_get_cohorts skips unknown ids). */
export async function liveCohorts(r: LiveReads, ids: Iterable<number>): Promise<Map<number, MoodleCohort>> {
  const want = [...new Set(ids)];
  if (want.length === 0) return new Map();
  const cohorts = await r.retry(() => getCohorts(r.client, want));
  return new Map(cohorts.map((c) => [c.id, c]));
}

/**
 * Each existing course's enrolled users (every enrolment method, suspended enrolments too) with their roles, and
 * which of them are suspended: a second call with `onlysuspended` (the list says nothing of an enrolment's status).
 */
export async function courseMembers(r: LiveReads, courseIds: Iterable<number>): Promise<Map<number, Map<number, LiveMember>>> {
  const out = new Map<number, Map<number, LiveMember>>();
  for (const id of new Set(courseIds)) {
    const users = await r.retry(() => getEnrolledUsers(r.client, id, [{ name: 'userfields', value: 'id,username,idnumber,roles' }]));
    const suspended = new Set((await r.retry(() => getEnrolledUsers(r.client, id, [{ name: 'userfields', value: 'id' }, { name: 'onlysuspended', value: 1 }]))).map((u) => u.id));
    out.set(id, new Map(users.map((u) => [u.id, { username: u.username, idnumber: u.idnumber, roles: (u.roles ?? []).map((x) => x.shortname), suspended: suspended.has(u.id) }])));
  }
  return out;
}

/** Each existing cohort's members. */
export async function cohortMembers(r: LiveReads, cohortIds: Iterable<number>): Promise<Map<number, Map<number, LiveMember>>> {
  const existing = [...(await liveCohorts(r, cohortIds)).keys()];
  const out = new Map<number, Map<number, LiveMember>>();
  if (existing.length === 0) return out;
  for (const e of await r.retry(() => getCohortMembers(r.client, existing))) out.set(e.cohortid, new Map(e.userids.map((u) => [u, {}])));
  for (const id of existing) if (!out.has(id)) out.set(id, new Map());
  return out;
}

/**
 * Each existing group's members. core_group_get_group_members refuses the whole call when one group is gone
 * (groups_get_group … MUST_EXIST), so a refused batch is asked again one group at a time: a group Moodle refuses
 * alone is gone.
 */
export async function groupMembers(r: LiveReads, groupIds: Iterable<number>): Promise<Map<number, Map<number, LiveMember>>> {
  const want = [...new Set(groupIds)];
  const out = new Map<number, Map<number, LiveMember>>();
  const put = (list: { groupid: number; userids: number[] }[]): void => {
    for (const e of list) out.set(e.groupid, new Map(e.userids.map((u) => [u, {}])));
  };
  if (want.length === 0) return out;
  try {
    put(await r.retry(() => getGroupMembers(r.client, want)));
  } catch (err) {
    if (!(err instanceof MoodleError)) throw err;
    for (const id of want) {
      try {
        put(await r.retry(() => getGroupMembers(r.client, [id])));
      } catch (one) {
        if (!(one instanceof MoodleError)) throw one;
      }
    }
  }
  return out;
}
