/** `mdlsync user block|unblock|unenrol|password …`: the account lifecycle, one person at a time (see src/lifecycle.ts). */
import type { Command } from 'commander';
import { runLifecycle, type LifecycleCommand, type LifecycleRequest, type LifecycleResult } from '../lifecycle.js';
import { addSiteOptions, configFrom, loggerFor, type SiteFlags } from './common.js';

interface UserFlags extends SiteFlags {
  usernameFromEmail?: boolean;
}

export function formatLifecycle({ summary: s, rows }: LifecycleResult): string {
  const lines: string[] = [];
  lines.push(`${s.kind.replace('-', ' ')} ${s.runId}: ${s.person}${s.course !== undefined ? ` in ${s.course}` : ''}${s.moodleId !== null ? ` (Moodle user ${s.moodleId})` : ''}`);
  for (const r of rows) lines.push(`  ${r.key}\t${r.action}\t${r.outcome}${r.errorcode ? `\t${r.errorcode}` : ''}${r.message ? `\t${r.message}` : ''}`);
  lines.push(`  report: ${s.reportDir}`);
  lines.push(s.message);
  return lines.join('\n');
}

/** Everything on stdin (a pipe or file), without the one line break that ends it. */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A prompt on the terminal that echoes nothing. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let text = '';
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(null);
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The new password: from stdin when it is not a terminal, else asked twice without echo. Never from argv. */
async function readPassword(): Promise<string | { error: string }> {
  if (!process.stdin.isTTY) {
    const p = await readPiped();
    return p === '' ? { error: 'no password on stdin: pipe it in (e.g. from a secrets manager), or run in a terminal to be asked' } : p;
  }
  const first = await promptHidden('New password: ');
  if (first === '') return { error: 'no password given' };
  const again = await promptHidden('Again: ');
  return first === again ? first : { error: 'the two passwords differ; nothing was changed' };
}

async function execute(command: LifecycleCommand, req: Omit<LifecycleRequest, 'command' | 'wait'>, flags: UserFlags, cmd: Command): Promise<void> {
  const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
  let password: string | undefined;
  if (command === 'password') {
    const got = await readPassword();
    if (typeof got !== 'string') {
      process.stderr.write(`mdlsync: ${got.error}.\n`);
      process.exitCode = 1;
      return;
    }
    password = got;
  }
  const logger = loggerFor(config, flags, password !== undefined ? [password] : []);
  const result = await runLifecycle({ ...req, command, password, wait: flags.wait }, { config, logger });
  process.stdout.write(formatLifecycle(result) + '\n');
  process.exitCode = result.summary.exitCode;
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('account lifecycle, one person at a time: block, unblock, unenrol, password');
  addSiteOptions(user.command('block <key>').description('suspend the account and remove (or suspend, per enrolments.disable) every enrolment mdlsync manages for the person')).action(
    (key: string, flags: UserFlags, cmd: Command) => execute('block', { person: key }, flags, cmd),
  );
  addSiteOptions(user.command('unblock <key>').description('reactivate the account and restore the enrolments block removed, with the same role and dates')).action(
    (key: string, flags: UserFlags, cmd: Command) => execute('unblock', { person: key }, flags, cmd),
  );
  addSiteOptions(user.command('unenrol <key> <course>').description('unenrol the person from one course (student or teacher)')).action(
    (key: string, course: string, flags: UserFlags, cmd: Command) => execute('unenrol', { person: key, course }, flags, cmd),
  );
  addSiteOptions(
    user
      .command('password <key>')
      .description('set a new password, read from stdin (when piped) or a hidden prompt; never from the command line')
      .option('--username-from-email', 'also set username = email = the person’s current email (config persons.usernameFromEmail)'),
  ).action((key: string, flags: UserFlags, cmd: Command) => execute('password', { person: key, usernameFromEmail: flags.usernameFromEmail ? true : undefined }, flags, cmd));
}
