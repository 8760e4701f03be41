/**
 * What `mdlsync diff` finds for each record of a feed, compared with the ledger and Moodle's live state. The finding
 * names are few on purpose; each says what to do (FINDINGS), and README › Drift between your SIS and Moodle lists them.
 */
import type { EntityType } from '../entities/types.js';

export type Finding =
  | 'in-step'
  | 'changed-in-moodle'
  | 'changed-in-file'
  | 'deleted-in-moodle'
  | 'missing'
  | 'unlinked'
  | 'missing-in-moodle'
  | 'extra-in-moodle'
  | 'unreadable';

export interface FindingSpec {
  /** A normal `mdlsync run` of the file does not settle it: it counts as drift (exit 4). */
  drift: boolean;
  /** What to do, in one line. */
  todo: string;
}

export const FINDINGS: Record<Finding, FindingSpec> = {
  'in-step': { drift: false, todo: 'nothing: Moodle holds what the file says' },
  'changed-in-moodle': {
    drift: true,
    todo: 'edited by hand in Moodle since mdlsync last sent it: mdlsync diff --repair sends the file value again (a normal run would not, the file being unchanged)',
  },
  'changed-in-file': { drift: false, todo: 'the file changed since mdlsync last sent it and Moodle still holds what was sent: the next run updates it' },
  'deleted-in-moodle': {
    drift: true,
    todo: "the Moodle record the ledger (or the file's MOODLE_ID) names was deleted in Moodle: clear the SIS's Moodle id, or set diff.recreateDeleted and run mdlsync diff --repair",
  },
  missing: { drift: false, todo: 'not in Moodle and not linked: the next run creates it' },
  unlinked: { drift: false, todo: 'in Moodle (same idnumber or username) but not in the ledger: the next run adopts it' },
  'missing-in-moodle': { drift: true, todo: 'mdlsync gave it and it was removed by hand in Moodle: mdlsync diff --repair gives it again' },
  'extra-in-moodle': {
    drift: true,
    todo: 'in Moodle but not in the file (added by hand or by another enrolment method): remove it in Moodle if it is wrong; mdlsync never removes what it did not give',
  },
  unreadable: { drift: false, todo: 'the row could not be read: fix it (mdlsync run reports the same row error)' },
};
export const FINDING_NAMES = Object.keys(FINDINGS) as Finding[];

/** One line of reports/RUNID/rows.csv of a diff: a record (or one field of it) and what was found. */
export interface DiffRow {
  /** The file's line; null for what only Moodle has (extra-in-moodle). */
  line: number | null;
  type: EntityType;
  key: string;
  finding: Finding;
  /** The field that differs (changed-*), or the end of a link that is gone (`course`, `person`). */
  field?: string;
  fileValue?: string;
  moodleValue?: string;
  moodleId?: number;
  message: string;
  /** With --repair: what was done about it (`re-sent`, `re-added`, `re-created`, `not repaired: …`, `failed: …`). */
  repair?: string;
}

/** What a type's comparison hands the repair: the keys to send again, and those to create anew. */
export interface RepairKeys {
  /** Rows planned as updates regardless of the unchanged rule (changed-in-moodle, missing-in-moodle). */
  resend: Set<string>;
  /** deleted-in-moodle rows whose stale link is dropped so they are created again (diff.recreateDeleted). */
  recreate: Set<string>;
}

export function countFindings(rows: readonly DiffRow[]): Record<Finding, number> {
  const counts = Object.fromEntries(FINDING_NAMES.map((f) => [f, 0])) as Record<Finding, number>;
  // A record with several changed fields has a row per field: count it once.
  const seen = new Set<string>();
  for (const r of rows) {
    const id = `${r.type}\u0000${r.key}\u0000${r.line ?? ''}\u0000${r.finding}`;
    if (seen.has(id)) continue;
    seen.add(id);
    counts[r.finding]++;
  }
  return counts;
}

export function isDrift(rows: readonly DiffRow[]): boolean {
  return rows.some((r) => FINDINGS[r.finding].drift);
}
