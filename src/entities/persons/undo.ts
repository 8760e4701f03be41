/**
 * How `mdlsync undo` reverses persons (src/undo/): the values the ledger keeps of what a row sent (never its password),
 * the action that puts an account back as the run found it, and what Moodle must still show for it to go ahead.
 */
import type { BeforeImage } from '../../ledger/types.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { EntityUndo, LookupReads, UndoContext, UndoLeft } from '../definition.js';
import type { PersonAction } from './rules.js';
import type { PersonRecord, UserTextField } from './record.js';
import { USER_TEXT_FIELDS } from './record.js';
import { lookupAll, retryingLookup } from './lookup.js';
import { looksDeleted } from '../../diff/live.js';

/** Custom profile fields are kept as `profile_field_NAME`, the account's suspended state as `suspended` (0/1). */
const PROFILE = 'profile_field_';
const SUSPENDED = 'suspended';

/** What a row sent, as the ledger keeps it: its fields but the password, its custom fields, its suspended state. */
function personFields(a: PersonAction): Record<string, string> | undefined {
  const r = a.record;
  if (!r || r.lifecycle !== undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.fields)) if (name !== 'password' && value !== undefined) out[name] = value;
  for (const [name, value] of Object.entries(r.customfields ?? {})) out[PROFILE + name] = value;
  const suspended = a.suspended ?? (a.kind === 'disable' ? true : a.kind === 'enable' ? false : undefined);
  if (suspended !== undefined) out[SUSPENDED] = suspended ? '1' : '0';
  return out;
}

function parseFields(json: string | null | undefined): Record<string, string> | undefined {
  if (!json) return undefined;
  try {
    return JSON.parse(json) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** The record an update sends to put the kept values back (the values only: no availability, no password). */
function recordOf(key: string, values: Record<string, string>): PersonRecord {
  const fields: PersonRecord['fields'] = {};
  const customfields: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (name.startsWith(PROFILE)) customfields[name.slice(PROFILE.length)] = value;
    else if ((USER_TEXT_FIELDS as readonly string[]).includes(name) && name !== 'password') fields[name as UserTextField] = value;
  }
  return Object.keys(customfields).length > 0 ? { key, fields, customfields } : { key, fields };
}

function reverse(image: BeforeImage, ctx: UndoContext, fields: string | null): PersonAction | UndoLeft {
  const { before, after } = image;
  const base = { entity: 'persons' as const, key: image.key, line: null, moodleId: after.moodleId };
  if (before === null) {
    if (after.action === 'adopt') return { left: 'adopted by the run: an account mdlsync did not know before, left as it is' };
    if (!ctx.includingCreates) return { left: 'created by the run: left (--including-creates suspends it)' };
    if (after.status === 'disabled') return { left: 'created disabled by the run: already suspended' };
    return { ...base, kind: 'disable', dataSource: after.dataSource, suspended: true, hash: after.hash ?? undefined, status: 'disabled', reason: 'undo: created by the run, suspended (never deleted)' };
  }
  const was = parseFields(before.fields);
  if (before.status === 'active' && after.status === 'disabled') {
    // The account as it was: suspended only when the file said it was unavailable (AVAILABLE_IND=N).
    const suspended = was?.[SUSPENDED] === '1';
    return { ...base, kind: 'enable', dataSource: before.dataSource, suspended, hash: before.hash ?? undefined, status: 'active', reason: `undo: disabled by the run, re-enabled${suspended ? ' (stays unavailable, as before)' : ''}` };
  }
  if (before.status === 'disabled' && after.status === 'active') {
    return { ...base, kind: 'disable', dataSource: before.dataSource, suspended: true, hash: before.hash ?? undefined, status: 'disabled', reason: 'undo: re-enabled by the run, suspended again' };
  }
  if (before.hash === after.hash && before.moodleId === after.moodleId && before.dataSource === after.dataSource) return { left: 'the run changed nothing mdlsync can put back' };
  if (!was) return { left: 'updated by the run, but the ledger kept no values from before it (sent by an older mdlsync): put back by hand, or send the old row again' };
  const now = parseFields(fields) ?? {};
  const unknown = Object.keys(now).filter((f) => f !== SUSPENDED && !(f in was));
  const note = unknown.length > 0 ? `; ${unknown.join(', ')}: no value known from before the run, left as the run set ${unknown.length > 1 ? 'them' : 'it'}` : '';
  const suspended = was[SUSPENDED] === undefined ? undefined : was[SUSPENDED] === '1';
  return {
    ...base,
    kind: 'update',
    dataSource: before.dataSource,
    record: recordOf(image.key, was),
    suspended,
    sendPassword: false,
    hash: before.hash ?? undefined,
    status: before.status,
    reason: `undo: updated by the run, the values from before it sent again${note}`,
  };
}

/**
 * Moodle must still show what the run left: the account exists, is suspended when the run disabled it (not when
 * it re-enabled or created it), and holds the values the run sent when it updated it. One look-up by id per chunk.
 */
async function changedInMoodle(client: MoodleCaller, planned: readonly { action: PersonAction; image: BeforeImage; fields: string | null }[], reads: LookupReads): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (planned.length === 0) return out;
  const ids = [...new Set(planned.map((p) => String(p.action.moodleId)))];
  const users = await lookupAll(retryingLookup(client, reads.retries, reads.backoffMs), 'id', ids, 2, reads.chunkSize);
  const byId = new Map(users.filter((u) => !looksDeleted(u)).map((u) => [u.id, u]));
  for (const { action: a, fields } of planned) {
    const u = byId.get(a.moodleId as number);
    if (!u) {
      out.set(a.key, `Moodle user ${a.moodleId} no longer exists`);
      continue;
    }
    const suspended = u.suspended === true;
    if (a.kind === 'enable' && !suspended) out.set(a.key, 'changed since the run: the account is not suspended any more (by hand or by another tool)');
    else if (a.kind === 'disable' && suspended) out.set(a.key, 'changed since the run: the account is suspended already');
    else if (a.kind === 'update') {
      const sent = parseFields(fields) ?? {};
      const differs = Object.entries(sent).filter(([f, v]) => (USER_TEXT_FIELDS as readonly string[]).includes(f) && typeof u[f] === 'string' && u[f] !== v).map(([f]) => f);
      if (differs.length > 0) out.set(a.key, `changed since the run: ${differs.join(', ')} in Moodle ${differs.length > 1 ? 'are' : 'is'} no longer what the run sent`);
    }
  }
  return out;
}

export const PERSON_UNDO: EntityUndo<'persons'> = { fields: personFields, reverse, changedInMoodle };
