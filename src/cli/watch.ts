/** `mdlsync watch DIR`: process each file dropped in DIR until SIGTERM/SIGINT (DESIGN §7). */
import { Option, type Command } from 'commander';
import { startWatch } from '../automation/index.js';
import { configForSite, requireMoodle } from '../config/index.js';
import { addNetworkOptions, configFrom, loggerFor, positiveInt, type SiteFlags } from './common.js';

interface WatchFlags extends SiteFlags {
  archive?: string;
  stabilityMs?: number;
}

/** Resolves on the first SIGTERM or SIGINT; the caller then finishes the current work. */
export function untilSignal(onSignal: (signal: NodeJS.Signals) => void): Promise<void> {
  return new Promise((done) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      onSignal(signal);
      done();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export function registerWatch(program: Command): void {
  addNetworkOptions(program
    .command('watch')
    .argument('<dir>', 'drop folder')
    .description('run each file dropped in DIR (TYPE.OP[.DATASOURCE].anything.csv or watch.rules); SIGTERM stops after the current file'))
    .option('--url <url>', 'Moodle site URL (overrides config and MDLSYNC_URL)')
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL')
    .option('--reports <dir>', 'reports folder')
    .option('--archive <dir>', 'archive folder')
    .option('--wait <seconds>', 'wait this long for another run holding the ledger (default: watch.lockWaitSeconds, 600)', positiveInt)
    .option('--stability-ms <ms>', 'a file is complete once its size is still for this long (default: watch.stabilityMs, 2000)', positiveInt)
    .option('-q, --quiet', 'no log lines on the console')
    .addOption(new Option('--log-level <level>').choices(['error', 'warn', 'info', 'debug']))
    .action(async (dir: string, flags: WatchFlags, cmd: Command) => {
      const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports, archive: flags.archive });
      // Each site a rule names must reach its Moodle; the watch's own one too unless it is only a list of sites.
      const ruleSites = new Set((config.watch?.rules ?? []).flatMap((r) => (r.site === undefined ? [] : [r.site])));
      for (const site of ruleSites) requireMoodle(configForSite(config, site));
      if (ruleSites.size === 0 || config.moodle.url || config.site !== null) requireMoodle(config);
      const logger = loggerFor(config, flags);
      const handle = await startWatch(dir, { config, logger, wait: flags.wait, stabilityMs: flags.stabilityMs });
      await untilSignal((signal) => logger.info(`watch: ${signal}: no new file is taken; finishing the current one`));
      await handle.close();
      process.exitCode = 0;
    });
}
