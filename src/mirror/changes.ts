/**
 * Where a pass's changes go: one JSON line per created, updated or deleted object in reports/RUNID/changes.jsonl
 * (and mirror.changeLog when set), and, when mirror.onChange is set, one notification per change: a command spawned
 * without a shell with the change as JSON on stdin, or an HTTP POST with it as the body.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { request } from 'undici';
import type { OnChangeConfig } from '../config/mirror.js';
import type { SqlValue } from '../db/index.js';
import type { Row, RowChange } from './sync-table.js';

/** One line of the change log, and what onChange receives. */
export interface ChangeRecord {
  pass: string;
  at: string;
  object: string;
  action: RowChange['action'];
  /** The object's Moodle id, for objects that have one (memberships have a key of two or three ids instead). */
  id?: number;
  key: Row;
  /** The course the object belongs to, when it belongs to one. */
  course_id?: number;
  record: Row;
  /** updated: the old values of the columns that changed. */
  before?: Row;
}

export function toRecord(pass: string, at: string, ch: RowChange): ChangeRecord {
  const id = Object.keys(ch.key).length === 1 ? ch.key.id : undefined;
  const course: SqlValue | undefined = ch.object === 'course' ? ch.key.id : ch.record.course_id;
  return {
    pass,
    at,
    object: ch.object,
    action: ch.action,
    ...(typeof id === 'number' ? { id } : {}),
    key: ch.key,
    ...(typeof course === 'number' ? { course_id: course } : {}),
    record: ch.record,
    ...(ch.before ? { before: ch.before } : {}),
  };
}

/** Appends records as JSON lines to each path (files made 0600: the log holds names and emails). */
export class ChangeLog {
  constructor(readonly paths: readonly string[]) {}

  async append(records: readonly ChangeRecord[]): Promise<void> {
    if (records.length === 0) return;
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    for (const p of this.paths) {
      await mkdir(dirname(p), { recursive: true });
      await appendFile(p, text, { mode: 0o600 });
    }
  }
}

export interface NotifyResult {
  ok: boolean;
  /** Why not, in one line (exit code, HTTP status, timeout …). */
  error?: string;
}

/** Runs mirror.onChange for one change. */
export type Notify = (record: ChangeRecord) => Promise<NotifyResult>;

/** The environment a notify command gets: this process's, less the web-service token. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MDLSYNC_TOKEN;
  return env;
}

/** Runs a hook (mirror.onChange, onHeld) with one JSON record: a command's stdin, or an HTTP POST's body. */
export function notifier<R extends object = ChangeRecord>(onChange: OnChangeConfig): (record: R) => Promise<NotifyResult> {
  if ('command' in onChange) {
    const [cmd, ...args] = onChange.command;
    return (record) =>
      new Promise<NotifyResult>((done) => {
        const child = spawn(cmd, args, { shell: false, stdio: ['pipe', 'ignore', 'pipe'], env: childEnv() });
        let stderr = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), onChange.timeoutMs);
        child.stderr.on('data', (b: Buffer) => {
          if (stderr.length < 500) stderr += b.toString('utf8');
        });
        child.on('error', (err) => {
          clearTimeout(timer);
          done({ ok: false, error: `${cmd} could not be started (${(err as NodeJS.ErrnoException).code ?? err.message})` });
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) done({ ok: true });
          else done({ ok: false, error: `${cmd} ${signal ? `was stopped (${signal}, timeout ${onChange.timeoutMs} ms)` : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}` });
        });
        // A command that does not read stdin closes it early: that is its choice, not a failure.
        child.stdin.on('error', () => undefined);
        child.stdin.end(JSON.stringify(record) + '\n');
      });
  }
  return async (record) => {
    try {
      const res = await request(onChange.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(record),
        headersTimeout: onChange.timeoutMs,
        bodyTimeout: onChange.timeoutMs,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300 ? { ok: true } : { ok: false, error: `${new URL(onChange.url).origin} answered HTTP ${res.statusCode}` };
    } catch (err) {
      return { ok: false, error: `POST to ${new URL(onChange.url).origin} failed (${(err as { code?: string }).code ?? (err as Error).message})` };
    }
  };
}
