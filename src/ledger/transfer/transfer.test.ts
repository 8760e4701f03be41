/**
 * `mdlsync ledger export|import` below the CLI: the format against the SQLite schema (no table or column left out
 * unnoticed), a lossless round trip, the reads streaming in one snapshot, every refusal naming its line with nothing
 * imported, and the file written 0600 under a temporary name. The round trip through real runs: test/ledger-transfer.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { LEDGER_SCHEMA_VERSION, SqliteLedger, type LedgerStore, type LinkWrite } from '../index.js';
import { PG_NOT_EXPORTED } from '../postgres/transfer.js';
import { PG_URL, eachBackend, pgAdmin, type LedgerBackend } from '../test-backends.js';
import {
  EXPORT_TABLES,
  EXPORT_VERSION,
  ExportFile,
  FIRST_EXPORT_SCHEMA,
  ROW_UPGRADES,
  SQLITE_NOT_EXPORTED,
  sameSite,
  siteOf,
  streamWriter,
  writeExport,
  writeFileAtomically,
} from './index.js';

let dir: string;
const opened: LedgerStore[] = [];
const NOW = new Date('2026-12-01T10:00:00.000Z');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdlsync-transfer-'));
});
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close();
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function open(name: string): SqliteLedger {
  const l = SqliteLedger.open(join(dir, name));
  opened.push(l);
  return l;
}

function w(key: string, over: Partial<LinkWrite> = {}): LinkWrite {
  return { entity: 'persons', key, moodleId: 100 + Number(key.replace(/\D/g, '') || 0), dataSource: 'SIS', hash: `h-${key}`, status: 'active', runId: 'r1', ...over };
}

/** A ledger with a row in every exported table, and what only the ledger keeps besides (seen marks, a retry's claim, the lock). */
async function fill(l: LedgerStore): Promise<LedgerStore> {
  await l.startRun({ id: 'r1', file: '/in/people.txt', sha256: 'a'.repeat(64), type: 'persons', op: 'store', dataSource: 'SIS', startedAt: '2026-11-30T09:00:00.000Z' });
  // Learnt in this order (not the keys' order): planning reads links in it.
  await l.writeLinks([w('P3'), w('P1', { data: '{"blocked":true}' }), w('P2'), w('P4', { status: 'disabled' })]);
  await l.writeLinks([{ entity: 'enrolments', key: 'C1|P1', moodleId: 7, dataSource: 'SIS', hash: null, state: 'e1;role=student;start=0;end=0;suspend=0', status: 'active', runId: 'r1', data: '{"roleid":5}' }]);
  await l.finishRun('r1', 'ok', { rows: 5 });
  await l.startRun({ id: 'r2', file: '/in/people.txt', sha256: 'b'.repeat(64), type: 'persons', op: 'store', dataSource: null, startedAt: '2026-11-30T10:00:00.000Z' });
  // A later run: its marks are later than r1's writes (within one millisecond the link's own write would win).
  await new Promise((r) => setTimeout(r, 2));
  await l.markSeen('persons', ['P1', 'P2'], 'r2');
  await l.finishRun('r2', 'ok', 'unchanged 2');
  const retry = await l.retries.add({ source: 'watch:/drop', name: 'persons.csv', file: '/drop/.retry/x', type: 'persons', op: 'store', dataSource: 'SIS', force: true, rows: 3, attempts: 2, nextAt: 1_780_000_000_000, lastError: 'HTTP 503' });
  await l.retries.claimDue('watch:/drop', retry.nextAt, { id: 'watcher-1', pid: process.pid, host: hostname() });
  await l.exports.replace('grades|all', ['C1'], [{ course: 'C1', person: 'P1', item: '', hash: 'g1' }, { course: 'C1', person: 'P1', item: 'LAB1', hash: 'g2' }], 'r3', '2026-11-30T11:00:00.000Z');
  await l.pictures.put({ match: 'key', name: 'P1', moodleId: 101, sha256: 'c'.repeat(64), bytes: 2048, revision: 4, lastRun: 'r4' });
  await l.passwordKey();
  await l.acquireLock({ id: 'other', pid: process.pid, host: hostname() }, 60_000);
  return l;
}

