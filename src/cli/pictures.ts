/** `mdlsync pictures SOURCE`: user pictures from a folder or a zip (see src/pictures/run.ts). */
import { Option, type Command } from 'commander';
import { runPictures, type PicturesResult } from '../pictures/run.js';
import { PICTURE_MATCHES } from '../pictures/match.js';
import type { PictureMatch } from '../ledger/index.js';
import { createProgress } from '../report/progress.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, type SiteFlags } from './common.js';

interface PicturesFlags extends SiteFlags {
  match?: PictureMatch;
  full?: boolean;
}

/** The console summary: the counts, each failed picture with its reason, where the report and tryback are. */
export function formatPictures({ summary: s, rows }: PicturesResult): string {
  const lines: string[] = [];
  const by = s.match === 'key' ? 'person key' : s.match;
  lines.push(`pictures ${s.runId}: ${s.source} (${s.sourceKind ?? 'unreadable'}, ${s.files} file(s), named by ${by})`);
  const o = s.outcomes;
  if (s.status !== 'refused') lines.push(`  ok ${o.ok}  unchanged ${o.unchanged}  failed ${o.failed}`);
  for (const r of rows.filter((x) => x.outcome === 'failed')) lines.push(`  FAILED ${r.key}\t${r.errorcode ?? ''}\t${r.message ?? ''}`);
  lines.push(`  report: ${s.reportDir}`);
  if (s.tryback) lines.push(`  tryback: ${s.tryback}`);
  lines.push(s.message);
  return lines.join('\n');
}

export function registerPictures(program: Command): void {
  addSiteOptions(
    program
      .command('pictures <source>')
      .description('set user pictures from a folder or a .zip of GIF, JPEG or PNG images named by person key, username or idnumber')
      .addOption(new Option('--match <what>', 'what the file names are (default: config pictures.match, else key)').choices([...PICTURE_MATCHES]))
      .option('--full', 'send every picture, even those the ledger holds unchanged'),
  ).action(async (source: string, flags: PicturesFlags, cmd: Command) => {
    const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
    const logger = loggerFor(config, flags);
    const match = flags.match ?? config.pictures.match;
    const progress = flags.quiet ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l), label: 'pictures' });
    const result = await runPictures({ source, match, full: flags.full, wait: flags.wait, onProgress: (p) => progress?.update(p) }, { config, logger });
    progress?.stop();
    process.stdout.write(formatPictures(result) + '\n');
    process.exitCode = result.summary.exitCode;
  });
}
