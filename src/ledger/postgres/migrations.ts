/**
 * The PostgreSQL ledger's versioned schema: the same versions, names and meaning as LEDGER_MIGRATIONS (SQLite), in
 * PostgreSQL's words, kept in the schema's schema_migrations. Differences, and why:
 * - links has an `id` (BIGSERIAL): the order the ledger learnt its links (SQLite's rowid), which linkPage and the
 *   seen marks use;
 * - text that is compared or ordered is COLLATE "C": byte order, as SQLite's BINARY, so keys page, sort and export in
 *   the same order on both backends (and ISO timestamps compare as text);
 * - no links_scope index: activeLinks pages through an entity by id (links_position) and counts read the entity's
 *   rows; one index less to keep up on every upsert of a first store;
 * - link_seen leaves half of each page free (fillfactor 50): a run's new mark then fits beside the old one and is
 *   written without touching the index (a HOT update);
 * - whole numbers are BIGINT (Moodle ids, epoch ms), bytes are BYTEA;
 * - locks has one row per locked entity (the advisory locks are the lock; the row names the holder) and the holder's
 *   backend pid, to tell a row whose connection is gone.
 * Migrations run in one transaction under a transaction-level advisory lock: two processes opening a new ledger at
 * once do not both migrate.
 */
import type { Migration } from '../migrations.js';
import { LEDGER_MIGRATIONS } from '../migrations.js';
import { LedgerError } from '../errors.js';
import type { LedgerConnection, Runner } from './connection.js';

/** Text compared and ordered byte by byte, as SQLite does. */
const T = 'TEXT COLLATE "C"';

/** The migrations of schema `s` (quoted and qualified in the statements). */
export function pgLedgerMigrations(s: string): Migration[] {
  const q = (t: string) => `"${s}".${t}`;
  const sql: Record<number, string> = {
    1: `
      CREATE TABLE ${q('links')} (
        id          BIGSERIAL NOT NULL,
        entity      ${T} NOT NULL,
        key         ${T} NOT NULL,
        moodle_id   BIGINT NOT NULL,
        data_source ${T},
        hash        TEXT,
        status      ${T} NOT NULL CHECK (status IN ('active', 'disabled')),
        first_seen  ${T} NOT NULL,
        last_seen   ${T} NOT NULL,
        last_run    TEXT,
        disabled_at TEXT,
        PRIMARY KEY (entity, key)
      );
      CREATE UNIQUE INDEX links_position ON ${q('links')} (entity, id);
      CREATE INDEX links_moodle_id ON ${q('links')} (entity, moodle_id);
      CREATE TABLE ${q('runs')} (
        id          ${T} PRIMARY KEY,
        file        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        type        TEXT NOT NULL,
        op          TEXT NOT NULL,
        data_source TEXT,
        started_at  ${T} NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL,
        summary     TEXT
      );
      CREATE INDEX runs_started ON ${q('runs')} (started_at);`,
    2: `
      CREATE TABLE ${q('locks')} (
        name         ${T} PRIMARY KEY,
        owner        TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        host         TEXT NOT NULL,
        run_id       TEXT,
        acquired_at  TEXT NOT NULL,
        heartbeat_at BIGINT NOT NULL,
        backend_pid  INTEGER NOT NULL
      );`,
    3: `ALTER TABLE ${q('links')} ADD COLUMN data TEXT;`,
    4: `
      CREATE TABLE ${q('seen_runs')} (
        seq     BIGSERIAL PRIMARY KEY,
        run_id  TEXT NOT NULL UNIQUE,
        seen_at ${T} NOT NULL
      );
      CREATE TABLE ${q('link_seen')} (
        link BIGINT PRIMARY KEY,
        seq  BIGINT NOT NULL
      ) WITH (fillfactor = 50);
      CREATE FUNCTION ${q('links_forget_seen')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM ${q('link_seen')} WHERE link = OLD.id;
          RETURN NULL;
        END
      $$;
      CREATE TRIGGER links_forget_seen AFTER DELETE ON ${q('links')} FOR EACH ROW EXECUTE FUNCTION ${q('links_forget_seen')}();`,
    5: `CREATE TABLE ${q('ledger_secrets')} (name ${T} PRIMARY KEY, value BYTEA NOT NULL);`,
    6: `
      CREATE TABLE ${q('retries')} (
        id           BIGSERIAL PRIMARY KEY,
        source       TEXT   NOT NULL,
        name         TEXT   NOT NULL,
        file         TEXT   NOT NULL,
        type         TEXT,
        op           TEXT   NOT NULL,
        data_source  TEXT,
        force        BIGINT NOT NULL DEFAULT 0,
        rows         BIGINT,
        attempts     BIGINT NOT NULL,
        next_at      BIGINT NOT NULL,
        last_error   TEXT   NOT NULL,
        created_at   TEXT   NOT NULL,
        updated_at   TEXT   NOT NULL,
        claimed_by   TEXT,
        claimed_pid  INTEGER,
        claimed_host TEXT
      );
      CREATE INDEX retries_source ON ${q('retries')} (source, next_at);`,
    7: `
      ALTER TABLE ${q('links')} ADD COLUMN state TEXT;
      UPDATE ${q('links')} SET state = hash, hash = NULL
       WHERE (entity = 'enrolments' AND hash LIKE 'e1;role=%')
          OR (entity = 'groups' AND hash LIKE 'g1;name=%')
          OR (entity = 'group-members' AND hash LIKE 'm1;group=%')
          OR (entity = 'cohorts' AND hash = 'c1;deleted')
          OR (entity = 'cohort-members' AND hash LIKE 'cm1;cohort=%')
          OR (entity = 'institution-roles' AND hash LIKE 'ir1;%')
          OR (entity = 'observers' AND hash LIKE 'ob1;user=%');`,
    8: `
      CREATE TABLE ${q('export_state')} (
        scope       ${T} NOT NULL,
        course      ${T} NOT NULL,
        person      ${T} NOT NULL,
        item        ${T} NOT NULL,
        hash        TEXT NOT NULL,
        run_id      TEXT NOT NULL,
        exported_at TEXT NOT NULL,
        PRIMARY KEY (scope, course, person, item)
      );`,
    9: `
      CREATE TABLE ${q('pictures')} (
        match_by   ${T} NOT NULL CHECK (match_by IN ('key', 'username', 'idnumber')),
        name       ${T} NOT NULL,
        moodle_id  BIGINT NOT NULL,
        sha256     TEXT NOT NULL,
        bytes      BIGINT NOT NULL,
        revision   BIGINT,
        last_run   TEXT NOT NULL,
        updated_at ${T} NOT NULL,
        PRIMARY KEY (match_by, name)
      );
      CREATE INDEX pictures_moodle_id ON ${q('pictures')} (moodle_id);`,
    10: `
      ALTER TABLE ${q('links')} ADD COLUMN fields TEXT;
      CREATE TABLE ${q('before_images')} (
        run_id       ${T} NOT NULL,
        entity       ${T} NOT NULL,
        key          ${T} NOT NULL,
        moodle_id    BIGINT NOT NULL,
        before_state TEXT,
        after_state  TEXT NOT NULL,
        PRIMARY KEY (run_id, entity, key)
      );`,
  };
  // Same versions and names as SQLite's: a version means the same schema on both backends.
  return LEDGER_MIGRATIONS.map((m) => {
    const text = sql[m.version];
    if (text === undefined) throw new LedgerError('ledger-migration', `Ledger migration ${m.version} ("${m.name}") has no PostgreSQL form.`);
    return { version: m.version, name: m.name, sql: text };
  });
}

