/**
 * `mdlsync export ids [--type T…] [--data-source DS] [--dialect sis|moodle] [-o FILE|DIR]`: key → Moodle id of every
 * linked record, as a feed of its type with a MOODLE_ID column (src/export/ids.ts). One type goes to stdout or FILE;
 * several (the default: all five) go to DIR as TYPE.ids.csv.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { ConfigError } from '../config/index.js';
import { ID_TYPES, type HeaderStyle, type IdType } from '../export/ids.js';
import { writeIdsExports } from '../export/ids-files.js';
import { configFrom } from './common.js';
import { exportCommand } from './export.js';

interface ExportIdsFlags {
  type?: IdType[];
  dataSource?: string;
  datasource?: string;
  dialect?: HeaderStyle;
  delimiter?: string;
  output?: string;
  url?: string;
  ledger?: string;
}

/** `--type persons courses` and `--type persons,courses` alike. */
function idTypes(value: string, previous: IdType[] = []): IdType[] {
  const out = [...previous];
  for (const t of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(ID_TYPES as readonly string[]).includes(t)) throw new InvalidArgumentError(`expected ${ID_TYPES.join(', ')}`);
    if (!out.includes(t as IdType)) out.push(t as IdType);
  }
  return out;
}

export function registerExportIds(program: Command): void {
  exportCommand(program)
    .command('ids')
    .description("key → Moodle id of every linked record, as a feed of its type with a MOODLE_ID column, for the SIS to keep and send back")
    .option('-t, --type <types...>', `${ID_TYPES.join(', ')} (default: all; several need -o DIR)`, idTypes)
    .option('-d, --data-source <key>', 'only the records of this data source')
    .addOption(new Option('--datasource <key>').hideHelp())
    .addOption(new Option('--dialect <style>', 'header style (default: the one the records were last fed in, else sis)').choices(['sis', 'moodle']))
    .option('--delimiter <char>', 'field delimiter (default: the one the SIS used, else | for sis, , for moodle)')
    .option('-o, --output <path>', 'a file (one type), or a folder: TYPE.ids.csv per type (default: stdout, one type)')
    .option('--url <url>', 'Moodle site URL (overrides config and MDLSYNC_URL)')
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL')
    .action(async (flags: ExportIdsFlags, cmd: Command) => {
      const types = flags.type && flags.type.length > 0 ? flags.type : [...ID_TYPES];
      const toDir = flags.output !== undefined && (types.length > 1 || /[\\/]$/.test(flags.output) || (existsSync(flags.output) && statSync(flags.output).isDirectory()));
      if (flags.output === undefined && types.length > 1) {
        throw new ConfigError(`export ids writes one file per type: pass --type ${ID_TYPES.join('|')} for stdout, or -o DIR for ${types.join(', ')}`);
      }
      if (flags.delimiter !== undefined && [...flags.delimiter].length !== 1) throw new ConfigError(`--delimiter takes one character, not "${flags.delimiter}"`);
      const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger });
      await writeIdsExports(
        { types, dataSource: flags.dataSource ?? flags.datasource ?? null, headers: flags.dialect, delimiter: flags.delimiter, output: flags.output, toDir },
        config,
        (line) => process.stderr.write(line + '\n'),
        (text) => process.stdout.write(text),
      );
    });
}
