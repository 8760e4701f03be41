/**
 * Versioned schema of the ledger. PRAGMA user_version is the fast check on open; schema_migrations keeps a
 * readable history (version, name, applied_at). Later issues append migrations; never edit a shipped one.
 */
import type Database from 'better-sqlite3';
import { LedgerError } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'links and runs',
    sql: `
      CREATE TABLE links (
        entity      TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        moodle_id   INTEGER NOT NULL,
        data_source TEXT,
        hash        TEXT,
        status      TEXT    NOT NULL CHECK (status IN ('active', 'disabled')),
        first_seen  TEXT    NOT NULL,
        last_seen   TEXT    NOT NULL,
        last_run    TEXT,
        disabled_at TEXT,
        PRIMARY KEY (entity, key)
      );
      CREATE INDEX links_scope ON links (entity, data_source, status);
      CREATE INDEX links_moodle_id ON links (entity, moodle_id);

      CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        file        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        type        TEXT NOT NULL,
        op          TEXT NOT NULL,
        data_source TEXT,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL,
        summary     TEXT
      );
      CREATE INDEX runs_started ON runs (started_at);
    `,
  },
  {
    version: 2,
    name: 'writer lock',
    sql: `
      CREATE TABLE locks (
        name         TEXT PRIMARY KEY,
        owner        TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        host         TEXT NOT NULL,
        run_id       TEXT,
        acquired_at  TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'link data',
    // What mdlsync last sent for a link, as JSON (enrolments: role id and shortname, timestart, timeend, suspend), for
    // what the hash cannot give back (user unblock re-enrols with it); plus the lifecycle marks (blocked).
    sql: `ALTER TABLE links ADD COLUMN data TEXT;`,
  },
  {
    version: 4,
    name: 'seen marks',
    // An unchanged row's "seen by this run" goes here, not into its links row: rewriting every links row (~200 bytes)
    // was ~2 s of a 500k-row unchanged re-run, a mark is two integers. A link's last_seen/last_run are the later of
    // its own and its mark's (the ledger reads join them). One seen_runs row per run that marked anything. Marks are
    // keyed by links' rowid: a deleted link's mark goes with it (trigger); mdlsync never VACUUMs, and SQLite's VACUUM
    // keeps these rowids (its transfer copy; checked on 3.53), though its documentation does not promise it.
    sql: `
      CREATE TABLE seen_runs (
        seq     INTEGER PRIMARY KEY,
        run_id  TEXT NOT NULL UNIQUE,
        seen_at TEXT NOT NULL
      );
      CREATE TABLE link_seen (
        link INTEGER PRIMARY KEY,
        seq  INTEGER NOT NULL
      );
      CREATE TRIGGER links_forget_seen AFTER DELETE ON links BEGIN
        DELETE FROM link_seen WHERE link = old.rowid;
      END;
    `,
  },
  {
    version: 5,
    name: 'ledger secrets',
    // Random per-ledger secrets (the password HMAC key, made on first use by SqliteLedger.passwordKey).
    sql: `CREATE TABLE ledger_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);`,
  },
  {
    version: 6,
    name: 'retries',
    // Rows of a watched or scheduled file that Moodle could not take (outage, timeout, 5xx): kept in a retry file and
    // tried again with backoff until they land or a person discards them (`mdlsync ledger discard-retry ID`).
    sql: `
      CREATE TABLE retries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        source      TEXT    NOT NULL,
        name        TEXT    NOT NULL,
        file        TEXT    NOT NULL,
        type        TEXT,
        op          TEXT    NOT NULL,
        data_source TEXT,
        force       INTEGER NOT NULL DEFAULT 0,
        rows        INTEGER,
        attempts    INTEGER NOT NULL,
        next_at     INTEGER NOT NULL,
        last_error  TEXT    NOT NULL,
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL,
        claimed_by  TEXT,
        claimed_pid INTEGER,
        claimed_host TEXT
      );
      CREATE INDEX retries_source ON retries (source, next_at);
    `,
  },
  {
    version: 7,
    name: 'link state',
    // `hash` held two kinds of values: content hashes (what mdlsync last sent: persons, categories, courses, cohorts)
    // and state (what mdlsync gave or knows Moodle has: an enrolment's role, dates and suspension, a member's group
    // or cohort id, an observer's (user, role), what an institution role holds, a group's name and description, a
    // cohort mdlsync deleted). State moves to its own column, by entity and by the shape its writer gave it (the
    // parse functions in src/entities/*/rules.ts); `hash` keeps content hashes only. A value of another shape stays.
    sql: `
      ALTER TABLE links ADD COLUMN state TEXT;
      UPDATE links SET state = hash, hash = NULL
       WHERE (entity = 'enrolments' AND hash GLOB 'e1;role=*')
          OR (entity = 'groups' AND hash GLOB 'g1;name=*')
          OR (entity = 'group-members' AND hash GLOB 'm1;group=*')
          OR (entity = 'cohorts' AND hash = 'c1;deleted')
          OR (entity = 'cohort-members' AND hash GLOB 'cm1;cohort=*')
          OR (entity = 'institution-roles' AND hash GLOB 'ir1;*')
          OR (entity = 'observers' AND hash GLOB 'ob1;user=*');
    `,
  },
  {
    version: 8,
    name: 'export state',
    // What `mdlsync export grades|completions` last wrote, per scope (the command, the courses chosen, the options that
    // shape its rows) and row (course, person, item): a hash of the row's values, so `--changes` writes only the rows
    // whose hash differs. Written after the output file is complete; a course that failed keeps its previous rows.
    sql: `
      CREATE TABLE export_state (
        scope       TEXT NOT NULL,
        course      TEXT NOT NULL,
        person      TEXT NOT NULL,
        item        TEXT NOT NULL,
        hash        TEXT NOT NULL,
        run_id      TEXT NOT NULL,
        exported_at TEXT NOT NULL,
        PRIMARY KEY (scope, course, person, item)
      );
    `,
  },
  {
    version: 9,
    name: 'user pictures',
    // One row per picture file name (and how it was matched): the Moodle user it went to and the SHA-256 of the
    // image sent, so an unchanged picture costs no call the next time; `revision` is the icon's rev Moodle answered.
    sql: `
      CREATE TABLE pictures (
        match_by    TEXT    NOT NULL CHECK (match_by IN ('key', 'username', 'idnumber')),
        name        TEXT    NOT NULL,
        moodle_id   INTEGER NOT NULL,
        sha256      TEXT    NOT NULL,
        bytes       INTEGER NOT NULL,
        revision    INTEGER,
        last_run    TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL,
        PRIMARY KEY (match_by, name)
      );
      CREATE INDEX pictures_moodle_id ON pictures (moodle_id);
    `,
  },
  {
    version: 10,
    name: 'before-images',
    // For `mdlsync undo RUNID`: per run, every link it wrote as it was before the run's first write of it (null: the
    // run made it) and as its last write left it, JSON (LinkImage), written by writeLinks in the same transaction;
    // pruned after undoKeepDays. WITHOUT ROWID: the key is the table (a rowid table would keep it twice, as its
    // primary-key index). links.fields: the values mdlsync last sent (persons' fields, never a password), so
    // the before-image of an update knows the values it replaced.
    sql: `
      ALTER TABLE links ADD COLUMN fields TEXT;
      CREATE TABLE before_images (
        run_id       TEXT    NOT NULL,
        entity       TEXT    NOT NULL,
        key          TEXT    NOT NULL,
        moodle_id    INTEGER NOT NULL,
        before_state TEXT,
        after_state  TEXT    NOT NULL,
        PRIMARY KEY (run_id, entity, key)
      ) WITHOUT ROWID;
    `,
  },
];

/** The schema version this build writes. */
export const LEDGER_SCHEMA_VERSION = LEDGER_MIGRATIONS[LEDGER_MIGRATIONS.length - 1].version;

/**
 * Brings the database up to the latest version; returns the versions applied now (empty when already current).
 * Runs in one IMMEDIATE transaction so two processes opening a new ledger at once cannot both migrate.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = LEDGER_MIGRATIONS): number[] {
  // A gap or a reordering would silently skip a migration on some ledgers: refuse it outright.
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new LedgerError('ledger-migration', `Ledger migration "${m.name}" has version ${m.version}, expected ${i + 1}.`);
  });
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const applied: number[] = [];
  const run = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new LedgerError(
        'ledger-too-new',
        `The ledger ${db.name} has schema version ${current}, newer than this mdlsync knows (${latest}): upgrade mdlsync.`,
      );
    }
    if (current === latest) return;
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
    // PRAGMA takes no bound parameters; the value is an integer from our own table above.
    db.pragma(`user_version = ${latest}`);
  });
  run.immediate();
  return applied;
}
