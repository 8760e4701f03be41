/** The institution-roles and observers feeds' records (registered in types.ts). Kept apart so the shared types file only gains a line or two. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    'institution-roles': InstitutionRoleRecord;
    observers: ObserverRecord;
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

export interface ObserverFields {
  /** EXTERNAL_OBSERVER_KEY: the person who observes (a parent, a mentor). */
  observer: string;
  /** EXTERNAL_USER_KEY: the person observed. */
  user: string;
}

/** key = `OBSERVER|USER`. */
export interface ObserverRecord extends RecordBase {
  fields: ObserverFields;
}
