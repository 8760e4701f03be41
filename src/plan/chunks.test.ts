/** The chunk driver's look-ups: each row is planned with what was found for it, not for another row of its key. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { resolveWith } from '../entities/persons/lookup.js';
import { PersonPlanner, type RowContext } from '../entities/persons/rules.js';
import type { PersonRecord } from '../entities/persons/record.js';
import type { FeedItem } from '../feed/types.js';
import { SqliteLedger } from '../ledger/sqlite.js';
import type { MoodleUser } from '../moodle/types.js';
import { planChunks } from './chunks.js';
import { defaultPlanOptions } from './fold.js';

let ledger: SqliteLedger | undefined;
afterEach(() => ledger?.close());

/** Moodle user 1 (no idnumber) and user 2 (idnumber P0); a file whose two rows share the key P0, one naming user 1. */
async function planTwoRows(first: 'moodle-id' | 'idnumber') {
  ledger = SqliteLedger.open(':memory:');
  const users: MoodleUser[] = [
    { id: 1, username: 'other' },
    { id: 2, username: 'p0', idnumber: 'P0' },
  ];
  const lookup = async (field: string, values: string[]) =>
    users.filter((u) => values.includes(field === 'id' ? String(u.id) : field === 'idnumber' ? (u.idnumber ?? '') : u.username));
  const plain: PersonRecord = { key: 'P0', fields: { username: 'p0', firstname: 'Ann', lastname: 'Lee', idnumber: 'P0' }, available: true };
  const named: PersonRecord = { ...plain, moodleId: 1 };
  const records = first === 'moodle-id' ? [named, plain] : [plain, named];
  const items: FeedItem[] = records.map((record, i) => ({ line: i + 2, record }));
  const feed = { items: async function* () { yield* items; } };
  const o = defaultPlanOptions({ op: 'store', dataSource: 'SIS' });
  const plan = await planChunks(feed, new PersonPlanner(o), ledger, (unplaced: PersonRecord[]) => resolveWith(lookup, unplaced) as Promise<Map<string, Omit<RowContext, 'link'>>>);
  return plan.actions.map((a) => ({ line: a.line, kind: a.kind, moodleId: a.moodleId, code: a.error?.code }));
}

describe('planChunks with duplicate keys', () => {
  it('plans the first row of a key with its own MOODLE_ID match, not the idnumber match of a later row', async () => {
    expect(await planTwoRows('moodle-id')).toEqual([
      { line: 2, kind: 'adopt', moodleId: 1, code: undefined },
      { line: 3, kind: 'fail', moodleId: undefined, code: 'duplicate-key' },
    ]);
  });

  it('plans the first row of a key with its own idnumber match, not the MOODLE_ID match of a later row', async () => {
    expect(await planTwoRows('idnumber')).toEqual([
      { line: 2, kind: 'adopt', moodleId: 2, code: undefined },
      { line: 3, kind: 'fail', moodleId: 1, code: 'duplicate-key' },
    ]);
  });
});
