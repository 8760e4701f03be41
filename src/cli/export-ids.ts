/**
 * `mdlsync export ids [--type T…] [--data-source DS] [--dialect sis|moodle] [-o FILE|DIR]`: key → Moodle id of every
 * linked record, as a feed of its type with a MOODLE_ID column (src/export/ids.ts). One type goes to stdout or FILE;
 * several (the default: all five) go to DIR as TYPE.ids.csv.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, requireMoodle } from '../config/index.js';
import { exportCommand } from './export.js';
import { ID_TYPES, exportIds, idsTable, type HeaderStyle, type IdType, type IdsExport } from '../export/ids.js';
import { SqliteLedger } from '../ledger/index.js';
import { MoodleClient } from '../moodle/index.js';
import { Refusal } from '../refusal.js';
import { retrier } from '../resolve/common.js';
import { NAME_FUNCTIONS, isNamedType } from '../resolve/names.js';
import { checkMoodle } from '../session.js';
import { configFrom } from './common.js';

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

/** The file's text: csv-stringify with the style's delimiter; no formula escaping, since the file is read back as a feed. */
export function idsFileText(e: IdsExport): string {
  return stringify(idsTable(e.type, e.style.headers, e.records), { delimiter: e.style.delimiter, record_delimiter: 'unix' });
}

/** One line on stderr per type: how many, in which style and why, what was left out. */
export function describeExport(e: IdsExport, where: string): string {
  const style = `${e.style.headers === 'sis' ? 'SIS snapshot' : 'Moodle-style'} headers, "${e.style.delimiter === '\t' ? '\\t' : e.style.delimiter}"-delimited${e.style.run ? `, as run ${e.style.run} was fed` : ''}`;
  const gone = e.missing.length > 0 ? `; ${e.missing.length} linked ${e.type} no longer in Moodle left out (${e.missing.slice(0, 5).map((r) => `${r.key} → ${r.moodleId}`).join(', ')}${e.missing.length > 5 ? ', …' : ''})` : '';
  const note = e.style.note ? `; ${e.style.note}` : '';
  return `${e.type}: ${e.records.length} id(s) (${style}) → ${where}${gone}${note}`;
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
    .option('--ledger <file>', 'ledger database file')
    .action(async (flags: ExportIdsFlags, cmd: Command) => {
      const types = flags.type && flags.type.length > 0 ? flags.type : [...ID_TYPES];
      const toDir = flags.output !== undefined && (types.length > 1 || /[\\/]$/.test(flags.output) || (existsSync(flags.output) && statSync(flags.output).isDirectory()));
      if (flags.output === undefined && types.length > 1) {
        throw new ConfigError(`export ids writes one file per type: pass --type ${ID_TYPES.join('|')} for stdout, or -o DIR for ${types.join(', ')}`);
      }
      if (flags.delimiter !== undefined && [...flags.delimiter].length !== 1) throw new ConfigError(`--delimiter takes one character, not "${flags.delimiter}"`);
      const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger });
      if (!existsSync(config.ledger)) throw new ConfigError(`no ledger at ${config.ledger}: nothing has been linked yet (pass --ledger, or run a feed first)`);
      const named = types.filter(isNamedType);
      let client: MoodleClient | null = null;
      const ledger = SqliteLedger.open(config.ledger);
      try {
        if (named.length > 0) {
          const moodle = requireMoodle(config);
          client = new MoodleClient({ url: moodle.url, token: moodle.token, timeoutMs: config.moodle.timeoutMs, connections: 2 });
          const refused = await checkMoodle(client, moodle.url, named.map((t) => NAME_FUNCTIONS[t]));
          if (refused) throw new Refusal(`Nothing was exported: ${refused.message}.`);
        }
        const retry = retrier({ retries: config.moodle.retries, backoffMs: config.moodle.backoffMs });
        if (toDir) mkdirSync(flags.output!, { recursive: true });
        for (const type of types) {
          const e = await exportIds(
            { type, dataSource: flags.dataSource ?? flags.datasource ?? null, headers: flags.dialect, delimiter: flags.delimiter },
            { ledger, client, retry },
          );
          if (toDir && e.records.length === 0 && e.missing.length === 0) {
            process.stderr.write(`${type}: no linked ${type}, no file\n`);
            continue;
          }
          const text = idsFileText(e);
          const path = toDir ? join(flags.output!, `${type}.ids.csv`) : flags.output;
          if (path === undefined) process.stdout.write(text);
          else writeFileSync(path, text);
          process.stderr.write(describeExport(e, path ?? 'stdout') + '\n');
        }
        if (client) process.stderr.write(`Moodle calls: ${client.stats.calls}\n`);
      } finally {
        ledger.close();
        await client?.close();
      }
    });
}
