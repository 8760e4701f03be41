import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entity } from '../entities/index.js';
import { analyseHeader } from '../feed/index.js';
import { SqliteLedger } from '../ledger/index.js';
import type { LinkWrite, RunRecord } from '../ledger/types.js';
import type { MoodleCaller } from '../moodle/types.js';
import { confirmsLinks } from '../resolve/confirm.js';
import { NAME_FUNCTIONS, NAMED_TYPES } from '../resolve/names.js';
import { groupState } from '../entities/groups/rules.js';
import { ID_COLUMNS, ID_TYPES, chooseStyle, exportIds, idsTable, styleOfRuns, type FeedStyle } from './ids.js';

const noRetry = <T>(fn: () => Promise<T>): Promise<T> => fn();

function run(id: string, startedAt: string, format?: object): RunRecord {
  return { id, file: 'f', sha256: '', type: 'persons', op: 'store', dataSource: null, startedAt, finishedAt: null, status: 'ok', summary: JSON.stringify({ exitCode: 0, ...(format ? { format } : {}) }) };
}

describe('idsTable', () => {
  it('key, name, data source (only when a record has one) and Moodle id, by key', () => {
    const recs = [
      { key: 'P2', moodleId: 12, dataSource: null, name: 'bob' },
      { key: 'P1', moodleId: 11, dataSource: 'SIS', name: 'ann' },
    ];
    expect(idsTable('persons', 'sis', recs)).toEqual([
      ['EXTERNAL_PERSON_KEY', 'USER_ID', 'DATA_SOURCE_KEY', 'MOODLE_ID'],
      ['P1', 'ann', 'SIS', '11'],
      ['P2', 'bob', '', '12'],
    ]);
    expect(idsTable('courses', 'moodle', [{ key: 'C1', moodleId: 3, dataSource: null, name: 'C-1' }])).toEqual([
      ['idnumber', 'shortname', 'moodle_id'],
      ['C1', 'C-1', '3'],
    ]);
  });

  it("a group's key is split into its course key and group key; a group key may hold a pipe", () => {
    expect(idsTable('groups', 'moodle', [{ key: 'MATH|G|1', moodleId: 4, dataSource: null, name: 'Group 1' }, { key: 'MATH|G2', moodleId: 5, dataSource: null }])).toEqual([
      ['course', 'idnumber', 'name', 'moodle_id'],
      ['MATH', 'G2', '', '5'],
      ['MATH', 'G|1', 'Group 1', '4'],
    ]);
  });

  it('every ids header is read back as its own type, with MOODLE_ID, and (but groups) in the link-confirming shape', () => {
    for (const type of ID_TYPES) {
      for (const style of ['sis', 'moodle'] as const) {
        if (type === 'cohorts' && style === 'moodle') continue; // never written: see SIS_ONLY
        const c = ID_COLUMNS[type][style];
        const header = [...c.key, c.name, c.dataSource, c.moodleId];
        const analysis = analyseHeader(header);
        expect({ type, style, got: analysis.type, dialect: analysis.dialect }).toEqual({ type, style, got: type, dialect: style });
        expect(analysis.fields).toContain('moodleId');
        if (type !== 'groups') expect(confirmsLinks(type, analysis.fields)).toBe(true);
      }
    }
  });
});

describe('the style of the file', () => {
  it('the latest run that recorded its format; none: undefined', () => {
    const runs = [
      run('r1', '2026-01-01T00:00:00.000Z', { headers: 'moodle', delimiter: ';' }),
      run('r3', '2026-03-01T00:00:00.000Z'),
      run('r2', '2026-02-01T00:00:00.000Z', { headers: 'sis', delimiter: '\t' }),
    ];
    expect(styleOfRuns(runs)).toEqual({ headers: 'sis', delimiter: '\t', run: 'r2' });
    expect(styleOfRuns([run('r3', '2026-03-01T00:00:00.000Z'), { ...run('r4', '2026-03-01T00:00:00.000Z'), summary: 'not json' }])).toBeUndefined();
  });

  it('the flag, else the recorded style, else SIS snapshot; the delimiter the SIS used when the style is the one it used', () => {
    const fed: FeedStyle = { headers: 'moodle', delimiter: ';', run: 'r1' };
    expect(chooseStyle(fed, {})).toEqual(fed);
    expect(chooseStyle(fed, { headers: 'sis' })).toEqual({ headers: 'sis', delimiter: '|', run: null });
    expect(chooseStyle(fed, { delimiter: '\t' })).toEqual({ headers: 'moodle', delimiter: '\t', run: 'r1' });
    expect(chooseStyle(undefined, {})).toEqual({ headers: 'sis', delimiter: '|', run: null });
    expect(chooseStyle(undefined, { headers: 'moodle' })).toEqual({ headers: 'moodle', delimiter: ',', run: null });
  });

  it('cohorts are written in SIS snapshot headers, saying why', () => {
    expect(chooseStyle({ headers: 'moodle', delimiter: ',', run: 'r1' }, {}, 'cohorts')).toMatchObject({ headers: 'sis', delimiter: '|', run: null, note: expect.stringContaining('categories feed') });
  });
});

