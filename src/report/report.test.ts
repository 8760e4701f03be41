import { describe, expect, test } from '@jest/globals';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Outcome } from '../apply/types.js';
import type { FeedInfo } from '../feed/types.js';
import { asMoodleErrorcode } from '../errors.js';
import { archiveInput, detectEol, newRunId, writeRowsCsv, writeTryback } from './index.js';
import { redactValue } from './redact.js';
import { hintFor, UNKNOWN_CODE_HINT } from '../hints.js';
import { parse } from 'csv-parse/sync';

const tmp = () => mkdtempSync(join(tmpdir(), 'mdlsync-report-'));

function info(path: string, encoding: FeedInfo['encoding'] = 'utf8'): FeedInfo {
  return { path, type: 'persons', dialect: 'sis', delimiter: '|', encoding, columns: [], fields: [], headerLine: 1, headerText: 'EXTERNAL_PERSON_KEY|FIRSTNAME' };
}

describe('tryback', () => {
  test('holds the header and only the failed rows, each after its reason, mode 0600', async () => {
    const dir = tmp();
    const failed: Outcome[] = [
      { line: 3, key: 'k3', action: 'create', outcome: 'failed', errorcode: asMoodleErrorcode('invalidparameter'), message: 'Email address is invalid:\nx' },
      { line: null, key: 'gone', action: 'disable', outcome: 'failed', errorcode: 'transient', message: 'timeout' },
    ];
    const path = await writeTryback(dir, info(join(dir, 'people.txt')), failed, new Map([[3, 'k3|Zoë']]), '\r\n');
    expect(path).toBe(join(dir, 'people.tryback.txt'));
    expect(readFileSync(path!, 'utf8')).toBe('EXTERNAL_PERSON_KEY|FIRSTNAME\r\n# line 3: invalidparameter: Email address is invalid: x\r\nk3|Zoë\r\n');
    expect(statSync(path!).mode & 0o777).toBe(0o600);
  });

  test("keeps the input's encoding (windows-1252 €, Latin-1 é)", async () => {
    const dir = tmp();
    const failed: Outcome[] = [{ line: 2, key: 'k', action: 'create', outcome: 'failed', errorcode: asMoodleErrorcode('x'), message: 'y' }];
    const path = await writeTryback(dir, info(join(dir, 'p.csv'), 'windows-1252'), failed, new Map([[2, 'k|José €5']]), '\n');
    const bytes = readFileSync(path!);
    expect(iconv.decode(bytes, 'win1252')).toContain('k|José €5');
    expect(bytes.includes(0x80)).toBe(true);
  });

  test('writes rows and the header given as bytes as they are, only the comments encoded', async () => {
    const dir = tmp();
    const failed: Outcome[] = [{ line: 2, key: 'k', action: 'create', outcome: 'failed', errorcode: asMoodleErrorcode('x'), message: 'é' }];
    const raw = new Map([
      [1, Buffer.from('EXTERNAL_PERSON_KEY|FIRSTNAME', 'latin1')],
      [2, Buffer.from([0x6b, 0x7c, 0xe9, 0xff])],
    ]);
    const path = await writeTryback(dir, info(join(dir, 'p.txt')), failed, raw, '\n');
    expect(readFileSync(path!)).toEqual(Buffer.concat([Buffer.from('EXTERNAL_PERSON_KEY|FIRSTNAME\n# line 2: x: é\n', 'utf8'), Buffer.from([0x6b, 0x7c, 0xe9, 0xff, 0x0a])]));
  });

  test('no failed rows, no file', async () => {
    expect(await writeTryback(tmp(), info('x.txt'), [], new Map(), '\n')).toBeNull();
  });
});

