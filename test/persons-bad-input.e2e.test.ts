/** Bad input gets a clear message and loses no good row (real CLI, sandbox over HTTP). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => ws.close());

const exists = (u: string) => Boolean(ws.sandbox.users.byUsername(u));
const rowsCsv = () => readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8');

describe('file-level problems refuse the whole file (exit 3) with a plain reason', () => {
  test('empty file', async () => {
    const r = await ws.cli(['run', ws.write('empty.txt', '')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/empty/i);
  });

  test('unknown header names the closest known one', async () => {
    const r = await ws.cli(['run', ws.write('h.txt', 'EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|EMAL\nk|u|f|l|e@x.org\n')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/EMAL.*EMAIL/);
    expect(exists('u')).toBe(false);
  });

  test('wrong delimiter', async () => {
    const r = await ws.cli(['run', ws.write('d.txt', 'EXTERNAL_PERSON_KEY;USER_ID;FIRSTNAME;LASTNAME\nk;u;f;l\n'), '--delimiter', ',']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/delimiter/i);
  });

  test('missing required column', async () => {
    const r = await ws.cli(['run', ws.write('m.txt', 'USER_ID|PASSWD|FIRSTNAME|LASTNAME\nu|Secret-1x|f|l\n')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/EXTERNAL_PERSON_KEY/);
  });
});

describe('row-level problems fail only their row', () => {
  test('header only is a run with nothing to do', async () => {
    const r = await ws.cli(['run', ws.write('ho.txt', sisFile(SIS_HEADER, []))]);
    expect(r.code).toBe(0);
    expect(ws.lastSummary()).toMatchObject({ rows: 0 });
  });

  test('a short row and a long row fail with their line numbers; the good rows land', async () => {
    const good = persons(3, { prefix: 'sr' });
    const text = sisFile(SIS_HEADER, [good[0], ['SHORT', 'short1', 'Secret-1x', 'Only'], good[1], [...persons(1, { prefix: 'lr' })[0], 'extra'], good[2]]);
    const r = await ws.cli(['run', ws.write('sl.txt', text)]);
    expect(r.code).toBe(2);
    expect(['sruser0001', 'sruser0002', 'sruser0003'].every(exists)).toBe(true);
    const csv = rowsCsv();
    expect(csv).toMatch(/^3,.*short-row/m);
    expect(csv).toMatch(/^5,.*long-row/m);
    expect(readFileSync(ws.lastSummary().tryback as string, 'utf8')).toContain('SHORT|short1');
  });

  test('invalid UTF-8 fails that row and suggests --encoding latin1', async () => {
    const good = persons(2, { prefix: 'ue' });
    const bad = Buffer.from('BADUTF|baduser|Secret-1x|Jos\xe9|Silva|jsilva@example.edu\n', 'latin1');
    const head = Buffer.from(sisFile(SIS_HEADER, [good[0]]));
    const tail = Buffer.from(sisFile(SIS_HEADER, [good[1]]).split('\n').slice(1).join('\n'));
    const r = await ws.cli(['run', ws.write('u.txt', Buffer.concat([head, bad, tail]))]);
    expect(r.code).toBe(2);
    expect(exists('ueuser0001') && exists('ueuser0002')).toBe(true);
    expect(exists('baduser')).toBe(false);
    expect(rowsCsv()).toMatch(/latin1/);
  });

  test('a Latin-1 file read with --encoding latin1 keeps its accents', async () => {
    const text = `${SIS_HEADER.join('|')}\nLAT1|latin1user|Secret-1x|José|Müller|latin1@example.edu\n`;
    const r = await ws.cli(['run', ws.write('l1.txt', Buffer.from(text, 'latin1')), '--encoding', 'latin1']);
    expect(r.code).toBe(0);
    expect(ws.sandbox.users.byUsername('latin1user')).toMatchObject({ firstname: 'José', lastname: 'Müller' });
  });

  test('a 10 MB single field fails its row without losing the rows around it', async () => {
    const good = persons(2, { prefix: 'big' });
    const huge = ['HUGE', 'hugeuser', 'Secret-1x', 'x'.repeat(10 * 1024 * 1024), 'Big', 'huge@example.edu'];
    const r = await ws.cli(['run', ws.write('big.txt', sisFile(SIS_HEADER, [good[0], huge, good[1]]))]);
    expect(r.code).toBe(2);
    expect(exists('biguser0001') && exists('biguser0002')).toBe(true);
    expect(exists('hugeuser')).toBe(false);
    expect(rowsCsv()).toMatch(/^3,.*record-too-large/m);
  });

  test('duplicate keys: the first wins, the later one fails naming the first line', async () => {
    const rows = persons(2, { prefix: 'dk' });
    const dup = [...rows[0]];
    dup[1] = 'dkother';
    dup[5] = 'dkother@example.edu';
    const r = await ws.cli(['run', ws.write('dup.txt', sisFile(SIS_HEADER, [rows[0], rows[1], dup]))]);
    expect(r.code).toBe(2);
    expect(exists('dkuser0001') && exists('dkuser0002')).toBe(true);
    expect(exists('dkother')).toBe(false);
    expect(rowsCsv()).toMatch(/^4,DK0001,fail,failed,,duplicate-key,"?duplicate key, first seen on line 2/m);
  });

  test('a new person without a last name fails with the missing column named', async () => {
    const r = await ws.cli(['run', ws.write('nl.txt', `${SIS_HEADER.join('|')}\nNOLAST|nolast|Secret-1x|First||nolast@example.edu\n`)]);
    expect(r.code).toBe(2);
    expect(rowsCsv()).toMatch(/missing-value.*lastname/i);
  });
});
