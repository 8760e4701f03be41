/** The groups and group-members feeds' records (registered in types.ts). Kept apart so the shared types file only gains a line or two. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    groups: GroupRecord;
    'group-members': GroupMemberRecord;
  }
}

/** Group fields as the file gives them; an empty cell is absent. */
export interface GroupFields {
  /** The course's external key (EXTERNAL_COURSE_KEY, or tool_sync's `course`). */
  course: string;
  /** The group's key within the course (EXTERNAL_GROUP_KEY, or `idnumber`): stored in the group's idnumber. */
  group: string;
  name?: string;
  description?: string;
}

/** key = `COURSE|GROUP`. */
export interface GroupRecord extends RecordBase {
  fields: GroupFields;
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
