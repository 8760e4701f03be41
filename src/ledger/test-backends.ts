/**
 * For the ledger's tests: each suite runs against SQLite (a ledger file in a temporary folder) and PostgreSQL (a fresh
 * schema of its own, dropped afterwards) when MDLSYNC_TEST_PG_URL names a server; without it the PostgreSQL suite is
 * skipped, visibly.
 */
import { afterEach, beforeEach, describe } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_TYPES } from '../db/postgres.js';
import { PostgresLedger } from './postgres/ledger.js';
import { SqliteLedger } from './sqlite.js';
import type { LedgerStore } from './types.js';

export const PG_URL = process.env.MDLSYNC_TEST_PG_URL;

export interface LedgerBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Opens ledger `name` of this test (a new one the first time; the same ledger, over another connection, after). */
  open(name?: string): Promise<LedgerStore>;
  /** Rows of a ledger table, read outside the ledger (a test's look behind the interface). */
  rows(name: string, sql: string): Promise<Record<string, unknown>[]>;
  /** Where ledger `name` is: the SQLite file, or the PostgreSQL schema. */
  where(name?: string): string;
}

/** An admin connection to the test server, for what the tests do around a ledger (schemas, pg_terminate_backend). */
export async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL, types: PG_TYPES });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let counter = 0;

function sqliteBackend(): LedgerBackend {
  let dir = '';
  const opened: LedgerStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdlsync-ledger-'));
  });
  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const where = (name = 'ledger') => join(dir, `${name}.db`);
  return {
    name: 'sqlite',
    where,
    async open(name) {
      const l = SqliteLedger.open(where(name));
      opened.push(l);
      return l;
    },
    async rows(name, sql) {
      const db = new Database(where(name), { readonly: true });
      try {
        return db.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
  };
}

function postgresBackend(): LedgerBackend {
  const opened: LedgerStore[] = [];
  let schemas = new Map<string, string>();
  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    const drop = [...schemas.values()];
    schemas = new Map();
    if (drop.length > 0) await pgAdmin((c) => c.query(drop.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE`).join('; ')));
  });
  const where = (name = 'ledger') => {
    let s = schemas.get(name);
    if (!s) {
      s = `t_${process.pid}_${++counter}_${Math.floor(Math.random() * 1e6)}`;
      schemas.set(name, s);
    }
    return s;
  };
  return {
    name: 'postgres',
    where,
    async open(name) {
      const l = await PostgresLedger.open(PG_URL!, { schema: where(name) });
      opened.push(l);
      return l;
    },
    async rows(name, sql) {
      return pgAdmin(async (c) => {
        await c.query(`SET search_path = "${where(name)}"`);
        return (await c.query(sql)).rows as Record<string, unknown>[];
      });
    },
  };
}

/** The suite once per backend: `describe('sqlite')` and `describe('postgres')` (skipped without MDLSYNC_TEST_PG_URL). */
export function eachBackend(suite: (b: LedgerBackend) => void): void {
  describe('sqlite', () => suite(sqliteBackend()));
  if (!PG_URL) console.log('PostgreSQL ledger tests skipped: MDLSYNC_TEST_PG_URL is not set');
  (PG_URL ? describe : describe.skip)('postgres', () => suite(postgresBackend()));
}
