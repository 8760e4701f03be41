/**
 * winston logs: lines on stderr (plain text, or JSON lines for log shippers with --log-format json), JSON lines
 * appended to reports/mdlsync.log. Secrets are scrubbed (redact.ts) before any transport sees them. A line logged
 * while a run is under way carries its run id (withRunId).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, constants, createWriteStream, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { ConfigError } from '../config/index.js';
import { redactedJson } from './json-output.js';
import { addSecrets, redactValue } from './redact.js';
import { escapeControls } from '../refusal.js';

import type { LogFormat } from './log-format.js';
export { LOG_FORMATS, type LogFormat } from './log-format.js';

export interface LoggerOptions {
  level: string;
  file?: string;
  /** More values never to print (the token is registered by loadConfig); registered for every output. */
  secrets?: string[];
  /** Console output off (tests, --quiet). */
  silentConsole?: boolean;
  /** Console lines: text (default) or JSON lines. The log file is JSON lines either way. */
  format?: LogFormat;
}

/**
 * The run under way, per asynchronous context rather than per logger: watch and schedule share one logger between
 * runs that may overlap, and each line must name its own run.
 */
const currentRun = new AsyncLocalStorage<string>();

/** Runs `fn` with every log line it (and what it awaits) writes carrying `runId`. */
export function withRunId<T>(runId: string, fn: () => Promise<T>): Promise<T> {
  return currentRun.run(runId, fn);
}

/** One console line: `level: message` (controls escaped), or a JSON object: timestamp, level, message, runId, the rest. */
export function formatLogLine(format: LogFormat, entry: { level: string; message: unknown; timestamp?: unknown; runId?: unknown; [key: string]: unknown }): string {
  const { timestamp, level, message, runId, ...rest } = entry;
  if (format === 'text') return `${level}: ${escapeControls(String(message))}`;
  return redactedJson({ timestamp: timestamp ?? new Date().toISOString(), level, message: String(message), runId, ...rest });
}

export function createLogger(opts: LoggerOptions): winston.Logger {
  addSecrets(...(opts.secrets ?? []));
  const scrub = winston.format((info) => {
    const clean = redactValue({ ...info }) as winston.Logform.TransformableInfo;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    return Object.assign(info, clean);
  });
  const withRun = winston.format((info) => {
    const runId = currentRun.getStore();
    if (runId !== undefined && info.runId === undefined) info.runId = runId;
    return info;
  });
  const format = opts.format ?? 'text';
  const transports: winston.transport[] = [
    new winston.transports.Console({
      silent: opts.silentConsole,
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      format: winston.format.printf((i) => formatLogLine(format, i)),
    }),
  ];
  if (opts.file) transports.push(new winston.transports.Stream({ stream: openLogFile(opts.file), format: winston.format.json() }));
  return winston.createLogger({ level: opts.level, format: winston.format.combine(scrub(), withRun(), winston.format.timestamp()), transports });
}

/**
 * The log file, opened for appending only (mode 0600). Never truncated: it keeps every command's lines. Several
 * processes may write it at once (a watcher, a scheduled job, an admin's run): with O_APPEND the kernel moves each
 * write to the current end of the file, and each log line is one write, so lines never overwrite each other (the
 * NUL bytes seen before came from two writers truncating the file and writing from their own offsets). That holds
 * on local file systems, not on NFS: keep reports/ local. O_NOFOLLOW: a symlink planted at the log's path is
 * refused, never written through.
 */
export function openLogFile(path: string): NodeJS.WritableStream {
  mkdirSync(dirname(path), { recursive: true });
  const refuse = (why: string) => new ConfigError(logFileRefusal(path, why));
  const problem = logFileProblem(path);
  if (problem) throw refuse(problem);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ELOOP: a symlink appeared between the check and the open.
    throw refuse(code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code ?? (err as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse('is not a regular file');
    // A log written before mode 0600 was the rule: make it private (it names people and files).
    if ((st.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  } catch (err) {
    closeSync(fd);
    throw err instanceof ConfigError ? err : refuse(`cannot be made private (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const stream = createWriteStream(path, { fd, flags: 'a' });
  // A write error (disk full) must not crash a run: the console still has every line.
  stream.on('error', (err) => process.stderr.write(`mdlsync: cannot write the log file ${path}: ${err.message}\n`));
  return stream;
}

/** Why mdlsync would refuse to write the log at `path` (a symlink, not a regular file), or null (also for none yet). */
export function logFileProblem(path: string): string | null {
  const existing = lstatSafe(path);
  if (existing?.isSymbolicLink()) return 'is a symbolic link';
  // Checked before opening: opening a FIFO for writing would wait for a reader forever.
  if (existing && !existing.isFile()) return 'is not a regular file';
  return null;
}

function logFileRefusal(path: string, why: string): string {
  return `the log file ${path} ${why}: mdlsync only appends to a regular file of its own there; remove or rename it, then run again`;
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
