/**
 * The sandbox's user table, in better-sqlite3 (in memory, or a file so state survives restarts).
 * Column names follow Moodle's mdl_user. Ids come from a counter that, like a PostgreSQL sequence,
 * is not rolled back with a failed transaction.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { CourseStore, createCourseTables } from './course-store.js';
import { ContentStore, createContentTables } from './content-store.js';
import { createGradeTables, GradeStore } from './grade-store.js';
import { CompletionStore, createCompletionTables } from './completion-store.js';
import { FileStore, createFileTables } from './file-store.js';

export interface UserRow {
  id: number;
  auth: string;
  confirmed: number;
  deleted: number;
  suspended: number;
  username: string;
  password: string;
  idnumber: string;
  firstname: string;
  lastname: string;
  email: string;
  phone1: string;
  phone2: string;
  institution: string;
  department: string;
  address: string;
  city: string;
  country: string;
  lang: string;
  calendartype: string;
  theme: string;
  timezone: string;
  firstaccess: number;
  lastaccess: number;
  description: string | null;
  descriptionformat: number;
  mailformat: number;
  maildisplay: number;
  trackforums: number;
  picture: number;
  timecreated: number;
  timemodified: number;
  firstnamephonetic: string | null;
  lastnamephonetic: string | null;
  middlename: string | null;
  alternatename: string | null;
  /** JSON: string[] of tags (user interests). */
  interests: string;
  /** JSON: Record<shortname, value> of profile fields. */
  customfields: string;
  /** JSON: Record<name, value> of user preferences. */
  preferences: string;
}

const COLUMNS: [keyof UserRow, string][] = [
  ['id', 'INTEGER PRIMARY KEY'],
  ['auth', "TEXT NOT NULL DEFAULT 'manual'"],
  ['confirmed', 'INTEGER NOT NULL DEFAULT 0'],
  ['deleted', 'INTEGER NOT NULL DEFAULT 0'],
  ['suspended', 'INTEGER NOT NULL DEFAULT 0'],
  ['username', "TEXT NOT NULL DEFAULT ''"],
  ['password', "TEXT NOT NULL DEFAULT ''"],
  ['idnumber', "TEXT NOT NULL DEFAULT ''"],
  ['firstname', "TEXT NOT NULL DEFAULT ''"],
  ['lastname', "TEXT NOT NULL DEFAULT ''"],
  ['email', "TEXT NOT NULL DEFAULT ''"],
  ['phone1', "TEXT NOT NULL DEFAULT ''"],
  ['phone2', "TEXT NOT NULL DEFAULT ''"],
  ['institution', "TEXT NOT NULL DEFAULT ''"],
  ['department', "TEXT NOT NULL DEFAULT ''"],
  ['address', "TEXT NOT NULL DEFAULT ''"],
  ['city', "TEXT NOT NULL DEFAULT ''"],
  ['country', "TEXT NOT NULL DEFAULT ''"],
  ['lang', "TEXT NOT NULL DEFAULT 'en'"],
  ['calendartype', "TEXT NOT NULL DEFAULT 'gregorian'"],
  ['theme', "TEXT NOT NULL DEFAULT ''"],
  ['timezone', "TEXT NOT NULL DEFAULT '99'"],
  ['firstaccess', 'INTEGER NOT NULL DEFAULT 0'],
  ['lastaccess', 'INTEGER NOT NULL DEFAULT 0'],
  ['description', 'TEXT'],
  ['descriptionformat', 'INTEGER NOT NULL DEFAULT 1'],
  ['mailformat', 'INTEGER NOT NULL DEFAULT 1'],
  ['maildisplay', 'INTEGER NOT NULL DEFAULT 2'],
  ['trackforums', 'INTEGER NOT NULL DEFAULT 0'],
  ['picture', 'INTEGER NOT NULL DEFAULT 0'],
  ['timecreated', 'INTEGER NOT NULL DEFAULT 0'],
  ['timemodified', 'INTEGER NOT NULL DEFAULT 0'],
  ['firstnamephonetic', 'TEXT'],
  ['lastnamephonetic', 'TEXT'],
  ['middlename', 'TEXT'],
  ['alternatename', 'TEXT'],
  ['interests', "TEXT NOT NULL DEFAULT '[]'"],
  ['customfields', "TEXT NOT NULL DEFAULT '{}'"],
  ['preferences', "TEXT NOT NULL DEFAULT '{}'"],
];

export const USER_COLUMNS = COLUMNS.map(([c]) => c);

/** Thrown when an insert/update breaks the unique username index (Moodle: dml_write_exception). */
export class UniqueViolation extends Error {}

