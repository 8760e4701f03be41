/** `mdlsync held`, `mdlsync approve RUNID` and `mdlsync discard RUNID`: refused refreshes kept as plans (src/held/). */
import type { Command } from 'commander';
import { approveHeld, discardHeld } from '../held/approve.js';
import { listHeld, type HeldListing } from '../held/store.js';
import { formatSummary } from '../report/console.js';
import { redactedJson, runsDocument } from '../report/json-output.js';
import { createProgress } from '../report/progress.js';
import { Refusal } from '../refusal.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, type SiteFlags } from './common.js';

interface HeldFlags extends SiteFlags {
  json?: boolean;
}

export function formatHeld(list: readonly HeldListing[]): string {
  if (list.length === 0) return 'no held plans';
  return list.map((h) => `${h.runId}\t${h.heldAt}\t${h.file}\t${h.request.type}\t${h.request.op}${h.request.dataSource ? ` ${h.request.dataSource}` : ''}\t${h.guard}`).join('\n');
}

export function registerHeld(program: Command): void {
  program
    .command('held')
    .description('the plans of refused refreshes, kept to be approved (mdlsync approve RUNID) or discarded')
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL (the held plans are kept beside it)')
    .option('--json', 'one JSON document: {held: [...]}')
    .action(async (flags: HeldFlags, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      const list = await listHeld(config);
      process.stdout.write((flags.json ? redactedJson({ held: list }, 2) : formatHeld(list)) + '\n');
    });

  const approve = program
    .command('approve')
    .argument('<runId>', 'the refused run whose plan is held (mdlsync held lists them)')
    .description('apply a held plan exactly as planned when nothing it touches changed since; else plan again, show the difference and hold the new plan')
    .option('--json', 'print one JSON document on stdout: the summary and the exit code');
  addSiteOptions(approve, 'no progress or log lines on the console').action(async (runId: string, flags: HeldFlags, cmd: Command) => {
    const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
    const logger = loggerFor(config, flags);
    const progress = flags.quiet ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l) });
    const summary = await approveHeld(runId, { config, logger, progress }, { wait: flags.wait });
    process.stdout.write((flags.json ? redactedJson(runsDocument([summary], [], summary.exitCode), 2) : formatSummary(summary)) + '\n');
    process.exitCode = summary.exitCode;
  });

  program
    .command('discard')
    .argument('<runId>', 'the refused run whose plan is held')
    .description('drop a held plan: nothing of it is applied')
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL (the held plans are kept beside it)')
    .action(async (runId: string, flags: HeldFlags, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      if (!(await discardHeld(runId, config))) throw new Refusal(`no held plan ${runId}: mdlsync held lists them`);
      process.stdout.write(`held plan ${runId} discarded: nothing of it was applied\n`);
    });
}
