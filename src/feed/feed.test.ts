/** The feed reader on real files: formats, dialects, line numbers, and every error with its code. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { personHeaderNames } from '../entities/persons/headers.js';
import { FeedFileError, isFeedOf, openFeed, readRawRecords, type FeedItem, type FeedOptions, type RowError } from './index.js';
import type { PersonRecord } from '../entities/persons/record.js';

const dir = mkdtempSync(join(tmpdir(), 'mdlsync-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Buffer, name = `feed${++n}.txt`): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function readAll(path: string, opts?: FeedOptions): Promise<FeedItem[]> {
  const feed = await openFeed(path, opts);
  if (!isFeedOf(feed, 'persons')) throw new Error(`${path} reads as a ${feed.info.type} feed`);
  const out: FeedItem[] = [];
  for await (const item of feed.items()) out.push(item);
  return out;
}
const records = (items: FeedItem[]): PersonRecord[] => items.map((i) => i.record).filter((r): r is PersonRecord => r !== undefined);
const errors = (items: FeedItem[]): RowError[] => items.map((i) => i.error).filter((e): e is RowError => e !== undefined);

async function fileError(path: string, opts?: FeedOptions): Promise<FeedFileError> {
  const err = await openFeed(path, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeedFileError);
  return err as FeedFileError;
}

describe('the SIS guide examples', () => {
  test('example #1: create person accounts', async () => {
    const feed = await openFeed(fixture('sis-persons-store-1.txt'));
    expect(feed.info).toMatchObject({
      type: 'persons',
      dialect: 'sis',
      delimiter: '|',
      encoding: 'utf8',
      columns: ['EXTERNAL_PERSON_KEY', 'USER_ID', 'PASSWD', 'FIRSTNAME', 'LASTNAME'],
      fields: ['key', 'username', 'password', 'firstname', 'lastname'],
      headerLine: 1,
      headerText: 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME',
    });
    const items = await readAll(fixture('sis-persons-store-1.txt'));
    expect(items.map((i) => i.line)).toEqual([2, 3, 4]);
    expect(items[0]).toEqual({
      line: 2,
      record: {
        key: 'testPerson1',
        fields: { username: 'aanderson_test', password: 'changeme', firstname: 'Alpha', lastname: 'Anderson', idnumber: 'testPerson1' },
        // No AVAILABLE_IND column: the snapshot default, available.
        available: true,
      },
    });
    expect(records(items).map((r) => r.fields.username)).toEqual(['aanderson_test', 'bbrown_test', 'gcarlin_test']);
  });

  test('example #2: update with an email', async () => {
    const items = await readAll(fixture('sis-persons-store-2.txt'));
    expect(records(items)).toEqual([
      {
        key: 'testPerson1',
        fields: { username: 'aanderson_test', password: 'changeme', firstname: 'Alpha', lastname: 'Anderson', email: 'aanderson@test.com', idnumber: 'testPerson1' },
        available: true,
      },
    ]);
  });

  test('complete refresh, upper- and lower-case name headers alike', async () => {
    for (const f of ['sis-persons-refresh.txt', 'sis-persons-refresh-ds.txt']) {
      const feed = await openFeed(fixture(f));
      expect(feed.info.dialect).toBe('sis');
      expect(feed.info.fields).toEqual(['key', 'username', 'password', 'firstname', 'lastname']);
      const recs = records(await readAll(fixture(f)));
      expect(recs.map((r) => [r.key, r.fields.firstname, r.fields.lastname])).toEqual([
        ['testPerson1', 'Alpha', 'Anderson'],
        ['testPerson2', 'Beta', 'Brown'],
      ]);
    }
  });

  test('availability: AVAILABLE_IND Y/N', async () => {
    const recs = records(await readAll(fixture('sis-persons-availability.txt')));
    expect(recs.map((r) => [r.key, r.available])).toEqual([
      ['testPerson1', true],
      ['testPerson2', true],
      ['testPerson3', false],
      ['testPerson4', true],
    ]);
  });

  test("availability under the guide's misspelt header AVAILABILE_IND", async () => {
    const text = 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|AVAILABILE_IND\ntestPerson3|gcarlin_test|changeme|Gamma|Carlin|N\n';
    const feed = await openFeed(file(text));
    expect(feed.info.fields[5]).toBe('available');
    expect(records(await readAll(file(text)))[0].available).toBe(false);
  });

  test('row status: enabled/disabled', async () => {
    const recs = records(await readAll(fixture('sis-persons-row-status.txt')));
    expect(recs.map((r) => r.rowStatus)).toEqual(['enabled', 'enabled', 'disabled', 'enabled']);
  });

  test('institution-role and observer feeds are recognised as their types, never as persons', async () => {
    expect((await openFeed(fixture('sis-institution-roles.txt'))).info.type).toBe('institution-roles');
    expect((await openFeed(fixture('sis-observers.txt'))).info.type).toBe('observers');
    expect(await fileError(fixture('sis-observers.txt'), { type: 'persons' })).toMatchObject({ code: 'unknown-type', message: expect.stringMatching(/observers/) });
  });
});

describe('Moodle dialect', () => {
  test('upload-user columns, suspended, profile fields, key = idnumber else username', async () => {
    const feed = await openFeed(fixture('moodle-users.csv'));
    expect(feed.info).toMatchObject({ dialect: 'moodle', delimiter: ',', headerLine: 2 });
    expect(feed.info.fields).toEqual(['username', 'password', 'firstname', 'lastname', 'email', 'idnumber', 'auth', 'suspended', 'profile_field_dept']);
    const items = await readAll(fixture('moodle-users.csv'));
    expect(items).toEqual([
      {
        line: 3,
        record: {
          key: 'P001',
          fields: { username: 'aanderson', password: 'changeme', firstname: 'Alpha', lastname: 'Anderson', email: 'aanderson@test.com', idnumber: 'P001', auth: 'manual' },
          available: true,
          customfields: { dept: 'Engineering' },
        },
      },
      {
        line: 4,
        record: { key: 'bbrown', fields: { username: 'bbrown', firstname: 'Beta', lastname: 'Brown', email: 'bbrown@test.com', auth: 'manual' }, available: false },
      },
    ]);
  });

  test('every Moodle text field, MOODLE_ID, command and data source aliases', async () => {
    const head = 'username;lang;city;country;timezone;institution;department;phone1;phone2;address;description;middlename;alternatename;firstnamephonetic;lastnamephonetic;interests;moodle_id;cmd;datasource';
    const row = 'u1;pt_br;Lisboa;PT;Europe/Lisbon;Uni;Eng;111;222;Rua 1;Hello;M;Al;Fp;Lp;chess;42;del;DS1';
    const [item] = await readAll(file(`${head}\n${row}\n`));
    expect(item.record).toEqual({
      key: 'u1',
      fields: {
        username: 'u1',
        lang: 'pt_br',
        city: 'Lisboa',
        country: 'PT',
        timezone: 'Europe/Lisbon',
        institution: 'Uni',
        department: 'Eng',
        phone1: '111',
        phone2: '222',
        address: 'Rua 1',
        description: 'Hello',
        middlename: 'M',
        alternatename: 'Al',
        firstnamephonetic: 'Fp',
        lastnamephonetic: 'Lp',
        interests: 'chess',
      },
      moodleId: 42,
      command: 'delete',
      dataSource: 'DS1',
    });
  });

  test('data_source_key alone does not make a file SIS dialect', async () => {
    const feed = await openFeed(file('DATA_SOURCE_KEY,username\nDS,u\n'));
    expect(feed.info.dialect).toBe('moodle');
  });
});

describe('SIS aliases and case-insensitivity', () => {
  test('FIRST_NAME, LAST_NAME, address/phone/company aliases, ACTION, MOODLE_ID, DATA_SOURCE_KEY', async () => {
    const text =
      'external_person_key|User_Id|Passwd|First_Name|LAST_NAME|MIDDLENAME|Email|STREET_1|CITY|COUNTRY|B_PHONE_1|M_PHONE|DEPARTMENT|COMPANY|DATA_SOURCE_KEY|MOODLE_ID|ACTION|row_status|available_ind\n' +
      ' K1 |JSilva| pw |José|Silva|M|j@x.org|Rua 1|Porto|PT|111|222|Eng|Uni|SIS.DS|7|ADD|Disabled|yes\n';
    const feed = await openFeed(file(text));
    expect(feed.info.dialect).toBe('sis');
    expect(feed.info.fields).toEqual([
      'key',
      'username',
      'password',
      'firstname',
      'lastname',
      'middlename',
      'email',
      'address',
      'city',
      'country',
      'phone1',
      'phone2',
      'department',
      'institution',
      'dataSource',
      'moodleId',
      'command',
      'rowStatus',
      'available',
    ]);
    const [item] = await readAll(file(text));
    expect(item.record).toEqual({
      key: 'K1',
      fields: {
        username: 'jsilva',
        password: 'pw',
        firstname: 'José',
        lastname: 'Silva',
        middlename: 'M',
        email: 'j@x.org',
        address: 'Rua 1',
        city: 'Porto',
        country: 'PT',
        phone1: '111',
        phone2: '222',
        department: 'Eng',
        institution: 'Uni',
        idnumber: 'K1',
      },
      dataSource: 'SIS.DS',
      moodleId: 7,
      command: 'store',
      rowStatus: 'disabled',
      available: true,
    });
  });

  test('empty cells are absent, never ""; values trimmed; username lower-cased', async () => {
    const [item] = await readAll(file('EXTERNAL_PERSON_KEY|USER_ID|EMAIL|AVAILABLE_IND|ROW_STATUS\n k |  ABC  |   ||\n'));
    expect(item.record).toEqual({ key: 'k', fields: { username: 'abc', idnumber: 'k' }, available: true });
  });

  test('AVAILABLE_IND accepts Y/N/yes/no/true/false/1/0 in any case', async () => {
    const vals = ['Y', 'n', 'YES', 'no', 'True', 'FALSE', '1', '0'];
    const text = `EXTERNAL_PERSON_KEY|AVAILABLE_IND\n${vals.map((v, i) => `k${i}|${v}`).join('\n')}\n`;
    expect(records(await readAll(file(text))).map((r) => r.available)).toEqual([true, false, true, false, true, false, true, false]);
  });

  test('personHeaderNames lists both dialects', () => {
    const names = personHeaderNames();
    for (const h of ['EXTERNAL_PERSON_KEY', 'USER_ID', 'PASSWD', 'FIRST_NAME', 'AVAILABILE_IND', 'MOODLE_ID', 'username', 'suspended', 'idnumber', 'profile_field_<shortname>']) {
      expect(names).toContain(h);
    }
  });
});

describe('format', () => {
  const rows = (d: string) => `EXTERNAL_PERSON_KEY${d}USER_ID${d}FIRSTNAME\nk1${d}u1${d}A\nk2${d}u2${d}B\n`;

  test.each([
    ['|', 'pipe'],
    [',', 'comma'],
    [';', 'semicolon'],
    ['\t', 'tab'],
  ])('detects %j (%s)', async (d) => {
    const path = file(rows(d));
    expect((await openFeed(path)).info.delimiter).toBe(d);
    expect(records(await readAll(path)).map((r) => r.fields.username)).toEqual(['u1', 'u2']);
  });

  test('the most frequent delimiter outside quotes wins; --delimiter overrides', async () => {
    const path = file('"EXTERNAL_PERSON_KEY,|;";USER_ID;FIRSTNAME\n');
    // split on ';' (2 outside quotes), so the quoted name is one unknown column
    expect((await fileError(path)).message).toContain('unknown column "EXTERNAL_PERSON_KEY,|;"');
    const mixed = file('EXTERNAL_PERSON_KEY,USER_ID|FIRSTNAME|LASTNAME\n');
    expect((await fileError(mixed)).message).toContain('"EXTERNAL_PERSON_KEY,USER_ID"');
    expect((await fileError(mixed, { delimiter: ',' })).message).toContain('"USER_ID|FIRSTNAME|LASTNAME"');
    const tab = file('EXTERNAL_PERSON_KEY\tFIRSTNAME\nk\tAnn, Mary\n');
    expect((await openFeed(tab, { delimiter: 'tab' })).info.delimiter).toBe('\t');
    expect(records(await readAll(tab, { delimiter: '\t' }))[0].fields.firstname).toBe('Ann, Mary');
  });

  test('RFC 4180 quoting: embedded delimiter, newline and doubled quotes; line numbers count the inner lines', async () => {
    const text = 'EXTERNAL_PERSON_KEY,USER_ID,FIRSTNAME,LASTNAME\n"k1","u1","Ann, Mary","O""Brien"\nk2,u2,"two\nline\nname",X\nk3,u3,C,D\n';
    const items = await readAll(file(text));
    expect(items.map((i) => i.line)).toEqual([2, 3, 6]);
    expect(records(items).map((r) => [r.fields.firstname, r.fields.lastname])).toEqual([
      ['Ann, Mary', 'O"Brien'],
      ['two\nline\nname', 'X'],
      ['C', 'D'],
    ]);
  });

  test('a quote inside an unquoted value is data', async () => {
    const [item] = await readAll(file('EXTERNAL_PERSON_KEY|LASTNAME\nk|O"Brien\n'));
    expect(item.record?.fields.lastname).toBe('O"Brien');
  });

  test('UTF-8 BOM, CRLF, comments and blank lines; line numbers still right', async () => {
    const text = '\uFEFF# exported 2026-01-05\r\n\r\nEXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME\r\nk1|u1|A\r\n# a comment between rows\r\n\r\n   \r\nk2|u2|"multi\r\nline"\r\n||\r\nk3|u3|C #not a comment\r\n#k4|u4|D\r\nk5|u5|E';
    const path = file(text);
    const feed = await openFeed(path);
    expect(feed.info.headerLine).toBe(3);
    expect(feed.info.headerText).toBe('EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME');
    expect(feed.info.columns[0]).toBe('EXTERNAL_PERSON_KEY');
    const items = await readAll(path);
    expect(items.map((i) => [i.line, i.record?.key])).toEqual([
      [4, 'k1'],
      [8, 'k2'],
      [11, 'k3'],
      [13, 'k5'],
    ]);
    // Line endings inside a value come out as LF whatever the file uses.
    expect(records(items)[1].fields.firstname).toBe('multi\nline');
    expect(records(items)[2].fields.firstname).toBe('C #not a comment');
  });

  test('a # inside a value is data, also first in a later cell', async () => {
    const [item] = await readAll(file('EXTERNAL_PERSON_KEY|FIRSTNAME\nk|#1 Ann\n'));
    expect(item.record?.fields.firstname).toBe('#1 Ann');
  });

  test.each([
    ['latin1', 'latin1' as const],
    ['windows-1252', 'windows-1252' as const],
  ])('%s on request: é and €', async (_name, encoding) => {
    const text = 'EXTERNAL_PERSON_KEY|FIRSTNAME|LASTNAME|DEPARTMENT\nk1|José|Müller|€ budget\n';
    const path = file(Buffer.from(text.replace('€', '\x80'), 'latin1'));
    const [item] = await readAll(path, { encoding });
    expect(item.record?.fields).toMatchObject({ firstname: 'José', lastname: 'Müller', department: '€ budget' });
  });

  test('leaving the loop early closes the file and stops', async () => {
    const feed = await openFeed(fixture('sis-persons-store-1.txt'));
    const seen: number[] = [];
    for await (const item of feed.items()) {
      seen.push(item.line);
      break;
    }
    expect(seen).toEqual([2]);
  });

  test('batches give the items, in order, over many chunks of the file; multi-byte and long cells read whole', async () => {
    // ~300 KB: several of the reader's chunks, so rows and multi-byte characters fall across chunk boundaries.
    const rows: string[] = [];
    for (let i = 1; i <= 3000; i++) {
      const first = i % 7 === 0 ? `Zoë-${'é'.repeat(i % 40)}` : `First${i}`;
      const dept = i % 11 === 0 ? `${'€'.repeat(30)} budget ${'x'.repeat(i % 90)}` : '';
      rows.push(i % 13 === 0 ? `P${i}|p${i}|only-three` : `P${i}|p${i}|${first}|Last${i}|${dept}`);
    }
    const path = file(`EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|DEPARTMENT\n${rows.join('\n')}\n`);
    const feed = await openFeed(path);
    const batched: FeedItem[] = [];
    let batches = 0;
    for await (const batch of feed.batches!()) {
      expect(batch.length).toBeGreaterThan(0);
      batches++;
      batched.push(...(batch as FeedItem[]));
    }
    const items = await readAll(path);
    expect(batches).toBeGreaterThan(1);
    expect(batched).toEqual(items);
    expect(items).toHaveLength(3000);
    expect(records(items).find((r) => r.key === 'P77')?.fields).toMatchObject({ firstname: `Zoë-${'é'.repeat(37)}`, department: `${'€'.repeat(30)} budget ${'x'.repeat(77)}` });
    expect(errors(items).map((e) => e.line)).toEqual(Array.from({ length: 230 }, (_, k) => 13 * (k + 1) + 1));
  });

  test('header only: zero items, no error', async () => {
    expect(await readAll(file('EXTERNAL_PERSON_KEY|USER_ID\n'))).toEqual([]);
    expect(await readAll(file('# c\nEXTERNAL_PERSON_KEY|USER_ID'))).toEqual([]);
  });
});

describe('file errors', () => {
  test('unknown header names the closest known one, in the same case', async () => {
    const err = await fileError(file('EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME|LASTNAME|EMAL\nk|u|f|l|e\n'));
    expect(err.code).toBe('unknown-header');
    expect(err.message).toBe('unknown column "EMAL" (did you mean "EMAIL"?)');
    expect((await fileError(file('username,frstname,zzzqqq\n'))).message).toBe('unknown columns "frstname" (did you mean "firstname"?) and "zzzqqq"');
    expect((await fileError(file('username,,email\n'))).message).toContain('column 2 has no name');
  });

  test('same header twice, also through an alias', async () => {
    expect(await fileError(file('EXTERNAL_PERSON_KEY|EMAIL|email\n'))).toMatchObject({ code: 'duplicate-header', message: 'column "email" appears twice' });
    expect(await fileError(file('EXTERNAL_PERSON_KEY|FIRSTNAME|FIRST_NAME\n'))).toMatchObject({ code: 'duplicate-header', message: expect.stringContaining('"FIRSTNAME" and "FIRST_NAME"') });
    expect((await fileError(file('EXTERNAL_PERSON_KEY|idnumber\n'))).code).toBe('duplicate-header');
    expect((await fileError(file('username,suspended,AVAILABLE_IND\n'))).code).toBe('duplicate-header');
  });

  test('missing key column', async () => {
    expect(await fileError(file('USER_ID|PASSWD|FIRSTNAME|LASTNAME\nu|p|f|l\n'))).toMatchObject({ code: 'missing-column', message: expect.stringContaining('EXTERNAL_PERSON_KEY') });
    expect(await fileError(file('firstname,lastname,email\n'))).toMatchObject({ code: 'missing-column', message: expect.stringContaining('"username" or "idnumber"') });
  });

  test('empty file, comments only, blank only', async () => {
    for (const text of ['', '# only a comment\n# another\n', '\n\n  \r\n']) {
      expect((await fileError(file(text))).code).toBe('empty-file');
    }
  });

  test('wrong delimiter: forced comma on a semicolon file, and a colon-separated file', async () => {
    const semi = await fileError(file('EXTERNAL_PERSON_KEY;USER_ID;FIRSTNAME\nk;u;f\n'), { delimiter: ',' });
    expect(semi.code).toBe('wrong-delimiter');
    expect(semi.message).toContain('seems to use ";"');
    const colon = await fileError(file('EXTERNAL_PERSON_KEY:USER_ID:FIRSTNAME\nk:u:f\n'));
    expect(colon.code).toBe('wrong-delimiter');
    expect(colon.message).toContain('seems to use ":"');
    expect(colon.message).toContain('--delimiter ":"');
  });

  test('type: persons asked, other headers', async () => {
    expect((await fileError(file('EXTERNAL_COURSE_KEY|COURSE_ID|COURSE_NAME\n'), { type: 'persons' })).code).toBe('unknown-type');
    expect((await fileError(file('foo|bar\n'))).code).toBe('unknown-type');
  });

  test('header not valid UTF-8, and a UTF-8 BOM under --encoding latin1', async () => {
    const bad = Buffer.concat([Buffer.from('EXTERNAL_PERSON_KEY|FIRSTNAME|P'), Buffer.from([0xe9]), Buffer.from('RE\nk|a|b\n')]);
    expect(await fileError(file(bad))).toMatchObject({ code: 'invalid-encoding', message: expect.stringContaining('--encoding latin1') });
    expect((await fileError(file('\uFEFFEXTERNAL_PERSON_KEY\nk\n'), { encoding: 'latin1' })).code).toBe('invalid-encoding');
  });

  test('unreadable file', async () => {
    expect((await fileError(join(dir, 'nope.txt'))).code).toBe('unreadable');
    expect((await fileError(dir)).code).toBe('unreadable');
  });
});

describe('row errors (the rest of the file still runs)', () => {
  const H = 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL';

  test('short and long rows', async () => {
    const items = await readAll(file(`${H}\nk1|u1|p|A|B|a@x\nk2|u2|p|A\nk3|u3|p|A|B|c@x|extra\nk4|u4|p|A|B|d@x\n`));
    expect(errors(items)).toEqual([
      { line: 3, key: 'k2', code: 'short-row', message: 'the row has 4 values, the header has 6' },
      { line: 4, key: 'k3', code: 'long-row', message: 'the row has 7 values, the header has 6' },
    ]);
    expect(records(items).map((r) => r.key)).toEqual(['k1', 'k4']);
  });

  test('missing key', async () => {
    expect(errors(await readAll(file(`${H}\n|u1|p|A|B|a@x\n`)))).toEqual([{ line: 2, code: 'missing-value', message: 'the key column EXTERNAL_PERSON_KEY is empty' }]);
    expect(errors(await readAll(file('username,idnumber,email\n,,a@x\n')))[0]).toMatchObject({ code: 'missing-value', message: 'both key columns, idnumber and username, are empty' });
  });

  test('invalid values name the column and the value', async () => {
    const text =
      'EXTERNAL_PERSON_KEY|AVAILABLE_IND|ROW_STATUS|MOODLE_ID|ACTION\nk1|maybe|||\nk2||gone||\nk3|||-4|\nk4|||12a|\nk5||||shift\nk6|y|ENABLED|12|store\n';
    const items = await readAll(file(text));
    expect(errors(items).map((e) => [e.line, e.key, e.code])).toEqual([
      [2, 'k1', 'invalid-value'],
      [3, 'k2', 'invalid-value'],
      [4, 'k3', 'invalid-moodle-id'],
      [5, 'k4', 'invalid-moodle-id'],
      [6, 'k5', 'invalid-value'],
    ]);
    expect(errors(items)[0].message).toBe('column AVAILABLE_IND has "maybe", expected Y or N');
    expect(errors(items)[2].message).toContain('column MOODLE_ID has "-4"');
    expect(records(items)).toEqual([{ key: 'k6', fields: { idnumber: 'k6' }, available: true, rowStatus: 'enabled', moodleId: 12, command: 'store' }]);
    expect(errors(await readAll(file('username,suspended\nu,yes\n')))[0].message).toBe('column suspended has "yes", expected 0 or 1');
  });

  test('invalid UTF-8 in a row suggests --encoding latin1', async () => {
    const bad = Buffer.concat([Buffer.from(`${H}\nk1|u1|p|A|B|a@x\nk2|u2|p|Jos`), Buffer.from([0xe9]), Buffer.from('|Silva|b@x\nk3|u3|p|C|D|c@x\n')]);
    const items = await readAll(file(bad));
    expect(errors(items)).toEqual([{ line: 3, key: 'k2', code: 'invalid-encoding', message: expect.stringMatching(/FIRSTNAME.*--encoding latin1/) }]);
    expect(records(items).map((r) => r.key)).toEqual(['k1', 'k3']);
  });

  test('a 10 MB single field between two good rows: both good rows read, one record-too-large', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const path = file(`${H}\nk1|u1|p|A|B|a@x\nk2|u2|p|${huge}|B|b@x\nk3|u3|p|C|D|c@x\n`);
    const before = process.memoryUsage().heapUsed;
    const items = await readAll(path);
    expect(items.map((i) => [i.line, i.record?.key ?? i.error?.code])).toEqual([
      [2, 'k1'],
      [3, 'record-too-large'],
      [4, 'k3'],
    ]);
    // The huge value was never held as a string (10 MB of 'x' would be ~10-20 MB of heap).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });

  test('a huge quoted field with inner newlines and quotes still ends where it ends', async () => {
    const huge = `"${'ab""\n'.repeat(600_000)}"`;
    const items = await readAll(file(`${H}\nk1|u1|p|A|B|a@x\nk2|u2|p|${huge}|B|b@x\nk3|u3|p|C|D|c@x\n`));
    expect(items.map((i) => [i.line, i.record?.key ?? i.error?.code])).toEqual([
      [2, 'k1'],
      [3, 'record-too-large'],
      [600_004, 'k3'],
    ]);
  });

  test('maxRecordSize is configurable', async () => {
    const items = await readAll(file(`${H}\nk1|u1|p|A|B|a@x\nk2|u2|p|${'y'.repeat(200)}|B|b@x\n`), { maxRecordSize: 100 });
    expect(items[1].error).toMatchObject({ line: 3, code: 'record-too-large', message: 'the row is longer than 100 characters, the most a row may have' });
  });

  test('an unterminated quote is reported at its line, not swallowed silently', async () => {
    const items = await readAll(file(`${H}\nk1|u1|p|A|B|a@x\nk2|u2|p|"Ann|B|b@x\nk3|u3|p|C|D|c@x\nk4|u4|p|E|F|d@x\n`));
    expect(items.map((i) => [i.line, i.record?.key ?? i.error?.code])).toEqual([
      [2, 'k1'],
      [3, 'unterminated-quote'],
    ]);
    expect(items[1].error?.message).toContain('lines 3 to 5');
  });

  test('an unbalanced quote closed by a later one shows the row span', async () => {
    const items = await readAll(file(`${H}\nk1|u1|p|"Ann|B|b@x\nk2|u2|p|C"|D|c@x|z\nk3|u3|p|E|F|d@x\n`));
    expect(items[0].error).toMatchObject({ line: 2, code: 'long-row', message: expect.stringContaining('runs over 2 lines') });
    expect(items[1]).toMatchObject({ line: 4, record: { key: 'k3' } });
  });
});

describe('rows whose key cannot be trusted', () => {
  const H = 'EXTERNAL_PERSON_KEY|USER_ID|PASSWD|FIRSTNAME|LASTNAME|EMAIL';
  const view = (items: FeedItem[]) => items.map((i) => ({ line: i.line, key: i.error ? (i.error.key ?? null) : i.record.key, code: i.error?.code ?? null, unread: i.error?.keyUnread ?? false }));

  test('a row read as one value, a quoted delimiter or bad bytes in or before the key: no key, marked unread', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${H}\nk1;u1;pw-1;A;B;a@x\n"k2|u2|pw-2"|u|p|A|B|b@x\nk3\xe9|u3|pw-3|A|B|c@x\nk4|u4|pw-4|Jos\xe9|B|d@x\n`, 'latin1'),
      Buffer.from('k5|u5|pw-5|A|B\nk6|u6|pw-6|A|M|B|f@x\n|u7|pw-7|A|B|g@x\nk8|u8|"pw-8|A|B|h@x\nk9|u9|pw-9|A|B|i@x\n'),
    ]);
    expect(view(await readAll(file(bytes)))).toEqual([
      { line: 2, key: null, code: 'short-row', unread: true },
      { line: 3, key: null, code: 'unreadable-key', unread: true },
      { line: 4, key: null, code: 'invalid-encoding', unread: true },
      // Bad bytes after the key: the key is read, the row fails for its bytes.
      { line: 5, key: 'k4', code: 'invalid-encoding', unread: false },
      // Wrong length, the key first: still the key.
      { line: 6, key: 'k5', code: 'short-row', unread: false },
      { line: 7, key: 'k6', code: 'long-row', unread: false },
      // An empty key in a whole row is a row error, not an unread row.
      { line: 8, key: null, code: 'missing-value', unread: false },
      { line: 9, key: null, code: 'unterminated-quote', unread: true },
    ]);
  });

  test('wrong length with the key after other columns: the key may have shifted, so it is not read', async () => {
    const items = await readAll(file('USER_ID|EXTERNAL_PERSON_KEY|FIRSTNAME|LASTNAME\nu1|k1|A\nu2|k2|A|B\n'));
    expect(view(items)).toEqual([
      { line: 2, key: null, code: 'short-row', unread: true },
      { line: 3, key: 'k2', code: null, unread: false },
    ]);
    expect(items[0].error?.message).toMatch(/the row has 3 values, the header has 4.*key is not read/);
  });
});

describe('readRawRecords', () => {
  test('exactly the raw bytes of the chosen rows and of the header, multi-line ones whole', async () => {
    const text = '# head\r\nEXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME\r\nk1|u1|A\r\n\r\n# note\r\nk2| u2 |"two\r\nlines"\r\nk3|u3|"q""x"\r\nk4|u4\r\nk5|u5|E';
    const path = file(text);
    const feed = await openFeed(path);
    const lines = (await readAll(path)).map((i) => i.line);
    expect(lines).toEqual([3, 6, 8, 9, 10]);
    const raw = await readRawRecords(feed.info, new Set([6, 8, 9, 10, 99]));
    expect([...raw.entries()].map(([l, b]) => [l, b.toString('utf8')])).toEqual([
      [2, 'EXTERNAL_PERSON_KEY|USER_ID|FIRSTNAME'],
      [6, 'k2| u2 |"two\r\nlines"'],
      [8, 'k3|u3|"q""x"'],
      [9, 'k4|u4'],
      [10, 'k5|u5|E'],
    ]);
  });

  test('gives the bytes back undecoded, whatever the feed encoding', async () => {
    const bytes = Buffer.from('EXTERNAL_PERSON_KEY;FIRSTNAME\nk1;Jos\xe9\rk2;\x80\n', 'latin1');
    const path = file(bytes);
    for (const encoding of ['latin1', 'utf8'] as const) {
      const feed = await openFeed(path, { encoding });
      const raw = await readRawRecords(feed.info, new Set([2, 3]));
      expect(raw.get(2)).toEqual(Buffer.from('k1;Jos\xe9', 'latin1'));
      expect(raw.get(3)).toEqual(Buffer.from([0x6b, 0x32, 0x3b, 0x80]));
    }
  });
});

describe('did you mean', () => {
  test('suggests typos only, never a column with another meaning', async () => {
    const { suggest } = await import('./headers.js');
    const { PERSON_HEADERS } = await import('../entities/persons/headers.js');
    const { ENROLMENT_HEADERS } = await import('../entities/enrolments/feed.js');
    expect(suggest('emial', PERSON_HEADERS)).toBe('email');
    expect(suggest('usernam', PERSON_HEADERS)).toBe('username');
    expect(suggest('FRISTNAME', PERSON_HEADERS)).toBe('FIRSTNAME');
    expect(suggest('oldusername', PERSON_HEADERS)).toBeUndefined();
    expect(suggest('institution_role', PERSON_HEADERS)).toBeUndefined();
    expect(suggest('uid', ENROLMENT_HEADERS)).toBeUndefined();
  });
});
