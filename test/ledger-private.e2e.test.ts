/**
 * The ledger is private (0600 in a 0700 folder) and, with `passwords: always`, its content hashes cannot confirm a
 * guessed password: the password enters the hash only through an HMAC keyed by the ledger's own random secret.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { SIS_HEADER, sisFile, workspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace();
  writeFileSync(join(ws.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, persons: { passwords: 'always' } }));
});
afterAll(async () => ws.close());

const mode = (p: string) => statSync(p).mode & 0o777;
const part = (n: string, v: string) => `${n}=${v.length}:${v};`;

test('passwords: always — the ledger is 0600 in a 0700 folder and its hash is no unsalted SHA-256 of the password', async () => {
  const row = ['P0001', 'puser0001', 'Secret-0001x', 'First', 'Last', 'puser0001@example.edu'];
  const file = ws.write('persons.txt', sisFile(SIS_HEADER, [row]));
  expect((await ws.cli(['run', file, '-q'])).code).toBe(0);

  const ledgerPath = join(ws.dir, '.mdlsync', 'ledger.db');
  expect(mode(join(ws.dir, '.mdlsync'))).toBe(0o700);
  expect(mode(ledgerPath)).toBe(0o600);

  const db = new Database(ledgerPath, { readonly: true });
  const stored = (db.prepare("SELECT hash FROM links WHERE entity = 'persons' AND key = 'P0001'").pluck().get() as string) ?? '';
  db.close();
  // What an attacker with the ledger would try: known fields plus a candidate password, hashed as earlier versions did.
  const guess = (password: string) =>
    createHash('sha256')
      .update('p1|Y|' + part('email', row[5]) + part('firstname', row[3]) + part('idnumber', row[0]) + part('lastname', row[4]) + part('password', password) + part('username', row[1]))
      .digest('base64url');
  expect(stored).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(stored).not.toBe(guess('Secret-0001x'));

  // The HMAC is stable: the same row is unchanged; a new password is still noticed and sent.
  expect((await ws.cli(['run', file, '-q'])).code).toBe(0);
  expect(ws.lastSummary()).toMatchObject({ outcomes: { unchanged: 1, ok: 0 } });
  const changed = ws.write('persons2.txt', sisFile(SIS_HEADER, [[...row.slice(0, 2), 'Other-0001y', ...row.slice(3)]]));
  expect((await ws.cli(['run', changed, '-q'])).code).toBe(0);
  expect(ws.lastSummary()).toMatchObject({ outcomes: { ok: 1 } });
}, 60_000);

test('a run\'s outputs are private too: its report folder and the archive\'s day folder 0700, every file in them 0600', async () => {
  const file = ws.write('persons-outputs.txt', sisFile(SIS_HEADER, [['P0002', 'puser0002', 'Secret-0002x', 'First', 'Last', 'puser0002@example.edu']]));
  expect((await ws.cli(['run', file, '-q'])).code).toBe(0);
  const { reportDir, archivedAs } = ws.lastSummary() as unknown as { reportDir: string; archivedAs: string };
  expect(mode(reportDir)).toBe(0o700);
  expect(mode(dirname(archivedAs))).toBe(0o700);
  const files = [...readdirSync(reportDir).map((f) => join(reportDir, f)), archivedAs];
  expect(files.map((f) => basename(f))).toEqual(expect.arrayContaining(['summary.json', 'rows.csv', 'report.html']));
  expect(files.filter((f) => mode(f) !== 0o600)).toEqual([]);
}, 60_000);
