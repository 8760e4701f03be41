/** What an institution-roles feed carries: a person's institution role (ROLE_ID). */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    'institution-roles': InstitutionRoleRecord;
  }
}

export interface InstitutionRoleFields {
  /** EXTERNAL_PERSON_KEY. */
  person: string;
  /** ROLE_ID, lower-cased: the SIS guide writes the same role ENGINEERING_STUDENT and engineering_student. */
  role: string;
}

/** key = `PERSON|ROLE_ID` (ROLE_ID lower-cased). */
export interface InstitutionRoleRecord extends RecordBase {
  fields: InstitutionRoleFields;
}
