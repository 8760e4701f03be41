/** The ledger's errors: a ledger this build cannot use (newer schema, migrations out of order) or a run it never saw. */
import { MdlsyncError, type LedgerCode } from '../errors.js';

export class LedgerError extends MdlsyncError<LedgerCode> {
  constructor(code: LedgerCode, message: string) {
    super(code, message);
    this.name = 'LedgerError';
  }
}

/** The writer lock this run held was lost (`where`: the ledger as the user may see it, `why`: how): it stops writing. */
export function lockLostError(where: string, why: string): LedgerError {
  return new LedgerError(
    'ledger-lock-lost',
    `The writer lock on the ledger ${where} was lost (${why}): this run stopped writing; another process may hold the lock now.`,
  );
}

/** Whether an error is a write refused because the run's writer lock was lost. */
export function isLockLost(err: unknown): err is LedgerError {
  return err instanceof LedgerError && err.code === 'ledger-lock-lost';
}

/** What `mdlsync ledger import` refuses: a file that is no whole export, or newer; a ledger that holds state; another site. */
export type LedgerFileCode = 'invalid-ledger-file' | 'ledger-file-too-new' | 'ledger-not-empty' | 'ledger-other-site';

export class LedgerFileError extends MdlsyncError<LedgerFileCode> {
  constructor(code: LedgerFileCode, message: string) {
    super(code, message);
    this.name = 'LedgerFileError';
  }
}
