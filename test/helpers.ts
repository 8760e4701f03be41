/** Integration-test plumbing: a sandbox Moodle on 127.0.0.1 and the real CLI (dist/) run as a child process. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../src/sandbox/server.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'bin', 'mdlsync.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Workspace {
  dir: string;
  sandbox: SandboxHandle;
  /** Runs `mdlsync ARGS` in the workspace against the sandbox. */
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  write(name: string, content: string | Buffer): string;
  /** summary.json of the newest run. */
  lastSummary(): Record<string, unknown> & { reportDir: string; tryback: string | null; exitCode: number };
  close(): Promise<void>;
}

export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: opts.cwd, env: { PATH: process.env.PATH ?? '', HOME: opts.cwd, ...opts.env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export async function workspace(opts: SandboxOptions = {}): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'mdlsync-test-'));
  const sandbox = await startSandbox(opts);
  // Fast retries keep fault tests short; everything else is the shipped default.
  writeFileSync(join(dir, 'mdlsync.config.json'), JSON.stringify({ moodle: { backoffMs: 20 } }));
  const ws: Workspace = {
    dir,
    sandbox,
    cli: (args, env = {}) => runCli(args, { cwd: dir, env: { MDLSYNC_URL: sandbox.url, MDLSYNC_TOKEN: sandbox.token, ...env } }),
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    lastSummary() {
      const runs = readdirSync(join(dir, 'reports'))
        .filter((n) => /^\d{8}T/.test(n))
        .sort();
      const last = runs[runs.length - 1];
      return JSON.parse(readFileSync(join(dir, 'reports', last, 'summary.json'), 'utf8'));
    },
    close: () => sandbox.close(),
  };
  return ws;
}

/** A SIS person file: header + rows (arrays of cells), pipe-delimited. */
export function sisFile(header: string[], rows: string[][]): string {
  return [header.join('|'), ...rows.map((r) => r.join('|'))].join('\n') + '\n';
}

export const SIS_HEADER = ['EXTERNAL_PERSON_KEY', 'USER_ID', 'PASSWD', 'FIRSTNAME', 'LASTNAME', 'EMAIL'];

/** n valid persons: key P0001…, username user0001…, a policy-compliant password. */
export function persons(n: number, opts: { prefix?: string; ds?: string } = {}): string[][] {
  const prefix = opts.prefix ?? 'p';
  return Array.from({ length: n }, (_, i) => {
    const id = String(i + 1).padStart(4, '0');
    const row = [`${prefix.toUpperCase()}${id}`, `${prefix}user${id}`, `Secret-${id}x`, `First${id}`, `Last${id}`, `${prefix}user${id}@example.edu`];
    if (opts.ds) row.push(opts.ds);
    return row;
  });
}

/** A UTF-8 byte-order mark, as spreadsheet exports start their files. */
export const BOM = '\uFEFF';

/** Lines as a Windows export writes them: a BOM, CRLF after every line. */
export function bomCrlf(lines: readonly string[]): string {
  return BOM + lines.join('\r\n') + '\r\n';
}
