/** What a groups feed carries. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    groups: GroupRecord;
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
  /** Moodle-style `course_shortname` column: the course is found by its shortname. */
  courseBy?: 'shortname';
  /**
   * No group key column, only the name (the groups an Upload users file names): the group is its name within the
   * course, found by it, and created without an idnumber, as Moodle's tool creates it.
   */
  groupBy?: 'name';
}

/** key = `COURSE|GROUP`. */
export interface GroupRecord extends RecordBase {
  fields: GroupFields;
}
