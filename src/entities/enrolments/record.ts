/** The enrolments feed's record (registered in types.ts). Kept apart so the shared types file only gains a line or two. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    enrolments: EnrolmentRecord;
  }
}

/** Enrolment fields as the file gives them; an empty cell is absent. Dates are already Unix seconds. */
export interface EnrolmentFields {
  /** The course's external key (EXTERNAL_COURSE_KEY, or the Moodle dialect's course idnumber), or its shortname (courseBy). */
  course: string;
  /** The person's external key (EXTERNAL_PERSON_KEY, or the Moodle dialect's user idnumber), or a username (personBy, lower-cased). */
  person: string;
  /** Moodle-style `course_shortname` column: the course is found by its shortname. */
  courseBy?: 'shortname';
  /** `username` / `user_username` column: the person is found by username. */
  personBy?: 'username';
  /** The role as the file names it (a SIS name such as Student, or a Moodle shortname); absent = student. */
  role?: string;
  /** START_DATE as Unix seconds (UTC midnight for a plain date). */
  start?: number;
  /** END_DATE as Unix seconds (UTC midnight for a plain date). */
  end?: number;
}

/** key = `COURSE|PERSON` (course key, a pipe, person key), as the file gives them (a shortname, a lower-cased username). */
export interface EnrolmentRecord extends RecordBase {
  fields: EnrolmentFields;
}