/** The key of the transaction-level advisory lock that serialises migrations of one schema. */
const MIGRATION_LOCK = 'mdlsync ledger migration';

/**
 * Creates the schema when missing and brings it to the latest version; returns the versions applied now. A schema at
 * a later version than this build knows is refused ('ledger-too-new').
 */
export async function migratePg(conn: LedgerConnection, migrations?: readonly Migration[]): Promise<number[]> {
  const schema = conn.schema;
  const list = migrations ?? pgLedgerMigrations(schema);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new LedgerError('ledger-migration', `Ledger migration "${m.name}" has version ${m.version}, expected ${i + 1}.`);
  });
  const latest = list.length ? list[list.length - 1].version : 0;
  return conn.pooled(async (r) => {
    await r.run('BEGIN');
    try {
      await r.run('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [MIGRATION_LOCK, schema]);
      const current = await currentVersion(r, schema);
      if (current > latest) {
        throw new LedgerError(
          'ledger-too-new',
          `The ledger ${conn.where} has schema version ${current}, newer than this mdlsync knows (${latest}): upgrade mdlsync.`,
        );
      }
      const applied: number[] = [];
      if (current < latest) {
        await r.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await r.run(`CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
        for (const m of list) {
          if (m.version <= current) continue;
          await r.run(m.sql);
          await r.run(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, new Date().toISOString()]);
          applied.push(m.version);
        }
      }
      await r.run('COMMIT');
      return applied;
    } catch (err) {
      await r.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** The latest version in the schema's schema_migrations; 0 when the schema or the table is missing. */
export async function currentVersion(r: Runner, schema: string): Promise<number> {
  const [{ t }] = await r.rows<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${schema}".schema_migrations`]);
  if (t === null) return 0;
  const [{ v }] = await r.rows<{ v: number | null }>(`SELECT max(version) AS v FROM "${schema}".schema_migrations`);
  return v ?? 0;
}
