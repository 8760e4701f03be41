/** What a cohort-members feed carries: a person in a cohort. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    'cohort-members': CohortMemberRecord;
  }
}

export interface CohortMemberFields {
  /** The cohort's external key (its idnumber), or its name (cohortBy 'name'). */
  cohort: string;
  /** Moodle dialect `cohort_name` column: the cohort is found by its name (exactly one cohort must have it). */
  cohortBy?: 'name';
  /** The person's key: EXTERNAL_PERSON_KEY / user idnumber, or a username (personBy 'username'). */
  person: string;
  /** Moodle dialect `username` column: the person is found by username, not by idnumber. */
  personBy?: 'username';
}

/** key = `COHORT|PERSON`, as the file gives them (a cohort name, a lower-cased username). */
export interface CohortMemberRecord extends RecordBase {
  fields: CohortMemberFields;
}
