/** What `mdlsync doctor` finds: one result per check, for the CLI to print. */
export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail';

export interface DoctorCheck {
  /** What was checked: moodle-url, token, function:NAME, role:NAME, other-types, ledger, folder:NAME, log-file. */
  name: string;
  status: CheckStatus;
  /** The check in words (for a failure: what is wrong). */
  message: string;
  /** What to do about it, when it is not ok. */
  hint?: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Checks that failed. */
  problems: number;
}
