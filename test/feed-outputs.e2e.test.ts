/**
 * What a run writes about its rows (real CLI, sandbox over HTTP): rows.csv and plan.csv are safe to open in a
 * spreadsheet and never hold a password; the tryback holds the failed lines byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
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
