/**
 * `mdlsync export ids` as a job: opens the ledger (and Moodle, for the names it does not hold), exports each type
 * (ids.ts) and writes its file, one type to a file or stdout, several to a folder as TYPE.ids.csv.
 */
import { stringify } from 'csv-stringify/sync';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, requireMoodle, siteConnection, type Config } from '../config/index.js';
import { isPostgresUrl } from '../db/types.js';
import { openLedger } from '../ledger/index.js';
import { MoodleClient } from '../moodle/index.js';
import { Refusal } from '../refusal.js';
import { retrier } from '../resolve/common.js';
import { NAME_FUNCTIONS, isNamedType } from '../resolve/names.js';
import { checkMoodle } from '../session.js';
import { exportIds, idsTable, type HeaderStyle, type IdType, type IdsExport } from './ids.js';

export interface IdsFilesRequest {
  types: readonly IdType[];
  dataSource: string | null;
  headers?: HeaderStyle;
  delimiter?: string;
  /** undefined: stdout (one type). */
  output?: string;
  /** The output is a folder (TYPE.ids.csv per type). */
  toDir: boolean;
}

/** The file's text: csv-stringify with the style's delimiter; no formula escaping, since the file is read back as a feed. */
export function idsFileText(e: IdsExport): string {
  return stringify(idsTable(e.type, e.style.headers, e.records), { delimiter: e.style.delimiter, record_delimiter: 'unix' });
}

/** One line per type: how many, in which style and why, what was left out. */
export function describeExport(e: IdsExport, where: string): string {
  const style = `${e.style.headers === 'sis' ? 'SIS snapshot' : 'Moodle-style'} headers, "${e.style.delimiter === '\t' ? '\\t' : e.style.delimiter}"-delimited${e.style.run ? `, as run ${e.style.run} was fed` : ''}`;
  const gone = e.missing.length > 0 ? `; ${e.missing.length} linked ${e.type} no longer in Moodle left out (${e.missing.slice(0, 5).map((r) => `${r.key} → ${r.moodleId}`).join(', ')}${e.missing.length > 5 ? ', …' : ''})` : '';
  const note = e.style.note ? `; ${e.style.note}` : '';
  return `${e.type}: ${e.records.length} id(s) (${style}) → ${where}${gone}${note}`;
}

/** Exports and writes every requested type; `say` gets the lines a user reads (stderr in the CLI), stdout the file. */
export async function writeIdsExports(req: IdsFilesRequest, config: Config, say: (line: string) => void, stdout: (text: string) => void): Promise<void> {
  if (!isPostgresUrl(config.ledger) && !existsSync(config.ledger)) throw new ConfigError(`no ledger at ${config.ledger}: nothing has been linked yet (pass --ledger, or run a feed first)`);
  const named = req.types.filter(isNamedType);
  let client: MoodleClient | null = null;
  const ledger = await openLedger(config);
  try {
    const retry = retrier({ retries: config.moodle.retries, backoffMs: config.moodle.backoffMs });
    if (named.length > 0) {
      const moodle = requireMoodle(config);
      client = new MoodleClient({ ...siteConnection(config), connections: 2 });
      const refused = await checkMoodle(client, moodle.url, named.map((t) => NAME_FUNCTIONS[t]), undefined, retry);
      if (refused) throw new Refusal(`Nothing was exported: ${refused.message}.`);
    }
    if (req.toDir) mkdirSync(req.output!, { recursive: true });
    for (const type of req.types) {
      const e = await exportIds({ type, dataSource: req.dataSource, headers: req.headers, delimiter: req.delimiter }, { ledger, client, retry });
      if (req.toDir && e.records.length === 0 && e.missing.length === 0) {
        say(`${type}: no linked ${type}, no file`);
        continue;
      }
      const text = idsFileText(e);
      const path = req.toDir ? join(req.output!, `${type}.ids.csv`) : req.output;
      if (path === undefined) stdout(text);
      else writeFileSync(path, text);
      say(describeExport(e, path ?? 'stdout'));
    }
    if (client) say(`Moodle calls: ${client.stats.calls}`);
  } finally {
    await ledger.close();
    await client?.close();
  }
}
