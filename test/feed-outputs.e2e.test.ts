/**
 * What a run writes about its rows (real CLI, sandbox over HTTP): rows.csv and plan.csv are safe to open in a
 * spreadsheet and never hold a password; the tryback holds the failed lines byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIS_HEADER, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => ws.close());

const report = (name: string) => readFileSync(join(ws.lastSummary().reportDir, name), 'utf8');

describe('formula injection: rows.csv and plan.csv escape cells a spreadsheet would run', () => {
  const keys = ['=HYPERLINK("http://evil.example/x","click")', '@SUM(1+1)', '+1', '-1+1'];
  const rows = keys.map((k, i) => [k, `formula${i}`, `Secret-${i}x`, `First${i}`, `Last${i}`, `formula${i}@example.edu`]);
  // The last row has no last name: it fails, so it goes to the tryback.
  rows[3][4] = '';

  test('plan.csv prefixes each formula-like key with a quote', async () => {
    const r = await ws.cli(['plan', ws.write('formula-plan.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(0);
    const csv = report('plan.csv');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/x"",""click"")"`);
    expect(csv).toMatch(/^\d+,'@SUM\(1\+1\),/m);
    expect(csv).toMatch(/^\d+,'\+1,/m);
    expect(csv).toMatch(/^\d+,'-1\+1,/m);
    // No cell of the file starts with a formula character.
    for (const line of csv.split('\n').slice(1)) expect(line.split(',')[1] ?? '').not.toMatch(/^[=+\-@]/);
  });

  test('rows.csv escapes them too; the tryback keeps the raw key, since it is run again', async () => {
    const r = await ws.cli(['run', ws.write('formula-run.txt', sisFile(SIS_HEADER, rows))]);
    expect(r.code).toBe(2);
    const csv = report('rows.csv');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/x"",""click"")"`);
    expect(csv).toMatch(/^3,'@SUM\(1\+1\),/m);
    expect(csv).toMatch(/^4,'\+1,/m);
    expect(csv).toMatch(/^5,'-1\+1,/m);
    const tryback = readFileSync(ws.lastSummary().tryback as string, 'utf8');
    expect(tryback).toContain('\n-1+1|formula3|Secret-3x|First3||formula3@example.edu\n');
    expect(tryback).not.toContain("'-1+1");
  });
});


describe('the tryback holds the original bytes of each failed line', () => {
  test('a Latin-1 file read as UTF-8: the tryback keeps é as the byte E9, and runs with --encoding latin1', async () => {
    // Comment and header carry Latin-1 bytes too; CRLF line endings.
    const text = '# export Caf\xe9\r\n' + `${SIS_HEADER.join('|')}\r\n` + 'TRY1|tryuser1|Secret-1x|Jos\xe9|Silva|try1@example.edu\r\nTRY2|tryuser2|Secret-2x|Ana|Gon\xe7alves|try2@example.edu\r\n';
    const input = Buffer.from(text, 'latin1');
    const r = await ws.cli(['run', ws.write('latin.txt', input)]);
    expect(r.code).toBe(2);
    const tryback = readFileSync(ws.lastSummary().tryback as string);
    expect(tryback.includes(Buffer.from('TRY1|tryuser1|Secret-1x|Jos\xe9|Silva|try1@example.edu\r\n', 'latin1'))).toBe(true);
    expect(tryback.includes(Buffer.from('TRY2|tryuser2|Secret-2x|Ana|Gon\xe7alves|try2@example.edu\r\n', 'latin1'))).toBe(true);
    expect(tryback.includes(Buffer.from('\ufffd', 'utf8'))).toBe(false);
    expect(tryback.subarray(0, SIS_HEADER.join('|').length + 2).toString('latin1')).toBe(`${SIS_HEADER.join('|')}\r\n`);

    const again = await ws.cli(['run', ws.lastSummary().tryback as string, '--encoding', 'latin1']);
    expect(again.code).toBe(0);
    expect(ws.sandbox.users.byUsername('tryuser1')).toMatchObject({ firstname: 'José' });
    expect(ws.sandbox.users.byUsername('tryuser2')).toMatchObject({ lastname: 'Gonçalves' });
  });
});

describe('passwords never reach rows.csv, plan.csv, the summary, report.html or the log, whatever the shape of a bad row', () => {
  const good = (n: number) => `PWG${n}|pwgood${n}|Secret-${n}x|First|Last|pwgood${n}@example.edu`;
  const shapes: Array<[string, string | Buffer]> = [
    ['another delimiter (;)', 'PW1;pwuser1;Pass-Semi-1!;First;Last;pw1@example.edu'],
    ['another delimiter (,)', 'PW2,pwuser2,Pass-Comma-2!,First,Last,pw2@example.edu'],
    ['short row', 'PW3|pwuser3|Pass-Short-3!|First|Last'],
    ['long row', 'PW4|pwuser4|Pass-Long-4!|First|Mid|Last|pw4@example.edu'],
    ['delimiter quoted into the key', '"PW5|pwuser5|Pass-Quoted-5!"|x|y|First|Last|pw5@example.edu'],
    ['invalid bytes in the key', Buffer.from('PW6\xe9|pwuser6|Pass-Enc-6!|First|Last|pw6@example.edu', 'latin1')],
    ['invalid bytes in the password', Buffer.from('PW7|pwuser7|Pass-\xe9nc-7!|First|Last|pw7@example.edu', 'latin1')],
    ['the whole line quoted', '"PW8|pwuser8|Pass-Whole-8!|First|Last|pw8@example.edu"'],
    ['a row over the size limit', `PW9|pwuser9|Pass-Big-9!|${'x'.repeat(2 * 1024 * 1024)}|Last|pw9@example.edu`],
    ['delimiter-only key with the password after it', '|pwuser10|Pass-NoKey-10!|First|Last|pw10@example.edu'],
    // Last: a quote never closed swallows the lines after it.
    ['an unterminated quote', 'PW11|pwuser11|"Pass-Open-11!|First|Last|pw11@example.edu'],
    ['a line the quote swallowed', 'PW12|pwuser12|Pass-Swallowed-12!|First|Last|pw12@example.edu'],
  ];
  const file = () =>
    Buffer.concat([
      Buffer.from(`${SIS_HEADER.join('|')}\n${good(1)}\n`),
      ...shapes.map(([, row]) => Buffer.concat([Buffer.from(row), Buffer.from('\n')])),
      Buffer.from(''),
    ]);
  const leaks = (text: string) => text.match(/Pass-[A-Za-z\uFFFD]+-\d+!?/g) ?? [];

  test('plan and run: no password in any output; rows whose key was not read are reported by line only', async () => {
    const plan = await ws.cli(['plan', ws.write('pw-shapes-plan.txt', file())]);
    const planDir = ws.lastSummary().reportDir;
    const run = await ws.cli(['run', ws.write('pw-shapes.txt', file())]);
    expect(run.code).toBe(2);
    const runDir = ws.lastSummary().reportDir;
    const outputs: Record<string, string> = {
      'plan stdout': plan.stdout + plan.stderr,
      'run stdout': run.stdout + run.stderr,
      'plan.csv': readFileSync(join(planDir, 'plan.csv'), 'utf8'),
      'plan summary.json': readFileSync(join(planDir, 'summary.json'), 'utf8'),
      'rows.csv': readFileSync(join(runDir, 'rows.csv'), 'utf8'),
      'summary.json': readFileSync(join(runDir, 'summary.json'), 'utf8'),
      'plan report.html': readFileSync(join(planDir, 'report.html'), 'utf8'),
      'report.html': readFileSync(join(runDir, 'report.html'), 'utf8'),
      'mdlsync.log': existsSync(join(ws.dir, 'reports', 'mdlsync.log')) ? readFileSync(join(ws.dir, 'reports', 'mdlsync.log'), 'utf8') : '',
    };
    for (const [name, text] of Object.entries(outputs)) expect({ name, leaks: leaks(text) }).toEqual({ name, leaks: [] });
    const rows = outputs['rows.csv'];
    // Lines 3, 4 (one value), 7 (quoted delimiter), 8 (bad key bytes), 10 (whole line), 11 (too large), 12 (no key), 13 (open quote): no key.
    for (const line of [3, 4, 7, 8, 10, 11, 12, 13]) expect(rows).toMatch(new RegExp(`^${line},,fail,failed,`, 'm'));
    // Key readable: the short and long rows (the key comes first) and the row with bad bytes after the key.
    expect(rows).toMatch(/^5,PW3,fail,failed,,short-row,/m);
    expect(rows).toMatch(/^6,PW4,fail,failed,,long-row,/m);
    expect(rows).toMatch(/^9,PW7,fail,failed,,invalid-encoding,/m);
    expect(ws.sandbox.users.byUsername('pwgood1')).toBeDefined();
    // The tryback (mode 0600) keeps the rows as they were, to be fixed and run again.
    expect(readFileSync(ws.lastSummary().tryback as string, 'latin1')).toContain('PW1;pwuser1;Pass-Semi-1!');
  });

  test('a row of the right length whose password shifted into a checked column: the value is not quoted', async () => {
    const header = 'EXTERNAL_PERSON_KEY|USER_ID|AVAILABLE_IND|PASSWD|FIRSTNAME|LASTNAME|EMAIL';
    const text = `${header}\nPW20|pwuser20|Pass-Shift-20!|First|Last|pw20@example.edu|extra\nPW21|pwuser21|maybe|Secret-21x!|First|Last|pw21@example.edu\n`;
    const run = await ws.cli(['run', ws.write('pw-shifted.txt', text)]);
    expect(run.code).toBe(2);
    const rows = report('rows.csv');
    expect(leaks(rows + run.stdout + run.stderr)).toEqual([]);
    expect(rows).toMatch(/^2,PW20,fail,failed,,invalid-value,"?column AVAILABLE_IND has ""\(value not shown\)"", expected Y or N/m);
    // A mistyped word is still shown, to help fix it.
    expect(rows).toMatch(/^3,PW21,fail,failed,,invalid-value,"?column AVAILABLE_IND has ""maybe""/m);
  });
});
