/**
 * Membership rows (enrolments, group members, cohort members) against the ledger and Moodle's live members of each
 * container the file names. Pure: the caller places each row's container and person (the entity's own look-up),
 * reads which containers and users still exist, and the containers' live members; this decides the findings.
 */
import type { EntityType } from '../entities/types.js';
import type { LedgerLink } from '../ledger/types.js';
import type { DiffRow, Finding } from './types.js';

export type MembershipType = Extract<EntityType, 'enrolments' | 'group-members' | 'cohort-members'>;

/** One file row of a membership feed, as the caller placed it. */
export interface PlacedMember {
  line: number;
  key: string;
  /** The container's key as the key gives it (`C1` for enrolments and cohort members, `C1|G1` for group members). */
  containerKey: string;
  containerId?: number;
  /** Why the container could not be placed, when it is not simply unknown. */
  containerProblem?: string;
  userId?: number;
  personProblem?: string;
  link?: LedgerLink;
  /** The row asks for the membership to go (ROW_STATUS disabled/deleted, ACTION=delete or --op delete). */
  removal: boolean;
  /** Enrolments: the role shortname the row asks for, and the one the link says mdlsync gave. */
  role?: string;
  linkRole?: string;
  /** Enrolments: whether the row asks for a suspended enrolment (AVAILABLE_IND=N), and what the link says mdlsync gave. */
  suspend?: boolean;
  linkSuspend?: boolean;
}

/** A member as Moodle lists it now. */
export interface LiveMember {
  username?: string;
  idnumber?: string;
  /** Enrolments: the user's role shortnames in the course. */
  roles?: string[];
  /** Enrolments: the enrolment is suspended. */
  suspended?: boolean;
}

export interface LiveState {
  /** Containers that exist in Moodle, with their members by user id. */
  members: ReadonlyMap<number, ReadonlyMap<number, LiveMember>>;
  /** User ids Moodle still has (not deleted). */
  users: ReadonlySet<number>;
}

export interface MembershipNouns {
  container: 'course' | 'group' | 'cohort';
  member: string;
}

export const NOUNS: Record<MembershipType, MembershipNouns> = {
  enrolments: { container: 'course', member: 'enrolment' },
  'group-members': { container: 'group', member: 'group membership' },
  'cohort-members': { container: 'cohort', member: 'cohort membership' },
};

/** The findings of a file's membership rows. */
export function diffMembers(type: MembershipType, rows: readonly PlacedMember[], live: LiveState): DiffRow[] {
  const noun = NOUNS[type];
  const out: DiffRow[] = [];
  for (const m of rows) {
    const base = { line: m.line, type, key: m.key, moodleId: m.userId };
    // The person's part of the key (keys end with it: COURSE|PERSON, COURSE|GROUP|PERSON, COHORT|PERSON).
    const person = m.key.slice(m.key.lastIndexOf('|') + 1);
    const row = (finding: Finding, message: string, more: Partial<DiffRow> = {}): void => void out.push({ ...base, finding, message, ...more });
    if (m.containerId === undefined) {
      row('missing', m.containerProblem ?? `${noun.container} ${m.containerKey} is neither in the ledger nor in Moodle: a run fails this row until the ${noun.container} is loaded`, { field: noun.container, fileValue: m.containerKey });
      continue;
    }
    const members = live.members.get(m.containerId);
    if (!members) {
      row('deleted-in-moodle', `Moodle ${noun.container} ${m.containerId} (${m.containerKey}) no longer exists: load the ${noun.container} again, then the ${noun.member}`, { field: noun.container, fileValue: m.containerKey, moodleValue: String(m.containerId) });
      continue;
    }
    if (m.userId === undefined) {
      row('missing', m.personProblem ?? 'the person is neither in the ledger nor in Moodle: a run fails this row until the person is loaded', { field: 'person', fileValue: person });
      continue;
    }
    if (!live.users.has(m.userId)) {
      row('deleted-in-moodle', `Moodle user ${m.userId} no longer exists (deleted in Moodle): the person must be created again first`, { field: 'person', fileValue: person, moodleValue: String(m.userId) });
      continue;
    }
    const member = members.get(m.userId);
    if (m.removal) {
      if (!member) row('in-step', `not in Moodle, as the row asks`);
      else if (m.link?.status === 'active') row('changed-in-file', `the row asks for the ${noun.member} to go: the next run removes it`);
      else row('in-step', `the row asks for the ${noun.member} to go and mdlsync has disabled it`);
      continue;
    }
    if (m.link?.data?.includes('"blocked"')) {
      row('in-step', `${member ? 'suspended' : 'removed'} by mdlsync user block: mdlsync user unblock gives it back`);
      continue;
    }
    if (!member) {
      if (m.link?.status === 'active') row('missing-in-moodle', `mdlsync gave this ${noun.member} and it is no longer in Moodle (removed by hand): mdlsync diff --repair gives it again`);
      else if (m.link) row('changed-in-file', `mdlsync removed this ${noun.member} and the file has it again: the next run gives it again`);
      else row('missing', `not in Moodle yet: the next run adds it`);
      continue;
    }
    if (m.role !== undefined && member.roles !== undefined && !member.roles.includes(m.role)) {
      const moodleValue = member.roles.join(' ');
      // The link says which role mdlsync gave: the file still asking for it means Moodle was changed by hand.
      if (m.link && m.linkRole === m.role) row('changed-in-moodle', `role ${m.role} was taken away in Moodle: mdlsync diff --repair gives it again`, { field: 'role', fileValue: m.role, moodleValue });
      else row('changed-in-file', `the file asks for role ${m.role}: the next run gives it`, { field: 'role', fileValue: m.role, moodleValue });
      continue;
    }
    if (m.suspend !== undefined && member.suspended !== undefined && member.suspended !== m.suspend) {
      const values = { field: 'suspended', fileValue: m.suspend ? '1' : '0', moodleValue: member.suspended ? '1' : '0' };
      if (m.link && m.linkSuspend === m.suspend) row('changed-in-moodle', `the enrolment was ${member.suspended ? 'suspended' : 'reactivated'} in Moodle: mdlsync diff --repair sets it back`, values);
      else row('changed-in-file', `the file asks for the enrolment to be ${m.suspend ? 'suspended' : 'active'}: the next run does it`, values);
      continue;
    }
    row(m.link ? 'in-step' : 'unlinked', m.link ? 'Moodle holds what the file says' : `in Moodle but not in the ledger (given by hand or by another tool): the next run links it`);
  }
  return out;
}

/** A member Moodle has in a container the file names, without a row in the file: its key, and how it is known. */
export interface ExtraMember {
  key: string;
  userId: number;
  /** The ledger's link for that key, when mdlsync gave it. */
  link?: LedgerLink;
}

/** Members of the file's containers that the file lacks: extra-in-moodle, or mdlsync's own the file dropped. */
export function diffExtras(type: MembershipType, extras: readonly ExtraMember[]): DiffRow[] {
  const noun = NOUNS[type];
  return extras.map((x) => {
    const base = { line: null, type, key: x.key, moodleId: x.userId };
    if (x.link?.status === 'active') return { ...base, finding: 'changed-in-file' as Finding, message: `mdlsync gave this ${noun.member} and the file no longer has it: a refresh (--op refresh) removes it` };
    return { ...base, finding: 'extra-in-moodle' as Finding, message: `in Moodle but not in the file (added by hand, or by another enrolment method): mdlsync never removes what it did not give` };
  });
}
