/**
 * The person examples of the SIS snapshot flat-file guide (its persons chapter), run
 * through the real CLI against the sandbox Moodle over HTTP, each post-condition checked in the sandbox's state.
 * The guide's password "changeme" fails Moodle's default policy, so this site has the policy off.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { workspace, type Workspace } from './helpers.js';

const H = 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME';
const EX1 = `${H}\ntestPerson1|aanderson_test|changeme|Alpha|Anderson\ntestPerson2|bbrown_test|changeme|Beta|Brown\ntestPerson3|gcarlin_test|changeme|Gamma|Carlin\n`;

describe('SIS guide: person examples', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace({ passwordPolicy: false });
  });
  afterAll(async () => ws.close());

  const user = (u: string) => ws.sandbox.users.byUsername(u);

  test('example 1: store creates three accounts', async () => {
    const r = await ws.cli(['run', ws.write('people1.txt', EX1), '--op', 'store']);
    expect(r.code).toBe(0);
    for (const u of ['aanderson_test', 'bbrown_test', 'gcarlin_test']) {
      expect(user(u)).toMatchObject({ idnumber: expect.stringMatching(/^testPerson/), suspended: false, deleted: false });
    }
    expect(user('aanderson_test')).toMatchObject({ firstname: 'Alpha', lastname: 'Anderson', idnumber: 'testPerson1' });
  });

  test('example 2: a store with one email leaves the other accounts untouched', async () => {
    const before = { b: { ...user('bbrown_test') }, g: { ...user('gcarlin_test') } };
    ws.sandbox.stats.reset();
    const r = await ws.cli(['run', ws.write('people2.txt', `${H}|EMAIL\ntestPerson1|aanderson_test|changeme|Alpha|Anderson|aanderson@test.com\n`)]);
    expect(r.code).toBe(0);
    expect(user('aanderson_test')?.email).toBe('aanderson@test.com');
    expect(user('bbrown_test')).toEqual(before.b);
    expect(user('gcarlin_test')).toEqual(before.g);
    expect(ws.sandbox.stats.byFunction['core_user_update_users']).toBe(1);
    expect(ws.sandbox.stats.byFunction['core_user_create_users'] ?? 0).toBe(0);
  });

  test('complete refresh without gcarlin disables only gcarlin (guard needs --force for 1 of 3)', async () => {
    const file = ws.write('people3.txt', `${H}\ntestPerson1|aanderson_test|changeme|Alpha|Anderson\ntestPerson2|bbrown_test|changeme|Beta|Brown\n`);
    const refused = await ws.cli(['run', file, '--op', 'refresh']);
    expect(refused.code).toBe(3);
    expect(user('gcarlin_test')?.suspended).toBe(false);
    const r = await ws.cli(['run', file, '--op', 'refresh', '--force']);
    expect(r.code).toBe(0);
    expect(user('gcarlin_test')?.suspended).toBe(true);
    expect(user('aanderson_test')?.suspended).toBe(false);
    expect(user('bbrown_test')?.suspended).toBe(false);
  });

  test('a disabled person in a later store is enabled again', async () => {
    const r = await ws.cli(['run', ws.write('people4.txt', EX1)]);
    expect(r.code).toBe(0);
    expect(user('gcarlin_test')?.suspended).toBe(false);
  });

  test('AVAILABLE_IND=N suspends; the store creates ddarling', async () => {
    const file = ws.write(
      'people5.txt',
      `${H}|AVAILABLE_IND\ntestPerson1|aanderson_test|changeme|Alpha|Anderson|Y\ntestPerson2|bbrown_test|changeme|Beta|Brown|Y\ntestPerson3|gcarlin_test|changeme|Gamma|Carlin|N\ntestPerson4|ddarling_test|changeme|Delta|Darling|Y\n`,
    );
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(user('gcarlin_test')?.suspended).toBe(true);
    expect(user('ddarling_test')?.suspended).toBe(false);
    expect(user('aanderson_test')?.suspended).toBe(false);
  });

  test('ROW_STATUS=disabled disables that person only', async () => {
    const file = ws.write(
      'people6.txt',
      `${H}|ROW_STATUS\ntestPerson1|aanderson_test|changeme|Alpha|Anderson|enabled\ntestPerson2|bbrown_test|changeme|Beta|Brown|enabled\ntestPerson3|gcarlin_test|changeme|Gamma|Carlin|disabled\ntestPerson4|ddarling_test|changeme|Delta|Darling|enabled\n`,
    );
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(user('gcarlin_test')?.suspended).toBe(true);
    expect(user('ddarling_test')?.suspended).toBe(false);
    const show = await ws.cli(['ledger', 'show', '--status', 'disabled']);
    expect(show.stdout).toContain('testPerson3');
    expect(show.stdout).not.toContain('testPerson4');
  });
});

describe('SIS guide: complete refresh by data source', () => {
  test('refresh-ds disables only missing persons of its own data source', async () => {
    const ws = await workspace({ passwordPolicy: false });
    try {
      const hdr = `${H}|DATA_SOURCE_KEY`;
      const all = `${hdr}\nA1|a1|changeme|A|One|DS_A\nA2|a2|changeme|A|Two|DS_A\nB1|b1|changeme|B|One|DS_B\nB2|b2|changeme|B|Two|DS_B\n`;
      expect((await ws.cli(['run', ws.write('all.txt', all)])).code).toBe(0);
      const onlyA1 = ws.write('a.txt', `${hdr}\nA1|a1|changeme|A|One|DS_A\n`);
      const r = await ws.cli(['run', onlyA1, '--op', 'refresh-ds', '--datasource', 'DS_A', '--force']);
      expect(r.code).toBe(0);
      const s = (u: string) => ws.sandbox.users.byUsername(u)?.suspended;
      expect([s('a1'), s('a2'), s('b1'), s('b2')]).toEqual([false, true, false, false]);
      expect(ws.lastSummary()).toMatchObject({ guard: { owned: 2, toDisable: 1, forced: true } });
    } finally {
      await ws.close();
    }
  });
});
