/**
 * One error family: every failure mdlsync names has a code declared once in CODES below, with its family, the exit
 * code of a command it ends and a one-line hint for the admin. The error classes of the other folders (FeedFileError,
 * ConfigError, Refusal, MoodleError, TransientError, ProtocolError, AbortError, LedgerError, LocalRowError) extend
 * MdlsyncError with a code of their family; the codes a report row carries are the RowCode union. README's "Error
 * codes" section lists every code of the table (test/error-codes.test.ts keeps the two in step).
 *
 * A leaf module: it imports nothing from src/.
 */

/** Process exit codes: 0 done, 1 usage or config, 2 some rows failed, 3 refused (guard, lock, preflight), 4 drift found (mdlsync diff). */
export const EXIT = { ok: 0, usage: 1, failedRows: 2, refused: 3, drift: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * feed: the whole file cannot be trusted, nothing is applied. config: the command cannot start (config, flags, paths).
 * moodle: the site refused or is not what the config says. transport: a call did not get a usable answer.
 * ledger: the ledger cannot be used. row: one row fails, the rest of the file runs.
 */
export type ErrorFamily = 'feed' | 'config' | 'moodle' | 'transport' | 'ledger' | 'row';
export const ERROR_FAMILIES: readonly ErrorFamily[] = ['feed', 'config', 'moodle', 'transport', 'ledger', 'row'];

interface CodeSpec {
  family: ErrorFamily;
  /** Exit code of a command this failure ends (a run with any failed row ends with 2, whatever the row's code). */
  exit: ExitCode;
  /** One line: what the admin should do. */
  hint: string;
  /** A code of another family that also labels report rows (rows.csv, tryback comments). */
  row?: true;
}

const FIX_ROW = 'fix the row and run the tryback file';

/** Every code, once. Keep README's "Error codes" section in step (test/error-codes.test.ts checks it). */
export const CODES = {
  // ── feed: the whole file (summary.json error.code; the run ends with exit 3 and writes nothing) ──────────────
  'empty-file': { family: 'feed', exit: 3, hint: 'the file has no header or no content: check that the export ran and wrote the file' },
  'no-header': { family: 'feed', exit: 3, hint: 'the first line that is not a comment must be the header row: check that the file is a feed export' },
  'unknown-header': { family: 'feed', exit: 3, hint: 'a column name is not one mdlsync knows: fix its spelling (the message names the closest one) or remove the column' },
  'duplicate-header': { family: 'feed', exit: 3, hint: 'a column appears twice in the header: remove one of them' },
  'missing-column': { family: 'feed', exit: 3, hint: 'a column the feed type needs is missing from the header: add it' },
  'wrong-delimiter': { family: 'feed', exit: 3, hint: 'the header does not split on the delimiter: export with | or , or pass --delimiter' },
  'unknown-type': { family: 'feed', exit: 3, hint: 'the feed type cannot be told from the header, or is not one mdlsync reads: pass --type or fix the header' },
  'invalid-encoding': {
    family: 'feed',
    exit: 3,
    row: true,
    hint: 'bytes that are not valid in the encoding (the file, or one row): save the file as UTF-8, or pass the --encoding it was written in (latin1, windows-1252)',
  },
  unreadable: { family: 'feed', exit: 3, hint: 'the file cannot be read (a folder, a pipe, no permission, broken CSV): give a readable regular file' },

  // ── config: the command cannot start ────────────────────────────────────────────────────────────────────────
  usage: { family: 'config', exit: 1, hint: 'a flag or argument is wrong: see mdlsync --help (or mdlsync COMMAND --help)' },
  'invalid-config': { family: 'config', exit: 1, hint: 'fix the setting the message names (mdlsync.config.json, the MDLSYNC_* environment or the flags)' },
  refused: { family: 'config', exit: 3, hint: 'the command was refused before it started: the sentence names the path or setting to fix' },
  'invalid-ledger-file': {
    family: 'config',
    exit: 1,
    hint: 'the file is not a whole mdlsync ledger export (the message names the line and what is wrong there): export it again; nothing was imported',
  },
  'ledger-file-too-new': { family: 'config', exit: 1, hint: 'the ledger export was written by a newer mdlsync: upgrade mdlsync where you import it' },
  'ledger-not-empty': { family: 'config', exit: 3, hint: 'the ledger already holds links or runs: import into a new ledger (--ledger FILE), or pass --replace to replace what it holds' },
  'ledger-other-site': { family: 'config', exit: 3, hint: "the export was made for another Moodle URL: check --url / moodle.url, or pass --other-site if the site moved to this URL" },

  // ── moodle: the site refused, or is not what the config says ───────────────────────────────────────────────
  'not-moodle': { family: 'moodle', exit: 3, hint: "the URL answers, but not as Moodle: set moodle.url to the Moodle site's root" },
  'functions-missing': {
    family: 'moodle',
    exit: 3,
    hint: "add the functions named to the token's external service (Site administration › Server › Web services › External services)",
  },
  drift: {
    family: 'moodle',
    exit: 4,
    hint: 'mdlsync diff found Moodle changed by hand (or records deleted, enrolments added or removed there): read its rows.csv; mdlsync diff --repair sends the file values again',
  },
  'moodle-error': { family: 'moodle', exit: 1, hint: "Moodle refused the call: its errorcode says why (turn on Moodle's debugging for the record it means)" },
  invaliduser: { family: 'moodle', exit: 2, row: true, hint: "the Moodle user no longer exists (deleted in Moodle): clear the row's MOODLE_ID to have it re-created" },
  unknowcategory: { family: 'moodle', exit: 2, row: true, hint: "the Moodle category (or its parent) no longer exists: clear the SIS's Moodle id to have it re-created" },
  unknowncategory: { family: 'moodle', exit: 2, row: true, hint: "the Moodle category (or its parent) no longer exists (update_categories' spelling of unknowcategory): clear the SIS's Moodle id to have it re-created" },
  wsnoinstance: { family: 'moodle', exit: 2, row: true, hint: 'the course has no enabled "Manual enrolments" method (deleted or disabled there): add or enable it under Course › Participants › Enrolment methods, then run the tryback file' },

  // ── transport: a call got no usable answer ─────────────────────────────────────────────────────────────────
  unreachable: { family: 'transport', exit: 3, hint: 'check moodle.url and that the site is up, then run again' },
  transient: {
    family: 'transport',
    exit: 1,
    row: true,
    hint: 'Moodle could not take the call (outage, timeout, HTTP 5xx): run the tryback (or retry) file again once the site answers',
  },
  protocol: { family: 'transport', exit: 1, row: true, hint: "the site's answer cannot be used (REST disabled, wrong URL, a proxy page): check moodle.url and that REST is enabled" },
  aborted: { family: 'transport', exit: 1, row: true, hint: 'the run was stopped before Moodle confirmed the row: run the file again (the next plan reads back what was saved)' },
  tls: {
    family: 'transport',
    exit: 3,
    row: true,
    hint: "the site's certificate could not be verified: if it comes from a private certificate authority, pass that CA's certificate with --ca FILE (or moodle.ca); mdlsync never turns verification off",
  },
  'circuit-open': {
    family: 'transport',
    exit: 3,
    row: true,
    hint: 'the run stopped sending after moodle.breakerFailures transient failures in a row (the site is down or overloaded): the rows not applied are in the tryback (or retry) file; run it once the site answers',
  },

  // ── ledger ────────────────────────────────────────────────────────────────────────────────────────────────
  locked: { family: 'ledger', exit: 3, hint: 'another mdlsync run holds the ledger: wait for it to finish, or pass --wait SECONDS' },
  'held-changed': {
    family: 'ledger',
    exit: 3,
    hint: 'what the held plan touches changed since it was made (the message shows how the plan changed): approve the new held plan it names, or discard it',
  },
  'ledger-too-new': { family: 'ledger', exit: 1, hint: 'the ledger was written by a newer mdlsync: upgrade mdlsync' },
  'ledger-migration': { family: 'ledger', exit: 1, hint: "this build's ledger migrations are out of order: report it (a packaging bug)" },
  'ledger-no-run': { family: 'ledger', exit: 1, hint: 'the run is not in the ledger: run the command again and report the log if it persists' },
  'ledger-lock-lost': { family: 'ledger', exit: 3, row: true, hint: "the run lost its hold on the shared ledger (its PostgreSQL connection dropped) and stopped writing before another runner could take over: run the tryback file once the ledger's server answers" },
  'ledger-unreachable': { family: 'ledger', exit: 3, hint: 'the ledger database cannot be opened or reached: check ledger / --ledger (the file path, or the PostgreSQL URL, server and rights)' },
  'mirror-database': { family: 'ledger', exit: 3, hint: 'the mirror database cannot be opened or reached: check mirror.database / --database (the file path, or the PostgreSQL URL, server and rights)' },
  'mirror-too-new': { family: 'ledger', exit: 1, hint: 'the mirror database was written by a newer mdlsync: upgrade mdlsync' },
  'mirror-other-site': { family: 'ledger', exit: 3, hint: 'the mirror database holds another Moodle site: give each site its own mirror database' },
  'mirror-locked': { family: 'ledger', exit: 3, hint: 'another mirror pass is writing the same mirror database: wait for it to finish, or pass --wait SECONDS' },

  // ── row: read from the file ───────────────────────────────────────────────────────────────────────────────
  'short-row': { family: 'row', exit: 2, hint: `the row has fewer values than the header (a missing delimiter): ${FIX_ROW}` },
  'long-row': { family: 'row', exit: 2, hint: `the row has more values than the header (a delimiter inside a value, quote it): ${FIX_ROW}` },
  'missing-value': { family: 'row', exit: 2, hint: `a value the row needs is empty (the message names the column): ${FIX_ROW}` },
  'invalid-value': { family: 'row', exit: 2, hint: `a value is not one the column accepts (the message says what is expected): ${FIX_ROW}` },
  'invalid-moodle-id': { family: 'row', exit: 2, hint: `the MOODLE_ID is not a Moodle id (a positive whole number): give the id mdlsync export ids wrote, or leave the cell empty; ${FIX_ROW}` },
  'invalid-dates': { family: 'row', exit: 2, hint: `the end date is before the start date: ${FIX_ROW}` },
  'record-too-large': { family: 'row', exit: 2, hint: 'the row is larger than a row may be (often a quote never closed): fix the quoting in the file' },
  'unterminated-quote': { family: 'row', exit: 2, hint: 'a quote is opened and never closed, so the row swallowed the lines after it: fix the quoting in the file' },
  'unreadable-key': { family: 'row', exit: 2, hint: "the row's key cannot be trusted (wrong column count before it, the delimiter inside it): fix the row's shape" },
  'reserved-cohort': { family: 'row', exit: 2, hint: 'the key is one mdlsync keeps for its own cohorts: give the cohort another key' },

  // ── row: planned against the ledger and Moodle ────────────────────────────────────────────────────────────
  'held-additions-only': { family: 'row', exit: 2, hint: 'an additions-only window (config guard.additionsOnly) held this disable of a refresh: run the tryback file once the window is over, or now with --op store / --op delete' },
  'duplicate-key': { family: 'row', exit: 2, hint: 'the key appears twice in the file: keep one row per key' },
  'data-source-mismatch': { family: 'row', exit: 2, hint: 'the record belongs to another data source: send the row from the data source that owns it (data sources that own courses, groups and cohorts together: config dataSourceFamilies)' },
  'ambiguous-match': { family: 'row', exit: 2, hint: 'more than one Moodle record matches the row: make the idnumber (or username) unique in Moodle' },
  'moodle-id-missing': { family: 'row', exit: 2, hint: "the Moodle id no longer exists in Moodle: clear the SIS's Moodle id to have the record re-created" },
  'moodle-id-conflict': { family: 'row', exit: 2, hint: "the file's Moodle id differs from the Moodle record linked to the key: correct the SIS's Moodle id (mdlsync export ids lists the linked ones), or leave the cell empty to keep the link" },
  'unknown-person': { family: 'row', exit: 2, hint: 'the person is neither in the ledger nor in Moodle: load the person first (persons run before the feeds that name them)' },
  'unknown-course': { family: 'row', exit: 2, hint: 'the course is neither in the ledger nor in Moodle: load the course first' },
  'unknown-category': { family: 'row', exit: 2, hint: 'the category is neither in the ledger nor in Moodle: load the category first, or fix the CATEGORY value' },
  'unknown-template': { family: 'row', exit: 2, hint: 'no course has the template key or short name: fix the TEMPLATE value or create the template course' },
  'unknown-parent': { family: 'row', exit: 2, hint: 'the parent category is neither in the file, the ledger nor Moodle: add it or fix the PARENT value' },
  'invalid-parent': { family: 'row', exit: 2, hint: 'a category cannot be its own parent: fix the PARENT value' },
  'parent-cycle': { family: 'row', exit: 2, hint: 'the parent categories form a cycle: fix the PARENT values' },
  'parent-failed': { family: 'row', exit: 2, hint: "the parent category's own row failed: fix that row first" },
  'category-failed': { family: 'row', exit: 2, hint: "a category of the course's path could not be created: see the message, fix it and run the row again" },
  'unknown-role': { family: 'row', exit: 2, hint: 'the role has no Moodle role (or id): set enrolments.roleMap / roleIds (or institutionRoles.roleMap) in the config' },
  'unknown-cohort': { family: 'row', exit: 2, hint: 'the cohort is neither in the ledger nor in Moodle: load the cohort first' },
  'unknown-group': { family: 'row', exit: 2, hint: 'the group is neither in the ledger nor in Moodle: load the group first' },
  'cohort-lookup': { family: 'row', exit: 2, hint: "the person's institution-role cohort could not be looked up: see the message, then run the row again" },
  'not-enrolled': { family: 'row', exit: 2, hint: 'only enrolled users can be group members: enrol the person in the course first' },
  'field-too-long': { family: 'row', exit: 2, hint: "a value is longer than Moodle's column for it (the message gives the size): shorten it" },

  // ── row: refused before it is sent, or by Moodle while applying ───────────────────────────────────────────
  'missing-moodle-id': { family: 'row', exit: 2, hint: 'the action needs the Moodle id of the record and none is known: report it with the log' },
  'missing-record': { family: 'row', exit: 2, hint: 'a create needs the file row: report it with the log' },
  'missing-password': { family: 'row', exit: 2, hint: 'the auth method needs a password: add PASSWD to the row, or turn on persons.createPasswordWhenMissing' },
  'invalid-character': { family: 'row', exit: 2, hint: 'a value holds a NUL character (U+0000), which Moodle refuses: remove it' },
  'no-email': { family: 'row', exit: 2, hint: 'the username is to be the email and the account has none: add EMAIL to the row' },
  ambiguous: { family: 'row', exit: 2, hint: 'the linked Moodle user is gone and more than one other user matches: make the idnumber (or username) unique in Moodle' },
  'lookup-failed': { family: 'row', exit: 2, hint: 'a look-up in Moodle failed (the message says why): run the row again' },
  'missing-cohort': { family: 'row', exit: 2, hint: 'the Moodle cohort no longer exists (deleted in Moodle): load the cohort again' },
  'missing-user': { family: 'row', exit: 2, hint: 'the Moodle user no longer exists (deleted in Moodle): load the person again' },
  'not-added': { family: 'row', exit: 2, hint: 'Moodle did not add the member and said why (see the message): fix that and run the row again' },
  'username-taken': { family: 'row', exit: 2, hint: "the username belongs to another Moodle account: change the row's username, or set that account's idnumber to the key to adopt it" },
  'shortname-taken': { family: 'row', exit: 2, hint: "the short name belongs to another Moodle course: change the row's short name, or set that course's idnumber to the key to adopt it" },
  'too-many-fields': { family: 'row', exit: 2, hint: "the row needs more form variables than max_input_vars allows: raise PHP's max_input_vars and moodle.maxInputVars" },
  truncated: { family: 'row', exit: 2, hint: "Moodle's reply was cut short (PHP's max_input_vars): raise max_input_vars on the site, or lower moodle.maxInputVars" },
  failed: { family: 'row', exit: 2, hint: 'the row failed (the message says why): fix the cause and run the row again' },
  error: { family: 'row', exit: 2, hint: 'the call failed without a Moodle errorcode (the message says why): run the row again, and report the log if it persists' },
  internal: { family: 'row', exit: 2, hint: 'an internal inconsistency stopped the row: report it with the log' },

  // ── user pictures (mdlsync pictures) ───────────────────────────────────────────────────────────────────────
  'not-an-image': { family: 'row', exit: 2, hint: "the file is not a GIF, JPEG or PNG image, so it was not sent (Moodle would have removed the user's picture): replace it with a picture and run the tryback folder" },
  'picture-too-large': { family: 'row', exit: 2, hint: "the picture is bigger than the upload limit (the site's, or pictures.maxBytes): make it smaller and run the tryback folder" },
  'picture-not-set': { family: 'row', exit: 2, hint: 'Moodle answered that the picture did not change (its draft area was empty): run the tryback folder again, and report the log if it persists' },
  'uploads-disabled': {
    family: 'moodle',
    exit: 3,
    row: true,
    hint: "the token's service may not upload files: tick \"Can upload files\" on it (Site administration › Server › Web services › External services › Edit)",
  },
} as const satisfies Record<string, CodeSpec>;

type Codes = typeof CODES;
/** Every code mdlsync names. */
export type ErrorCode = keyof Codes;
/** The codes of one family. */
export type CodeOf<F extends ErrorFamily> = { [K in ErrorCode]: Codes[K]['family'] extends F ? K : never }[ErrorCode];
/** The codes a report row may carry (rows.csv errorcode, the tryback comments): the row family and the few marked row. */
export type RowCode = { [K in ErrorCode]: Codes[K] extends { family: 'row' } | { row: true } ? K : never }[ErrorCode];

export type FeedCode = CodeOf<'feed'>;
export type ConfigCode = CodeOf<'config'>;
export type MoodleCode = CodeOf<'moodle'>;
export type TransportCode = CodeOf<'transport'>;
export type LedgerCode = CodeOf<'ledger'>;

declare const moodleErrorcode: unique symbol;
/**
 * Moodle's own errorcode (invalidparameter, nopermissions, …), passed on as Moodle said it. Branded so that a
 * mistyped mdlsync code is still a type error: only MoodleError makes one (see moodleErrorcode()).
 */
export type MoodleErrorcode = string & { readonly [moodleErrorcode]: true };
export function asMoodleErrorcode(code: string): MoodleErrorcode {
  return code as MoodleErrorcode;
}

/** What a report row's errorcode holds: an mdlsync row code, or Moodle's errorcode for what Moodle refused. */
export type OutcomeCode = RowCode | MoodleErrorcode;
/** What summary.json's error.code holds: any mdlsync code, or Moodle's errorcode (a refused token). */
export type FailureCode = ErrorCode | MoodleErrorcode;

/** A failure that travels as a value (a look-up that found no single record, a refused preflight): its code and sentence. */
export interface Failure<C extends FailureCode = RowCode> {
  code: C;
  message: string;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(CODES, code);
}

export function isRowCode(code: unknown): code is RowCode {
  if (!isErrorCode(code)) return false;
  const spec: CodeSpec = CODES[code];
  return spec.family === 'row' || spec.row === true;
}

/** The base of every error mdlsync throws on purpose: a code of the table and one plain sentence. */
export class MdlsyncError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = 'MdlsyncError';
  }

  get family(): ErrorFamily {
    return CODES[this.code].family;
  }

  get hint(): string {
    return CODES[this.code].hint;
  }
}

