/** `mdlsync report [RUNID] [--open]`: the path of a run's report.html (the newest by default), or the page opened. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { escapeControls } from '../refusal.js';
import { findReportPage } from '../report/find-page.js';
import { configFrom } from './common.js';

/** The platform's "open this file with its usual program" command. */
function opener(path: string): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [path] };
  // start is a cmd built-in; its first quoted argument is a window title, hence the empty one.
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', path] };
  return { command: 'xdg-open', args: [path] };
}

/** Starts the opener detached (the browser outlives mdlsync); resolves with null, or why it could not start. */
function openWith(path: string): Promise<string | null> {
  const { command, args } = opener(path);
  return new Promise((done) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ENOENT' ? `no ${command} on this machine to open it` : `${command} failed: ${err.message}`));
    child.once('spawn', () => {
      child.unref();
      done(null);
    });
  });
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('[runId]', 'the run (default: the newest run that has a report.html)')
    .description("print the path of a run's report.html (the newest by default); --open opens it in the browser")
    .option('--open', "open the page with the system's browser")
    .option('--reports <dir>', 'reports folder')
    .action(async (runId: string | undefined, flags: { open?: boolean; reports?: string }, cmd: Command) => {
      const reports = flags.reports ? resolve(flags.reports) : configFrom(cmd).reports;
      const found = findReportPage(reports, runId);
      if ('missing' in found) {
        process.stderr.write(`mdlsync: ${escapeControls(found.missing)}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(found.path + '\n');
      if (!flags.open) return;
      const failed = await openWith(found.path);
      if (failed) process.stderr.write(`mdlsync: ${failed}; open the path above in a browser.\n`);
    });
}
