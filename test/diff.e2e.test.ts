/**
 * `mdlsync diff` through the real CLI against the sandbox over HTTP: a user deleted in Moodle, an email edited by
 * hand, an enrolment added by hand and one removed by hand are found; --repair puts the file's values back and
 * re-adds the enrolment, never re-creates the deleted user unless diff.recreateDeleted says so.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleClient, createCourses, enrolUsers, unenrolUsers, updateUsers } from '../src/moodle/index.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace | null = null;
afterEach(async () => {
  await ws?.close();
  ws = null;
});

type Row = Record<'line' | 'type' | 'key' | 'finding' | 'field' | 'file_value' | 'moodle_value' | 'moodle_id' | 'repair' | 'message', string>;
const rowsOf = (w: Workspace): Row[] => parse(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8'), { columns: true }) as Row[];
const uid = (w: Workspace, key: string): number => w.sandbox.users.byIdnumber(key)[0].id;

describe('mdlsync diff', () => {
  test('finds a user deleted in Moodle, an email edited by hand, enrolments added and removed by hand; --repair puts the file back, never re-creates the user without the config', async () => {
    const w = await workspace();
    ws = w;
    const people = w.write('people.txt', sisFile(SIS_HEADER, persons(4)));
    expect((await w.cli(['run', people])).code).toBe(0);
    const client = new MoodleClient({ url: w.sandbox.url, token: w.sandbox.token });
    const [c1] = await createCourses(client, [{ fullname: 'Course 1', shortname: 'C1', categoryid: 1, idnumber: 'C1' }]);
    const enrolments = w.write('enrol.txt', sisFile(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE'], [['C1', 'P0001', 'Student'], ['C1', 'P0002', 'Student'], ['C1', 'P0003', 'Student']]));
    expect((await w.cli(['run', enrolments])).code).toBe(0);

    // By hand in Moodle: P0002's email changed, P0003 deleted, P0004 enrolled, P0001 unenrolled.
    const p3 = uid(w, 'P0003');
    await updateUsers(client, [{ id: uid(w, 'P0002'), email: 'changed.by.hand@example.edu' }]);
    w.sandbox.users.deleteByHand(p3);
    await enrolUsers(client, [{ roleid: 5, userid: uid(w, 'P0004'), courseid: c1.id }]);
    await unenrolUsers(client, [{ userid: uid(w, 'P0001'), courseid: c1.id }]);
    await client.close();

    w.sandbox.stats.reset();
    const d1 = await w.cli(['diff', people]);
    expect(d1.code).toBe(4);
    expect(w.sandbox.stats.writeCalls).toBe(0);
    expect(w.lastSummary()).toMatchObject({ kind: 'diff', type: 'persons', drift: true, error: { code: 'drift' }, findings: { 'in-step': 2, 'changed-in-moodle': 1, 'deleted-in-moodle': 1 } });
    const p = rowsOf(w);
    expect(p.find((r) => r.key === 'P0002')).toMatchObject({ finding: 'changed-in-moodle', field: 'email', file_value: 'puser0002@example.edu', moodle_value: 'changed.by.hand@example.edu' });
    expect(p.find((r) => r.key === 'P0003')).toMatchObject({ finding: 'deleted-in-moodle', moodle_id: String(p3) });
    // Passwords are never compared, so never shown.
    expect(readFileSync(join(w.lastSummary().reportDir, 'rows.csv'), 'utf8')).not.toMatch(/Secret-/);
    expect(d1.stdout).toMatch(/changed-in-moodle {2}line 3 {2}persons P0002 email: file "puser0002@example.edu", Moodle "changed.by.hand@example.edu"/);

    const d2 = await w.cli(['diff', enrolments]);
    expect(d2.code).toBe(4);
    const e = rowsOf(w);
    expect(e.find((r) => r.key === 'C1|P0001')).toMatchObject({ finding: 'missing-in-moodle' });
    expect(e.find((r) => r.key === 'C1|P0002')).toMatchObject({ finding: 'in-step' });
    expect(e.find((r) => r.key === 'C1|P0003')).toMatchObject({ finding: 'deleted-in-moodle', field: 'person' });
    expect(e.find((r) => r.key === 'C1|P0004')).toMatchObject({ finding: 'extra-in-moodle', line: '' });

    // --repair: P0002's email back; P0003 reported, not re-created (no diff.recreateDeleted).
    const r1 = await w.cli(['diff', people, '--repair']);
    expect(r1.code).toBe(4);
    expect(w.sandbox.users.byIdnumber('P0002')[0].email).toBe('puser0002@example.edu');
    expect(w.sandbox.users.byIdnumber('P0003')).toEqual([]);
    const rp = rowsOf(w);
    expect(rp.find((r) => r.key === 'P0002')).toMatchObject({ repair: 're-sent' });
    expect(rp.find((r) => r.key === 'P0003')?.repair).toMatch(/^not repaired: diff.recreateDeleted is off/);

    // --repair of the enrolments re-adds P0001 and leaves the hand-made P0004 enrolment alone.
    expect((await w.cli(['diff', enrolments, '--repair'])).code).toBe(4);
    const enrolled = w.sandbox.enrolments.of(c1.id).map((x) => x.userid);
    expect(enrolled).toEqual(expect.arrayContaining([uid(w, 'P0001'), uid(w, 'P0004')]));
    expect(rowsOf(w).find((r) => r.key === 'C1|P0001')).toMatchObject({ repair: 're-added' });

    // With diff.recreateDeleted the stale link is dropped and the account created anew, reported as such.
    writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, diff: { recreateDeleted: true } }));
    expect((await w.cli(['diff', people, '--repair'])).code).toBe(0);
    const again = w.sandbox.users.byIdnumber('P0003');
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(p3);
    expect(rowsOf(w).find((r) => r.key === 'P0003')).toMatchObject({ finding: 'deleted-in-moodle', repair: `re-created as Moodle id ${again[0].id}` });
    // Everything is in step now.
    expect((await w.cli(['diff', people])).code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ drift: false, findings: { 'in-step': 4 } });
  });
});
