/** What an observers feed carries: an observer (parent, mentor) and the person observed. */
import type { RecordBase } from '../../feed/record-base.js';

declare module '../types.js' {
  interface EntityRecords {
    observers: ObserverRecord;
  }
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
