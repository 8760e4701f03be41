/**
 * `mdlsync watch DIR`: the drop folder. A file is taken once completely written, moved atomically (rename) into
 * DIR/.processing/, run through runFile one at a time, then removed (runFile archived a copy). Files that cannot be
 * applied go to DIR/rejected/ with NAME.reason.txt. Several watchers on one folder are safe: the rename decides.
 */
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { randomUUID } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type winston from 'winston';
import { ConfigError, siteNames, watchSchema, type Config, type WatchConfig } from '../config/index.js';
import type { EntityType } from '../entities/index.js';
import { openLedger, processAlive, type RetryRecord } from '../ledger/index.js';
import { redactText, type RunSummary } from '../report/index.js';
import { byDependencyThenAge, classify, isIgnoredName } from './classify.js';
import { keepForRetry, tryRetry } from './retry.js';
import { SiteRetries, type DueRetry } from './site-retries.js';
import { runTarget } from './runner.js';
import { mirrorPass, type MirrorSummary } from '../mirror/job.js';
import { announceHeld } from '../held/announce.js';

export const PROCESSING_DIR = '.processing';
export const REJECTED_DIR = 'rejected';
/** Files whose refresh the guard refused: their plan is held (src/held/), waiting for `mdlsync approve`. */
export const HELD_DIR = 'held';
/** Rows Moodle could not take (outage), kept to be tried again: see retry.ts. */
export const RETRY_DIR = '.retry';

export interface WatchOptions {
  config: Config;
  logger: winston.Logger;
  /** Override config.watch.stabilityMs (how long a file's size must stay still). */
  stabilityMs?: number;
  /** Override config.watch.lockWaitSeconds. */
  wait?: number;
  /** Called after each file, for tests and callers that report. */
  onFile?: (event: WatchEvent) => void;
  /** Called after each mirror pass watch.mirror runs. */
  onMirror?: (summary: MirrorSummary) => void;
}

export interface WatchEvent {
  name: string;
  /** waiting: Moodle was down before the file could run; the whole file is kept for retry. */
  outcome: 'applied' | 'rejected' | 'waiting' | 'held';
  resumed: boolean;
  summary?: RunSummary;
  reason?: string;
  /** Where a rejected file now lies. */
  rejectedAs?: string;
  /** Rows (or the whole file) kept for retry after this run, as they now stand. */
  retry?: RetryRecord;
  /** This run was a try of that retry. */
  retryOf?: number;
  /** A try of a retry left nothing to retry. */
  landed?: boolean;
}

export interface WatchHandle {
  /** Resolves once the files present at start have been seen. */
  ready: Promise<void>;
  /** Resolves when nothing runs, nothing waits and DIR holds no input file any more. */
  idle(): Promise<void>;
  /** Stop taking files; the current run finishes first. */
  close(): Promise<void>;
}

interface Candidate {
  name: string;
  path: string;
  resumed: boolean;
  type?: EntityType;
  /** The site its rule names (the watch's own without one). */
  site?: string;
  mtimeMs: number;
}

