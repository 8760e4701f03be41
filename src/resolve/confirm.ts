/**
 * Link confirmations: a file shaped like `mdlsync export ids` output (a record's key, its name, its MOODLE_ID and
 * at most DATA_SOURCE_KEY) says only "this key is that Moodle record", so its rows are not content to hash: the
 * ledger's hash is of the full row the SIS sent, and those few columns would never match it. Such a row whose
 * MOODLE_ID is the one its active link holds, and whose name is the one Moodle has now (read by id, one call per 200
 * rows), confirms its link and is planned `unchanged` (fold.ts). A row naming the record otherwise is planned as any
 * row: a new username or shortname is a rename and is sent.
 */
import type { EntityRecord, EntityType, FeedInfo } from '../feed/types.js';
import type { MoodleCaller } from '../moodle/index.js';
import type { LinkConfirmer } from '../plan/chunks.js';
import { retrier } from './common.js';
import { isNamedType, moodleNames, type NamedType } from './names.js';

/** The canonical fields (FeedInfo.fields) a link-confirming file may have, per type; it must have moodleId. */
export const CONFIRM_FIELDS: Record<NamedType, { fields: ReadonlySet<string>; name: string }> = {
  // SIS: EXTERNAL_PERSON_KEY, USER_ID; Moodle-style: idnumber, username.
  persons: { fields: new Set(['key', 'idnumber', 'username', 'moodleId', 'dataSource']), name: 'username' },
  courses: { fields: new Set(['key', 'shortname', 'moodleId', 'dataSource']), name: 'shortname' },
  categories: { fields: new Set(['key', 'name', 'moodleId', 'dataSource']), name: 'name' },
  cohorts: { fields: new Set(['key', 'name', 'moodleId', 'dataSource']), name: 'name' },
};

/** Whether a file of this type with these columns only confirms links (groups need none: their name is compared as is). */
export function confirmsLinks(type: EntityType, fields: readonly string[]): type is NamedType {
  if (!isNamedType(type) || !fields.includes('moodleId')) return false;
  const shape = CONFIRM_FIELDS[type].fields;
  return fields.every((f) => shape.has(f));
}

/** The confirmer of a feed, or undefined when its header is not the link-confirming shape (the usual case: no cost). */
export function linkConfirmer(info: Pick<FeedInfo, 'type' | 'fields'>, client: MoodleCaller, reads: { retries?: number; backoffMs?: number }): LinkConfirmer | undefined {
  const type = info.type;
  if (!confirmsLinks(type, info.fields)) return undefined;
  const nameField = CONFIRM_FIELDS[type].name;
  const nameOf = (r: EntityRecord): string | undefined => (r as { fields: Record<string, string | undefined> }).fields[nameField];
  const retry = retrier(reads);
  return async (rows) => {
    const named = rows.filter((r) => nameOf(r.record) !== undefined);
    const names = named.length > 0 ? await moodleNames(client, type, named.map((r) => r.link.moodleId), retry) : new Map<number, string>();
    const keys = new Set<string>();
    // A row without a name has nothing to compare: its key and MOODLE_ID agree with the ledger, which is all it says.
    for (const { record, link } of rows) {
      const name = nameOf(record);
      if (name === undefined || names.get(link.moodleId) === name) keys.add(record.key);
    }
    return keys;
  };
}
