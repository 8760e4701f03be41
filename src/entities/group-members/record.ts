/** What a group-members feed carries: a person in a course's group. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    'group-members': GroupMemberRecord;
  }
}

export interface GroupMemberFields {
  /** The course's key (its idnumber), or its shortname (courseBy 'shortname'). */
  course: string;
  /** The group's key within the course (its idnumber), or its name (groupBy 'name'). */
  group: string;
  /** The person's key (the user's idnumber), or a username (personBy 'username', lower-cased). */
  person: string;
  /** Moodle-style `course_shortname` column: the course is found by its shortname. */
  courseBy?: 'shortname';
  /** `group_name` / `groupname` column: the group is found by its name within the course. */
  groupBy?: 'name';
  /** `username` column: the person is found by username. */
  personBy?: 'username';
  /** tool_sync's `shift`: the person leaves the course's other groups that mdlsync manages, then joins this one. */
  shift?: boolean;
}

/** key = `COURSE|GROUP|PERSON`, as the file gives them (a shortname, a group name, a lower-cased username). */
export interface GroupMemberRecord extends RecordBase {
  fields: GroupMemberFields;
}
