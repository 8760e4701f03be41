/**
 * A Moodle-dialect persons file without an idnumber column (the usual *Upload users* update file) is keyed by
 * username: an account Moodle has under that username is the one to update and adopt, whatever its idnumber, and
 * `mdlsync plan` says so before the run does it. Real CLI against the sandbox over HTTP.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createUsers } from '../src/moodle/index.js';
import { workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

const report = (w: Workspace, name: string): string => readFileSync(join(w.lastSummary().reportDir, name), 'utf8');

describe('Moodle dialect keyed by username', () => {
  test('existing accounts (one with an idnumber, one without) are planned and run as adopt, idnumber kept; a new username is created', async () => {
    ws = await workspace();
    const admin = new MoodleClient({ url: ws.sandbox.url, token: ws.sandbox.token });
    await createUsers(admin, [
      { username: 'jdoe', firstname: 'Jane', lastname: 'Doe', email: 'jdoe@example.edu', password: 'Hand-made-1', idnumber: 'S1001' },
      { username: 'rroe', firstname: 'Richard', lastname: 'Roe', email: 'rroe@example.edu', password: 'Hand-made-2' },
    ]);
    await admin.close();
    const jdoe = ws.sandbox.users.byUsername('jdoe')!;
    const rroe = ws.sandbox.users.byUsername('rroe')!;
    const file = ws.write(
      'update.csv',
      'username,firstname,lastname,email,city\njdoe,Jane,Doe,jdoe@example.edu,Leeds\nrroe,Richard,Roe,rroe@example.edu,York\nnewbie,New,Person,newbie@example.edu,Hull\n',
    );

    const plan = await ws.cli(['plan', file]);
    expect(plan.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { adopt: 2, create: 1 } });
    const planCsv = report(ws, 'plan.csv');
    expect(planCsv).toMatch(new RegExp(`^2,jdoe,adopt,${jdoe.id},found in Moodle by username`, 'm'));
    expect(planCsv).toMatch(new RegExp(`^3,rroe,adopt,${rroe.id},found in Moodle by username`, 'm'));
    expect(planCsv).toMatch(/^4,newbie,create,/m);

    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { adopt: 2, create: 1 }, outcomes: { ok: 3, failed: 0 } });
    const rows = report(ws, 'rows.csv');
    expect(rows).not.toContain('username-taken');
    expect(rows).toMatch(new RegExp(`^2,jdoe,adopt,ok,${jdoe.id},`, 'm'));
    // Updated in place; the idnumber another system set is left as it is.
    expect(ws.sandbox.users.byId(jdoe.id)).toMatchObject({ city: 'Leeds', idnumber: 'S1001' });
    expect(ws.sandbox.users.byId(rroe.id)).toMatchObject({ city: 'York', idnumber: '' });
    expect(ws.sandbox.users.byUsername('newbie')).toMatchObject({ city: 'Hull' });

    // The links are the usernames: the same file again is unchanged, an edit an update.
    expect((await ws.cli(['run', file])).code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ outcomes: { unchanged: 3 } });
    const edited = ws.write('update2.csv', 'username,firstname,lastname,email,city\njdoe,Jane,Doe,jdoe@example.edu,Bath\n');
    expect((await ws.cli(['run', edited])).code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ planned: { update: 1 } });
    expect(ws.sandbox.users.byId(jdoe.id)).toMatchObject({ city: 'Bath', idnumber: 'S1001' });
  });
});
