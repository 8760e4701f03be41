/** `mdlsync doctor`: is everything a run needs in place? One line per check (src/doctor/), and what to do when one fails. */
import type { Command } from 'commander';
import { EXIT } from '../conductor.js';
import { runDoctor, type CheckStatus, type DoctorCheck } from '../doctor/index.js';
import { ENTITY_TYPES } from '../entities/index.js';
import { addNetworkOptions, configFrom, parseSelection } from './common.js';
import { EXPORT_KINDS } from '../export/functions.js';
import { mirrorFunctions } from '../mirror/job.js';

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', info: 'info', warn: 'warn', fail: 'FAIL' };

/** One check as a line; a check that is not ok says what to do on the line below. */
function formatCheck(c: DoctorCheck): string {
  return `${LABEL[c.status]} ${c.message}${c.status !== 'ok' && c.hint ? `\n     → ${c.hint}` : ''}`;
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
    .option('--json', 'print one JSON object {checks, problems} and nothing else on stdout')
    .action(async (flags: { url?: string; types: string; exports: string; mirror?: boolean; pictures?: boolean; json?: boolean }, cmd: Command) => {
      const { types, exports, pictures } = parseSelection(flags.types, flags.exports);
      const config = configFrom(cmd, { url: flags.url });
      const report = await runDoctor(config, types, exports, { pictures: pictures || flags.pictures === true, functions: flags.mirror ? mirrorFunctions(config) : [] });
      if (report.problems > 0) process.exitCode = EXIT.refused;
      if (flags.json) {
        process.stdout.write(JSON.stringify({ checks: report.checks, problems: report.problems }) + '\n');
        return;
      }
      process.stdout.write(report.checks.map(formatCheck).join('\n') + '\n');
      if (report.problems > 0) process.stdout.write(`${report.problems} problem(s): fix the lines marked FAIL and run mdlsync doctor again.\n`);
    });
}
