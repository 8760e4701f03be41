/** What applying a plan reports back, per row. Shared contract between apply/, report/ and run.ts. */
import type { ActionKind } from '../plan/types.js';
import type { EnrolmentSettings } from '../entities/enrolments/rules.js';
import type { OutcomeCode } from '../errors.js';

export type OutcomeKind = 'ok' | 'unchanged' | 'failed' | 'relinked';

export interface Outcome {
  line: number | null;
  /** The entity of the row (rows.csv's type column): a file that fans out has rows of several. */
  type?: string;
  key: string;
  action: ActionKind;
  outcome: OutcomeKind;
  moodleId?: number;
  /** Moodle's errorcode (or mdlsync's own code for local failures, e.g. 'duplicate-key', 'transient'). */
  errorcode?: OutcomeCode;
  /** Plain message; Moodle's debuginfo appended when the site sent one. Never a password. */
  message?: string;
}

export interface ApplyOptions {
  /** Form-variable budget per call, wstoken/wsfunction/moodlewsrestformat included (PHP max_input_vars; default 1000). */
  maxInputVars: number;
  /** Upper bound on records per call (default 50: measured fastest on a real site). */
  batchSize: number;
  /** Starting and maximum concurrent calls (adaptive between 1 and this; default 4). */
  concurrency: number;
  /** Tries per call for transient errors (default 5), with exponential backoff and jitter. */
  retries: number;
  /** First backoff delay in ms (default 500). */
  backoffMs: number;
  /** The circuit breaker: after this many transient call failures in a row, no call is sent (absent: never). */
  breakerFailures?: number;
  /**
   * Calls started per second at most (moodle.maxRequestsPerSecond), enforced by the client. With it, a call's time
   * includes its wait for the rate, which is no sign of a slow site: concurrency then adapts to failures only.
   */
  maxRequestsPerSecond?: number;
  /** For creates without a password: use createpassword (Moodle emails one) unless the auth needs none. */
  createPasswordWhenMissing: boolean;
  /** Email used on create when the row has none (Moodle requires one): template with {username} and {key}. */
  emailWhenMissing: string | null;
  /** The site's installed language packs (config moodle.languages); a person's other lang is left out with a warning. */
  languages?: readonly string[];
  /** ACTION=password rows that do not say USERNAME_FROM_EMAIL: also set username = email (config persons.usernameFromEmail). */
  usernameFromEmail?: boolean;
  /** ACTION=block/unblock rows: what removing an enrolment does and the role ids (config enrolments; default unenrol). */
  enrolments?: EnrolmentSettings;
}

export interface ApplyProgress {
  done: number;
  total: number;
  failed: number;
}