/** Watchers alive in this process, so a second one started here does not resume the first one's files. */
const liveInstances = new Set<string>();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** A free name in `dir`: NAME, else STAMP__NAME, so an earlier rejected file is never overwritten. */
function freeName(dir: string, name: string): string {
  if (!existsSync(join(dir, name)) && !existsSync(join(dir, `${name}.reason.txt`))) return name;
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomUUID().slice(0, 4)}__${name}`;
}

/**
 * Why a taken file must not be read, or null when it is a plain file. Opened with O_NOFOLLOW and checked on the open
 * handle, so the file checked is the file that was there: a symlink (to a token file, /etc/shadow…) or a hard link
 * (nlink > 1: its other name may lie outside the folder, which cannot be proven otherwise) is rejected unread.
 */
export async function notPlainFile(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if (errCode(err) === 'ELOOP') return 'it is a symbolic link, and the drop folder takes only plain files. Copy the file itself into the folder.';
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return 'it is not a plain file (a device, a pipe or a folder). Drop a plain file.';
    if (st.nlink > 1) return `it is a hard link (the file has ${st.nlink} names), so it may be a file from outside the folder. Copy the file into the folder instead of linking it.`;
    return null;
  } finally {
    await handle.close();
  }
}

/**
 * A folder of the watcher's own (created 0700): an existing symlink in its place is refused, never followed; an
 * existing folder another account owns is refused (whoever made it could read or swap the files kept there, retry
 * files with passwords among them), and one of ours open to others is made 0700 again.
 */
async function ownFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const st = await lstat(path);
  if (!st.isDirectory()) throw new ConfigError(`${path} is not a folder (a symbolic link or a file is in its place): remove it and start the watcher again`);
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no owner or mode bits to check
  if (st.uid !== uid) throw new ConfigError(`${path} belongs to another account (uid ${st.uid}), not to the one mdlsync runs as (uid ${uid}): remove it and start the watcher again, which makes it anew`);
  if ((st.mode & 0o077) !== 0) await chmod(path, 0o700);
}

export async function startWatch(dirArg: string, opts: WatchOptions): Promise<WatchHandle> {
  const dir = resolve(dirArg);
  const { config, logger } = opts;
  const settings: WatchConfig = config.watch ?? watchSchema.parse({});
  const stabilityMs = opts.stabilityMs ?? settings.stabilityMs;
  const wait = opts.wait ?? settings.lockWaitSeconds;
  const processing = join(dir, PROCESSING_DIR);
  const rejected = join(dir, REJECTED_DIR);
  if (!existsSync(dir)) throw new ConfigError(`watch folder ${dir} does not exist: create it or give another folder`);
  await ownFolder(processing);
  await ownFolder(rejected);
  // Made when a first file is held: most folders never hold one.
  const heldFiles = join(dir, HELD_DIR);
  const retryDir = join(dir, RETRY_DIR);
  await ownFolder(retryDir);

  const instance = randomUUID();
  liveInstances.add(instance);
  const host = hostname();
  const queue = new Set<string>(); // names seen complete in DIR
  const resume: string[] = await leftInProcessing();
  let deferredUntil = new Map<string, number>();
  let stopping = false;
  let draining: Promise<void> | null = null;
  let dirty = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let wakeTimer: NodeJS.Timeout | null = null;
  let heldLogged = false;
  // The sites whose files were applied since the last mirror pass, with their configs.
  const mirrorDue = new Map<string, Config>();
  // Each site's retries are kept in its own ledger; a file runs with its rule's site's config.
  const retries = await SiteRetries.open(config, settings.rules.map((r) => r.site), async (siteConfig) => ({
    config: siteConfig, logger, ledger: await openLedger(siteConfig), source: `watch:${dir}`, retryDir, who: { id: instance, pid: process.pid, host }, wait,
  }));
  if (resume.length > 0) logger.info(`watch: resuming ${resume.length} file(s) left in ${processing}: ${resume.join(', ')}`);

  async function leftInProcessing(): Promise<string[]> {
    const out: string[] = [];
    for (const e of await readdir(processing, { withFileTypes: true })) {
      if (!e.isFile() || isIgnoredName(e.name)) continue;
      if (await ownedByLiveWatcher(e.name)) continue;
      out.push(e.name);
    }
    return out;
  }

  async function ownedByLiveWatcher(name: string): Promise<boolean> {
    try {
      const owner = JSON.parse(await readFile(markerPath(name), 'utf8')) as { id: string; pid: number; host: string };
      if (owner.host !== host) return false;
      return owner.pid === process.pid ? liveInstances.has(owner.id) : processAlive(owner.pid);
    } catch {
      return false;
    }
  }

  const markerPath = (name: string) => join(processing, `.${name}.owner`);

  const ignored = (path: string): boolean => {
    const rel = relative(dir, path);
    if (rel === '') return false;
    if (rel.includes(sep)) return true;
    return rel === REJECTED_DIR || isIgnoredName(rel);
  };

  const watcher: FSWatcher = chokidarWatch(dir, {
    depth: 0,
    ignoreInitial: false,
    // A symlink is reported as itself (and rejected unread), never resolved.
    followSymlinks: false,
    ignored,
    awaitWriteFinish: { stabilityThreshold: stabilityMs, pollInterval: Math.min(settings.pollMs, Math.max(10, Math.floor(stabilityMs / 4))) },
  });
  const ready = new Promise<void>((done) => watcher.once('ready', () => done()));
  watcher.on('add', (path) => {
    if (stopping || dirname(path) !== dir) return;
    queue.add(basename(path));
    kick();
  });
  watcher.on('error', (err) => logger.error(`watch: ${(err as Error).message}`));

  function kick(): void {
    dirty = true;
    if (!draining && !stopping) draining = drain();
  }

  async function drain(): Promise<void> {
    try {
      // Files dropped together arrive as separate events: a short pause lets them be ordered as one batch.
      await sleep(150);
      while (!stopping) {
        dirty = false;
        if (resume.length === 0) {
          const due = await retries.claimDue(Date.now());
          if (due) {
            await processRetry(due);
            continue;
          }
        }
        const next = await pickNext();
        if (!next) {
          if (dirty) continue;
          if (settings.mirror && mirrorDue.size > 0) await mirrorAfterFiles();
          break;
        }
        await processOne(next);
      }
    } catch (err) {
      // A ledger that stopped answering (a PostgreSQL restart) or any other failure: the files wait where they are,
      // and the folder is looked at again after the retry delay, so none is left behind once the cause is gone.
      logger.error(`watch: ${(err as Error).message}; trying again in ${Math.round(config.retry.firstDelayMs / 1000)} s`);
      if (!stopping) setTimeout(kick, config.retry.firstDelayMs).unref();
    } finally {
      draining = null;
      await wakeForRetries().catch((err: unknown) => logger.error(`watch: ${(err as Error).message}`));
    }
  }

  /** watch.mirror: the local copy of Moodle brought in step with what the files just changed. */
  async function mirrorAfterFiles(): Promise<void> {
    const due = [...mirrorDue.values()];
    mirrorDue.clear();
    for (const siteConfig of due) {
      const site = siteConfig.site ? ` of site ${siteConfig.site}` : '';
      try {
        const s = await mirrorPass({ wait }, { config: siteConfig, logger });
        logger.info(`watch: mirror pass${site} ${s.runId} (exit ${s.exitCode}): ${s.message}`);
        opts.onMirror?.(s);
      } catch (err) {
        logger.error(`watch: mirror pass${site} failed: ${(err as Error).message}`);
      }
    }
  }

  /** Sets a timer for the next retry that falls due. */
  async function wakeForRetries(): Promise<void> {
    if (stopping) return;
    const waiting = await retries.all();
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = null;
    if (waiting.length === 0) return;
    const next = Math.min(...waiting.map((r) => r.nextAt));
    wakeTimer = setTimeout(() => {
      wakeTimer = null;
      kick();
    }, Math.max(50, next - Date.now()));
  }

  async function processRetry({ ctx, record: r }: DueRetry): Promise<void> {
    const t = await tryRetry(ctx, r);
    const s = t.verdict.kind === 'error' ? undefined : t.verdict.summary;
    opts.onFile?.({ name: r.name, outcome: t.landed || t.verdict.kind === 'applied' ? 'applied' : 'waiting', resumed: false, summary: s, retryOf: r.id, landed: t.landed, retry: t.next, reason: t.landed ? undefined : t.next?.lastError });
  }

  async function describe(name: string, path: string, resumed: boolean): Promise<Candidate | null> {
    try {
      // lstat: a symlink is a candidate too (to be rejected unread), never followed.
      const st = await lstat(path);
      if (!st.isFile() && !st.isSymbolicLink()) return null;
      const c = classify(name, settings.rules);
      return { name, path, resumed, type: c.ok ? c.value.type : undefined, site: c.ok ? c.value.site : undefined, mtimeMs: st.mtimeMs };
    } catch (err) {
      if (errCode(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /** Resumed files first; then dependency order, oldest first. Names gone from DIR were taken by another watcher. */
  async function pickNext(): Promise<Candidate | null> {
    const resumed: Candidate[] = [];
    for (const name of resume) {
      const c = await describe(name, join(processing, name), true);
      if (c) resumed.push(c);
      else resume.splice(resume.indexOf(name), 1);
    }
    if (resumed.length > 0) return resumed.sort(byDependencyThenAge)[0];
    // New files wait behind their site's rows kept for retry, so an older file's rows never land over a newer file's.
    const waitingRetries = await retries.waiting();
    const now = Date.now();
    const waiting: Candidate[] = [];
    const held: RetryRecord[] = [];
    for (const name of [...queue]) {
      if ((deferredUntil.get(name) ?? 0) > now) continue;
      const c = await describe(name, join(dir, name), false);
      const behind = c ? waitingRetries.get(retries.keyOf(c.site)) : undefined;
      if (!c) queue.delete(name);
      else if (behind) held.push(behind[0]);
      else waiting.push(c);
    }
    if (waitingRetries.size === 0) heldLogged = false;
    else if (held.length > 0 && !heldLogged) {
      const first = held[0];
      logger.info(`watch: ${held.length} file(s) wait behind retry #${first.id} (${first.name}), next try at ${new Date(first.nextAt).toISOString()}`);
      heldLogged = true;
    }
    return waiting.sort(byDependencyThenAge)[0] ?? null;
  }

  async function processOne(c: Candidate): Promise<void> {
    const target = join(processing, c.name);
    if (c.resumed) {
      resume.splice(resume.indexOf(c.name), 1);
    } else {
      // rename() would replace a same-named file still being run (by us or another watcher): try again later.
      if (existsSync(target)) {
        deferredUntil.set(c.name, Date.now() + 1000);
        retryTimer ??= setTimeout(() => {
          retryTimer = null;
          kick();
        }, 1000);
        return;
      }
      try {
        await rename(c.path, target);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
        queue.delete(c.name); // another watcher took it first
        logger.debug(`watch: ${c.name} was taken by another watcher`);
        return;
      }
      queue.delete(c.name);
      deferredUntil.delete(c.name);
    }
    await writeFile(markerPath(c.name), JSON.stringify({ id: instance, pid: process.pid, host }));
    try {
      await runTaken(c.name, target, c.resumed);
    } finally {
      await rm(markerPath(c.name), { force: true });
    }
  }

  async function runTaken(name: string, path: string, resumed: boolean): Promise<void> {
    const unsafe = await notPlainFile(path);
    if (unsafe) return reject(name, path, resumed, `${name} was not read: ${unsafe}`);
    const cls = classify(name, settings.rules);
    if (!cls.ok) return reject(name, path, resumed, cls.reason);
    const { type, op, dataSource, force, by, site } = cls.value;
    const sites = siteNames(config);
    if (site === undefined && config.site === null && sites.length > 0 && !config.moodle.url) {
      return reject(name, path, resumed, `${name} was not applied: no watch rule gives it a site, and this watch serves the sites ${sites.join(', ')} with none chosen. Add a rule with "site" that matches it to "watch.rules" (or start the watch with --site NAME), then drop the file again.`);
    }
    const ctx = await retries.contextFor(site);
    logger.info(`watch: ${resumed ? 'resuming' : 'taking'} ${name}: ${type ?? 'type from headers'}, ${op}${dataSource ? `, data source ${dataSource}` : ''}${ctx.config.site ? `, site ${ctx.config.site}` : ''} (${by})`);
    const verdict = await runTarget({ file: path, type, op, dataSource, force, wait, retryDir }, { config: ctx.config, logger });
    if (verdict.kind === 'not-applied' && verdict.summary.error?.code === 'ledger-unreachable') return putBack(name, path, verdict.summary);
    const kept = await keepForRetry(ctx, { name, path, type, op, dataSource, force }, verdict, true);
    if (kept && verdict.kind === 'not-applied') {
      opts.onFile?.({ name, outcome: 'waiting', resumed, summary: verdict.summary, reason: kept.lastError, retry: kept });
      return;
    }
    if (verdict.kind === 'error') return reject(name, path, resumed, `${name} was not applied: ${verdict.reason} Fix the cause and drop the file again.`);
    if (verdict.kind === 'not-applied' && verdict.summary.held) return hold(name, path, resumed, verdict.summary, ctx.config);
    if (verdict.kind === 'not-applied') {
      const where = verdict.summary.reportDir;
      return reject(name, path, resumed, `${name} was not applied: ${verdict.reason} The run's report is in ${where}. Drop the file again once it is fixed.`, verdict.summary);
    }
    await rm(path, { force: true });
    const s = verdict.summary;
    const line = `watch: ${name} done (exit ${s.exitCode}): ${s.message}`;
    if (s.exitCode === 0) logger.info(line);
    else logger.warn(line);
    mirrorDue.set(ctx.config.site ?? '', ctx.config);
    opts.onFile?.({ name, outcome: 'applied', resumed, summary: s, retry: kept ?? undefined });
  }

  /**
   * The ledger (a PostgreSQL server) could not be reached: nothing was done, and the rows kept for retry would live in
   * that ledger too. The file goes back to the drop folder, untouched, and is taken again after the retry delay (by
   * this watcher, or another whose ledger answers).
   */
  async function putBack(name: string, path: string, summary: RunSummary): Promise<void> {
    const back = join(dir, name);
    if (existsSync(back)) return reject(name, path, false, `${name} was not applied: ${summary.message} A newer file of the same name was dropped meanwhile; drop this one again once the ledger answers.`, summary);
    await rename(path, back);
    const delay = config.retry.firstDelayMs;
    deferredUntil.set(name, Date.now() + delay);
    queue.add(name);
    setTimeout(kick, delay).unref();
    logger.warn(`watch: ${name} put back in ${dir}, to be taken again in ${Math.round(delay / 1000)} s: ${summary.message}`);
    opts.onFile?.({ name, outcome: 'waiting', resumed: false, summary, reason: summary.message });
  }

  async function reject(name: string, path: string, resumed: boolean, reason: string, summary?: RunSummary): Promise<void> {
    const as = freeName(rejected, name);
    const dest = join(rejected, as);
    await rename(path, dest);
    // 0600, and 'wx' so a planted NAME.reason.txt (or a symlink by that name) is never written through.
    await writeFile(`${dest}.reason.txt`, redactText(reason.replace(/\s*\n\s*/g, ' ').trim()) + '\n', { mode: 0o600, flag: 'wx' }).catch((err: unknown) => {
      if (errCode(err) !== 'EEXIST') throw err;
      logger.warn(`watch: ${dest}.reason.txt already exists and was left alone`);
    });
    logger.warn(`watch: ${name} rejected to ${dest}: ${reason}`);
    opts.onFile?.({ name, outcome: 'rejected', resumed, summary, reason, rejectedAs: dest });
  }

  /** A refused refresh whose plan is held: the file goes to DIR/held/, its reason names the run and the approve command. */
  async function hold(name: string, path: string, resumed: boolean, summary: RunSummary, siteConfig: Config): Promise<void> {
    const held = summary.held!;
    await ownFolder(heldFiles);
    const dest = join(heldFiles, freeName(heldFiles, name));
    await rename(path, dest);
    const reason = `${name} was not applied: ${summary.message} The run's report is in ${summary.reportDir}.`;
    await writeFile(`${dest}.reason.txt`, redactText(`${reason.replace(/\s*\n\s*/g, ' ').trim()}\nrun: ${held.runId}\napprove: ${held.approve}\ndiscard: ${held.discard}`) + '\n', { mode: 0o600, flag: 'wx' }).catch((err: unknown) => {
      if (errCode(err) !== 'EEXIST') throw err;
      logger.warn(`watch: ${dest}.reason.txt already exists and was left alone`);
    });
    await announceHeld(siteConfig, logger, summary, { by: 'watch', file: name, heldAs: dest });
    opts.onFile?.({ name, outcome: 'held', resumed, summary, reason });
  }

  async function inputsInDir(): Promise<boolean> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isFile() && !isIgnoredName(e.name)) return true;
    }
    return false;
  }

  await ready;
  // Said once chokidar's first scan is done: a file dropped after this line is seen.
  logger.info(`watch: watching ${dir} (rejected files go to ${rejected})`);
  // Resumed files, and retries left by an earlier watcher (or due already), are looked at at once.
  if (resume.length > 0 || (await retries.all()).length > 0) kick();

  return {
    ready,
    async idle() {
      for (;;) {
        if (stopping) {
          await draining;
          return;
        }
        if (!draining && queue.size === 0 && resume.length === 0 && !(await inputsInDir())) return;
        await sleep(50);
      }
    },
    async close() {
      if (stopping) return draining ?? undefined;
      stopping = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (wakeTimer) clearTimeout(wakeTimer);
      deferredUntil = new Map();
      await watcher.close();
      await draining;
      await retries.close();
      liveInstances.delete(instance);
      logger.info('watch: stopped');
    },
  };
}
