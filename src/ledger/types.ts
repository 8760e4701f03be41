import type { DbValue, ExportCounts, ExportRecord, TableSpec } from './transfer/format.js';

/** The ledger's view of one record mdlsync created or adopted. */
export type LinkStatus = 'active' | 'disabled';

export interface LedgerLink {
  entity: string;
  /** External key (EXTERNAL_PERSON_KEY …). */
  key: string;
  moodleId: number;
  dataSource: string | null;
  /** Content hash of the row last applied; null when unknown (adopted without content) or the entity keeps none. */
  hash: string | null;
  /**
   * What mdlsync gave or knows Moodle holds for the link, in the entity's own words (migration 7): an enrolment's
   * role, dates and suspension, a member's group or cohort id, an observer's (user, role), an institution role's
   * cohort or role, a group's name and description, a deleted cohort's mark. Null (or absent) when none.
   */
  state?: string | null;
  status: LinkStatus;
  /** ISO timestamps. */
  firstSeen: string;
  lastSeen: string;
  /** Run that last wrote this link. */
  lastRun: string | null;
  /** ISO timestamp of the disable, when status is 'disabled' (for purge after a retention period). */
  disabledAt: string | null;
  /** JSON of what mdlsync last sent, when the entity keeps it (enrolments: role, dates); null when none. */
  data?: string | null;
}

/**
 * The part of a link a plan is decided on: what the planner's page scan of the ledger reads (LinkReader), without the
 * bookkeeping columns (when first and last seen, the last run, when disabled), which cost more to read than the rest.
 */
export type PlanLink = Pick<LedgerLink, 'entity' | 'key' | 'moodleId' | 'dataSource' | 'hash' | 'state' | 'status' | 'data'>;

/** What the apply step writes after a confirmed batch. firstSeen is kept when the link exists. */
export interface LinkWrite {
  entity: string;
  key: string;
  moodleId: number;
  dataSource: string | null;
  hash: string | null;
  /** Written as given, like hash: undefined or null leaves the link without state. */
  state?: string | null;
  status: LinkStatus;
  runId: string;
  /** JSON to store in the link's data column; undefined or null keeps what the link holds. */
  data?: string | null;
  /**
   * JSON of the values mdlsync sent (the entity's `undo.fields`: never a password), for a later undo to restore them;
   * undefined or null keeps what the link holds (migration 10).
   */
  fields?: string | null;
  /** The plan's action kind that made this write (create, adopt, update …), kept in the run's before-image. */
  action?: string;
}

/** What the ledger knew of a link at one moment, as a before-image keeps it (migration 10). */
export interface LinkImage {
  moodleId: number;
  dataSource: string | null;
  status: LinkStatus;
  hash: string | null;
  state: string | null;
  /** JSON of the values mdlsync had sent (LinkWrite.fields); null when the link kept none. */
  fields: string | null;
}

/**
 * One record a run changed: the link as it was before the run's first write of it (null: the run made the link, by
 * a create or an adoption) and as the run's last write left it. What `mdlsync undo RUNID` puts back.
 */
export interface BeforeImage {
  runId: string;
  entity: string;
  key: string;
  before: LinkImage | null;
  /** `action`: the plan's action kind of the write, when the writer said it (the values it sent are the link's own). */
  after: Omit<LinkImage, 'fields'> & { action?: string };
}

/** The before-images every writeLinks records (migration 10), for `mdlsync undo` and its retention (undoKeepDays). */
export interface BeforeImageStore {
  /** Every record the run changed, by entity and key. */
  forRun(runId: string): Promise<BeforeImage[]>;
  /** The values a link holds now (LinkWrite.fields), for these keys. */
  fields(entity: string, keys: readonly string[]): Promise<Map<string, string | null>>;
  /** Forgets the images of runs started before this instant; returns how many were removed. */
  purge(before: Date): Promise<number>;
}

export interface RunRecord {
  id: string;
  file: string;
  sha256: string;
  type: string;
  op: string;
  dataSource: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** 'running' | 'ok' | 'failed-rows' | 'refused' | 'aborted' | 'dry-run' */
  status: string;
  summary: string | null;
}

/** Who runs: a unique id per process and run, with what a person needs to find it. */
export interface LockOwner {
  id: string;
  pid: number;
  host: string;
  runId?: string;
}

/** Who holds a lock someone else asked for. */
export interface LockHolder {
  pid: number;
  host: string;
  runId: string | null;
  acquiredAt: string;
  heartbeatAt: string;
}