export interface FailureInfo {
  /** The table's code, or null for a value that is no MdlsyncError (a bug, or a library's error). */
  code: ErrorCode | null;
  family: ErrorFamily | null;
  /** The process exit code when this value is thrown up to the CLI. */
  exit: ExitCode;
  hint: string;
  /** The CLI prints the message alone (the config family's sentences say what to fix), not as an unexpected error. */
  expected: boolean;
}

/**
 * Codes of other families a command may end with by throwing, when no summary is there to carry them: a shared
 * ledger that cannot be reached (`ledger show`, `doctor`, `watch` …), a writer lock lost. Their own exit code, their
 * sentence alone.
 */
const THROWN_ON_PURPOSE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ledger-unreachable', 'ledger-lock-lost']);

const UNEXPECTED_HINT = 'run again with --log-level debug and report the log if it persists';

/**
 * The exit code and hint of any thrown value. The codes of the other families end a command through its summary
 * (a file that cannot be read, Moodle unreachable, the ledger locked: exit 3; failed rows: exit 2); thrown up to the
 * CLI instead, like any value that is no MdlsyncError, they are unexpected and end with 1. Only the config family
 * (ConfigError, Refusal) and THROWN_ON_PURPOSE are thrown on purpose, and end with their own exit code.
 */
export function failureInfo(err: unknown): FailureInfo {
  if (!(err instanceof MdlsyncError) || !isErrorCode(err.code)) return { code: null, family: null, exit: EXIT.usage, hint: UNEXPECTED_HINT, expected: false };
  const code: ErrorCode = err.code;
  const spec: CodeSpec = CODES[code];
  const expected = spec.family === 'config' || THROWN_ON_PURPOSE.has(code);
  return { code, family: spec.family, exit: expected ? spec.exit : EXIT.usage, hint: spec.hint, expected };
}

export function exitCodeOf(err: unknown): ExitCode {
  return failureInfo(err).exit;
}

export function hintOf(err: unknown): string {
  return failureInfo(err).hint;
}