describe('other outputs', () => {
  test('rows.csv quotes messages with commas and never needs a password', async () => {
    const dir = tmp();
    await writeRowsCsv(dir, [{ line: 2, key: 'a', action: 'create', outcome: 'failed', errorcode: asMoodleErrorcode('e'), message: 'one, two' }]);
    expect(readFileSync(join(dir, 'rows.csv'), 'utf8')).toBe(`line,key,action,outcome,moodle_id,errorcode,message,type,hint\n2,a,create,failed,,e,"one, two",,"${UNKNOWN_CODE_HINT}"\n`);
  });

  test('rows.csv holds the same bytes csv-stringify writes, for awkward values and past one write chunk', async () => {
    const dir = tmp();
    const awkward = ['', 'plain', 'one, two', 'say "hi"', 'line\nbreak', 'cr\rhere', '"', ',', ' spaced ', 'Zoë €', '=1+1', '0'];
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 3000; i++) {
      const pick = (n: number) => awkward[(i * 7 + n) % awkward.length];
      const o: Outcome = { line: i % 5 === 0 ? null : i, key: `${pick(1)}k${i}`, action: 'unchanged', outcome: i % 3 === 0 ? 'failed' : 'unchanged' };
      if (i % 2 === 0) o.moodleId = i % 4 === 0 ? 0 : 1000 + i;
      if (i % 3 === 0) o.errorcode = asMoodleErrorcode(pick(2));
      if (i % 3 !== 1) o.message = pick(3);
      if (i % 2 === 1) o.type = 'persons';
      outcomes.push(o);
    }
    await writeRowsCsv(dir, outcomes);
    const expected = stringify(
      outcomes.map((o) => [o.line ?? '', o.key, o.action, o.outcome, o.moodleId ?? '', o.errorcode ?? '', o.message ?? '', o.type ?? '', hintFor(o.errorcode, o.message) ?? '']),
      { header: true, columns: ['line', 'key', 'action', 'outcome', 'moodle_id', 'errorcode', 'message', 'type', 'hint'], escape_formulas: true },
    );
    expect(readFileSync(join(dir, 'rows.csv'), 'utf8')).toBe(expected);
    expect(expected).toContain("'=1+1k3");
    expect(statSync(join(dir, 'rows.csv')).mode & 0o777).toBe(0o600);
  });

  test("rows.csv's last column is the hint of the row's code, sharpened by its message", async () => {
    const dir = tmp();
    await writeRowsCsv(dir, [
      { line: 2, key: 'a', action: 'create', outcome: 'failed', errorcode: asMoodleErrorcode('invalidparameter'), message: 'Invalid parameter value detected — Email address already exists: a@example.com' },
      { line: 3, key: 'b', action: 'create', outcome: 'failed', errorcode: 'duplicate-key', message: 'key b twice' },
      { line: 4, key: 'c', action: 'create', outcome: 'ok', moodleId: 7 },
    ]);
    const rows = parse(readFileSync(join(dir, 'rows.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.hint)).toEqual([
      expect.stringContaining('allowaccountssameemail'),
      'the key appears twice in the file: keep one row per key',
      '',
    ]);
  });

  test('rows.csv of no rows is the header alone', async () => {
    const dir = tmp();
    await writeRowsCsv(dir, []);
    expect(readFileSync(join(dir, 'rows.csv'), 'utf8')).toBe('line,key,action,outcome,moodle_id,errorcode,message,type,hint\n');
  });

  test('archive copies the input byte for byte, mode 0600, under the day', async () => {
    const dir = tmp();
    const input = join(dir, 'in.txt');
    writeFileSync(input, 'a|b\n1|2\n');
    const path = await archiveInput(input, join(dir, 'archive'), 'RUN1', new Date('2026-11-23T10:00:00Z'));
    expect(path).toBe(join(dir, 'archive', '2026-11-23', 'RUN1__in.txt'));
    expect(readFileSync(path, 'utf8')).toBe('a|b\n1|2\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test('run ids sort by time and differ', () => {
    const a = newRunId(new Date('2026-11-23T10:00:00Z'));
    expect(a).toMatch(/^20261123T100000000Z-[0-9a-f]{4}$/);
    expect(newRunId(new Date('2026-11-23T10:00:00.001Z')) > a).toBe(true);
  });

  test('line endings are detected', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'crlf.txt'), 'a\r\nb\r\n');
    writeFileSync(join(dir, 'lf.txt'), 'a\nb\n');
    expect(await detectEol(join(dir, 'crlf.txt'))).toBe('\r\n');
    expect(await detectEol(join(dir, 'lf.txt'))).toBe('\n');
  });

  test('log redaction removes secret keys and registered secrets at any depth', () => {
    const out = redactValue({ message: 'call with tok123456 failed', params: { users: [{ password: 'P@ss1' }] }, wstoken: 'tok123456' }, ['tok123456']);
    expect(JSON.stringify(out)).not.toMatch(/tok123456|P@ss1/);
  });
});