/**
 * The varchar sizes of mdl_user's text columns (lib/db/install.xml; cases 152–157 and 166 confirm username, firstname,
 * email, idnumber, phone1 and city). Sizes count characters, as PostgreSQL and MySQL utf8mb4 do, not bytes.
 */
export const USER_COLUMN_SIZES: Partial<Record<keyof UserRow, number>> = {
  auth: 20, username: 100, password: 255, idnumber: 255, firstname: 100, lastname: 100, email: 100, phone1: 20,
  phone2: 20, institution: 255, department: 255, address: 255, city: 120, country: 2, lang: 30, calendartype: 30,
  theme: 50, timezone: 100, firstnamephonetic: 255, lastnamephonetic: 255, middlename: 255, alternatename: 255,
};

/** Thrown when a value is longer than its column: the database refuses it, never truncates (dml_write_exception). */
export class ValueTooLong extends Error {}

function checkSizes(row: Partial<UserRow>): void {
  for (const [col, size] of Object.entries(USER_COLUMN_SIZES)) {
    const v = (row as Record<string, unknown>)[col];
    if (typeof v === 'string' && [...v].length > size) {
      throw new ValueTooLong(`ERROR:  value too long for type character varying(${size})`);
    }
  }
}

/**
 * db.prepare, memoized by SQL text: compiling a statement cost more than running it (an enrolment runs a handful
 * of indexed look-ups, each prepared afresh). A reused reader is handed out in its default mode (a caller may have
 * switched it to raw or pluck); SQL whose placeholder count varies makes new texts, hence the bound.
 */
function memoizePrepare(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= 2000) cache.clear();
      s = prepare(sql);
      cache.set(sql, s);
    } else if (s.reader) {
      s.raw(false);
      s.pluck(false);
      s.expand(false);
    }
    return s;
  }) as typeof db.prepare;
}

export class UserStore {
  readonly db: Database.Database;
  private nextId: number;
  readonly privateKey: string;
  /** The course-side tables (categories, courses, enrolments, roles, groups) in the same database. */
  readonly courses: CourseStore;
  /** Course content (sections, modules and their instances) in the same database. */
  readonly content: ContentStore;
  /** The gradebook (grade items of the course and its modules, grades, settings). */
  readonly grades: GradeStore;
  /** Completion criteria and states of activities and courses. */
  readonly completion: CompletionStore;
  /** Files (draft areas, user icons) in the same database. */
  readonly files: FileStore;

