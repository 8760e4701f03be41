/** The ledger's errors: a ledger this build cannot use (newer schema, migrations out of order) or a run it never saw. */
import { MdlsyncError, type LedgerCode } from '../errors.js';

export class LedgerError extends MdlsyncError<LedgerCode> {
  constructor(code: LedgerCode, message: string) {
    super(code, message);
    this.name = 'LedgerError';
  }
}

/** What `mdlsync ledger import` refuses: a file that is no whole export, or newer; a ledger that holds state; another site. */
export type LedgerFileCode = 'invalid-ledger-file' | 'ledger-file-too-new' | 'ledger-not-empty' | 'ledger-other-site';

export class LedgerFileError extends MdlsyncError<LedgerFileCode> {
  constructor(code: LedgerFileCode, message: string) {
    super(code, message);
    this.name = 'LedgerFileError';
  }
}
