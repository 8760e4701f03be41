/**
 * `mdlsync ledger export` and `import` through the real CLI, on a ledger filled by real runs against the sandbox:
 * categories, courses, persons (passwords: always, so hashes depend on the ledger's secret), enrolments, a refresh
 * that disabled a person, a picture, a grade export, and rows a Moodle outage left for retry. Exported, imported into a
 * new ledger and exported again, the two files differ only in exportedAt, and the same files plan all unchanged
 * against the imported ledger. Then the refusals (a ledger that holds state, a bad line with nothing imported, a newer
 * file, the writer lock held) and the private modes of -o FILE and of `> FILE`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { findJob, runJob } from '../src/automation/index.js';
import { LEDGER_SCHEMA_VERSION, SqliteLedger } from '../src/ledger/index.js';
import type { RunsDocument } from '../src/report/json-output.js';
import { captureLogger, configFor } from './automation-helpers.js';
import { CLI, SIS_HEADER, persons, sisFile, workspace, type Workspace } from './helpers.js';
import { png } from './images.js';

let w: Workspace;
const at = (...parts: string[]) => join(w.dir, ...parts);
const lines = (name: string) => readFileSync(at(name), 'utf8').split('\n');
/** The end line's counts. */
const counts = (name: string) => JSON.parse(lines(name).at(-2)!).records as Record<string, number>;
const IMPORTED = join('imported', 'ledger.db');

/** The files that filled the ledger, with the op each ran with. */
const FEEDS: [string, string][] = [
  ['cats.txt', 'store'],
  ['courses.txt', 'store'],
  ['people-refresh.txt', 'refresh'],
  ['enrol.txt', 'store'],
];

beforeAll(async () => {
  w = await workspace();
  // passwords: always keys each person's hash with the ledger's secret; the retry settings are for the job below.
  const config = configFor(w, {
    persons: { passwords: 'always' },
    retry: { firstDelayMs: 10, maxDelayMs: 10 },
    jobs: [{ name: 'inbox', cron: '0 0 * * * *', glob: 'inbox/*.csv' }],
  });
  const run = async (args: string[]) => expect((await w.cli(args)).code).toBe(0);
  w.write('cats.txt', sisFile(['EXTERNAL_CATEGORY_KEY', 'NAME', 'PARENT_KEY'], [['DEPT', 'Department', '']]));
  w.write('courses.txt', sisFile(['EXTERNAL_COURSE_KEY', 'COURSE_ID', 'COURSE_NAME', 'CATEGORY'], [['C1', 'C1', 'Course one', 'DEPT'], ['C2', 'C2', 'Course two', 'DEPT']]));
  w.write('people.txt', sisFile(SIS_HEADER, persons(5)));
  // The SIS no longer sends P0005: the refresh disables it.
  w.write('people-refresh.txt', sisFile(SIS_HEADER, persons(4)));
  w.write('enrol.txt', sisFile(['EXTERNAL_COURSE_KEY', 'EXTERNAL_PERSON_KEY', 'ROLE', 'AVAILABLE_IND'], [
    ['C1', 'P0001', 'student', 'Y'], ['C1', 'P0002', 'student', 'Y'], ['C2', 'P0001', 'student', 'Y'], ['C2', 'P0003', 'teacher', 'Y'],
  ]));
  await run(['run', at('cats.txt')]);
  await run(['run', at('courses.txt')]);
  await run(['run', at('people.txt')]);
  await run(['run', '--op', 'refresh', '--force', at('people-refresh.txt')]);
  await run(['run', at('enrol.txt')]);
  mkdirSync(at('photos'));
  writeFileSync(at('photos', 'P0001.png'), png(48, 48));
  await run(['pictures', at('photos')]);
  await run(['export', 'grades', '-o', at('grades.csv')]);
  // Moodle drops every create: the job keeps the new persons' rows for retry.
  mkdirSync(at('inbox'));
  writeFileSync(at('inbox', 'persons.store.new.csv'), sisFile(SIS_HEADER, persons(2, { prefix: 's' })));
  w.sandbox.faults.add({ kind: 'drop', fn: 'core_user_create_users', times: 1_000_000 });
  expect(await runJob(findJob(config, 'inbox'), { config, logger: captureLogger().logger })).toMatchObject({ status: 'waiting' });
  w.sandbox.faults.clear();
}, 60_000);
afterAll(() => w.close());

