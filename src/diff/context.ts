/** What every part of a diff reads with: Moodle (live.ts), the ledger, the per-entity settings and the person hashing. */
import type { EntitySettings } from '../entities/index.js';
import type { LedgerStore } from '../ledger/types.js';
import type { LiveReads } from './live.js';
import type { PersonDiffOptions } from './persons.js';

export interface PartContext {
  reads: LiveReads;
  ledger: LedgerStore;
  settings: EntitySettings;
  persons: PersonDiffOptions;
}
