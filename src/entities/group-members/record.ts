/** What a group-members feed carries: a person in a course's group. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    'group-members': GroupMemberRecord;
  }
}

export interface GroupMemberFields {
  course: string;
  /** The group's key within the course (its idnumber). */
  group: string;
  person: string;
  /** tool_sync's `shift`: the person leaves the course's other groups that mdlsync manages, then joins this one. */
  shift?: boolean;
}

/** key = `COURSE|GROUP|PERSON`. */
export interface GroupMemberRecord extends RecordBase {
  fields: GroupMemberFields;
}
