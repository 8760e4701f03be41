import { describe, expect, it } from '@jest/globals';
import { defaultPlanOptions } from '../../plan/index.js';
import { PersonPlanner } from './rules.js';
import { tooLongFields } from './user-limits.js';
import type { PersonRecord } from './record.js';

const plan = (fields: PersonRecord['fields'], link = false) =>
  new PersonPlanner(defaultPlanOptions({ op: 'store', dataSource: 'SIS' })).add(
    { line: 4, record: { key: 'K1', fields: { username: 'u1', firstname: 'F', lastname: 'L', idnumber: 'K1', ...fields }, available: true } },
    link ? { link: { entity: 'persons', key: 'K1', moodleId: 7, dataSource: 'SIS', hash: 'old', status: 'active' } } : {},
  );

describe('tooLongFields', () => {
  it('names each field over its mdl_user size, in characters', () => {
    expect(tooLongFields({ firstname: 'F'.repeat(100), city: 'C'.repeat(120), idnumber: 'I'.repeat(255) })).toBeUndefined();
    expect(tooLongFields({ firstname: 'F'.repeat(101) })).toBe('firstname is 101 characters; Moodle allows at most 100');
    expect(tooLongFields({ username: 'u'.repeat(101), phone1: '1'.repeat(21) })).toBe(
      'username is 101 characters; Moodle allows at most 100; phone1 is 21 characters; Moodle allows at most 20',
    );
    // Named in the table's order, whatever order the record has them in.
    expect(tooLongFields({ phone1: '1'.repeat(21), city: 'C'.repeat(120), username: 'u'.repeat(101) })).toBe(
      'username is 101 characters; Moodle allows at most 100; phone1 is 21 characters; Moodle allows at most 20',
    );
    expect(tooLongFields({ firstname: '😀'.repeat(100) })).toBeUndefined();
  });
});

describe('the persons planner', () => {
  it('fails a row with a value Moodle would refuse, on create and on update alike, as the run will', () => {
    expect(plan({ lastname: 'L'.repeat(101) })).toMatchObject({
      kind: 'fail',
      line: 4,
      error: { code: 'field-too-long', message: 'lastname is 101 characters; Moodle allows at most 100' },
    });
    expect(plan({ city: 'C'.repeat(121) }, true)).toMatchObject({ kind: 'fail', moodleId: 7, error: { code: 'field-too-long' } });
    expect(plan({ city: 'C'.repeat(120) }, true).kind).toBe('update');
  });
});
