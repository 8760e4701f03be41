/** Shared plumbing for the watch and schedule tests: an in-process config and a logger whose lines can be read. */
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import winston from 'winston';
import { loadConfig, type Config } from '../src/config/index.js';
import { CLI, type Workspace } from './helpers.js';

export interface CapturedLogger {
  logger: winston.Logger;
  lines: string[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk).trim());
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream, format: winston.format.printf((i) => `${i.level}: ${String(i.message)}`) })],
  });
  return { logger, lines };
}

/** Writes the workspace's config file (with fast retries, as workspace() does) and loads it as the CLI would. */
export function configFor(ws: Workspace, extra: Record<string, unknown> = {}): Config {
  writeFileSync(join(ws.dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 }, ...extra }));
  return loadConfig({ cwd: ws.dir, env: { MDLSYNC_URL: ws.sandbox.url, MDLSYNC_TOKEN: ws.sandbox.token } });
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes `text` in five chunks over about a second, like a slow SFTP upload. */
export async function writeSlowly(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  const size = Math.ceil(text.length / 5);
  for (let i = 0; i < text.length; i += size) {
    await fh.write(text.slice(i, i + size));
    await sleep(220);
  }
  await fh.close();
}

export interface WatchProcess {
  child: ChildProcess;
  /** Everything the watcher wrote to stderr so far. */
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

/** Starts `mdlsync watch ARGS…` as a child process in the workspace and waits until it says it is watching. */
export async function startWatchCli(ws: Workspace, args: string[], token = ws.sandbox.token): Promise<WatchProcess> {
  const child = spawn(process.execPath, [CLI, 'watch', ...args], {
    cwd: ws.dir,
    env: { PATH: process.env.PATH ?? '', HOME: ws.dir, MDLSYNC_URL: ws.sandbox.url, MDLSYNC_TOKEN: token },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  await waitFor('the watcher to start', () => err.includes('watch: watching')).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}; the watcher said:\n${err}`);
  });
  return { child, stderr: () => err, stdout: () => out, exited };
}
