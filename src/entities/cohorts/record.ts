/** The cohorts and cohort-members feeds' records (registered in types.ts). Kept apart so the shared types file only gains a line or two. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    cohorts: CohortRecord;
    'cohort-members': CohortMemberRecord;
  }
}

/** Cohort fields as the file gives them; an empty cell is absent. key = the cohort's idnumber. */
export interface CohortFields {
  name?: string;
  description?: string;
  /** CONTEXT / category: a category's external key (its idnumber); absent = system context. */
  category?: string;
  /** Moodle dialect `category_id`: the category's Moodle id. */
  categoryId?: number;
  visible?: boolean;
}

export interface CohortRecord extends RecordBase {
  fields: CohortFields;
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
