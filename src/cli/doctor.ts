/** `mdlsync doctor`: is everything a run needs in place? One line per check (src/doctor/), and what to do when one fails. */
import type { Command } from 'commander';
import { EXIT } from '../conductor.js';
import { runDoctor, type CheckStatus, type DoctorCheck, type DoctorReport } from '../doctor/index.js';
import { ENTITY_TYPES } from '../entities/index.js';
import { addNetworkOptions, configFrom, parseSelection } from './common.js';
import { ConfigError, configForSite, siteNames, type Config } from '../config/index.js';
import { failureInfo } from '../errors.js';
import { EXPORT_KINDS } from '../export/functions.js';
import { mirrorFunctions } from '../mirror/job.js';

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', info: 'info', warn: 'warn', fail: 'FAIL' };

/** One check as a line; a check that is not ok says what to do on the line below. */
function formatCheck(c: DoctorCheck): string {
  return `${LABEL[c.status]} ${c.message}${c.status !== 'ok' && c.hint ? `\n     → ${c.hint}` : ''}`;
}

interface DoctorFlags {
  url?: string;
  types: string;
  exports: string;
  mirror?: boolean;
  pictures?: boolean;
  allSites?: boolean;
  json?: boolean;
}

/**
 * --all-sites: every site's checks in turn, under a heading each. A site whose config cannot be used (no token, say)
 * is one failed check of its own and the others still run; the exit code is the worst of them.
 */
async function allSites(config: Config, flags: DoctorFlags, cmd: Command, check: (c: Config) => Promise<DoctorReport>): Promise<void> {
  if (flags.url) throw new ConfigError('--url names one site: --all-sites checks each site at its own URL (remove --url)');
  if ((cmd.optsWithGlobals() as { site?: string }).site !== undefined) throw new ConfigError('--site chooses one site and --all-sites checks them all: give one of the two');
  const names = siteNames(config);
  if (names.length === 0) throw new ConfigError('--all-sites: the config has no "sites" (see "Several sites in one config" in the README), so run mdlsync doctor without it');
  const reports: Record<string, DoctorReport> = {};
  let exitCode: number = EXIT.ok;
  for (const [i, name] of names.entries()) {
    let report: DoctorReport;
    let code: number;
    try {
      report = await check(configForSite(config, name));
      code = report.problems > 0 ? EXIT.refused : EXIT.ok;
    } catch (err) {
      const failure = failureInfo(err);
      if (failure.code === null) throw err;
      report = { checks: [{ name: 'config', status: 'fail', message: (err as Error).message, hint: failure.hint }], problems: 1 };
      code = failure.exit;
    }
    reports[name] = report;
    // The codes a doctor ends with (0, 1, 3) rank as their numbers do.
    exitCode = Math.max(exitCode, code);
    if (!flags.json) {
      process.stdout.write(`${i > 0 ? '\n' : ''}== site ${name} ==\n${report.checks.map(formatCheck).join('\n')}\n`);
      if (report.problems > 0) process.stdout.write(`${report.problems} problem(s) on site ${name}: fix the lines marked FAIL and run mdlsync doctor --site ${name} again.\n`);
    }
  }
  process.exitCode = exitCode;
  if (flags.json) process.stdout.write(JSON.stringify({ sites: reports }) + '\n');
}

export function registerDoctor(program: Command): void {
  addNetworkOptions(program
    .command('doctor')
    .description('check the Moodle URL, token, web-service functions, ledger and folders'))
    .option('--url <url>', 'Moodle site URL')
    .option('--types <list>', `feed types you sync, comma-separated (${ENTITY_TYPES.join(', ')}; and pictures for mdlsync pictures)`, 'persons')
    .option('--exports <list>', `exports you run, comma-separated (${EXPORT_KINDS.join(', ')})`, '')
    .option('--mirror', 'also check the functions mdlsync mirror calls')
    .option('--pictures', 'also check what mdlsync pictures needs (as --types pictures)')
    .option('--all-sites', 'run the checks for every site of the config in turn (exit code: the worst of them)')
    .option('--json', 'print one JSON object {checks, problems} and nothing else on stdout')
    .action(async (flags: DoctorFlags, cmd: Command) => {
      const { types, exports, pictures } = parseSelection(flags.types, flags.exports);
      const config = configFrom(cmd, { url: flags.url });
      const check = (c: Config) => runDoctor(c, types, exports, { pictures: pictures || flags.pictures === true, functions: flags.mirror ? mirrorFunctions(c) : [] });
      if (flags.allSites) return allSites(config, flags, cmd, check);
      const report = await check(config);
      if (report.problems > 0) process.exitCode = EXIT.refused;
      if (flags.json) {
        process.stdout.write(JSON.stringify({ checks: report.checks, problems: report.problems }) + '\n');
        return;
      }
      process.stdout.write(report.checks.map(formatCheck).join('\n') + '\n');
      if (report.problems > 0) process.stdout.write(`${report.problems} problem(s): fix the lines marked FAIL and run mdlsync doctor again.\n`);
    });
}
