/**
 * Languages and field lengths of the real site (real CLI, sandbox over HTTP): a language the site has not installed
 * lands the row without it and says so; a value longer than Moodle's column fails only its row, before anything is
 * sent, with a reason that names the field.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CODES } from '../src/errors.js';
import { SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => ws.close());

type CsvRow = Record<string, string>;
const rowsCsv = (): CsvRow[] => parse(readFileSync(join(ws.lastSummary().reportDir, 'rows.csv'), 'utf8'), { columns: true }) as CsvRow[];
const rowOf = (key: string): CsvRow | undefined => rowsCsv().find((r) => r.key === key);
const user = (u: string) => ws.sandbox.users.byUsername(u);
const MOODLE_HEADER = 'username,password,firstname,lastname,email,idnumber,lang';

describe('a language the site has not installed', () => {
  test('create: the row lands without lang (site default), with a warning in rows.csv; the batch is not refused', async () => {
    const file = ws.write('lang.csv', [
      MOODLE_HEADER,
      'lang1,Secret-1x,Ana,Uno,lang1@example.edu,LANG-1,es',
      'lang2,Secret-2x,Bea,Dos,lang2@example.edu,LANG-2,en',
      'lang3,Secret-3x,Cia,Tres,lang3@example.edu,LANG-3,',
    ].join('\n') + '\n');
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(user('lang1')).toMatchObject({ firstname: 'Ana', lang: 'en' });
    expect(user('lang2')).toMatchObject({ lang: 'en' });
    expect(user('lang3')).toBeDefined();
    const es = rowOf('LANG-1');
    expect(es).toMatchObject({ outcome: 'ok', errorcode: '' });
    expect(es?.message).toMatch(/lang es is not installed on the site.*sent without lang/);
    expect(rowOf('LANG-2')?.message).toBe('');
  });

  test('update: a bad lang does not refuse the whole update call; the account keeps its language', async () => {
    const file = ws.write('lang-upd.csv', [
      MOODLE_HEADER,
      'lang1,Secret-1x,Ana,Uno,lang1@example.edu,LANG-1,es',
      'lang2,Secret-2x,Beatriz,Dos,lang2@example.edu,LANG-2,pt_br',
      'lang3,Secret-3x,Cecilia,Tres,lang3@example.edu,LANG-3,',
    ].join('\n') + '\n');
    const r = await ws.cli(['run', file]);
    expect(r.code).toBe(0);
    expect(user('lang2')).toMatchObject({ firstname: 'Beatriz', lang: 'en' });
    expect(user('lang3')).toMatchObject({ firstname: 'Cecilia' });
    expect(rowOf('LANG-2')).toMatchObject({ action: 'update', outcome: 'ok' });
    expect(rowOf('LANG-2')?.message).toMatch(/lang pt_br is not installed on the site.*keeps its language/);
  });
});

describe('values longer than Moodle allows', () => {
  const long = (n: number, c = 'x') => c.repeat(n);

  test('fail only their row with field-too-long, line number and the limit; the rest of the file lands', async () => {
    const good = persons(3, { prefix: 'fl' });
    const rows = [
      good[0],
      ['FL-FIRST', 'flfirst', 'Secret-1x', long(101, 'F'), 'Long', 'flfirst@example.edu'],
      good[1],
      // 101 characters with a short local part (as case 154): valid as an email, too long for the column.
      ['FL-EMAIL', 'flemail', 'Secret-1x', 'Long', 'Email', `fl@${long(43, 'x')}.${long(42, 'y')}.example.com`],
      ['FL-USER', `u${long(100, 'u')}`, 'Secret-1x', 'Long', 'User', 'fluser@example.edu'],
      // 100 emoji: 100 characters (200 UTF-16 units, 400 bytes), which Moodle stores.
      ['FL-EMOJI', 'flemoji', 'Secret-1x', long(100, '😀'), 'Emoji', 'flemoji@example.edu'],
      good[2],
    ];
    const r = await ws.cli(['run', ws.write('long.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(2);
    for (const u of ['fluser0001', 'fluser0002', 'fluser0003', 'flemoji']) expect(user(u)).toBeDefined();
    expect([...(user('flemoji')?.firstname ?? '')].length).toBe(100);
    for (const u of ['flfirst', 'flemail']) expect(user(u)).toBeUndefined();
    expect(ws.sandbox.users.byIdnumber('FL-USER')).toEqual([]);
    expect(rowOf('FL-FIRST')).toMatchObject({ line: '3', outcome: 'failed', errorcode: 'field-too-long', message: 'firstname is 101 characters; Moodle allows at most 100' });
    expect(rowOf('FL-EMAIL')).toMatchObject({ line: '5', errorcode: 'field-too-long', message: 'email is 101 characters; Moodle allows at most 100' });
    expect(rowOf('FL-USER')).toMatchObject({ line: '6', errorcode: 'field-too-long', message: 'username is 101 characters; Moodle allows at most 100' });
    const tryback = readFileSync(ws.lastSummary().tryback as string, 'utf8');
    expect(tryback).toContain('# line 3: field-too-long: firstname is 101 characters; Moodle allows at most 100');
    expect(tryback).toContain('FL-EMAIL|flemail');
    expect(tryback).not.toContain('FL-EMOJI');
  });

  test('mdlsync plan shows the same failure the run will have, so planning first tells the truth', async () => {
    const rows = [persons(1, { prefix: 'pl' })[0], ['PL-LONG', 'pllong', 'Secret-1x', 'Long', 'L'.repeat(101), 'pllong@example.edu']];
    const r = await ws.cli(['plan', ws.write('plan-long.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).not.toBe(3);
    const plan = parse(readFileSync(join(ws.lastSummary().reportDir, 'plan.csv'), 'utf8'), { columns: true }) as CsvRow[];
    expect(plan.find((p) => p.key === 'PL-LONG')).toMatchObject({ line: '3', action: 'fail', errorcode: 'field-too-long', message: 'lastname is 101 characters; Moodle allows at most 100', hint: CODES['field-too-long'].hint });
    expect(plan.find((p) => p.key === 'PL0001')).toMatchObject({ action: 'create', hint: '' });
    expect(user('pllong')).toBeUndefined();
  });

  test('an email made by persons.emailWhenMissing is checked too, when the record is built', async () => {
    const name = `m${'m'.repeat(89)}`;
    const rows = [['EM-OK', 'emok', 'Secret-1x', 'Em', 'Ok', ''], ['EM-LONG', name, 'Secret-1x', 'Em', 'Long', '']];
    const r = await ws.cli(['run', ws.write('em.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(2);
    expect(user('emok')?.email).toBe('emok@example.invalid');
    expect(user(name)).toBeUndefined();
    expect(rowOf('EM-LONG')).toMatchObject({ line: '3', action: 'create', outcome: 'failed', errorcode: 'field-too-long', message: 'email is 106 characters; Moodle allows at most 100' });
  });

  test('a NUL character fails its row only, naming the field; the rest of the batch lands', async () => {
    const good = persons(2, { prefix: 'nu' });
    const rows = [good[0], ['NU-NUL', 'nunul', 'Secret-1x', 'Ana\0Maria', 'Nul', 'nunul@example.edu'], good[1]];
    const r = await ws.cli(['run', ws.write('nul.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(2);
    expect(user('nuuser0001') && user('nuuser0002')).toBeDefined();
    expect(user('nunul')).toBeUndefined();
    expect(rowOf('NU-NUL')).toMatchObject({ line: '3', outcome: 'failed', errorcode: 'invalid-character', message: 'firstname contains a NUL character (U+0000), which Moodle refuses' });
  });

  test('an update with a too-long city or phone fails its row only; the account is unchanged', async () => {
    const header = [...SIS_HEADER, 'CITY', 'B_PHONE_1'];
    const base = persons(2, { prefix: 'fu' });
    expect((await ws.cli(['run', ws.write('fu1.txt', sisFile(header, base.map((p) => [...p, 'Lyon', '+33 1 23 45 67 89'])))])).code).toBe(0);
    const changed = [
      [...base[0], long(121, 'C'), '+33 1 23 45 67 89'],
      [...base[1], 'Paris', '+34 600 000 000 00000'],
    ];
    changed[0][3] = 'Renamed';
    const r = await ws.cli(['run', ws.write('fu2.txt', sisFile(header, changed))]);
    expect(r.code).toBe(2);
    expect(rowOf('FU0001')).toMatchObject({ action: 'fail', outcome: 'failed', errorcode: 'field-too-long', message: 'city is 121 characters; Moodle allows at most 120' });
    expect(rowOf('FU0002')).toMatchObject({ errorcode: 'field-too-long', message: 'phone1 is 21 characters; Moodle allows at most 20' });
    expect(user('fuuser0001')).toMatchObject({ firstname: 'First0001', city: 'Lyon' });
    expect(user('fuuser0002')).toMatchObject({ city: 'Lyon', phone1: '+33 1 23 45 67 89' });
  });
});