describe('exportIds', () => {
  let dir: string;
  let ledger: SqliteLedger;
  afterEach(async () => {
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function openLedger(): SqliteLedger {
    dir = mkdtempSync(join(tmpdir(), 'mdlsync-ids-'));
    ledger = SqliteLedger.open(join(dir, 'ledger.db'));
    return ledger;
  }

  const write = (entity: string, key: string, moodleId: number, over: Partial<LinkWrite> = {}): LinkWrite => ({ entity, key, moodleId, dataSource: 'SIS', hash: 'h', status: 'active', runId: 'run1', ...over });

  it('persons: active links only, usernames read by id 200 a call, the vanished left out, the style of their run', async () => {
    const l = openLedger();
    await l.startRun({ id: 'run1', file: 'persons.csv', sha256: '', type: 'persons', op: 'store', dataSource: 'SIS', startedAt: '2026-01-01T00:00:00.000Z' });
    await l.finishRun('run1', 'ok', { exitCode: 0, format: { dialect: 'mdlsync', headers: 'moodle', delimiter: ';' } });
    const links = Array.from({ length: 450 }, (_, i) => write('persons', `P${String(i).padStart(3, '0')}`, 1000 + i));
    links.push(write('persons', 'OFF', 5000, { status: 'disabled' }), write('persons', 'HR1', 6000, { dataSource: 'HR' }));
    await l.writeLinks(links);
    const calls: number[] = [];
    const client: MoodleCaller = {
      call: async <T>(fn: string, params: Record<string, unknown>): Promise<T> => {
        expect(fn).toBe('core_user_get_users_by_field');
        const values = (params as { values: string[] }).values;
        calls.push(values.length);
        // User 1007 was deleted in Moodle by hand.
        return values.filter((v) => v !== '1007').map((v) => ({ id: Number(v), username: `u${v}` })) as T;
      },
    };
    const e = await exportIds({ type: 'persons', dataSource: 'SIS' }, { ledger: l, client, retry: noRetry });
    expect(calls).toEqual([200, 200, 50]);
    expect(e.style).toEqual({ headers: 'moodle', delimiter: ';', run: 'run1' });
    expect(e.records).toHaveLength(449);
    expect(e.records[0]).toEqual({ key: 'P000', moodleId: 1000, dataSource: 'SIS', name: 'u1000' });
    expect(e.missing).toEqual([{ key: 'P007', moodleId: 1007, dataSource: 'SIS' }]);
    expect(e.records.some((r) => r.key === 'OFF' || r.key === 'HR1')).toBe(false);
  });

  it("groups: the name from the link's state, no Moodle call; SIS snapshot style when no run recorded one", async () => {
    const l = openLedger();
    await l.writeLinks([write('groups', 'MATH|G1', 7, { hash: null, state: groupState('Group 1', 'Monday') }), write('groups', 'MATH|G2', 8, { hash: null, state: null })]);
    const e = await exportIds({ type: 'groups', dataSource: null }, { ledger: l, client: null, retry: noRetry });
    expect(e.style).toEqual({ headers: 'sis', delimiter: '|', run: null });
    expect(e.records).toEqual([
      { key: 'MATH|G1', moodleId: 7, dataSource: 'SIS', name: 'Group 1' },
      { key: 'MATH|G2', moodleId: 8, dataSource: 'SIS', name: undefined },
    ]);
  });
});

describe('the names read from Moodle', () => {
  it("each is read with a function the type's run already needs (checked before a run, listed by doctor)", () => {
    for (const type of NAMED_TYPES) expect(entity(type).functions).toContain(NAME_FUNCTIONS[type]);
  });
});