/**
 * What a writer locks: the entity types whose links it writes, or every one ('all': purge, import, commands that touch
 * several). SQLite has one writer at a time anyway and takes one lock for any scope; PostgreSQL locks each entity.
 */
export type LockScope = readonly string[] | 'all';

/**
 * The ledger's operations, as plan/, apply/, run.ts and the CLI use them: asynchronous, so that a ledger on another
 * machine (PostgreSQL) answers through the same interface as the embedded SQLite file.
 */
export interface LedgerStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Where the ledger lives, for messages: a file path, or a PostgreSQL URL without its password (and its schema). */
  readonly path: string;
  /** Links of these keys (any status), looked up in chunks. */
  getLinks(entity: string, keys: readonly string[]): Promise<Map<string, LedgerLink>>;
  /**
   * A page of an entity's links in the order the ledger learnt them (any status), after position `after`; `last` is
   * the position of the page's last link (where the next page starts). LinkReader scans with it.
   */
  linkPage?(entity: string, after: number, limit: number): Promise<{ links: PlanLink[]; last: number }>;
  /** A key's position in that order; 0 when the ledger has no link for it. */
  linkPosition?(entity: string, key: string): Promise<number>;
  /** Active links owned in a scope: every data source when dataSource is null. Streams; does not load all at once. */
  activeLinks(entity: string, dataSource: string | null): AsyncIterable<LedgerLink>;
  /** Whether the entity has any link (any status, data source): one index probe, where counting reads them all. */
  hasLinks(entity: string): Promise<boolean>;
  /** Number of links in a scope with a status (default active). */
  countLinks(entity: string, dataSource: string | null, status?: LinkStatus): Promise<number>;
  /**
   * Upserts in one transaction: lastSeen/lastRun now, firstSeen kept, disabledAt set on disable and cleared on enable;
   * in the same transaction, each link's before-image for its run (images).
   */
  writeLinks(links: readonly LinkWrite[]): Promise<void>;
  /** Marks unchanged rows as seen by this run (lastSeen/lastRun), in one transaction. */
  markSeen(entity: string, keys: readonly string[], runId: string): Promise<void>;
  /** Forgets a link (the Moodle record is gone or relinked). */
  dropLink(entity: string, key: string): Promise<void>;
  /** The active link wins when a Moodle id is linked more than once (an old disabled key and a re-keyed one). */
  findByMoodleId(entity: string, moodleId: number): Promise<LedgerLink | undefined>;
  /** Links whose key ends with this text (`|P0001`: a person's enrolments), any status, by key. */
  linksWithKeySuffix(entity: string, suffix: string): Promise<LedgerLink[]>;
  /** Replaces a link's data (JSON text, or null to clear it); false when there is no such link. */
  setLinkData(entity: string, key: string, data: string | null): Promise<boolean>;
  /** Pages through links for `ledger show`; dataSource null or absent = every data source; ordered by entity and key. */
  listLinks(filter: { entity?: string; dataSource?: string | null; status?: LinkStatus; limit: number; offset: number }): Promise<LedgerLink[]>;
  startRun(run: Omit<RunRecord, 'finishedAt' | 'status' | 'summary'>): Promise<void>;
  /** summary: a string is stored as given, anything else as JSON (null/undefined: none). */
  finishRun(id: string, status: string, summary: unknown): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(limit: number): Promise<RunRecord[]>;
  /** The per-ledger random secret (32 bytes) that keys the HMAC of passwords in content hashes; made on first use. */
  passwordKey(): Promise<Buffer>;
  /**
   * Takes the writer lock for a scope when it is free, already ours, or its holder is gone; returns the holder when
   * someone else has it. staleMs: a holder without a heartbeat for this long is taken to be dead (SQLite's lock table;
   * PostgreSQL's advisory locks die with their connection and need no heartbeat).
   */
  acquireLock(owner: LockOwner, staleMs: number, scope?: LockScope): Promise<LockHolder | null>;
  /** Keeps a held lock fresh; false when it was lost (taken over, or its connection dropped): stop writing. */
  heartbeatLock(owner: LockOwner): Promise<boolean>;
  releaseLock(owner: LockOwner): Promise<void>;
  /**
   * Why the writer lock this ledger holds was lost (its connection dropped, a heartbeat found it taken over), or null
   * while it is held or none is: the apply engine sends nothing more to Moodle once it is set.
   */
  lockLost?(): string | null;
  /** What the last exports of grades and completions wrote (migration 8). */
  readonly exports: ExportStateStore;
  /** Rows kept for retry by watch and schedule (migration 6). */
  readonly retries: RetryStore;
  /** Pictures sent by `mdlsync pictures` (migration 9). */
  readonly pictures: PictureStore;
  /** What each run changed, as it was before (migration 10): `mdlsync undo`. */
  readonly images: BeforeImageStore;
  /** Reads every record for `mdlsync ledger export`, and loads an export (see transfer/format.ts). */
  readonly transfer: TransferStore;
  /** The latest migration applied (for `doctor`). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

/** Rows of a watched or scheduled file kept for retry (see retries.ts for the record). */
export interface RetryStore {
  add(r: NewRetry): Promise<RetryRecord>;
  get(id: number): Promise<RetryRecord | undefined>;
  /** Every retry (of one source when given), oldest first: the order they are tried in. */
  list(source?: string): Promise<RetryRecord[]>;
  /** Claims the oldest due retry of `source` no live process is trying; two watchers never try the same one. */
  claimDue(source: string, now: number, who: RetryClaimer): Promise<RetryRecord | undefined>;
  /** After a try that left rows: the new file and counts; the claim is released. False when it was discarded meanwhile. */
  update(id: number, change: { file: string; rows: number | null; attempts: number; nextAt: number; lastError: string }): Promise<boolean>;
  /** Removes it (landed, or discarded by a person); returns what it was. */
  remove(id: number): Promise<RetryRecord | undefined>;
}

