/** `mdlsync doctor`: is everything a run needs in place? One line per check (src/doctor/), and what to do when one fails. */
import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { EXIT } from '../conductor.js';
import { runDoctor, type CheckStatus, type DoctorCheck } from '../doctor/index.js';
import { ENTITY_TYPES, isEntityType } from '../entities/index.js';
import { configFrom } from './common.js';
import { EXPORT_KINDS, isExportKind } from '../export/functions.js';
import { mirrorFunctions } from '../mirror/job.js';

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', info: 'info', warn: 'warn', fail: 'FAIL' };

/** One check as a line; a check that is not ok says what to do on the line below. */
function formatCheck(c: DoctorCheck): string {
  return `${LABEL[c.status]} ${c.message}${c.status !== 'ok' && c.hint ? `\n     → ${c.hint}` : ''}`;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the Moodle URL, token, web-service functions, ledger and folders')
    .option('--url <url>', 'Moodle site URL')
    .option('--types <list>', `feed types you sync, comma-separated (${ENTITY_TYPES.join(', ')}; and pictures for mdlsync pictures)`, 'persons')
    .option('--exports <list>', `exports you run, comma-separated (${EXPORT_KINDS.join(', ')})`, '')
    .option('--mirror', 'also check the functions mdlsync mirror calls')
    .action(async (flags: { url?: string; types: string; exports: string; mirror?: boolean }, cmd: Command) => {
      const named = flags.types.split(',').map((t) => t.trim()).filter(Boolean);
      // `pictures` is no feed type: it asks for the checks of mdlsync pictures (its functions, file uploads).
      const pictures = named.includes('pictures');
      const unknown = named.filter((t) => !isEntityType(t) && t !== 'pictures');
      if (unknown.length) throw new ConfigError(`unknown feed type ${unknown.join(', ')} in --types (known: ${ENTITY_TYPES.join(', ')}, pictures)`);
      const exports = flags.exports.split(',').map((t) => t.trim()).filter(Boolean);
      const unknownExports = exports.filter((e) => !isExportKind(e));
      if (unknownExports.length) throw new ConfigError(`unknown export ${unknownExports.join(', ')} in --exports (known: ${EXPORT_KINDS.join(', ')})`);
      const config = configFrom(cmd, { url: flags.url });
      const { checks, problems } = await runDoctor(config, named.filter(isEntityType), exports.filter(isExportKind), {
        pictures,
        functions: flags.mirror ? mirrorFunctions(config) : [],
      });
      process.stdout.write(checks.map(formatCheck).join('\n') + '\n');
      if (problems > 0) {
        process.stdout.write(`${problems} problem(s): fix the lines marked FAIL and run mdlsync doctor again.\n`);
        process.exitCode = EXIT.refused;
      }
    });
}
