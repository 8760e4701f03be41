/** `mdlsync diff FILE [--type T] [--datasource DS] [--repair]`: see src/diff/index.ts. */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { DIFF_TYPES, FINDINGS, diffFile, type DiffResult, type DiffRow } from '../diff/index.js';
import type { EntityType } from '../entities/index.js';
import { escapeControls } from '../refusal.js';
import { createProgress } from '../report/progress.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, startRequestedSandbox, type SiteFlags } from './common.js';

interface DiffFlags extends SiteFlags {
  type?: EntityType;
  datasource?: string;
  dataSource?: string;
  repair?: boolean;
  delimiter?: string;
  encoding?: 'utf8' | 'latin1' | 'windows-1252';
  dialect?: string;
  sandbox?: string | boolean;
}

/** Drift lines shown on the console at most; rows.csv has them all. */
const SHOWN = 20;

function describe(r: DiffRow): string {
  const where = r.line === null ? 'not in file' : `line ${r.line}`;
  const field = r.field !== undefined ? ` ${r.field}: file ${JSON.stringify(r.fileValue ?? '')}, Moodle ${JSON.stringify(r.moodleValue ?? '')}` : r.moodleId !== undefined ? ` (Moodle id ${r.moodleId})` : '';
  const repair = r.repair !== undefined ? ` → ${r.repair}` : '';
  return `    ${r.finding}  ${where}  ${r.type} ${r.key}${field}${repair}`;
}

export function formatDiff({ summary: s, rows }: DiffResult): string {
  const lines: string[] = [];
  lines.push(`diff ${s.runId}: ${s.type ?? 'unknown type'} from ${s.file}${s.dataSource ? ` (data source ${s.dataSource})` : ''}${s.repair ? ' [repair]' : ''}`);
  if (s.status !== 'aborted') {
    const counts = Object.entries(s.findings).filter(([, n]) => n > 0).map(([f, n]) => `${f} ${n}`).join(', ');
    lines.push(`  rows ${s.rows}: ${counts || 'none'}`);
    const drift = rows.filter((r) => FINDINGS[r.finding].drift);
    if (drift.length > 0) lines.push('  drift:');
    for (const r of drift.slice(0, SHOWN)) lines.push(describe(r));
    if (drift.length > SHOWN) lines.push(`    … ${drift.length - SHOWN} more in rows.csv`);
    if (s.repair) lines.push(`  repair: ok ${s.outcomes.ok + s.outcomes.relinked}, unchanged ${s.outcomes.unchanged}, failed ${s.outcomes.failed}`);
    lines.push(`  Moodle calls ${s.moodleCalls.total}`);
  }
  lines.push(`  report: ${s.reportDir}`);
  lines.push(s.message);
  return lines.map(escapeControls).join('\n');
}

export function registerDiff(program: Command): void {
  const cmd = program
    .command('diff')
    .argument('<file>', 'feed file, as mdlsync run reads it')
    .description('compare a feed, the ledger and Moodle: records changed or deleted in Moodle, enrolments added or removed by hand (--repair: send the file values again)')
    .addOption(new Option('-t, --type <type>', 'feed type (inferred from the headers when omitted)').choices([...DIFF_TYPES]))
    .option('-d, --datasource <key>', 'data source of the rows a repair sends (as for run)')
    .addOption(new Option('--data-source <key>', 'the same as --datasource').hideHelp())
    .option('--repair', 're-send the file values of drifted records and re-add removed memberships (takes the writer lock)')
    .option('--delimiter <char>', 'field delimiter (detected when omitted)')
    .addOption(new Option('--encoding <enc>', 'input encoding').choices(['utf8', 'latin1', 'windows-1252']))
    .option('--dialect <name>', "read the file as another tool's format, NAME or NAME/KIND (mdlsync dialects lists them)")
    .option('--sandbox [stateFile]', 'compare against the built-in sandbox Moodle (state in .mdlsync/sandbox.db unless given)');
  addSiteOptions(cmd, 'no log lines on the console').action(async (file: string, flags: DiffFlags, command: Command) => {
    let sandbox: SandboxHandle | null = null;
    try {
      sandbox = await startRequestedSandbox(flags.sandbox);
      const config = configFrom(command, { url: sandbox?.url ?? flags.url, token: sandbox?.token, ledger: flags.ledger, reports: flags.reports });
      const logger = loggerFor(config, flags);
      const progress = flags.quiet ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l), label: 'repairing' });
      const result = await diffFile(
        {
          file: resolve(file),
          type: flags.type,
          dataSource: flags.datasource ?? flags.dataSource ?? null,
          repair: Boolean(flags.repair),
          delimiter: flags.delimiter,
          encoding: flags.encoding,
          dialect: flags.dialect,
          wait: flags.wait,
        },
        { config, logger, progress },
      );
      process.stdout.write(formatDiff(result) + '\n');
      process.exitCode = result.summary.exitCode;
    } finally {
      await sandbox?.close();
    }
  });
}
