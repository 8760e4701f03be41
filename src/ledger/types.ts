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

/** The ledger's operations, as plan/, apply/, run.ts and the CLI use them (implemented by SqliteLedger). */
export interface LedgerStore {
  readonly path: string;
  /** Links of these keys (any status), looked up in chunks. */
  getLinks(entity: string, keys: readonly string[]): Map<string, LedgerLink>;
  /**
   * A page of an entity's links in the order the ledger learnt them (any status), after position `after`; `last` is
   * the position of the page's last link (where the next page starts). LinkReader scans with it.
   */
  linkPage?(entity: string, after: number, limit: number): { links: LedgerLink[]; last: number };
  /** A key's position in that order; 0 when the ledger has no link for it. */
  linkPosition?(entity: string, key: string): number;
  /** Active links owned in a scope: every data source when dataSource is null. Streams; does not load all at once. */
  activeLinks(entity: string, dataSource: string | null): IterableIterator<LedgerLink>;
  /** Whether the entity has any link (any status, data source): one index probe, where counting reads them all. */
  hasLinks?(entity: string): boolean;
  /** Number of links in a scope with a status (default active). */
  countLinks(entity: string, dataSource: string | null, status?: LinkStatus): number;
  /** Upserts in one transaction: lastSeen/lastRun now, firstSeen kept, disabledAt set on disable and cleared on enable. */
  writeLinks(links: readonly LinkWrite[]): void;
  /** Marks unchanged rows as seen by this run (lastSeen/lastRun), in one transaction. */
  markSeen(entity: string, keys: readonly string[], runId: string): void;
  /** Forgets a link (the Moodle record is gone or relinked). */
  dropLink(entity: string, key: string): void;
  findByMoodleId(entity: string, moodleId: number): LedgerLink | undefined;
  /** Links whose key ends with this text (`|P0001`: a person's enrolments), any status; block/unblock rows need it. */
  linksWithKeySuffix?(entity: string, suffix: string): LedgerLink[];
  /** Pages through links for `ledger show`. */
  listLinks(filter: { entity?: string; dataSource?: string | null; status?: LinkStatus; limit: number; offset: number }): LedgerLink[];
  startRun(run: Omit<RunRecord, 'finishedAt' | 'status' | 'summary'>): void;
  finishRun(id: string, status: string, summary: unknown): void;
  getRun(id: string): RunRecord | undefined;
  listRuns(limit: number): RunRecord[];
  close(): void;
}
