/** Persons through the real CLI against the sandbox over HTTP: guard, isolation, tryback, idempotence, relink, faults, secrets. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { MoodleClient, createUsers, updateUsers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('refresh guard', () => {
  test('a one-row refresh against 50 owned persons is refused (exit 3, nothing written); --force applies it', async () => {
    ws = await workspace();
    const rows = persons(50);
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
    ws.sandbox.stats.reset();
    const one = ws.write('one.txt', sisFile(SIS_HEADER, rows.slice(0, 1)));
    const preview = await ws.cli(['plan', one, '--op', 'refresh']);
    expect(preview.code).toBe(3);
    expect(preview.stdout).toMatch(/this refresh would be refused: refresh would disable 49 of 50/);
    const planCsv = readFileSync(join(ws.lastSummary().reportDir, 'plan.csv'), 'utf8');
    expect(planCsv.split('\n').filter((l) => l.includes(',disable,'))).toHaveLength(49);
    const refused = await ws.cli(['run', one, '--op', 'refresh']);
    expect(refused.code).toBe(3);
    expect(refused.stdout + refused.stderr).toMatch(/would disable 49 of 50/);
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.sandbox.users.list().filter((u) => u.suspended)).toHaveLength(0);

    const forced = await ws.cli(['run', one, '--op', 'refresh', '--force']);
    expect(forced.code).toBe(0);
    const suspended = ws.sandbox.users.list().filter((u) => u.suspended);
    expect(suspended).toHaveLength(49);
    expect(ws.sandbox.users.byUsername('puser0001')?.suspended).toBe(false);
  });

  test('a refresh with an empty file (header only) is refused', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('all.txt', sisFile(SIS_HEADER, persons(3)))])).code).toBe(0);
    const r = await ws.cli(['run', ws.write('empty.txt', sisFile(SIS_HEADER, [])), '--op', 'refresh']);
    expect(r.code).toBe(3);
    expect(ws.sandbox.users.list().filter((u) => u.suspended)).toHaveLength(0);
  });
});

describe('batch isolation and tryback', () => {
  test("200 rows with 3 invalid: 197 created, 3 failed with Moodle's error; the fixed tryback creates them", async () => {
    ws = await workspace();
    const rows = persons(200);
    for (const i of [17, 101, 188]) rows[i][5] = `broken-email-${i}`;
    const r = await ws.cli(['run', ws.write('batch.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(2);
    const created = ws.sandbox.users.list().filter((u) => u.username.startsWith('puser'));
    expect(created).toHaveLength(197);
    const summary = ws.lastSummary();
    expect(summary).toMatchObject({ outcomes: { ok: 197, failed: 3 } });
    const rowsCsv = readFileSync(join(summary.reportDir, 'rows.csv'), 'utf8');
    expect(rowsCsv.split('\n').filter((l) => l.includes(',failed,'))).toHaveLength(3);
    expect(rowsCsv).toContain('invalidparameter');
    // The hint, sharpened by Moodle's debuginfo: in rows.csv (last column), summary.json and the console.
    const hint = "Moodle finds the email invalid (its validate_email(): no @, spaces, a character it does not allow): fix the row's EMAIL";
    const failedRows = (parse(rowsCsv, { columns: true }) as Record<string, string>[]).filter((row) => row.outcome === 'failed');
    expect(failedRows.map((row) => row.hint)).toEqual([hint, hint, hint]);
    expect(summary.failures).toEqual([{ code: 'invalidparameter', count: 3, hint }]);
    expect(r.stdout).toContain(`  failed: invalidparameter ×3 — ${hint}`);

    const tryback = summary.tryback as string;
    const text = readFileSync(tryback, 'utf8');
    const dataLines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(dataLines[0]).toBe(SIS_HEADER.join('|'));
    expect(dataLines.slice(1).map((l) => l.split('|')[0])).toEqual(['P0018', 'P0102', 'P0189']);
    expect(text).toMatch(/# line 19: invalidparameter: .*Email address is invalid: broken-email-17/);
    expect(statSync(tryback).mode & 0o777).toBe(0o600);

    const fixed = ws.write('fixed.txt', text.replace(/broken-email-(\d+)/g, 'fixed$1@example.edu'));
    ws.sandbox.stats.reset();
    const again = await ws.cli(['run', fixed]);
    expect(again.code).toBe(0);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('puser'))).toHaveLength(200);
    expect(ws.lastSummary()).toMatchObject({ rows: 3, outcomes: { ok: 3 } });
  });

  test('running the tryback unchanged retries exactly the failed rows', async () => {
    ws = await workspace();
    const rows = persons(20);
    rows[4][5] = 'nope';
    expect((await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, rows))])).code).toBe(2);
    const tryback = ws.lastSummary().tryback as string;
    const r = await ws.cli(['run', tryback]);
    expect(r.code).toBe(2);
    expect(ws.lastSummary()).toMatchObject({ rows: 1, outcomes: { failed: 1, ok: 0 } });
  });
});

describe('idempotence and relinking', () => {
  test('the same file twice: the second run makes no write call', async () => {
    ws = await workspace();
    const file = ws.write('same.txt', sisFile(SIS_HEADER, persons(120)));
    expect((await ws.cli(['run', file])).code).toBe(0);
    ws.sandbox.stats.reset();
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { unchanged: 120, ok: 0 } });
  });

  test('an account deleted in Moodle by hand is relinked on the next store', async () => {
    ws = await workspace();
    const rows = persons(3);
    expect((await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
    const gone = ws.sandbox.users.byUsername('puser0002');
    ws.sandbox.users.deleteByHand(gone!.id);
    rows[1][3] = 'Renamed';
    const r = await ws.cli(['run', ws.write('b.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(0);
    const back = ws.sandbox.users.byUsername('puser0002');
    expect(back).toMatchObject({ firstname: 'Renamed', deleted: false });
    expect(back!.id).not.toBe(gone!.id);
    expect(readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8')).toMatch(/P0002,\w+,relinked/);
  });

  test('an existing Moodle account with the same idnumber is adopted, not duplicated', async () => {
    ws = await workspace();
    expect((await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, persons(2)))])).code).toBe(0);
    // A second integration (fresh ledger) finds the accounts in Moodle and adopts them.
    const r = await ws.cli(['run', ws.write('b.txt', sisFile(SIS_HEADER, persons(2))), '--ledger', 'other.db']);
    expect(r.code).toBe(0);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('puser'))).toHaveLength(2);
    expect(ws.lastSummary()).toMatchObject({ planned: { adopt: 2, create: 0 } });
  });

  test('an account made by hand with the same username is adopted (password kept); one owned by another idnumber is not', async () => {
    ws = await workspace();
    const admin = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    await createUsers(admin, [
      { username: 'puser0001', firstname: 'Hand', lastname: 'Made', email: 'hand1@example.edu', password: 'Hand-made-1' },
      { username: 'puser0002', firstname: 'Other', lastname: 'Person', email: 'other@example.edu', password: 'Hand-made-2', idnumber: 'SOMEONE-ELSE' },
    ]);
    await admin.close();
    const r = await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, persons(4)))]);
    expect(r.code).toBe(2);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('puser'))).toHaveLength(4);
    expect(ws.sandbox.users.byUsername('puser0001')).toMatchObject({ firstname: 'First0001', idnumber: 'P0001' });
    expect(ws.sandbox.users.byUsername('puser0002')).toMatchObject({ firstname: 'Other', idnumber: 'SOMEONE-ELSE' });
    const rows = readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8');
    expect(rows).toMatch(/P0001,adopt,ok,\d+,,"?adopted Moodle user/);
    expect(rows).toMatch(/P0002,create,failed,,username-taken/);
  });
});

describe('Moodle dialect', () => {
  test('without a suspended column an account suspended by hand stays suspended; suspended=0 reactivates it', async () => {
    ws = await workspace();
    const head = 'username,password,firstname,lastname,email,idnumber,city';
    expect((await ws.cli(['run', ws.write('m1.csv', `${head}\njdoe,Passw0rd!,Jane,Doe,jdoe@example.edu,S1001,Leeds\n`)])).code).toBe(0);
    const id = ws.sandbox.users.byUsername('jdoe')!.id;
    const admin = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    await updateUsers(admin, [{ id, suspended: 1 }]);
    await admin.close();
    expect((await ws.cli(['run', ws.write('m2.csv', `${head}\njdoe,Passw0rd!,Jane,Doe,jdoe@example.edu,S1001,York\n`)])).code).toBe(0);
    expect(ws.sandbox.users.byId(id)).toMatchObject({ city: 'York', suspended: true });
    const r = await ws.cli(['run', ws.write('m3.csv', `${head},suspended\njdoe,Passw0rd!,Jane,Doe,jdoe@example.edu,S1001,York,0\n`)]);
    expect(r.code).toBe(0);
    expect(ws.sandbox.users.byId(id)).toMatchObject({ city: 'York', suspended: false });
  });
});

describe('MOODLE_ID', () => {
  test('a known Moodle id links directly; a vanished one fails with a plain reason and is never re-created', async () => {
    ws = await workspace();
    const admin = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    const [made] = await createUsers(admin, [{ username: 'classlife1', firstname: 'Ana', lastname: 'Lopez', email: 'ana@example.edu', password: 'Hand-made-1' }]);
    await admin.close();
    const header = [...SIS_HEADER, 'MOODLE_ID'];
    const rows = [
      ['CL-1', 'classlife1', 'Secret-1x', 'Ana María', 'Lopez', 'ana@example.edu', String(made.id)],
      ['CL-2', 'classlife2', 'Secret-2x', 'Gone', 'User', 'gone@example.edu', '999999'],
    ];
    const r = await ws.cli(['run', ws.write('m.txt', sisFile(header, rows))]);
    expect(r.code).toBe(2);
    expect(ws.sandbox.users.byId(made.id)).toMatchObject({ firstname: 'Ana María', idnumber: 'CL-1' });
    expect(ws.sandbox.users.byUsername('classlife2')).toBeUndefined();
    expect(readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8')).toMatch(/CL-2,fail,failed,,moodle-id-missing,Moodle user 999999 no longer exists: clear the SIS's Moodle id/);
  });
});

describe('transient faults', () => {
  test('500s, a dropped connection and a commit-then-drop end with every row applied exactly once', async () => {
    ws = await workspace();
    // More tries than faults in a row: with 20 ms backoffs, a loaded machine could otherwise see the six faults as a
    // site that went down (engine.siteDown), which is not what this test is about.
    ws.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 20, retries: 8 } }));
    ws.sandbox.faults.add({ fn: 'core_user_create_users', kind: 'http500', times: 2 });
    ws.sandbox.faults.add({ fn: 'core_user_create_users', kind: 'drop', times: 1 });
    ws.sandbox.faults.add({ fn: 'core_user_create_users', kind: 'commit-then-drop', times: 2 });
    ws.sandbox.faults.add({ fn: 'core_user_update_users', kind: 'commit-then-drop', times: 1 });
    const rows = persons(300);
    rows[7].push('N');
    const header = [...SIS_HEADER, 'AVAILABLE_IND'];
    const all = rows.map((r) => (r.length === 6 ? [...r, 'Y'] : r));
    const r = await ws.cli(['run', ws.write('f.txt', sisFile(header, all)), '--batch-size', '25']);
    expect(r.code).toBe(0);
    const users = ws.sandbox.users.list().filter((u) => u.username.startsWith('puser'));
    expect(users).toHaveLength(300);
    expect(new Set(users.map((u) => u.username)).size).toBe(300);
    expect(ws.sandbox.users.byUsername('puser0008')?.suspended).toBe(true);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { ok: 300, failed: 0 } });
  });

  test('a site check that fails once (a dropped connection, then a 500) is tried again: the run goes on', async () => {
    ws = await workspace();
    ws.sandbox.faults.add({ fn: 'core_webservice_get_site_info', kind: 'drop', times: 1 });
    ws.sandbox.faults.add({ fn: 'core_webservice_get_site_info', kind: 'http500', times: 1 });
    const r = await ws.cli(['run', ws.write('s.txt', sisFile(SIS_HEADER, persons(2, { prefix: 's' })))]);
    expect(r.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { ok: 2, failed: 0 } });
    expect(ws.sandbox.users.byUsername('suser0001')).toBeDefined();
  });

  test('Moodle stops answering a look-up the plan needs (its retries spent): an outage, exit 3 unreachable, nothing sent', async () => {
    ws = await workspace();
    ws.write('mdlsync.config.json', JSON.stringify({ moodle: { backoffMs: 1, retries: 1 } }));
    ws.sandbox.faults.add({ fn: 'core_user_get_users_by_field', kind: 'http500', times: 1_000_000 });
    const r = await ws.cli(['run', ws.write('o.txt', sisFile(SIS_HEADER, persons(3, { prefix: 'o' })))]);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toMatch(/unexpected error/);
    // An outage, not a failure of the file: watch and schedule keep such a file for retry (isOutage).
    expect(ws.lastSummary()).toMatchObject({ status: 'aborted', error: { code: 'unreachable' } });
    expect(ws.sandbox.users.byUsername('ouser0001')).toBeUndefined();
  });

  test('Moodle unreachable: exit 3, a plain sentence, nothing applied', async () => {
    ws = await workspace();
    const r = await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, persons(2)))], { MDLSYNC_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/unreachable/);
  });

  test('a bad token: exit 3 naming invalidtoken, and the token is never printed', async () => {
    ws = await workspace();
    const r = await ws.cli(['run', ws.write('a.txt', sisFile(SIS_HEADER, persons(2)))], { MDLSYNC_TOKEN: 'wrong-token-4242' });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/invalidtoken/);
    expect(r.stdout).toMatch(/^ {2}error: invalidtoken — Moodle does not know the token .*Manage tokens/m);
    expect(ws.lastSummary().error).toMatchObject({ code: 'invalidtoken', hint: expect.stringMatching(/Manage tokens/) });
    expect(r.stdout + r.stderr).not.toContain('wrong-token-4242');
  });
});

describe('secrets and outputs', () => {
  test('passwords and the token never appear in reports or logs; archive and tryback are 0600', async () => {
    ws = await workspace();
    const rows = persons(5);
    rows[2][5] = 'bad-email';
    const r = await ws.cli(['run', ws.write('s.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(2);
    const summary = ws.lastSummary();
    for (const f of allFiles(join(ws.dir, 'reports'))) {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toContain(ws.sandbox.token);
      if (f !== summary.tryback) expect(text).not.toMatch(/Secret-\d{4}x/);
    }
    expect(r.stdout + r.stderr).not.toMatch(/Secret-\d{4}x|sandbox-token/);
    const archived = summary.archivedAs as string;
    expect(readFileSync(archived, 'utf8')).toContain('Secret-0001x');
    expect(statSync(archived).mode & 0o777).toBe(0o600);
  });

  test('plan (dry run) writes nothing and says what would happen', async () => {
    ws = await workspace();
    const r = await ws.cli(['plan', ws.write('p.txt', sisFile(SIS_HEADER, persons(4)))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/create 4/);
    expect(ws.sandbox.stats.writeCalls).toBe(0);
    expect(ws.sandbox.users.list().filter((u) => u.username.startsWith('puser'))).toHaveLength(0);
  });
});