describe('mdlsync ledger export and import', () => {
  test('-o FILE: mode 0600, a header, a line per record of every table that holds state, an end line', async () => {
    const r = await w.cli(['ledger', 'export', '-o', 'one.jsonl']);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^exported \d+ links, \d+ runs, 1 retry, \d+ export state rows, 1 picture, \d+ before-images and the password secret from .*ledger\.db to one\.jsonl\n$/) });
    expect(statSync(at('one.jsonl')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(lines('one.jsonl')[0])).toEqual({ format: 'mdlsync-ledger', version: 1, schemaVersion: LEDGER_SCHEMA_VERSION, exportedAt: expect.any(String), site: w.sandbox.url });
    const c = counts('one.jsonl');
    expect(c).toMatchObject({ retries: 1, pictures: 1, ledger_secrets: 1 });
    for (const table of ['links', 'runs', 'export_state']) expect(c[table]).toBeGreaterThan(0);
    const links = lines('one.jsonl').filter((l) => l.startsWith('{"table":"links"')).map((l) => JSON.parse(l).row as { entity: string; key: string; status: string });
    expect(new Set(links.map((l) => l.entity))).toEqual(new Set(['categories', 'courses', 'persons', 'enrolments']));
    expect(links.find((l) => l.key === 'P0005')).toMatchObject({ status: 'disabled' });
  });

  test('imported into a new ledger and exported again: the same file but for exportedAt', async () => {
    const imported = await w.cli(['ledger', 'import', 'one.jsonl', '--ledger', IMPORTED]);
    expect(imported).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^imported \d+ links, .* and the password secret into .*imported\/ledger\.db from one\.jsonl \(exported \S+ for http:\/\/127\.0\.0\.1:\d+\)\n$/) });
    expect((await w.cli(['ledger', 'export', '--ledger', IMPORTED, '-o', 'two.jsonl'])).code).toBe(0);
    const [one, two] = [lines('one.jsonl'), lines('two.jsonl')];
    expect(two.slice(1)).toEqual(one.slice(1));
    expect({ ...JSON.parse(two[0]), exportedAt: null }).toEqual({ ...JSON.parse(one[0]), exportedAt: null });
  });

  test('the same files plan all unchanged against the imported ledger (the secret came along: persons hash as before)', async () => {
    const plan = async (ledger: string, file: string, op: string) => {
      const r = await w.cli(['plan', at(file), '--op', op, '--ledger', ledger, '--json']);
      expect(r.code).toBe(0);
      const run = (JSON.parse(r.stdout) as RunsDocument).runs[0];
      return { rows: run.rows, planned: Object.fromEntries(Object.entries(run.planned ?? {}).filter(([, n]) => n > 0)) };
    };
    for (const [file, op] of FEEDS) {
      const { rows, planned } = await plan(IMPORTED, file, op);
      expect([file, planned]).toEqual([file, { unchanged: rows }]);
    }
    // Without the secret, every person's hash misses: the run would send them all again.
    expect((await w.cli(['ledger', 'export', '--without-secret', '-o', 'nosecret.jsonl'])).code).toBe(0);
    expect(counts('nosecret.jsonl').ledger_secrets).toBe(0);
    const loaded = await w.cli(['ledger', 'import', 'nosecret.jsonl', '--ledger', join('nosecret', 'ledger.db')]);
    expect(loaded).toMatchObject({ code: 0, stderr: expect.stringMatching(/holds no password secret: with persons\.passwords: always, the next run sends every person once/) });
    expect((await plan(join('nosecret', 'ledger.db'), 'people-refresh.txt', 'refresh')).planned).toEqual({ update: 4 });
  });

  test('a picture already sent is unchanged with the imported ledger: no upload', async () => {
    const r = await w.cli(['pictures', at('photos'), '--ledger', IMPORTED]);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/ok 0 {2}unchanged 1 {2}failed 0/) });
  });

  test('a ledger that holds state is refused; --replace replaces it', async () => {
    const again = await w.cli(['ledger', 'import', 'one.jsonl', '--ledger', IMPORTED]);
    expect(again).toMatchObject({ code: 3, stderr: expect.stringMatching(/already holds links or runs: import into a new ledger \(--ledger FILE\), or pass --replace/) });
    expect((await w.cli(['ledger', 'import', 'one.jsonl', '--ledger', IMPORTED, '--replace'])).code).toBe(0);
  });

  test('a bad line: exit 1 naming it, and nothing imported (the --replace is rolled back whole)', async () => {
    expect((await w.cli(['ledger', 'export', '--ledger', IMPORTED, '-o', 'before.jsonl'])).code).toBe(0);
    const broken = lines('one.jsonl');
    // The last record (the secret), before the end line and the final newline: every record before it was loaded, then undone.
    const last = broken.length - 3;
    const n = last + 1;
    broken[last] = broken[last].replace(/"name":"[^"]*"/, '"name":7');
    writeFileSync(at('broken.jsonl'), broken.join('\n'));
    const r = await w.cli(['ledger', 'import', 'broken.jsonl', '--ledger', IMPORTED, '--replace']);
    expect(r).toMatchObject({ code: 1, stderr: `mdlsync: broken.jsonl, line ${n}: ledger_secrets.name is not text; nothing was imported\n` });
    expect((await w.cli(['ledger', 'export', '--ledger', IMPORTED, '-o', 'after.jsonl'])).code).toBe(0);
    expect(lines('after.jsonl').slice(1)).toEqual(lines('before.jsonl').slice(1));
  });

  test('a file of a newer schema is refused, before a ledger is made for it', async () => {
    writeFileSync(at('newer.jsonl'), lines('one.jsonl').map((l, i) => (i === 0 ? l.replace(`"schemaVersion":${LEDGER_SCHEMA_VERSION}`, '"schemaVersion":99') : l)).join('\n'));
    const r = await w.cli(['ledger', 'import', 'newer.jsonl', '--ledger', join('newer', 'ledger.db')]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`newer\\.jsonl holds a ledger of schema version 99, newer than this mdlsync knows \\(${LEDGER_SCHEMA_VERSION}\\): upgrade mdlsync`)) });
    expect(() => statSync(at('newer'))).toThrow();
  });

  test('an export made for another site is refused unless --other-site', async () => {
    const r = await w.cli(['ledger', 'import', 'one.jsonl', '--ledger', join('other', 'ledger.db')], { MDLSYNC_URL: 'https://moodle.example.edu' });
    expect(r).toMatchObject({ code: 3, stderr: expect.stringMatching(/was exported for http:\/\/127\.0\.0\.1:\d+, and this config's Moodle is https:\/\/moodle\.example\.edu: .*--other-site/) });
    const moved = await w.cli(['ledger', 'import', 'one.jsonl', '--ledger', join('other', 'ledger.db'), '--other-site'], { MDLSYNC_URL: 'https://moodle.example.edu' });
    expect(moved.code).toBe(0);
  });

  test('while another run holds the writer lock, the import is refused with exit 3', async () => {
    const ledger = SqliteLedger.open(at(IMPORTED));
    const owner = { id: 'test-holder', pid: process.pid, host: hostname(), runId: 'r-holder' };
    expect(await ledger.acquireLock(owner, 60_000)).toBeNull();
    try {
      const r = await w.cli(['ledger', 'import', 'one.jsonl', '--ledger', IMPORTED, '--replace']);
      expect(r).toMatchObject({ code: 3, stderr: expect.stringMatching(/is in use by another mdlsync run \(pid \d+ on .*, run r-holder/) });
    } finally {
      await ledger.releaseLock(owner);
      await ledger.close();
    }
  });

  test('> FILE: the shell made it readable by others; mdlsync makes it 0600 and says the export holds the secret', async () => {
    const path = at('redirected.jsonl');
    const fd = openSync(path, 'w', 0o644);
    const stderr = await new Promise<string>((done) => {
      const child = spawn(process.execPath, [CLI, 'ledger', 'export'], {
        cwd: w.dir,
        env: { PATH: process.env.PATH ?? '', HOME: w.dir, MDLSYNC_URL: w.sandbox.url },
        stdio: ['ignore', fd, 'pipe'],
      });
      let err = '';
      child.stderr?.on('data', (d) => (err += String(d)));
      child.on('close', () => done(err));
    });
    closeSync(fd);
    expect(stderr).toMatch(/^mdlsync: the export holds the ledger's password secret: keep the file private \(made mode 0600\)/);
    expect(stderr).toMatch(/mdlsync: exported \d+ links/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines('redirected.jsonl').slice(1)).toEqual(lines('one.jsonl').slice(1));
  });
});