  constructor(file?: string) {
    this.db = new Database(file ?? ':memory:');
    memoizePrepare(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS user (${COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')},
      email_lc TEXT NOT NULL DEFAULT '')`);
    // mdl_user has a unique index on (mnethostid, username); every sandbox user is local.
    this.db.exec('CREATE UNIQUE INDEX IF NOT EXISTS user_username ON user(username)');
    this.db.exec('CREATE INDEX IF NOT EXISTS user_email_lc ON user(email_lc)');
    this.db.exec('CREATE INDEX IF NOT EXISTS user_email ON user(email)');
    this.db.exec('CREATE INDEX IF NOT EXISTS user_idnumber ON user(idnumber)');
    const meta = this.db.prepare('SELECT v FROM meta WHERE k = ?');
    const next = meta.get('nextid') as { v: string } | undefined;
    if (!next) {
      this.seed();
      this.nextId = 3;
      this.setMeta('nextid', '3');
      this.setMeta('privatekey', randomBytes(16).toString('hex'));
    } else {
      this.nextId = Number(next.v);
    }
    this.privateKey = (meta.get('privatekey') as { v: string }).v;
    createCourseTables(this.db);
    this.courses = new CourseStore(this.db);
    createContentTables(this.db);
    this.content = new ContentStore(this.db);
    createGradeTables(this.db);
    this.grades = new GradeStore(this.db, this.content);
    createCompletionTables(this.db);
    this.completion = new CompletionStore(this.db, this.content, this.grades);
    createFileTables(this.db);
    this.files = new FileStore(this.db);
  }

  private setMeta(k: string, v: string): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v').run(k, v);
  }

  /** A fresh Moodle install: guest (id 1) and the site admin (id 2), both created at install time. */
  private seed(): void {
    const now = Math.floor(Date.now() / 1000);
    const base = { confirmed: 1, timecreated: now, timemodified: now, lang: 'en', calendartype: 'gregorian' };
    this.insert({
      ...base, id: 1, auth: 'manual', username: 'guest', firstname: 'Guest user', lastname: ' ',
      email: 'root@localhost', description: 'This user is a special user that allows read-only access to some courses.',
      password: 'set',
    });
    this.insert({
      ...base, id: 2, auth: 'manual', username: 'admin', firstname: 'Admin', lastname: 'User',
      email: 'admin@example.com', password: 'set', timezone: '99',
    });
  }

  allocateId(): number {
    // Persisted by flushMeta() after the transaction, whatever its fate: a rolled-back insert still uses its
    // id up, like a PostgreSQL sequence (the recorded ids show the gaps).
    return this.nextId++;
  }

  /** Moves the id sequence on to `next` (a site whose earlier users took the ids before it); never back. */
  advanceIds(next: number): void {
    this.nextId = Math.max(this.nextId, next);
    this.flushMeta();
  }

  /** Persist the id counter now (used after transactions, and before closing). */
  flushMeta(): void {
    this.setMeta('nextid', String(this.nextId));
    this.courses.flushSequences();
  }

  insert(row: Partial<UserRow> & { id: number }): void {
    const cols = Object.keys(row).filter((k) => USER_COLUMNS.includes(k as keyof UserRow));
    const vals = cols.map((c) => (row as Record<string, unknown>)[c]);
    checkSizes(row);
    try {
      this.db
        .prepare(`INSERT INTO user (${cols.join(', ')}, email_lc) VALUES (${cols.map(() => '?').join(', ')}, ?)`)
        .run(...vals, (row.email ?? '').toLowerCase());
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UniqueViolation(String(e));
      throw e;
    }
  }

  update(id: number, changes: Partial<UserRow>): void {
    const cols = Object.keys(changes).filter((k) => k !== 'id' && USER_COLUMNS.includes(k as keyof UserRow));
    if (cols.length === 0) return;
    const vals = cols.map((c) => (changes as Record<string, unknown>)[c]);
    checkSizes(changes);
    const sets = cols.map((c) => `${c} = ?`);
    if (changes.email !== undefined) {
      sets.push('email_lc = ?');
      vals.push(changes.email.toLowerCase());
    }
    try {
      this.db.prepare(`UPDATE user SET ${sets.join(', ')} WHERE id = ?`).run(...vals, id);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UniqueViolation(String(e));
      throw e;
    }
  }

  get(id: number): UserRow | undefined {
    return this.db.prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM user WHERE id = ?`).get(id) as UserRow | undefined;
  }

  byUsername(username: string): UserRow | undefined {
    return this.db.prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM user WHERE username = ?`).get(username) as
      | UserRow
      | undefined;
  }

  /** Rows of the user table, deleted users included (what a scan of mdl_user reads). */
  userRows(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM user').get() as { n: number }).n;
  }

  usernameExists(username: string): boolean {
    return this.db.prepare('SELECT 1 FROM user WHERE username = ?').get(username) !== undefined;
  }

  /** Case-insensitive email match (Moodle's sql_equal(..., false)), optionally ignoring one user. */
  emailExistsCi(email: string, exceptId = 0): boolean {
    return this.db.prepare('SELECT 1 FROM user WHERE email_lc = ? AND id <> ?').get(email.toLowerCase(), exceptId) !==
      undefined;
  }

  /** get_records_list(): exact IN (...) match, ordered by id. */
  listWhereIn(field: 'id' | 'idnumber' | 'username' | 'email', values: (string | number)[]): UserRow[] {
    if (values.length === 0) return [];
    const out: UserRow[] = [];
    // Chunked so large value lists stay under SQLite's bound-parameter limit.
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      out.push(
        ...(this.db
          .prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM user WHERE ${field} IN (${chunk.map(() => '?').join(', ')})`)
          .all(...chunk) as UserRow[]),
      );
    }
    const seen = new Set<number>();
    return out.filter((u) => (seen.has(u.id) ? false : (seen.add(u.id), true))).sort((a, b) => a.id - b.id);
  }

  /** Users matching exact column values (AND), ordered by id. */
  whereEquals(conds: [keyof UserRow, string | number][]): UserRow[] {
    const where = conds.length ? `WHERE ${conds.map(([c]) => `${c} = ?`).join(' AND ')}` : '';
    return this.db
      .prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM user ${where} ORDER BY id`)
      .all(...conds.map(([, v]) => v)) as UserRow[];
  }

  all(): UserRow[] {
    return this.db.prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM user ORDER BY id`).all() as UserRow[];
  }

  /** Runs fn in one SQLite transaction: everything or nothing, like a Moodle delegated transaction. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } finally {
      this.flushMeta();
    }
  }

  close(): void {
    this.flushMeta();
    this.db.close();
  }
}
