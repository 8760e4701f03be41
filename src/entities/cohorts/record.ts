/** What a cohorts feed carries. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    cohorts: CohortRecord;
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
  /**
   * UPLOAD_TYPE addnew: make sure the cohort exists, leave an existing one as it is (the cohorts an Upload users file
   * names, created when missing as Moodle's tool creates them).
   */
  uploadType?: 'addnew';
}
