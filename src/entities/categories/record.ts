/** What a categories feed carries. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    categories: CategoryRecord;
  }
}

/** Category fields as the file gives them; an empty cell is absent, as for persons. */
export interface CategoryFields {
  name?: string;
  /** The parent category's external key (PARENT_KEY, or the Moodle dialect's `parent` idnumber); absent = top level. */
  parent?: string;
  description?: string;
}

export interface CategoryRecord extends RecordBase {
  fields: CategoryFields;
}
