/**
 * A PostgreSQL ledger through the real CLI: a SQLite ledger moved onto PostgreSQL with `ledger export` and
 * `ledger import --ledger URL`, then used by run, `ledger show` and `doctor`; a server that is down ends a command
 * with exit 3 ledger-unreachable. The URL's password never shows.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_URL, pgAdmin } from '../src/ledger/test-backends.js';
import { SIS_HEADER, persons, sisFile, workspace, type CliResult, type Workspace } from './helpers.js';

if (!PG_URL) console.log('pg-ledger-cli.e2e.test.ts: PostgreSQL ledger CLI tests skipped: MDLSYNC_TEST_PG_URL is not set');
const suite = PG_URL ? describe : describe.skip;

const PASSWORD = 'pg-S3cret-pw';

let ws: Workspace | null = null;
const schemas: string[] = [];
afterEach(async () => {
  await ws?.close();
  ws = null;
  const drop = schemas.splice(0);
  if (drop.length > 0) await pgAdmin((c) => c.query(drop.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE`).join('; ')));
});

function newSchema(): string {
  const s = `tpgcli_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  schemas.push(s);
  return s;
}

/** The test server's URL with a password in it (the server trusts the test user: the password is only to be hidden). */
function withPassword(url: string, host?: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  if (host) u.host = host;
  return u.toString();
}

const config = (w: Workspace, ledger: unknown) => writeFileSync(join(w.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, ledger }));
const said = (r: CliResult) => r.stdout + r.stderr;

suite('a PostgreSQL ledger through the CLI', () => {
  test('a SQLite ledger exported and imported into PostgreSQL with --ledger URL carries on there: run, ledger show, doctor', async () => {
    const w = await workspace();
    ws = w;
    const rows = persons(20);
    expect((await w.cli(['run', w.write('persons.txt', sisFile(SIS_HEADER, rows))])).code).toBe(0);
    const exported = await w.cli(['ledger', 'export', '-o', 'ledger.jsonl']);
    expect(exported.code).toBe(0);

    // The config now names the PostgreSQL server elsewhere (down) and its schema; --ledger replaces the address only.
    const schema = newSchema();
    const url = withPassword(PG_URL!);
    config(w, { url: withPassword(PG_URL!, '127.0.0.1:1'), schema });
    const imported = await w.cli(['ledger', 'import', 'ledger.jsonl', '--ledger', url]);
    expect(said(imported)).not.toContain(PASSWORD);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(new RegExp(`imported 20 links, 1 run.* into postgres://[^:]+:\\*\\*\\*@.*#${schema} from ledger.jsonl`));
    const [{ n }] = (await pgAdmin((c) => c.query(`SELECT count(*)::int AS n FROM "${schema}".links WHERE entity = 'persons'`))).rows as { n: number }[];
    expect(n).toBe(20);

    // Once more: refused, the ledger holds state (a refusal inside the lock's transaction, not a lost lock).
    const twice = await w.cli(['ledger', 'import', 'ledger.jsonl', '--ledger', url]);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/already holds links or runs/);
    expect(twice.stderr).not.toMatch(/lock .* was lost/);

    config(w, { url, schema });
    w.sandbox.stats.reset();
    const again = await w.cli(['run', join(w.dir, 'persons.txt')]);
    expect(again.code).toBe(0);
    expect(w.lastSummary()).toMatchObject({ outcomes: { unchanged: 20 } });
    expect(w.sandbox.stats.writeCalls).toBe(0);

    const shown = await w.cli(['ledger', 'show', '--entity', 'persons']);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim().split('\n')).toHaveLength(21);
    expect(shown.stdout).toMatch(/^persons\tP0020\t\d+\t/m);

    const doctor = await w.cli(['doctor']);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(new RegExp(`^ok +ledger postgres://[^:]+:\\*\\*\\*@[^ ]+#${schema} \\(PostgreSQL\\)$`, 'm'));
    for (const r of [exported, twice, again, shown, doctor]) expect(said(r)).not.toContain(PASSWORD);
    expect(readFileSync(join(w.lastSummary().reportDir, 'summary.json'), 'utf8')).not.toContain(PASSWORD);
  }, 60_000);

  test('a PostgreSQL server that is down: run, ledger show and doctor end with exit 3 ledger-unreachable, the URL without its password', async () => {
    const w = await workspace();
    ws = w;
    const down = withPassword(PG_URL!, '127.0.0.1:1');
    config(w, { url: down, schema: 'mdlsync_down' });

    const run = await w.cli(['run', w.write('persons.txt', sisFile(SIS_HEADER, persons(3)))]);
    expect(run.code).toBe(3);
    const s = w.lastSummary() as ReturnType<Workspace['lastSummary']> & { error: { code: string; message: string }; status: string };
    expect(s.status).toBe('aborted');
    expect(s.error.code).toBe('ledger-unreachable');
    expect(s.error.message).toMatch(/^The ledger postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1:1\/[^ ]*#mdlsync_down cannot be opened: /);
    expect(s.message).toMatch(/^Nothing was sent to Moodle: .* Run the same command again once the ledger answers\.$/);
    expect(w.sandbox.users.byIdnumber('P0001')).toHaveLength(0);

    const shown = await w.cli(['ledger', 'show']);
    expect(shown.code).toBe(3);
    expect(shown.stderr).toMatch(/The ledger postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1:1\/.* cannot be opened/);
    expect(shown.stderr).not.toMatch(/unexpected error/);

    const doctor = await w.cli(['doctor']);
    expect(doctor.code).toBe(3);
    expect(doctor.stdout).toMatch(/^FAIL ledger postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1:1\/\S*: .*cannot be opened/m);

    for (const r of [run, shown, doctor]) expect(said(r)).not.toContain(PASSWORD);
    expect(readFileSync(join(s.reportDir, 'summary.json'), 'utf8')).not.toContain(PASSWORD);
  }, 60_000);
});
