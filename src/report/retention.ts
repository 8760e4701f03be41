/**
 * Retention of run outputs (config archiveKeepDays / reportsKeepDays; absent = keep forever): at the end of a run,
 * archive day folders (archive/YYYY-MM-DD/) and report run folders (reports/RUNID/, RUNID starting with a UTC
 * timestamp) older than N days are removed. Ages come from the names, which carry the date, not from mtimes.
 * Never removed: the current run's folders, anything whose name does not match those patterns (mdlsync.log, a
 * folder an admin put there), symbolic links, plain files.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const DAY_MS = 86_400_000;
/** archive/YYYY-MM-DD */
const ARCHIVE_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** reports/20261123T142501123Z-3f9a (see newRunId) */
const REPORT_RUN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{4}$/;

export interface RetentionOptions {
  archive: string;
  reports: string;
  /** Archive day folders older than this many days are removed; undefined = keep forever. */
  archiveKeepDays?: number;
  /** Report run folders older than this many days are removed; undefined = keep forever. */
  reportsKeepDays?: number;
  /** The current run: its report folder is never removed (nor today's archive folder). */
  runId?: string;
  now?: Date;
}

export interface RetentionResult {
  /** Absolute paths of the folders removed. */
  removed: string[];
  /** Folders that could not be removed, with the reason (retention never fails a run). */
  errors: { path: string; message: string }[];
}

/** A valid UTC date from fields, or null (2026-02-30 is not a date). */
function utc(y: string, mo: string, d: string, h = '0', mi = '0', s = '0', ms = '0'): number | null {
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  const back = new Date(t);
  if (Number.isNaN(t) || back.getUTCFullYear() !== Number(y) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d)) return null;
  if (back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(mi) || back.getUTCSeconds() !== Number(s)) return null;
  return t;
}

/** When an archive day folder's day ended (its newest possible file), or null when the name is not a day. */
export function archiveDayEnd(name: string): number | null {
  const m = ARCHIVE_DAY.exec(name);
  if (!m) return null;
  const start = utc(m[1], m[2], m[3]);
  return start === null ? null : start + DAY_MS;
}

/** When a report folder's run started, or null when the name is not a run id. */
export function reportRunStart(name: string): number | null {
  const m = REPORT_RUN.exec(name);
  return m ? utc(m[1], m[2], m[3], m[4], m[5], m[6], m[7]) : null;
}

async function subfolders(root: string): Promise<string[]> {
  try {
    return (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.isSymbolicLink()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function prune(root: string, keepDays: number, now: number, age: (name: string) => number | null, keep: (name: string) => boolean, out: RetentionResult): Promise<void> {
  const cutoff = now - keepDays * DAY_MS;
  for (const name of (await subfolders(root)).sort()) {
    const t = age(name);
    if (t === null || t > cutoff || keep(name)) continue;
    const path = join(root, name);
    try {
      await rm(path, { recursive: true, force: true });
      out.removed.push(path);
    } catch (err) {
      out.errors.push({ path, message: (err as Error).message });
    }
  }
}

/**
 * Removes what is past its retention. An archive day folder is older than N days once its whole day ended at least
 * N days ago: with N = 30 on 2026-11-23 at noon, 2026-10-23 is removed and 2026-10-24 is kept. A report folder is
 * older than N days when its run started at least N days ago.
 */
export async function applyRetention(opts: RetentionOptions): Promise<RetentionResult> {
  const out: RetentionResult = { removed: [], errors: [] };
  const now = (opts.now ?? new Date()).getTime();
  const today = new Date(now).toISOString().slice(0, 10);
  if (opts.archiveKeepDays !== undefined) {
    await prune(opts.archive, opts.archiveKeepDays, now, archiveDayEnd, (name) => name >= today, out);
  }
  if (opts.reportsKeepDays !== undefined) {
    await prune(opts.reports, opts.reportsKeepDays, now, reportRunStart, (name) => name === opts.runId, out);
  }
  return out;
}

/** applyRetention for the end of a run: logs what was removed, warns about what could not be, never throws. */
export async function retainOutputs(
  opts: RetentionOptions,
  logger: { info(message: string): unknown; warn(message: string): unknown },
): Promise<RetentionResult> {
  if (opts.archiveKeepDays === undefined && opts.reportsKeepDays === undefined) return { removed: [], errors: [] };
  let result: RetentionResult;
  try {
    result = await applyRetention(opts);
  } catch (err) {
    logger.warn(`retention: old outputs were not pruned: ${(err as Error).message}`);
    return { removed: [], errors: [{ path: '', message: (err as Error).message }] };
  }
  if (result.removed.length > 0) logger.info(`retention: removed ${result.removed.length} old folder(s): ${result.removed.join(', ')}`);
  for (const e of result.errors) logger.warn(`retention: could not remove ${e.path}: ${e.message}`);
  return result;
}
