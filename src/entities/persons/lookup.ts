/** Read-only matching of file records against existing Moodle users (adoption), in batched lookups. */
import type { PersonRecord } from './record.js';
import { MoodleError, getUsersByField } from '../../moodle/index.js';
import type { MoodleCaller, MoodleUser, UserLookupField } from '../../moodle/types.js';
import { LOOKUP_CHUNK, retrier } from '../../resolve/common.js';

export type Lookup = (field: UserLookupField, values: string[]) => Promise<MoodleUser[]>;

export interface PersonMatch {
  match?: { id: number; suspended: boolean; via: 'moodle-id' | 'idnumber' | 'username' };
  /** The record's MOODLE_ID names no existing user. */
  moodleIdMissing?: boolean;
  /** Plain sentence: several Moodle users fit the record, so none is adopted. */
  ambiguous?: string;
}


/**
 * Values Moodle's cleaning would change make the whole get_users_by_field call fail (notes §1.1), so obviously
 * unclean ones are not sent; they cannot match anything anyway.
 */
function sendable(field: UserLookupField, value: string): boolean {
  if (field === 'id') return /^[1-9][0-9]*$/.test(value);
  if (field === 'username') return value !== '' && value === value.toLowerCase() && !/\s/.test(value);
  // An empty idnumber would match every user without one.
  return value !== '';
}

/**
 * Looks values up in chunks. A chunk Moodle still refuses (invalidparameter, e.g. a character PARAM_USERNAME drops)
 * is split in halves until the refused value is alone; that value is skipped instead of failing every record.
 */
export async function lookupAll(
  lookup: Lookup,
  field: UserLookupField,
  values: readonly string[],
  concurrency = 2,
  chunkSize = LOOKUP_CHUNK,
): Promise<MoodleUser[]> {
  const unique = [...new Set(values.filter((v) => sendable(field, v)))];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += chunkSize) chunks.push(unique.slice(i, i + chunkSize));
  const found: MoodleUser[] = [];
  const one = async (chunk: string[]): Promise<void> => {
    try {
      found.push(...(await lookup(field, chunk)));
    } catch (err) {
      if (!(err instanceof MoodleError) || err.errorcode !== 'invalidparameter') throw err;
      if (chunk.length === 1) return;
      const mid = Math.ceil(chunk.length / 2);
      await one(chunk.slice(0, mid));
      await one(chunk.slice(mid));
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) await one(chunks[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  // get_users_by_field does not filter deleted accounts; their identifiers are rewritten, but be sure.
  return found.filter((u) => !u.deleted);
}

/** A person row with no idnumber (a Moodle-dialect file without one): its key is its username. */
export function keyedByUsername(r: PersonRecord): boolean {
  return !r.fields.idnumber && r.fields.username !== undefined && r.key === r.fields.username;
}

export interface ResolveOptions {
  concurrency?: number;
  /** Values per lookup call (see lookupChunk). */
  chunkSize?: number;
  /**
   * Also look up by username the records no idnumber matched (default true; rows keyed by username are always
   * looked up by it). A run leaves the others to the applier: a
   * username Moodle already has makes create_users fail, and only then is the username looked up and adopted. That
   * saves one lookup call per ~990 new persons, and create_users' own uniqueness check means no duplicate can slip by.
   */
  byUsername?: boolean;
}

/** Matching with an injected lookup (applyPlan passes its retrying, rate-limited one). */
export async function resolveWith(lookup: Lookup, records: readonly PersonRecord[], opts: ResolveOptions = {}): Promise<Map<string, PersonMatch>> {
  const concurrency = opts.concurrency ?? 2;
  const chunk = opts.chunkSize ?? LOOKUP_CHUNK;
  const result = new Map<string, PersonMatch>();
  for (const r of records) result.set(r.key, {});
  const matchOf = (u: MoodleUser, via: 'moodle-id' | 'idnumber' | 'username'): PersonMatch['match'] => ({ id: u.id, suspended: u.suspended === true, via });

  // MOODLE_ID is authoritative: a missing id is reported, never replaced by a guess.
  const withId = records.filter((r) => r.moodleId !== undefined);
  const byId = new Map((await lookupAll(lookup, 'id', withId.map((r) => String(r.moodleId)), concurrency, chunk)).map((u) => [u.id, u]));
  for (const r of withId) {
    const u = byId.get(r.moodleId!);
    result.set(r.key, u ? { match: matchOf(u, 'moodle-id') } : { moodleIdMissing: true });
  }

  const rest = records.filter((r) => r.moodleId === undefined);
  const withIdnumber = rest.filter((r) => r.fields.idnumber);
  const byIdnumber = new Map<string, MoodleUser[]>();
  for (const u of await lookupAll(lookup, 'idnumber', withIdnumber.map((r) => r.fields.idnumber!), concurrency, chunk)) {
    if (u.idnumber === undefined) continue;
    byIdnumber.set(u.idnumber, [...(byIdnumber.get(u.idnumber) ?? []), u]);
  }
  const unresolved: PersonRecord[] = [];
  for (const r of rest) {
    const users = r.fields.idnumber ? (byIdnumber.get(r.fields.idnumber) ?? []) : [];
    if (users.length === 1) result.set(r.key, { match: matchOf(users[0], 'idnumber') });
    else if (users.length > 1) {
      // Moodle does not enforce unique user idnumbers (contract case 06): refuse to pick one.
      const ids = users.map((u) => `${u.id} (${u.username})`).join(', ');
      result.set(r.key, { ambiguous: `idnumber ${r.fields.idnumber} belongs to ${users.length} Moodle users: ${ids}` });
    } else unresolved.push(r);
  }

  // A row without an idnumber is keyed by its username (Moodle dialect): that username's account is always asked
  // for, whatever idnumber it has, so the plan adopts it instead of planning a create that Moodle would refuse.
  // So is a row whose upload type depends on whether the account exists (addnew, update): the plan must know now.
  const askByUsername = opts.byUsername === false ? unresolved.filter((r) => keyedByUsername(r) || r.uploadType !== undefined) : unresolved;
  const withUsername = askByUsername.filter((r) => r.fields.username);
  const byUsername = new Map((await lookupAll(lookup, 'username', withUsername.map((r) => r.fields.username!), concurrency, chunk)).map((u) => [u.username, u]));
  for (const r of withUsername) {
    const u = byUsername.get(r.fields.username!);
    if (u) result.set(r.key, { match: matchOf(u, 'username') });
  }
  return result;
}

/** Retries a lookup on transient failures (lookups are read-only, so always safe to repeat). */
export function retryingLookup(c: MoodleCaller, retries: number, backoffMs: number): Lookup {
  const retry = retrier({ retries, backoffMs });
  return (field, values) => retry(() => getUsersByField(c, field, values));
}

/**
 * Finds existing Moodle users for records the ledger does not know: MOODLE_ID by id; else idnumber; then username
 * for the rest. Every record's key is in the answer ({} when nothing matched).
 */
export function resolvePersons(
  c: MoodleCaller,
  records: PersonRecord[],
  opts: { retries?: number; backoffMs?: number } & ResolveOptions = {},
): Promise<Map<string, PersonMatch>> {
  return resolveWith(retryingLookup(c, opts.retries ?? 5, opts.backoffMs ?? 500), records, opts);
}
