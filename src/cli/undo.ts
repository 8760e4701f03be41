/** `mdlsync undo RUNID [--apply] [--including-creates] [--force]`: the plan that reverses a run (src/undo/). */
import type { Command } from 'commander';
import { formatSummary } from '../report/console.js';
import { redactedJson, runsDocument } from '../report/json-output.js';
import { createProgress } from '../report/progress.js';
import { undoRun } from '../undo/job.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, type SiteFlags } from './common.js';

interface UndoFlags extends SiteFlags {
  apply?: boolean;
  includingCreates?: boolean;
  force?: boolean;
  json?: boolean;
}

export function registerUndo(program: Command): void {
  const undo = program
    .command('undo')
    .argument('<runId>', 'the run to reverse (mdlsync ledger show --runs lists them)')
    .description('the plan that reverses a run for the records not changed since (a dry run unless --apply)')
    .option('--apply', 'apply the plan, as a run of its own (default: print it and write plan.csv)')
    .option('--including-creates', 'also suspend what the run created (never deleted; default: left)')
    .option('--force', 'apply even when the guard refuses the undo')
    .option('--json', 'print one JSON document on stdout: the summary and the exit code');
  addSiteOptions(undo, 'no progress or log lines on the console').action(async (runId: string, flags: UndoFlags, cmd: Command) => {
    const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
    const logger = loggerFor(config, flags);
    const progress = flags.quiet || !flags.apply ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l) });
    const summary = await undoRun(
      { runId, apply: flags.apply ?? false, includingCreates: flags.includingCreates ?? false, force: flags.force ?? false, wait: flags.wait },
      { config, logger, progress },
    );
    const left = summary.left ? ['left as they are:', ...summary.left.first.map((l) => `  ${l}`)].join('\n') + '\n' : '';
    process.stdout.write((flags.json ? redactedJson(runsDocument([summary], [], summary.exitCode), 2) : formatSummary(summary)) + '\n' + (flags.json ? '' : left));
    process.exitCode = summary.exitCode;
  });
}
