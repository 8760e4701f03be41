/** The ledger's errors: a ledger this build cannot use (newer schema, migrations out of order) or a run it never saw. */
import { MdlsyncError, type LedgerCode } from '../errors.js';

export class LedgerError extends MdlsyncError<LedgerCode> {
  constructor(code: LedgerCode, message: string) {
    super(code, message);
    this.name = 'LedgerError';
  }
}
