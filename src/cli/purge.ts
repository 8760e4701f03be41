/** `mdlsync purge --disabled-older-than 180d [--dry-run] [--force] [--entity persons]`: see src/purge.ts. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PURGE_ENTITIES, parsePeriod, purgeDisabled, type PurgeEntity, type PurgeResult } from '../purge.js';
import { createProgress } from '../report/progress.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, type SiteFlags } from './common.js';

interface PurgeFlags extends SiteFlags {
  disabledOlderThan: number;
  entity: PurgeEntity;
  dryRun?: boolean;
  force?: boolean;
}

function period(value: string): number {
  const days = parsePeriod(value);
  if (days === null) throw new InvalidArgumentError('expected a period in days or weeks, e.g. 180d or 26w');
  return days;
}

export function formatPurge({ summary: s, items }: PurgeResult): string {
  const lines: string[] = [];
  lines.push(`${s.dryRun ? 'purge plan' : 'purge'} ${s.runId}: ${s.entity} disabled more than ${s.olderThanDays} day(s) ago (before ${s.cutoff})`);
  if (s.dryRun) {
    const shown = items.filter((i) => i.action === 'delete');
    if (shown.length > 0) lines.push(`  would delete ${shown.length}:`);
    for (const i of shown) lines.push(`    ${i.key}\tMoodle id ${i.moodleId}\tdisabled ${i.disabledAt ?? '?'}`);
    for (const i of items.filter((x) => x.action === 'keep')) lines.push(`    kept ${i.key}\tMoodle id ${i.moodleId}: active again in Moodle`);
  }
  if (s.guard) lines.push(`  guard: ${s.guard.message}`);
  if (!s.dryRun && s.status !== 'refused' && s.status !== 'aborted') {
    const o = s.outcomes;
    lines.push(`  outcome: deleted ${o.ok}, kept ${s.kept}, failed ${o.failed}; Moodle calls ${s.moodleCalls.total}`);
  }
  lines.push(`  report: ${s.reportDir}`);
  lines.push(s.message);
  return lines.join('\n');
}

export function registerPurge(program: Command): void {
  const purge = program
    .command('purge')
    .description('really delete in Moodle what mdlsync disabled longer ago than a retention period (guarded like a refresh)')
    .requiredOption('--disabled-older-than <period>', 'retention period: days or weeks, e.g. 180d or 26w', period)
    .addOption(new Option('--entity <type>', 'what to purge').choices([...PURGE_ENTITIES]).default('persons'))
    .option('--dry-run', 'list what would be deleted; no Moodle writes')
    .option('--force', 'delete even when the guard refuses (more than guard.maxPercent / guard.maxCount)');
  addSiteOptions(purge, 'no progress or log lines on the console')
    .action(async (flags: PurgeFlags, cmd: Command) => {
      const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
      const logger = loggerFor(config, flags);
      const progress = flags.quiet ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l), label: 'deleting' });
      const result = await purgeDisabled(
        { olderThanDays: flags.disabledOlderThan, entity: flags.entity, dryRun: Boolean(flags.dryRun), force: flags.force, wait: flags.wait },
        { config, logger, progress },
      );
      process.stdout.write(formatPurge(result) + '\n');
      process.exitCode = result.summary.exitCode;
    });
}
