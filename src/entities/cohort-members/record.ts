/** What a cohort-members feed carries: a person in a cohort. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    'cohort-members': CohortMemberRecord;
  }
}

export interface CohortMemberFields {
  /** The cohort's external key (its idnumber). */
  cohort: string;
  /** The person's key: EXTERNAL_PERSON_KEY / user idnumber, or a username (personBy 'username'). */
  person: string;
  /** Moodle dialect `username` column: the person is found by username, not by idnumber. */
  personBy?: 'username';
}

/** key = `COHORT|PERSON`. */
export interface CohortMemberRecord extends RecordBase {
  fields: CohortMemberFields;
}