/** Per export scope, the hash of every row `mdlsync export grades|completions` last wrote. */
export interface ExportStateStore {
  /** The scope's rows as last exported: `course\tperson\titem` → hash. */
  load(scope: string): Promise<Map<string, string>>;
  /** What an export wrote for these courses replaces what the scope held for them, in one transaction. */
  replace(scope: string, courses: readonly string[], rows: readonly ExportedRow[], runId: string, at: string): Promise<void>;
}

/** Which image went to which Moodle user, by the image's SHA-256. */
export interface PictureStore {
  get(match: PictureMatch, names: readonly string[]): Promise<Map<string, PictureRecord>>;
  put(p: Omit<PictureRecord, 'updatedAt'>): Promise<void>;
  lastFor(moodleId: number): Promise<PictureRecord | undefined>;
}

/** A ledger's side of `mdlsync ledger export|import` (the format is transfer/format.ts). */
export interface TransferStore {
  schemaVersion(): Promise<number>;
  /** Every record, table by table, as one snapshot; consume it to the end or return() it. */
  records(opts: { secrets: boolean }): AsyncIterable<{ table: TableSpec; values: DbValue[] }>;
  /** Whether any table of an export holds a row (a secret alone does not count). */
  holdsState(): Promise<boolean>;
  /** Replaces what the exported tables hold with `records`, in one transaction; refuses a ledger with state unless `replace`. */
  load(records: Iterable<ExportRecord>, opts: { replace: boolean; source: string }): Promise<ExportCounts>;
}

export interface RetryRecord {
  id: number;
  /** Who retries it: `watch:DIR`, or `job:NAME` (`job:NAME@HOST` on a shared PostgreSQL ledger). */
  source: string;
  /** The dropped file's name, for people. */
  name: string;
  /** The retry file (the input's header and the rows still to send), mode 0600. */
  file: string;
  type: string | null;
  op: string;
  dataSource: string | null;
  force: boolean;
  /** Rows in the retry file; null when it is the whole input (Moodle was down before it was read). */
  rows: number | null;
  /** Tries that failed so far, the first run included. */
  attempts: number;
  /** Epoch ms of the next try. */
  nextAt: number;
  lastError: string;
  createdAt: string;
  updatedAt: string;
}

export type NewRetry = Omit<RetryRecord, 'id' | 'createdAt' | 'updatedAt'>;

export interface RetryClaimer {
  id: string;
  pid: number;
  host: string;
}

export interface ExportedRow {
  course: string;
  person: string;
  /** '' for the course-level row (the course total, the course completion). */
  item: string;
  hash: string;
}

export type PictureMatch = 'key' | 'username' | 'idnumber';

export interface PictureRecord {
  match: PictureMatch;
  /** The file's name without its extension: the person key, username or idnumber. */
  name: string;
  moodleId: number;
  sha256: string;
  bytes: number;
  /** The icon's revision (rev=N of its URL, Moodle's file id of f1), when Moodle answered one. */
  revision: number | null;
  lastRun: string;
  updatedAt: string;
}
