import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SqliteLedger } from '../ledger/index.js';
import { TransientError } from '../moodle/index.js';
import type { MoodleCaller } from '../moodle/types.js';
import { retrier } from './common.js';
import { CoursePlaces } from './courses.js';

/** core_course_get_courses_by_field by idnumber, shortname or id over a fixed list; `down` keys fail transiently. */
class FakeMoodle implements MoodleCaller {
  readonly asked: string[] = [];
  constructor(
    private readonly courses: { id: number; idnumber: string; shortname?: string }[],
    private readonly down = new Set<string>(),
  ) {}
  async call<T>(fn: string, params: Record<string, unknown>): Promise<T> {
    const field = params.field as 'idnumber' | 'shortname' | 'id';
    if (fn !== 'core_course_get_courses_by_field' || !['idnumber', 'shortname', 'id'].includes(field)) throw new Error(`unexpected ${fn} ${String(params.field)}`);
    const v = String(params.value);
    this.asked.push(field === 'idnumber' ? v : `${field}=${v}`);
    if (this.down.has(v)) throw new TransientError('network', 'connection reset');
    return { courses: this.courses.filter((c) => String(c[field]) === v), warnings: [] } as T;
  }
}

describe('CoursePlaces: the one course look-up (ledger first, then exactly one Moodle course by idnumber)', () => {
  let ledger: SqliteLedger;
  beforeEach(async () => {
    ledger = SqliteLedger.open(':memory:');
    await ledger.writeLinks([{ entity: 'courses', key: 'L1', moodleId: 7, dataSource: 'SIS', hash: null, status: 'active', runId: 'r0' }]);
  });
  afterEach(async () => await ledger.close());

  it('answers from the ledger with its data source, else from Moodle; two matches are a problem, none is null', async () => {
    const moodle = new FakeMoodle([
      { id: 10, idnumber: 'M1' },
      { id: 11, idnumber: 'TWIN' },
      { id: 12, idnumber: 'TWIN' },
    ]);
    const places = new CoursePlaces(moodle, ledger, retrier({ retries: 1 }));
    await places.place(['L1', 'M1', 'TWIN', 'NONE', 'M1']);
    expect(moodle.asked.sort()).toEqual(['M1', 'NONE', 'TWIN']);
    expect(places.get('L1')).toEqual({ id: 7, dataSource: 'SIS' });
    expect(places.get('M1')).toEqual({ id: 10 });
    expect(places.id('M1')).toBe(10);
    expect(places.get('TWIN')).toEqual({ problem: '2 Moodle courses have idnumber TWIN' });
    expect(places.problem('TWIN')).toBe('2 Moodle courses have idnumber TWIN');
    expect(places.get('NONE')).toBeNull();
    expect(places.get('UNASKED')).toBeUndefined();
  });

  it('asks each key once per run: placed keys cost no further call', async () => {
    const moodle = new FakeMoodle([{ id: 10, idnumber: 'M1' }]);
    const places = new CoursePlaces(moodle, ledger, retrier({ retries: 1 }));
    await places.place(['M1', 'NONE']);
    await places.place(['M1', 'NONE', 'L1']);
    expect(moodle.asked.sort()).toEqual(['M1', 'NONE']);
  });

  it('a failed look-up throws, or with a handler is that key’s alone: the others are placed, the key stays unplaced', async () => {
    const moodle = new FakeMoodle([{ id: 10, idnumber: 'M1' }], new Set(['DOWN']));
    const places = new CoursePlaces(moodle, ledger, retrier({ retries: 2, backoffMs: 1 }));
    await expect(places.place(['DOWN'])).rejects.toThrow('connection reset');
    // One retry policy: the transient failure was retried once before it gave up.
    expect(moodle.asked).toEqual(['DOWN', 'DOWN']);
    const failed: string[] = [];
    await places.place(['DOWN', 'M1'], (key) => failed.push(key));
    expect(failed).toEqual(['DOWN']);
    expect(places.get('DOWN')).toBeUndefined();
    expect(places.id('M1')).toBe(10);
  });

  it('by shortname or Moodle id: Moodle only, exactly one match; a course mdlsync owns keeps its data source', async () => {
    const moodle = new FakeMoodle([
      { id: 7, idnumber: 'L1', shortname: 'OWNED' },
      { id: 10, idnumber: '', shortname: 'S1' },
      // A shortname is unique in Moodle; were it not, two would be a problem like two idnumbers.
      { id: 11, idnumber: '', shortname: 'TWIN' },
      { id: 12, idnumber: '', shortname: 'TWIN' },
    ]);
    const byShortname = new CoursePlaces(moodle, ledger, retrier({ retries: 1 }), 4, 'shortname');
    // L1 is a ledger key, but not a shortname: Moodle is asked, and has no such shortname.
    await byShortname.place(['S1', 'OWNED', 'TWIN', 'L1']);
    expect(moodle.asked.sort()).toEqual(['shortname=L1', 'shortname=OWNED', 'shortname=S1', 'shortname=TWIN']);
    expect(byShortname.get('S1')).toEqual({ id: 10 });
    expect(byShortname.get('OWNED')).toEqual({ id: 7, dataSource: 'SIS' });
    expect(byShortname.problem('TWIN')).toBe('2 Moodle courses have shortname TWIN');
    expect(byShortname.get('L1')).toBeNull();
    const byId = new CoursePlaces(moodle, ledger, retrier({ retries: 1 }), 4, 'id');
    await byId.place(['10', '99']);
    expect(byId.get('10')).toEqual({ id: 10 });
    expect(byId.get('99')).toBeNull();
  });
});
