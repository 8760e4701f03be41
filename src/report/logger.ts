/**
 * winston logs: plain lines on stderr, JSON lines appended to reports/mdlsync.log. Secrets are scrubbed (redact.ts)
 * before any transport sees them.
 */
import { closeSync, constants, createWriteStream, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { ConfigError } from '../config/index.js';
import { addSecrets, redactValue } from './redact.js';
import { escapeControls } from '../refusal.js';


export interface LoggerOptions {
  level: string;
  file?: string;
  /** More values never to print (the token is registered by loadConfig); registered for every output. */
  secrets?: string[];
  /** Console output off (tests, --quiet). */
  silentConsole?: boolean;
}

export function createLogger(opts: LoggerOptions): winston.Logger {
  addSecrets(...(opts.secrets ?? []));
  const scrub = winston.format((info) => {
    const clean = redactValue({ ...info }) as winston.Logform.TransformableInfo;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    return Object.assign(info, clean);
  });
  const transports: winston.transport[] = [
    new winston.transports.Console({
      silent: opts.silentConsole,
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      format: winston.format.printf((i) => `${i.level}: ${escapeControls(String(i.message))}`),
    }),
  ];
  if (opts.file) transports.push(new winston.transports.Stream({ stream: openLogFile(opts.file), format: winston.format.json() }));
  return winston.createLogger({ level: opts.level, format: winston.format.combine(scrub(), winston.format.timestamp()), transports });
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
