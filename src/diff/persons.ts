/**
 * A persons record against its ledger link and the live Moodle user (core_user_get_users_by_field by id). Pure.
 *
 * What mdlsync last sent is known only as the link's content hash (the ledger keeps no values). So the live values
 * are mapped back onto the row (the row with Moodle's values in the fields Moodle shows) and hashed like a row: the
 * same hash as the link's means Moodle still holds what mdlsync sent, so a difference from the file is the file's
 * (changed-in-file); another hash means Moodle was edited since (changed-in-moodle).
 */
import type { PersonRecord, UserTextField } from '../entities/persons/record.js';
import { personContentHash } from '../entities/persons/hash.js';
import type { LedgerLink } from '../ledger/types.js';
import type { MoodleUser } from '../moodle/types.js';
import type { DiffRow, Finding } from './types.js';

/**
 * The fields core_user_get_users_by_field returns (user_description() of user/externallib.php) that mdlsync sends.
 * Not returned, so never compared: password, middlename, alternatename, firstnamephonetic, lastnamephonetic, maildisplay.
 */
export const SHOWN_USER_FIELDS: readonly UserTextField[] = [
  'username', 'firstname', 'lastname', 'email', 'idnumber', 'auth', 'lang', 'city', 'country', 'timezone', 'institution',
  'department', 'phone1', 'phone2', 'address', 'description', 'interests', 'theme', 'mailformat',
];

export interface PersonDiffOptions {
  passwords: 'create-only' | 'always';
  passwordKey?: Uint8Array;
  /** Config moodle.languages: a lang outside it is never sent (the applier leaves it out), so never compared. */
  languages?: readonly string[];
}

/** One field as the file says it and as Moodle holds it, both in the file's terms. */
interface FieldPair {
  field: string;
  file: string;
  moodle: string;
}

/** Moodle lists interests as "a, b" (tags); the file may say "a,b". */
function normalise(field: string, v: string): string {
  return field === 'interests' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '').join(',') : v;
}

function liveText(u: MoodleUser, field: string): string {
  const v = u[field];
  return v === undefined || v === null ? '' : String(v);
}

function liveCustom(u: MoodleUser): Map<string, string> {
  const list = (u.customfields as { shortname?: string; value?: string }[] | undefined) ?? [];
  return new Map(list.filter((c) => c.shortname !== undefined).map((c) => [c.shortname!, String(c.value ?? '')]));
}

/** The suspended state the row asks for; undefined when it does not say. */
function wantedSuspended(r: PersonRecord): boolean | undefined {
  if (r.rowStatus === 'disabled' || r.rowStatus === 'deleted' || r.command === 'delete') return true;
  return r.available === undefined ? undefined : !r.available;
}

/** The fields the file gives that Moodle shows, and the row's wanted availability: file value vs live value. */
export function personFieldPairs(r: PersonRecord, u: MoodleUser, languages?: readonly string[]): FieldPair[] {
  const pairs: FieldPair[] = [];
  for (const f of SHOWN_USER_FIELDS) {
    const v = r.fields[f];
    if (v === undefined || (f === 'lang' && languages !== undefined && !languages.includes(v))) continue;
    pairs.push({ field: f, file: normalise(f, v), moodle: normalise(f, liveText(u, f)) });
  }
  const custom = liveCustom(u);
  for (const [name, v] of Object.entries(r.customfields ?? {})) pairs.push({ field: `profile_field_${name}`, file: v, moodle: custom.get(name) ?? '' });
  const suspended = wantedSuspended(r);
  if (suspended !== undefined) pairs.push({ field: 'suspended', file: suspended ? '1' : '0', moodle: u.suspended === true ? '1' : '0' });
  return pairs;
}

/** The row as Moodle holds it: the row with Moodle's values in the fields Moodle shows (the others as the file says). */
export function mappedBack(r: PersonRecord, u: MoodleUser, languages?: readonly string[]): PersonRecord {
  const fields = { ...r.fields };
  for (const f of SHOWN_USER_FIELDS) {
    const v = fields[f];
    // An uninstalled lang was never sent: the row's own value stands for what was. A value Moodle only spells its
    // own way ("a, b" for "a,b") is the row's too, so it hashes as sent.
    if (v === undefined || (f === 'lang' && languages !== undefined && !languages.includes(v))) continue;
    const now = liveText(u, f);
    // Empty in Moodle is what a row without the value sends: nothing (an empty cell is "not given").
    if (now === '') delete fields[f];
    else if (normalise(f, now) !== normalise(f, v)) fields[f] = now;
  }
  const custom = liveCustom(u);
  const kept = Object.keys(r.customfields ?? {}).flatMap((k) => (custom.get(k) ? [[k, custom.get(k)!] as const] : []));
  const customfields = kept.length > 0 ? Object.fromEntries(kept) : undefined;
  // Availability as Moodle has it, where the row says it (a disabled row's hash carries the row's own flag).
  const available = r.available === undefined || r.rowStatus === 'disabled' || r.rowStatus === 'deleted' ? r.available : u.suspended !== true;
  return { ...r, fields, customfields, available };
}

/**
 * The findings of one linked person whose Moodle user still exists: in-step, or a row per differing field, each
 * changed-in-moodle or changed-in-file (see the module comment).
 */
export function diffLinkedPerson(r: PersonRecord, line: number, link: LedgerLink, u: MoodleUser, opts: PersonDiffOptions): DiffRow[] {
  const base = { line, type: 'persons' as const, key: r.key, moodleId: u.id };
  const differing = personFieldPairs(r, u, opts.languages).filter((p) => p.file !== p.moodle);
  if (differing.length === 0) return [{ ...base, finding: 'in-step', message: 'Moodle holds what the file says' }];
  if (link.status === 'disabled' && r.rowStatus === undefined) {
    return differing.map((p) => ({ ...base, finding: 'changed-in-file' as Finding, field: p.field, fileValue: p.file, moodleValue: p.moodle, message: 'disabled by mdlsync and back in the file: the next run enables it' }));
  }
  const fileHash = personContentHash(r, opts.passwords, opts.passwordKey);
  const liveHash = personContentHash(mappedBack(r, u, opts.languages), opts.passwords, opts.passwordKey);
  const moodleAsSent = link.hash !== null && liveHash === link.hash;
  const fileAsSent = link.hash !== null && fileHash === link.hash;
  let finding: Finding;
  let message: string;
  if (moodleAsSent) {
    finding = 'changed-in-file';
    message = 'Moodle holds what mdlsync last sent; the file says otherwise now: the next run sends it';
  } else {
    finding = 'changed-in-moodle';
    message = link.hash === null
      ? 'Moodle differs from the file, and the ledger has no hash of what was sent (an adoption): mdlsync diff --repair sends the file value'
      : fileAsSent
        ? 'changed in Moodle since mdlsync sent it (the file is as sent): mdlsync diff --repair sends the file value again'
        : 'changed in Moodle since mdlsync sent it, and the file changed too: the next run (or --repair) sends the file value';
  }
  return differing.map((p) => ({ ...base, finding, field: p.field, fileValue: p.file, moodleValue: p.moodle, message }));
}
