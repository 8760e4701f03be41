/** Typed wrappers of the enrolment web-service functions (manual enrolment plugin and core_enrol_* reads). */
import { countFormVars } from './encode.js';
import type {
  EnrolledUser,
  EnrolledUsersOption,
  EnrolmentMethod,
  ManualEnrolmentInput,
  ManualUnenrolmentInput,
  MoodleCaller,
  UserCourse,
} from './types.js';

/** The enrolment wsfunctions this module wraps (its tests check each against the recorded cases). What a run needs is
 * declared per entity type in its definition (src/entities/<type>/index.ts): `run` and `doctor` check the token's service against that list. */
export const ENROL_FUNCTIONS: string[] = [
  'core_enrol_get_course_enrolment_methods',
  'enrol_manual_enrol_users',
  'enrol_manual_unenrol_users',
  'core_enrol_get_enrolled_users',
  'core_enrol_get_users_courses',
];

/** Leaves one record adds to an `{enrolments: [...]}` call. */
export const enrolmentLeaves = (input: ManualEnrolmentInput | ManualUnenrolmentInput): number => countFormVars({ e: input });

/** Lists only enabled instances that expose enrolment info (self, guest, fee …): the manual instance never appears. */
export async function getCourseEnrolmentMethods(c: MoodleCaller, courseid: number): Promise<EnrolmentMethod[]> {
  const reply = await c.call<EnrolmentMethod[] | null>('core_enrol_get_course_enrolment_methods', { courseid });
  return reply ?? [];
}

/**
 * All or nothing; returns nothing (the body is null). Re-enrolling updates the enrolment: omitted timestart/timeend
 * become 0, omitted `suspend` reactivates it, and the role is added to the existing ones. An empty list makes no call.
 */
export async function enrolUsers(c: MoodleCaller, enrolments: ManualEnrolmentInput[]): Promise<void> {
  if (enrolments.length === 0) return;
  await c.call<null>('enrol_manual_enrol_users', { enrolments });
}

/**
 * All or nothing; returns nothing. Removes the whole manual enrolment (roleid is ignored), and with the user's last
 * enrolment their roles, groups and grades in the course; not enrolled is no error. An empty list makes no call.
 */
export async function unenrolUsers(c: MoodleCaller, enrolments: ManualUnenrolmentInput[]): Promise<void> {
  if (enrolments.length === 0) return;
  await c.call<null>('enrol_manual_unenrol_users', { enrolments });
}

/** Every enrolled user (suspended ones included unless `onlyactive`), without saying which enrolment method. */
export async function getEnrolledUsers(c: MoodleCaller, courseid: number, options: EnrolledUsersOption[] = []): Promise<EnrolledUser[]> {
  const reply = await c.call<EnrolledUser[] | null>('core_enrol_get_enrolled_users', { courseid, options });
  return reply ?? [];
}

/**
 * The user's active enrolments in courses the caller can see. `returnusercount` is left to Moodle's default (true)
 * unless given; pass false to skip the slow per-course user count.
 */
export async function getUsersCourses(c: MoodleCaller, userid: number, returnusercount?: boolean): Promise<UserCourse[]> {
  const reply = await c.call<UserCourse[] | null>('core_enrol_get_users_courses', { userid, returnusercount });
  return reply ?? [];
}
