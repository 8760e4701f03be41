import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SqliteLedger } from '../../ledger/index.js';
import type { MoodleCaller } from '../../moodle/types.js';
import type { CohortRecord } from './record.js';
import { cohortLookup } from './lookup.js';

/** The site's cohorts: 5 (Y1), 6 (no idnumber), 7 (an institution role's). */
const moodle: MoodleCaller = {
  call: async <T>(fn: string): Promise<T> => {
    if (fn !== 'core_cohort_get_cohorts') throw new Error(`unexpected ${fn}`);
    return [
      { id: 5, name: 'Year 1', idnumber: 'Y1' },
      { id: 6, name: 'Hand-made', idnumber: '' },
      { id: 7, name: 'Staff', idnumber: 'role:staff' },
    ] as T;
  },
};

describe('cohort look-up', () => {
  let ledger: SqliteLedger;
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
  });
  afterEach(async () => await ledger.close());

  it("an unlinked row's MOODLE_ID names the cohort itself, from the site's one listing; an institution role's cohort is refused", async () => {
    const rows: CohortRecord[] = [
      { key: 'Y1', fields: { name: 'Year 1' } },
      { key: 'HM', fields: { name: 'Hand-made' }, moodleId: 6 },
      { key: 'Y1B', fields: { name: 'Year 1' }, moodleId: 99 },
      { key: 'ST', fields: { name: 'Staff' }, moodleId: 7 },
    ];
    const out = await cohortLookup(moodle, ledger)(rows, rows);
    expect(out.get('Y1')).toEqual({ match: { id: 5, via: 'idnumber' } });
    expect(out.get('HM')).toEqual({ match: { id: 6, via: 'moodle-id' } });
    expect(out.get('Y1B')).toEqual({ moodleIdMissing: true });
    expect(out.get('ST')?.ambiguous).toMatch(/^MOODLE_ID 7: cohort role:staff is reserved/);
  });
});
