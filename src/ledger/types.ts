/** The ledger's view of one record mdlsync created or adopted. */
export type LinkStatus = 'active' | 'disabled';

export interface LedgerLink {
  entity: string;
  /** External key (EXTERNAL_PERSON_KEY …). */
  key: string;
  moodleId: number;
  dataSource: string | null;
  /** Content hash of the row last applied; null when unknown (adopted without content). */
  hash: string | null;
  status: LinkStatus;
  /** ISO timestamps. */
  firstSeen: string;
  lastSeen: string;
  /** Run that last wrote this link. */
  lastRun: string | null;
  /** ISO timestamp of the disable, when status is 'disabled' (for purge after a retention period). */
  disabledAt: string | null;
}

/** What the apply step writes after a confirmed batch. firstSeen is kept when the link exists. */
export interface LinkWrite {
  entity: string;
  key: string;
  moodleId: number;
  dataSource: string | null;
  hash: string | null;
  status: LinkStatus;
  runId: string;
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
