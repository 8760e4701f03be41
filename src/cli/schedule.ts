/** `mdlsync schedule`: run the config's jobs on their cron expressions; `--once JOB` runs one job now (DESIGN §7). */
import { Option, type Command } from 'commander';
import { findJob, runJob, startSchedule } from '../automation/index.js';
import { ConfigError, configForTarget, requireMoodle, siteNames } from '../config/index.js';
import { formatSummary } from '../report/console.js';
import { addNetworkOptions, configFrom, loggerFor } from './common.js';
import { untilSignal } from './watch.js';

interface ScheduleFlags {
  once?: string;
  url?: string;
  ledger?: string;
  reports?: string;
  archive?: string;
  quiet?: boolean;
  logLevel?: string;
}

export function registerSchedule(program: Command): void {
  addNetworkOptions(program
    .command('schedule')
    .description('run the jobs of the config ("jobs") on their cron expressions until SIGTERM; --once JOB runs one job now'))
    .option('--once <job>', 'run this job now and exit with its exit code')
    .option('--url <url>', 'Moodle site URL (overrides config and MDLSYNC_URL)')
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL')
    .option('--reports <dir>', 'reports folder')
    .option('--archive <dir>', 'archive folder')
    .option('-q, --quiet', 'no log lines on the console')
    .addOption(new Option('--log-level <level>').choices(['error', 'warn', 'info', 'debug']))
    .action(async (flags: ScheduleFlags, cmd: Command) => {
      const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports, archive: flags.archive });
      // Each job runs against its site's Moodle (the schedule's own without one): each must be reachable.
      const jobs = flags.once !== undefined ? [findJob(config, flags.once)] : (config.jobs ?? []);
      for (const job of jobs) {
        const names = siteNames(config);
        if (job.site === undefined && config.site === null && names.length > 0 && !config.moodle.url) {
          throw new ConfigError(`job ${job.name} names no "site" and the config has ${names.length} sites (${names.join(', ')}): give the job "site": NAME, or pass --site NAME (or set MDLSYNC_SITE)`);
        }
        requireMoodle(configForTarget(config, job.site));
      }
      if (jobs.length === 0) requireMoodle(config);
      const logger = loggerFor(config, flags);
      if (flags.once !== undefined) {
        const result = await runJob(jobs[0], { config, logger });
        for (const f of result.files) process.stdout.write((f.summary ? formatSummary(f.summary) : `${f.file}: ${f.message}`) + '\n');
        if (result.status === 'nothing-to-do') process.stdout.write(`job ${result.job}: nothing to do\n`);
        process.exitCode = result.exitCode;
        return;
      }
      const handle = startSchedule({ config, logger });
      await untilSignal((signal) => logger.info(`schedule: ${signal}: no new run starts; waiting for the runs in progress`));
      await handle.stop();
      process.exitCode = 0;
    });
}
