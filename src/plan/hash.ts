import { hash } from 'node:crypto';
import type { PersonRecord } from '../feed/types.js';

/** Bumped when the hashed content changes shape, so old ledger hashes read as "changed" rather than collide. */
const HASH_VERSION = 'p1';

/** Sorted [name, value] pairs flattened: key order of the record's objects must not matter. */
function sortedPairs(obj: Readonly<Record<string, string | undefined>> | undefined, skip?: string): string[] {
  const out: string[] = [];
  if (!obj) return out;
  const names = Object.keys(obj).sort();
  for (const name of names) {
    const value = obj[name];
    if (value === undefined || name === skip) continue;
    out.push(name, value);
  }
  return out;
}

/**
 * Content hash of what mdlsync sends to Moodle for a person: fields, custom fields and availability. The
 * password counts only when it is sent on update (passwords: always); command, row status, data source and
 * Moodle id are routing, not content. A missing AVAILABLE_IND means available, so it hashes like Y.
 */
export function personContentHash(record: PersonRecord, passwords: 'create-only' | 'always'): string {
  // JSON of arrays is unambiguous whatever the values contain (separators, quotes, newlines).
  const canonical = JSON.stringify([
    HASH_VERSION,
    sortedPairs(record.fields, passwords === 'always' ? undefined : 'password'),
    sortedPairs(record.customfields),
    record.available !== false,
  ]);
  return hash('sha256', canonical, 'base64url');
}
