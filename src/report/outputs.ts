/** reports/RUNID/{summary.json, rows.csv, FILE.tryback.EXT} (DESIGN §10). */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import type { Outcome } from '../apply/types.js';
import type { FeedEncoding, FeedInfo } from '../feed/types.js';
import { writePrivateFile } from './files.js';
import { redactedJson } from './json-output.js';
import { redactText } from './redact.js';
import type { SummaryBase } from './types.js';
import type { RowCode } from '../errors.js';
import { hintFor } from '../hints.js';

export async function ensureReportDir(reportsRoot: string, runId: string): Promise<string> {
  const dir = join(reportsRoot, runId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export async function writeSummary(dir: string, summary: SummaryBase): Promise<string> {
  const path = join(dir, 'summary.json');
  await writePrivateFile(path, redactedJson(summary, 2) + '\n');
  return path;
}

/**
 * rows.csv and plan.csv are opened in spreadsheets: a cell starting with = + - @ (a key such as =HYPERLINK(…)) gets a
 * leading ' so it shows as text instead of running (OWASP CSV injection). Not for the tryback: it is run again, byte for byte.
 */
const SPREADSHEET_SAFE = { escape_formulas: true } as const;

/** A CSV file written row by row (mode 0600); write() says false when the caller should wait for 'drain'. */
function openCsv(path: string, columns: string[]) {
  const out = createWriteStream(path, { mode: 0o600 });
  const csv = stringify({ header: true, columns, ...SPREADSHEET_SAFE });
  csv.pipe(out);
  return {
    write: (row: unknown[]): boolean => csv.write(row.map(redactCell)),
    drain: () => new Promise<void>((r) => csv.once('drain', () => r())),
    close: async (): Promise<string> => {
      csv.end();
      await finished(out);
      return path;
    },
  };
}

/**
 * Records stringified per write: csv-stringify's sync API on a batch is faster than its stream, record by record; and a
 * small batch is faster than a large one, whose pieces all outlive the young generation's collections (20,000 rows:
 * about 300 ms of CPU in batches of 5,000, 125 ms in batches of 100; 500,000: 2.0–2.5 s against 1.3–1.6 s).
 */
const ROWS_CSV_BATCH = 100;
/** `hint` last: readers that take the columns by position keep working. */
const ROWS_CSV_COLUMNS = ['line', 'key', 'action', 'outcome', 'moodle_id', 'errorcode', 'message', 'type', 'hint'];

/**
 * One line per row and per refresh disable; never a password (outcomes carry none). Written in batches through
 * csv-stringify/sync: a 500k-row file took ~2 s through the streaming stringifier's per-record writes.
 */
export async function writeRowsCsv(dir: string, outcomes: Iterable<Outcome>): Promise<string> {
  const csv = openRowsCsv(join(dir, 'rows.csv'));
  for (const o of outcomes) {
    const wait = csv.write(o);
    if (wait) await wait;
  }
  return csv.close();
}

/** A rows.csv opened to be written row by row as the outcomes come (writeRowsCsv's lines; write() may ask to wait). */
export interface RowsCsvWriter {
  /** A promise when the batch was flushed and the file asks to wait (or failed: close() throws it). */
  write(o: Outcome): Promise<void> | undefined;
  close(): Promise<string>;
}

export function openRowsCsv(path: string): RowsCsvWriter {
  const out = createWriteStream(path, { mode: 0o600 });
  // A write error (disk full) is thrown by finished() below; the listener keeps it from being an uncaught event.
  out.on('error', () => {});
  let batch: (string | number)[][] = [ROWS_CSV_COLUMNS];
  const flush = async (): Promise<void> => {
    const more = out.write(stringifySync(batch, SPREADSHEET_SAFE));
    batch = [];
    if (!more && !out.errored) await once(out, 'drain');
  };
  return {
    write: (o) => {
      if (out.errored) return undefined;
      batch.push([o.line ?? '', o.key, o.action, o.outcome, o.moodleId ?? '', o.errorcode ?? '', o.message ?? '', o.type ?? '', hintFor(o.errorcode, o.message) ?? ''].map(redactCell));
      return batch.length >= ROWS_CSV_BATCH ? flush() : undefined;
    },
    close: async () => {
      if (batch.length > 0 && !out.errored) await flush();
      out.end();
      await finished(out);
      return path;
    },
  };
}

/** Our own files are named after the input, but never show a secret its name holds. */
export function trybackName(input: string): string {
  const name = redactText(basename(input));
  const ext = extname(name);
  const stem = basename(name, ext);
  return `${stem}.tryback${ext || '.txt'}`;
}

/**
 * Back into the input's encoding. iconv-lite (Node 20's own windows-1252 support is really Latin-1) is loaded only for
 * a file that needs it: its tables are about half a megabyte, which every run would otherwise load and compile.
 */
async function encoderFor(encoding: FeedEncoding): Promise<(text: string) => Buffer> {
  if (encoding === 'utf8') return (text) => Buffer.from(text, 'utf8');
  const { default: iconv } = await import('iconv-lite');
  const name = encoding === 'latin1' ? 'latin1' : 'win1252';
  return (text) => iconv.encode(text, name);
}

function redactCell<T>(cell: T): T | string {
  return typeof cell === 'string' ? redactText(cell) : cell;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

/**
 * The failed rows only, each after a `# line N: code: message` comment, under the input's own header, delimiter,
 * encoding and line ending: `mdlsync run` on it retries exactly those rows. Rows (and the header, when given at
 * its line) are written as the original bytes (Buffer) the input held, so a byte the decoder could not read goes
 * back as it came; only the comments are encoded. Mode 0600 (rows may hold passwords).
 */
export async function writeTryback(
  dir: string,
  info: FeedInfo,
  failed: readonly Outcome[],
  rawByLine: ReadonlyMap<number, Buffer | string>,
  eol: string,
): Promise<string | null> {
  const rows = failed.filter((o) => o.line !== null && o.line !== info.headerLine && rawByLine.has(o.line));
  if (rows.length === 0) return null;
  const path = join(dir, trybackName(info.path));
  const encodeText = await encoderFor(info.encoding);
  const asBytes = (raw: Buffer | string): Buffer => (typeof raw === 'string' ? encodeText(raw) : raw);
  const end = encodeText(eol);
  const handle = await open(path, 'w', 0o600);
  try {
    // A headerless format (enrol_flatfile) has none to give back.
    if (info.headerLine > 0) await handle.write(Buffer.concat([asBytes(rawByLine.get(info.headerLine) ?? info.headerText), end]));
    for (const o of rows) {
      // The rows stay as received (they are the input, like the archive); the comments are ours, so redacted.
      const comment = redactText(`# line ${o.line}: ${o.errorcode ?? 'failed'}: ${oneLine(o.message ?? '')}`);
      await handle.write(Buffer.concat([encodeText(comment), end, asBytes(rawByLine.get(o.line as number) as Buffer | string), end]));
    }
  } finally {
    await handle.close();
  }
  return path;
}

type PlanRow = { line: number | null; key: string; kind: string; moodleId?: number; reason: string; error?: { code: RowCode; message: string } };

/** plan.csv, written as the plan is computed (a dry run keeps no actions in memory). */
export function openPlanCsv(dir: string): { write(a: PlanRow): void; close(): Promise<string> } {
  // `hint` last, as in rows.csv: what to do about an invalid row's errorcode.
  const csv = openCsv(join(dir, 'plan.csv'), ['line', 'key', 'action', 'moodle_id', 'reason', 'errorcode', 'message', 'hint']);
  return {
    write: (a) =>
      void csv.write([a.line ?? '', a.key, a.kind, a.moodleId ?? '', a.reason, a.error?.code ?? '', a.error?.message ?? '', a.error ? (hintFor(a.error.code, a.error.message) ?? '') : '']),
    close: csv.close,
  };
}

export async function writePlanCsv(dir: string, actions: Iterable<PlanRow>): Promise<string> {
  const csv = openPlanCsv(dir);
  for (const a of actions) csv.write(a);
  return csv.close();
}
