/** `mdlsync run FILE…` and `mdlsync plan FILE…` (= run --dry-run). */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { ENTITY_TYPES, type EntityType } from '../entities/index.js';
import { OPS, type Op } from '../plan/types.js';
import { createProgress } from '../report/progress.js';
import { formatSummary } from '../report/console.js';
import { redactedJson, runsDocument } from '../report/json-output.js';
import type { RunSummary } from '../report/types.js';
import { orderByDependency, runFile } from '../run.js';
import { expandArchives, type ExpandedFiles } from '../feed/archive.js';
import { FeedFileError } from '../feed/types.js';
import { Refusal } from '../refusal.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { worstExit } from '../automation/runner.js';
import { addNetworkOptions, configFrom, loggerFor, positiveInt, progressOnTty, startRequestedSandbox } from './common.js';

interface RunFlags {
  type?: EntityType;
  op: Op;
  datasource?: string;
  dryRun?: boolean;
  force?: boolean;
  full?: boolean;
  batchSize?: number;
  concurrency?: number;
  maxInputVars?: number;
  ledger?: string;
  reports?: string;
  archive?: string;
  url?: string;
  delimiter?: string;
  encoding?: 'utf8' | 'latin1' | 'windows-1252';
  dialect?: string;
  dateOrder?: 'mdy' | 'dmy';
  uploadType?: 'addnew' | 'addupdate' | 'update';
  sandbox?: string | boolean;
  quiet?: boolean;
  logLevel?: string;
  wait?: number;
  json?: boolean;
}

function addRunOptions(cmd: Command): Command {
  return addNetworkOptions(cmd)
    .addOption(new Option('-t, --type <type>', 'feed type (inferred from the headers when omitted)').choices([...ENTITY_TYPES]))
    .addOption(new Option('-o, --op <op>', 'store | delete | refresh | refresh-ds').choices([...OPS]).default('store'))
    .option('-d, --datasource <key>', 'data source of the run (refresh-ds compares only this one)')
    .option('--force', 'apply a refresh even when the guard refuses it')
    .option('--full', 're-send unchanged rows')
    .option('--batch-size <n>', 'records per Moodle call at most', positiveInt)
    .option('--concurrency <n>', 'Moodle calls in flight at most', positiveInt)
    .option('--max-input-vars <n>', "the site's PHP max_input_vars", positiveInt)
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL')
    .option('--reports <dir>', 'reports folder')
    .option('--archive <dir>', 'archive folder')
    .option('--url <url>', 'Moodle site URL (overrides config and MDLSYNC_URL)')
    .option('--delimiter <char>', 'field delimiter (detected when omitted)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['utf8', 'latin1', 'windows-1252']))
    .option('--dialect <name>', "read the file as another tool's format, NAME or NAME/KIND (detected from the header when omitted; mdlsync dialects lists them)")
    .addOption(new Option('--date-order <order>', 'slash dates in other tools\' files: mdy (03/04/2026 = 4 March) or dmy').choices(['mdy', 'dmy']))
    .addOption(new Option('--upload-type <type>', 'Moodle Upload users files: add new only, add and update, update only').choices(['addnew', 'addupdate', 'update']))
    .option('--wait <seconds>', 'wait this long for another run holding the ledger (default: refuse at once)', positiveInt)
    .option('--sandbox [stateFile]', 'run against the built-in sandbox Moodle (state in .mdlsync/sandbox.db unless given)')
    .option('-q, --quiet', 'no progress or log lines on the console')
    .option('--json', 'print one JSON document on stdout instead of the text summaries: every summary.json, the notes and the exit code')
    .addOption(new Option('--log-level <level>').choices(['error', 'warn', 'info', 'debug']));
}

async function execute(files: string[], flags: RunFlags, cmd: Command, dryRun: boolean): Promise<void> {
  let sandbox: SandboxHandle | null = null;
  let expanded: ExpandedFiles | undefined;
  try {
    sandbox = await startRequestedSandbox(flags.sandbox);
    const config = configFrom(cmd, {
      url: sandbox?.url ?? flags.url,
      token: sandbox?.token,
      ledger: flags.ledger,
      reports: flags.reports,
      archive: flags.archive,
      dataSource: flags.datasource,
      batchSize: flags.batchSize,
      concurrency: flags.concurrency,
      maxInputVars: flags.maxInputVars,
    });
    if (flags.dateOrder) config.dialects.dateOrder = flags.dateOrder;
    if (flags.uploadType) config.dialects.uploadType = flags.uploadType;
    const logger = loggerFor(config, flags);
    // A zip (a Canvas SIS import) runs as the CSV files it holds, unpacked into a private folder removed afterwards.
    expanded = await expandArchives(files.map((f) => resolve(f)), { delimiter: flags.delimiter, encoding: flags.encoding }).catch((err: unknown) => {
      // An archive that cannot be run as a whole is refused before anything runs (exit 3, one sentence).
      throw err instanceof FeedFileError ? new Refusal(err.message) : err;
    });
    // With --json, stdout is the one document: the notes go into it (and to the log).
    for (const note of expanded.notes) {
      if (flags.json) logger.warn(`note: ${note}`);
      else process.stdout.write(`note: ${note}\n`);
    }
    const summaries: RunSummary[] = [];
    // What others refer to goes first (categories before persons …), whatever order the files were given in.
    const ordered = await orderByDependency(expanded.files, { type: flags.type, delimiter: flags.delimiter, encoding: flags.encoding, dialect: flags.dialect });
    for (const file of ordered) {
      const progress = flags.quiet ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l) });
      const summary = await runFile(
        {
          file,
          op: flags.op,
          type: flags.type,
          dataSource: flags.datasource ?? null,
          dryRun,
          force: flags.force,
          full: flags.full,
          delimiter: flags.delimiter,
          encoding: flags.encoding,
          dialect: flags.dialect,
          wait: flags.wait,
        },
        { config, logger, progress },
      );
      if (!flags.json) process.stdout.write(formatSummary(summary) + '\n');
      summaries.push(summary);
    }
    process.exitCode = worstExit(summaries.map((s) => s.exitCode));
    if (flags.json) process.stdout.write(redactedJson(runsDocument(summaries, expanded.notes, process.exitCode), 2) + '\n');
  } finally {
    await expanded?.cleanup();
    await sandbox?.close();
  }
}

export function registerRun(program: Command): void {
  addRunOptions(program.command('run').argument('<files...>', 'feed files (a .zip runs the CSV files it holds)').description('read, plan, apply, report and archive each file'))
    .option('--dry-run', 'plan only: no Moodle writes')
    .action(async (files: string[], flags: RunFlags, cmd: Command) => execute(files, flags, cmd, Boolean(flags.dryRun)));
  addRunOptions(program.command('plan').argument('<files...>', 'feed files (a .zip runs the CSV files it holds)').description('what a run would do, and why; no Moodle writes')).action(
    async (files: string[], flags: RunFlags, cmd: Command) => execute(files, flags, cmd, true),
  );
}
