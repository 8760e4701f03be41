/**
 * `mdlsync pictures SOURCE`: user pictures from a folder or a zip of images named by person key, username or
 * idnumber, run by the conductor like any writing command (session with its preflight, ledger, writer lock,
 * reports/RUNID/summary.json and rows.csv, the ledger's run record).
 *
 * 1. prepare (no Moodle): open the source (a zip is unpacked into a private temporary folder);
 * 2. work: the service must allow uploads (site info's uploadfiles, read by the preflight); each file is read once
 *    for its SHA-256 and image check (check.ts), then planned (plan.ts: failed / unchanged / to send) with no call;
 *    the names to send are looked up (ledger link, else Moodle), and each picture is uploaded and set (send.ts),
 *    `moodle.concurrency` at a time, the ledger written after each confirmed picture;
 * 3. finish: the failed pictures copied into the tryback folder, a zip archived like a feed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type winston from 'winston';
import type { ApplyProgress, Outcome } from '../apply/types.js';
import { requireMoodle, type Config } from '../config/index.js';
import { EXIT, conduct, startingSummary, type Ending, type Job } from '../conductor.js';
import type { PictureMatch } from '../ledger/index.js';
import { PICTURE_FUNCTIONS, isTransient } from '../moodle/index.js';
import { archiveInput, type SummaryBase } from '../report/index.js';
import { PersonPlaces, retrier } from '../resolve/common.js';
import { codeOf } from '../apply/engine.js';
import { checkImage, maxBytesFor } from './check.js';
import { nameOf } from './match.js';
import { planPictures, type PictureDecision, type PictureFacts } from './plan.js';
import { sendPicture, type SendContext } from './send.js';
import { openSource, PictureSourceError, type PictureSource } from './source.js';
import { writePictureTryback } from './tryback.js';

export interface PicturesRequest {
  /** A folder or a .zip. */
  source: string;
  match: PictureMatch;
  /** Send every picture, even those the ledger holds unchanged. */
  full?: boolean;
  /** Seconds to wait for another run holding the ledger's writer lock. */
  wait?: number;
  /** Told after each picture sent (or failed while sending): the CLI's progress bar. */
  onProgress?: (p: ApplyProgress) => void;
}

/** reports/RUNID/summary.json of `mdlsync pictures`. */
export interface PicturesSummary extends SummaryBase {
  kind: 'pictures';
  source: string;
  sourceKind: 'folder' | 'zip' | null;
  match: PictureMatch;
  /** The size limit applied (bytes), once the site's was known. */
  maxBytes: number | null;
  /** Picture files in the source. */
  files: number;
  archivedAs: string | null;
  /** The folder of failed pictures to run again. */
  tryback: string | null;
}

export interface PicturesResult {
  summary: PicturesSummary;
  rows: Outcome[];
}

/** The biggest file unpacked from a zip when no limit is configured (the site's is not known yet). */
const UNPACK_LIMIT = 64 * 1024 * 1024;

export async function runPictures(req: PicturesRequest, deps: { config: Config; logger: winston.Logger }): Promise<PicturesResult> {
  const rows: Outcome[] = [];
  // The source stays open (a zip unpacked) until the report is written: the tryback copies from it.
  const held: { source: PictureSource | null } = { source: null };
  try {
    const summary = await conduct(picturesJob(req, deps.config, rows, held), deps);
    return { summary, rows };
  } finally {
    await held.source?.cleanup();
  }
}

const failedRow = (d: Extract<PictureDecision, { kind: 'fail' }>): Outcome => ({
  line: null, type: 'pictures', key: d.file, action: 'fail', outcome: 'failed',
  ...(d.moodleId !== undefined ? { moodleId: d.moodleId } : {}), errorcode: d.failure.code, message: d.failure.message,
});