async function exportText(l: LedgerStore, opts: { secrets?: boolean; site?: string } = {}): Promise<string> {
  const chunks: string[] = [];
  await writeExport(l.transfer, async (c) => void chunks.push(c), { secrets: opts.secrets ?? true, site: opts.site, now: NOW });
  return chunks.join('');
}

async function importText(target: LedgerStore, text: string, replace = false) {
  const path = join(dir, `import-${Math.random().toString(16).slice(2)}.jsonl`);
  writeFileSync(path, text);
  const file = ExportFile.open(path, LEDGER_SCHEMA_VERSION);
  try {
    return await target.transfer.load(file.records(), { replace, source: path });
  } finally {
    file.close();
  }
}

const allLinks = (l: LedgerStore) => l.listLinks({ limit: 1000, offset: 0 });
const learntKeys = async (l: LedgerStore) => (await l.linkPage!('persons', 0, 100)).links.map((x) => x.key);

describe('the format covers the SQLite schema', () => {
  const db = () => new Database(join(dir, 'schema.db'));

  it('every table of a migrated ledger is exported, or named as not exported with the reason', async () => {
    await open('schema.db').close();
    const d = db();
    const tables = (d.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[]).sort();
    d.close();
    const named = [...EXPORT_TABLES.map((t) => t.name), ...Object.keys(SQLITE_NOT_EXPORTED.tables)].sort();
    expect(tables).toEqual(named);
    for (const reason of Object.values(SQLITE_NOT_EXPORTED.tables)) expect(reason.length).toBeGreaterThan(20);
  });

  it.each(EXPORT_TABLES.map((t) => [t.name, t] as const))('%s: every column, with its type and NOT NULL', async (_name, table) => {
    await open('schema.db').close();
    const d = db();
    const info = d.prepare(`PRAGMA table_info(${table.name})`).all() as { name: string; type: string; notnull: number; pk: number }[];
    d.close();
    const skipped = SQLITE_NOT_EXPORTED.columns[table.name] ?? [];
    expect(info.map((c) => c.name).filter((n) => !skipped.includes(n)).sort()).toEqual(table.columns.map((c) => c.name).sort());
    const sqlType = { text: 'TEXT', integer: 'INTEGER', bytes: 'BLOB' };
    for (const c of table.columns) {
      const col = info.find((i) => i.name === c.name)!;
      expect([c.name, col.type]).toEqual([c.name, sqlType[c.type]]);
      // A nullable spec column is a column SQLite lets be null (a primary key's TEXT columns are NOT NULL here too).
      expect([c.name, Boolean(c.nullable)]).toEqual([c.name, col.notnull === 0 && col.pk === 0]);
    }
  });

  it('every schema version after the first exported one says how an older row upgrades', () => {
    for (let v = FIRST_EXPORT_SCHEMA + 1; v <= LEDGER_SCHEMA_VERSION; v++) expect([v, typeof ROW_UPGRADES[v]]).toEqual([v, 'function']);
  });
});