/** Each file read once: its SHA-256 and whether Moodle would make a picture of it; then its bytes are let go. */
async function readFacts(source: PictureSource): Promise<PictureFacts[]> {
  const facts: PictureFacts[] = [];
  for (const f of source.files) {
    if (f.path === null) {
      facts.push({ file: f.file, path: null, bytes: f.bytes, sha256: null, image: null });
      continue;
    }
    const content = await readFile(f.path);
    facts.push({ file: f.file, path: f.path, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex'), image: checkImage(content) });
  }
  return facts;
}

function picturesJob(req: PicturesRequest, config: Config, rows: Outcome[], held: { source: PictureSource | null }):
  Job<PicturesSummary, PictureSource> {
  const concurrency = config.moodle.concurrency;
  const refuse = (summary: PicturesSummary, code: NonNullable<SummaryBase['error']>['code'], message: string): Ending => {
    summary.error = { code, message };
    return { status: 'refused', exitCode: EXIT.refused, message: `No picture was sent: ${message}.`, rows };
  };
  return {
    connections: concurrency,
    summary: (start) => ({
      ...startingSummary(start),
      kind: 'pictures',
      source: req.source,
      sourceKind: null,
      match: req.match,
      maxBytes: null,
      files: 0,
      archivedAs: null,
      tryback: null,
    }),
    opening: (s) => `pictures ${s.source} (names are ${s.match === 'key' ? 'person keys' : `${s.match}s`}): run ${s.runId}`,

    prepare: async (summary) => {
      try {
        held.source = await openSource(req.source, config.pictures.maxBytes ?? UNPACK_LIMIT);
      } catch (err) {
        if (!(err instanceof PictureSourceError)) throw err;
        return refuse(summary, 'unreadable', err.message);
      }
      summary.sourceKind = held.source.kind;
      summary.files = held.source.files.length;
      if (held.source.files.length === 0) return { status: 'ok', exitCode: EXIT.ok, message: `${req.source} holds no file: nothing to do.`, rows, countCalls: false };
      return { open: { functions: PICTURE_FUNCTIONS, lock: true, wait: req.wait }, state: held.source };
    },
    refused: (r) => ({ status: 'refused', message: `No picture was sent: ${r.message}.` }),

    work: async ({ client, ledger, siteInfo, summary, reportDir, runId, startRun }, source) => {
      // Site info's uploadfiles is the service's "Can upload files": without it upload.php refuses every file.
      if (siteInfo?.uploadfiles !== 1) {
        return refuse(summary, 'uploads-disabled', `the token's web service may not upload files (site info says uploadfiles = ${String(siteInfo?.uploadfiles ?? 'nothing')}): tick "Can upload files" on the service (Site administration › Server › Web services › External services › Edit)`);
      }
      const maxBytes = maxBytesFor(config.pictures.maxBytes, siteInfo.usermaxuploadfilesize);
      summary.maxBytes = maxBytes;
      const facts = await readFacts(source);
      const paths = new Map(facts.map((f) => [f.file, f.path]));
      const names = facts.map((f) => nameOf(f.file, req.match)).filter((n): n is string => n !== null);
      const previous = await ledger.pictures.get(req.match, names);
      const linked = new Map<string, number>();
      if (req.match === 'key') for (const [k, l] of await ledger.getLinks('persons', names)) linked.set(k, l.moodleId);
      const decisions = planPictures({ files: facts, match: req.match, maxBytes, full: req.full ?? false, previous, linked });

      await startRun({ file: req.source, sha256: '', type: 'pictures', op: 'pictures', dataSource: null });
      const sends: Extract<PictureDecision, { kind: 'send' }>[] = [];
      const outcome = new Map<string, Outcome>();
      for (const d of decisions) {
        if (d.kind === 'fail') outcome.set(d.file, failedRow(d));
        else if (d.kind === 'unchanged') outcome.set(d.file, { line: null, type: 'pictures', key: d.file, action: 'unchanged', outcome: 'unchanged', moodleId: d.moodleId });
        else sends.push(d);
      }

      // Whom each picture is for: the ledger's persons link (key), else the one Moodle user with that idnumber/username.
      const retry = retrier({ retries: config.moodle.retries, backoffMs: config.moodle.backoffMs });
      const places = new PersonPlaces(client, req.match === 'key' ? ledger : null, retry, 100, req.match === 'username' ? 'username' : 'idnumber');
      await places.place(sends.map((d) => d.name));
      const ctx: SendContext = { client, pictures: ledger.pictures, retry, runId, match: req.match, uploadsRefused: null };
      const queue = [...sends];
      const progress = { done: 0, total: sends.length, failed: 0 };
      const worker = async (): Promise<void> => {
        for (let d = queue.shift(); d; d = queue.shift()) {
          const row = await pictureFor(d);
          outcome.set(d.file, row);
          progress.done++;
          if (row.outcome === 'failed') progress.failed++;
          req.onProgress?.({ ...progress });
        }
      };
      const pictureFor = async (d: Extract<PictureDecision, { kind: 'send' }>): Promise<Outcome> => {
        const placed = places.get(d.name);
        if (placed.id === undefined) {
          const what = req.match === 'key' ? 'person key' : req.match;
          const failure = placed.problem
            ? { code: 'ambiguous-match' as const, message: `${placed.problem}: make it unique` }
            : { code: 'unknown-person' as const, message: `no Moodle user for ${what} ${d.name}${req.match === 'key' ? ' (not in the ledger, and no user has that idnumber)' : ''}` };
          return failedRow({ kind: 'fail', file: d.file, name: d.name, failure });
        }
        let content: Buffer;
        try {
          content = await readFile(d.path);
        } catch (err) {
          // Gone or changed since it was checked (a drop folder being refilled): nothing was sent.
          return failedRow({ kind: 'fail', file: d.file, name: d.name, failure: { code: 'error', message: `the file could not be read again: ${(err as Error).message}` } });
        }
        // The bytes sent must be the bytes checked: a file replaced meanwhile could be a non-image (which removes the picture).
        if (createHash('sha256').update(content).digest('hex') !== d.sha256) {
          return failedRow({ kind: 'fail', file: d.file, name: d.name, failure: { code: 'error', message: 'the file changed while the run was going: run again' } });
        }
        return sendPicture(ctx, { file: d.file, name: d.name, content, sha256: d.sha256, image: d.image, moodleId: placed.id });
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, sends.length)) }, worker));

      // rows.csv in the source's order.
      for (const d of decisions) rows.push(outcome.get(d.file) as Outcome);
      const failed = rows.filter((r) => r.outcome === 'failed');
      summary.tryback = await writePictureTryback(reportDir, failed.map((r) => ({ file: r.key, path: paths.get(r.key) ?? null })));
      return {
        applied: rows,
        closing: (s, anyFailed) => {
          const counts = `${s.outcomes.ok} sent, ${s.outcomes.unchanged} unchanged, ${s.outcomes.failed} failed`;
          if (!anyFailed) return `Pictures done: ${counts}.`;
          const again = s.tryback ? `: fix them and run mdlsync pictures ${s.tryback}` : '';
          return `Pictures done with failures: ${counts} (see ${reportDir}/rows.csv)${again}.`;
        },
      };
    },
    // A Moodle that stops answering midway: what went through is in the ledger; the rest is reported.
    failed: (err, summary) => {
      if (!isTransient(err)) return undefined;
      summary.error = { code: codeOf(err), message: (err as Error).message };
      return { status: 'aborted', exitCode: EXIT.refused, message: `Stopped: Moodle at ${requireMoodle(config).url} is unreachable (${summary.error.message}); run the same command again once it is back.`, rows };
    },
    beforeReport: async (summary) => {
      // A zip is kept like a feed (archive/DAY/RUNID__NAME.zip); a folder is the admin's own and stays where it is.
      if (summary.sourceKind === 'zip' && summary.status !== 'refused') summary.archivedAs = await archiveInput(req.source, config.archive, summary.runId, new Date(summary.startedAt));
    },
    record: (s) => ({ outcomes: s.outcomes, exitCode: s.exitCode, tryback: s.tryback }),
  };
}