eachBackend((b: LedgerBackend) => {
  const filled = async (name = 'source') => fill(await b.open(name));

  describe('a round trip is lossless', () => {
    it('export, import into an empty ledger, export again: the same text; the imported ledger reads the same', async () => {
      const source = await filled();
      const first = await exportText(source, { site: 'https://moodle.example.edu/' });
      const target = await b.open('target');
      const counts = await importText(target, first);
      expect(counts).toEqual({ links: 5, runs: 2, retries: 1, export_state: 2, pictures: 1, before_images: 5, ledger_secrets: 1 });
      expect(await exportText(target, { site: 'https://moodle.example.edu/' })).toBe(first);

      expect(await allLinks(target)).toEqual(await allLinks(source));
      expect(await learntKeys(target)).toEqual(['P3', 'P1', 'P2', 'P4']);
      expect(await target.listRuns(10)).toEqual(await source.listRuns(10));
      expect(await target.retries.list()).toEqual(await source.retries.list());
      expect(await target.exports.load('grades|all')).toEqual(await source.exports.load('grades|all'));
      expect(await target.pictures.get('key', ['P1'])).toEqual(await source.pictures.get('key', ['P1']));
      expect((await target.passwordKey()).equals(await source.passwordKey())).toBe(true);
    });

    it('an export of schema 9 loads: its links keep no values sent (fields null), and there are no before-images', async () => {
      const source = await filled();
      const text = (await exportText(source))
        .split('\n')
        .filter((l) => !l.startsWith('{"table":"before_images"'))
        .map((l) => l.replace(`"schemaVersion":${LEDGER_SCHEMA_VERSION}`, '"schemaVersion":9').replace(/,"fields":(null|"(?:[^"\\]|\\.)*")/, '').replace(/"before_images":\d+,/, ''))
        .join('\n');
      expect(text).not.toContain('"fields"');
      const target = await b.open('target');
      const counts = await importText(target, text);
      expect(counts).toMatchObject({ links: 5, before_images: 0 });
      expect(await target.images.fields('persons', ['P1'])).toEqual(new Map([['P1', null]]));
    });

    it("a link's seen mark is exported as its last_seen and last_run, as the ledger reads them", async () => {
      const source = await filled();
      const p1 = (await source.getLinks('persons', ['P1'])).get('P1')!;
      expect(p1.lastRun).toBe('r2');
      const line = (await exportText(source)).split('\n').find((l) => l.includes('"key":"P1"'))!;
      expect(JSON.parse(line).row).toMatchObject({ last_run: 'r2', last_seen: p1.lastSeen });
      const target = await b.open('target');
      await importText(target, await exportText(source));
      expect((await target.getLinks('persons', ['P1'])).get('P1')).toEqual(p1);
    });

    it("a retry's claim and the writer lock stay behind: they belong to the processes of the machine exported from", async () => {
      const source = await filled();
      const text = await exportText(source);
      expect(text).not.toMatch(/watcher-1|claimed|"locks"/);
      const target = await b.open('target');
      await importText(target, text);
      const someoneElse = { id: 'watcher-2', pid: process.pid, host: hostname() };
      expect((await target.retries.claimDue('watch:/drop', Date.now() + 1e12, someoneElse))?.id).toBe(1);
      expect(await target.acquireLock(someoneElse, 60_000)).toBeNull();
    });

    it('the header: format, version, schema version, when, and the site without credentials or trailing slash', async () => {
      const header = JSON.parse((await exportText(await filled(), { site: 'https://sync:pw@moodle.example.edu/lms/?x=1' })).split('\n')[0]);
      expect(header).toEqual({ format: 'mdlsync-ledger', version: EXPORT_VERSION, schemaVersion: LEDGER_SCHEMA_VERSION, exportedAt: NOW.toISOString(), site: 'https://moodle.example.edu/lms' });
      expect(Object.keys(JSON.parse((await exportText(await filled('b'))).split('\n')[0]))).not.toContain('site');
    });

    it('without the secret: no ledger_secrets line; the imported ledger makes a key of its own', async () => {
      const source = await filled();
      const text = await exportText(source, { secrets: false });
      expect(text).not.toContain('"table":"ledger_secrets"');
      expect(text).not.toContain((await source.passwordKey()).toString('base64'));
      expect(JSON.parse(text.trim().split('\n').pop()!).records.ledger_secrets).toBe(0);
      const target = await b.open('target');
      expect((await importText(target, text)).ledger_secrets).toBe(0);
      expect((await target.passwordKey()).equals(await source.passwordKey())).toBe(false);
    });
  });

  it('the export is one snapshot: what a run writes while it is being written is not in it, and its counts add up', async () => {
    const l = await filled();
    await l.writeLinks(Array.from({ length: 3000 }, (_, i) => w(`Q${i}`, { data: `{"note":"${'x'.repeat(40)}"}` })));
    const other = await b.open('source');
    const chunks: string[] = [];
    await writeExport(
      l.transfer,
      async (c) => {
        // The first chunk goes out while the links are still being read: a run writes a link and starts.
        if (chunks.length === 0) {
          await other.writeLinks([w('P9')]);
          await other.startRun({ id: 'r9', file: 'f', sha256: 'd', type: 'persons', op: 'store', dataSource: null, startedAt: NOW.toISOString() });
        }
        chunks.push(c);
      },
      { secrets: true },
    );
    expect(chunks.length).toBeGreaterThan(1);
    const text = chunks.join('');
    expect(text).not.toMatch(/"key":"P9"|"id":"r9"/);
    const target = await b.open('target');
    expect(await importText(target, text)).toMatchObject({ links: 3005, runs: 2 });
    expect((await l.getLinks('persons', ['P9'])).size).toBe(1);
    expect(await l.getRun('r9')).toBeDefined();
  });

  describe('an import refuses, and imports nothing', () => {
    /** Line numbers count from 1: lines[0] is the header. */
    const mutations: [string, (lines: string[]) => void, string, RegExp][] = [
      ['a line that is not JSON', (ls) => (ls[2] = '{"table":"links",'), 'invalid-ledger-file', /, line 3: the line is not JSON; nothing was imported$/],
      ['a value of the wrong type', (ls) => (ls[1] = ls[1].replace(/"moodle_id":\d+/, '"moodle_id":"103"')), 'invalid-ledger-file', /, line 2: links\.moodle_id is not a whole number/],
      ['a column the table lacks', (ls) => (ls[1] = ls[1].replace('"entity"', '"site":"x","entity"')), 'invalid-ledger-file', /, line 2: links has no column "site"/],
      ['a column missing', (ls) => (ls[1] = ls[1].replace(/"hash":"[^"]*",/, '')), 'invalid-ledger-file', /, line 2: the links row has no hash/],
      ['null where a value is needed', (ls) => (ls[1] = ls[1].replace(/"first_seen":"[^"]*"/, '"first_seen":null')), 'invalid-ledger-file', /, line 2: links\.first_seen is null/],
      ['a status no link has', (ls) => (ls[1] = ls[1].replace('"status":"active"', '"status":"gone"')), 'invalid-ledger-file', /, line 2: links\.status is not one of active, disabled/],
      ['a table no export has', (ls) => (ls[3] = ls[3].replace('"table":"links"', '"table":"users"')), 'invalid-ledger-file', /, line 4: no table "users"/],
      ['an empty line', (ls) => (ls[4] = ''), 'invalid-ledger-file', /, line 5: the line is empty/],
      ['bytes that are not base64', (ls) => (ls[ls.length - 3] = ls[ls.length - 3].replace(/"value":"[^"]*"/, '"value":"not base64!"')), 'invalid-ledger-file', /: ledger_secrets\.value is not base64/],
      ['two links of one key (the ledger refuses the second)', (ls) => (ls[2] = ls[1]), 'invalid-ledger-file', b.name === 'sqlite' ? /, line 3: the ledger refuses the links row \(UNIQUE constraint failed: links\.entity, links\.key\)/ : /, line 3: the ledger refuses the links row \(duplicate key value violates unique constraint "links_pkey"\)/],
      ['an end line that miscounts', (ls) => (ls[ls.length - 2] = ls[ls.length - 2].replace('"links":5', '"links":6')), 'invalid-ledger-file', /: the end line counts 6 links row\(s\), the file holds 5/],
      ['a line after the end line', (ls) => ls.splice(ls.length - 1, 0, ls[1].replace('P3', 'P8')), 'invalid-ledger-file', /: a line after the end line/],
      ['no end line: the file was cut short', (ls) => ls.splice(ls.length - 2, 1), 'invalid-ledger-file', /ends at line 18 without its end line: the file was cut short/],
      ['no header', (ls) => ls.shift(), 'invalid-ledger-file', /, line 1: the first line is not the header of an mdlsync ledger export/],
      ['a newer format version', (ls) => (ls[0] = ls[0].replace('"version":1', '"version":2')), 'ledger-file-too-new', /is an export of format version 2, newer than this mdlsync reads \(1\): upgrade mdlsync/],
      ['a newer schema', (ls) => (ls[0] = ls[0].replace(/"schemaVersion":\d+/, `"schemaVersion":${LEDGER_SCHEMA_VERSION + 1}`)), 'ledger-file-too-new', /holds a ledger of schema version \d+, newer than this mdlsync knows/],
      ['a schema older than any export', (ls) => (ls[0] = ls[0].replace(/"schemaVersion":\d+/, '"schemaVersion":8')), 'invalid-ledger-file', /, line 1: the header's schemaVersion is not one an export has/],
    ];

    it.each(mutations)('%s', async (_name, mutate, code, message) => {
      const lines = (await exportText(await filled())).split('\n');
      mutate(lines);
      const target = await b.open('target');
      let error: unknown;
      try {
        await importText(target, lines.join('\n'));
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
      expect(await target.transfer.holdsState()).toBe(false);
      expect(await exportText(target)).toBe(await exportText(await b.open('empty')));
    });

    it('a ledger that holds links is refused; --replace replaces all of it, its secret too', async () => {
      const text = await exportText(await filled());
      const target = await b.open('target');
      await target.writeLinks([w('OLD1')]);
      const oldKey = await target.passwordKey();
      await expect(importText(target, text)).rejects.toMatchObject({ code: 'ledger-not-empty', message: expect.stringMatching(/already holds links or runs: .*--replace/) });
      expect((await allLinks(target)).map((l) => l.key)).toEqual(['OLD1']);
      await importText(target, text, true);
      expect((await allLinks(target)).map((l) => l.key)).toEqual(['C1|P1', 'P1', 'P2', 'P3', 'P4']);
      expect((await target.passwordKey()).equals(oldKey)).toBe(false);
      expect(await exportText(target)).toBe(text);
    });

    it('a --replace that fails on a bad line leaves the ledger as it was', async () => {
      const lines = (await exportText(await filled())).split('\n');
      lines[6] = '{"table":"runs","row":{}}';
      const target = await b.open('target');
      await target.writeLinks([w('OLD1')]);
      const before = await exportText(target);
      await expect(importText(target, lines.join('\n'), true)).rejects.toThrow(/line 7: the runs row has no id/);
      expect(await exportText(target)).toBe(before);
    });

    it('a ledger holding only its secret counts as empty (no hash was made with it): the file replaces it', async () => {
      const source = await filled();
      const target = await b.open('target');
      await target.passwordKey();
      await importText(target, await exportText(source));
      expect((await target.passwordKey()).equals(await source.passwordKey())).toBe(true);
    });
  });
});

(PG_URL ? describe : describe.skip)('the format covers the PostgreSQL schema', () => {
  const schema = `ttr_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  afterEach(async () => {
    await pgAdmin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  it('every table and column is exported, with its type and NOT NULL, or named as not exported with the reason', async () => {
    const { PostgresLedger } = await import('../postgres/ledger.js');
    await (await PostgresLedger.open(PG_URL!, { schema })).close();
    const cols = await pgAdmin(async (c) => (await c.query('SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1', [schema])).rows as { table_name: string; column_name: string; data_type: string; is_nullable: string }[]);
    const tables = [...new Set(cols.map((c) => c.table_name))].sort();
    expect(tables).toEqual([...EXPORT_TABLES.map((t) => t.name), ...Object.keys(PG_NOT_EXPORTED.tables)].sort());
    const pgType = { text: 'text', integer: 'bigint', bytes: 'bytea' };
    for (const t of EXPORT_TABLES) {
      const skipped = PG_NOT_EXPORTED.columns[t.name] ?? [];
      const mine = cols.filter((c) => c.table_name === t.name && !skipped.includes(c.column_name));
      expect(mine.map((c) => c.column_name).sort()).toEqual(t.columns.map((c) => c.name).sort());
      for (const c of t.columns) {
        const col = mine.find((x) => x.column_name === c.name)!;
        expect([t.name, c.name, col.data_type, col.is_nullable === 'YES']).toEqual([t.name, c.name, pgType[c.type], Boolean(c.nullable)]);
      }
    }
  });
});

describe('the export streams', () => {
  it('reads every table with iterate(), never all(), and writes in chunks as it reads', async () => {
    const l = open('big.db');
    const links = Array.from({ length: 5000 }, (_, i) => w(`P${i}`, { data: `{"note":"${'x'.repeat(40)}"}` }));
    await l.writeLinks(links);
    const statement = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as { iterate: () => unknown; all: () => unknown };
    const iterate = jest.spyOn(statement, 'iterate');
    const all = jest.spyOn(statement, 'all');
    const chunks: number[] = [];
    await writeExport(l.transfer, async (c) => void chunks.push(c.length), { secrets: true });
    expect(iterate).toHaveBeenCalledTimes(EXPORT_TABLES.length);
    expect(all).not.toHaveBeenCalled();
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks)).toBeLessThan(70_000);
  });
});

describe('writing to a stream', () => {
  it('a stream that fails (a closed pipe) fails the export with its error, not the process with an unhandled event', async () => {
    const closed = new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }));
      },
    });
    await expect(writeExport((await fill(open('source.db'))).transfer, streamWriter(closed), { secrets: true })).rejects.toThrow('write EPIPE');
  });
});

describe('the export file', () => {
  const path = () => join(dir, 'ledger.jsonl');

  it('CRLF line ends and a last line without its newline are read', async () => {
    const text = await exportText(await fill(open('source.db')));
    writeFileSync(path(), text.trimEnd().split('\n').join('\r\n'));
    const file = ExportFile.open(path(), LEDGER_SCHEMA_VERSION);
    expect((await open('target.db').transfer.load(file.records(), { replace: false, source: path() })).links).toBe(5);
  });

  it.each([
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from('{"format":"mdlsync-ledger"'), Buffer.from([0xff, 0xfe]), Buffer.from('}\n')]), /line 1: bytes that are not UTF-8/],
    ['an empty file', Buffer.alloc(0), /is empty: it is no mdlsync ledger export/],
    ['a CSV file', Buffer.from('EXTERNAL_PERSON_KEY|USER_ID\nP1|u1\n'), /line 1: the line is not JSON/],
  ])('%s: refused at open, before any ledger is touched', (_name, bytes, message) => {
    writeFileSync(path(), bytes);
    expect(() => ExportFile.open(path(), LEDGER_SCHEMA_VERSION)).toThrow(expect.objectContaining({ code: 'invalid-ledger-file', message: expect.stringMatching(message) }));
  });

  it('a missing file and a folder are refused with the fix', () => {
    expect(() => ExportFile.open(join(dir, 'nope.jsonl'), LEDGER_SCHEMA_VERSION)).toThrow(expect.objectContaining({ code: 'refused', message: expect.stringMatching(/cannot be read \(ENOENT\)/) }));
    mkdirSync(join(dir, 'folder'));
    expect(() => ExportFile.open(join(dir, 'folder'), LEDGER_SCHEMA_VERSION)).toThrow(/is not a file/);
  });

  it('is written mode 0600, replacing a readable file of the name only once whole', async () => {
    writeFileSync(path(), 'old', { mode: 0o644 });
    await writeFileAtomically(path(), async (write) => {
      await write('one\n');
      expect(readdirSync(dir).filter((n) => n.endsWith('.partial'))).toHaveLength(1);
      await write('two\n');
    });
    expect(statSync(path()).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['ledger.jsonl']);
  });

  it('a failed export leaves no partial file and the previous file as it was', async () => {
    writeFileSync(path(), 'previous');
    await expect(
      writeFileAtomically(path(), async (write) => {
        await write('half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(dir)).toEqual(['ledger.jsonl']);
    expect(statSync(path()).size).toBe('previous'.length);
  });
});

describe('the site', () => {
  it.each([
    ['https://moodle.example.edu/', 'https://moodle.example.edu', true],
    ['https://MOODLE.example.edu/lms/', 'https://moodle.example.edu/lms', true],
    ['https://moodle.example.edu', 'https://test.example.edu', false],
    ['https://moodle.example.edu/a', 'https://moodle.example.edu/b', false],
    [undefined, 'https://moodle.example.edu', true],
    ['https://moodle.example.edu', undefined, true],
  ])('%s and %s are the same site: %s', (a, b, same) => {
    expect(sameSite(a, b)).toBe(same);
  });

  it('siteOf drops credentials, query and fragment', () => {
    expect(siteOf('https://u:p@moodle.example.edu:8443/lms/?a=1#x')).toBe('https://moodle.example.edu:8443/lms');
    expect(siteOf('not a url')).toBeUndefined();
  });
});
