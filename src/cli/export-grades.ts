/** `mdlsync export grades` and `mdlsync export completions`: see src/export/export.ts. */
import { Option, type Command } from 'commander';
import { runExport, type ExportSummary } from '../export/export.js';
import type { ExportDialect, ExportKind } from '../export/rows.js';
import { createProgress } from '../report/progress.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, type SiteFlags } from './common.js';
import { exportCommand } from './export.js';

interface ExportFlags extends SiteFlags {
  course?: string[];
  category?: string;
  items?: boolean;
  activities?: boolean;
  changes?: boolean;
  dialect: ExportDialect;
  output?: string;
  linkedOnly?: boolean;
}

/** The summary: what was read and written, what failed, the calls. */
export function formatExport(s: ExportSummary): string {
  const lines = [`export ${s.what} ${s.runId}: ${s.scope}`];
  if (s.status !== 'refused') {
    lines.push(`  courses: ${s.courses.exported} exported, ${s.courses.failed} failed${s.what === 'completions' ? `, ${s.courses.notTracked} not tracking completion` : ''} (of ${s.courses.total})`);
    lines.push(`  rows: ${s.rows.read} read, ${s.rows.written} written${s.changesOnly ? `, ${s.rows.unchanged} unchanged left out` : ''}`);
    const by = Object.entries(s.moodleCalls.byFunction).map(([fn, n]) => `${fn} ${n}`).join(', ');
    lines.push(`  Moodle calls: ${s.moodleCalls.total}${by ? ` (${by})` : ''}`);
  }
  lines.push(`  report: ${s.reportDir}`);
  lines.push(s.message);
  return lines.join('\n');
}

function register(parent: Command, kind: ExportKind): void {
  const details = kind === 'grades' ? '--items' : '--activities';
  const cmd = parent
    .command(kind)
    .description(kind === 'grades'
      ? 'course totals (raw, percentage, letter) per person and course, and each grade item with --items'
      : 'course completion (state, time completed) per person and course, and each activity with --activities')
    .option('--course <keys...>', 'course keys as the ledger knows them (default: every linked course)')
    .addOption(new Option('--category <key>', 'every linked course in this category and its subcategories').conflicts('course'))
    .option(details, kind === 'grades' ? 'a row per grade item too' : 'a row per activity that tracks completion too')
    .option('--changes', 'only rows that changed since the last export of the same scope')
    .addOption(new Option('--dialect <dialect>', 'mdlsync: lowercase, comma-separated; snapshot: SIS snapshot, uppercase, pipe-separated')
      .choices(['mdlsync', 'snapshot']).default('mdlsync'))
    .option('-o, --output <file>', 'write the CSV here (default: stdout)')
    .option('--linked-only', 'leave out persons the ledger does not link (default: kept, with an empty key)');
  addSiteOptions(cmd, 'no progress or log lines on the console', { takesLock: false }).action(async (flags: ExportFlags, c: Command) => {
    const config = configFrom(c, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
    const logger = loggerFor(config, flags);
    const progress = flags.quiet ? undefined
      : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l), label: `exporting ${kind}`, unit: 'courses' });
    const summary = await runExport({
      kind, courses: flags.course, category: flags.category, details: Boolean(kind === 'grades' ? flags.items : flags.activities),
      changes: flags.changes, dialect: flags.dialect, output: flags.output, linkedOnly: flags.linkedOnly,
    }, { config, logger, progress });
    // The CSV may be on stdout: the summary goes to stderr then.
    (flags.output ? process.stdout : process.stderr).write(formatExport(summary) + '\n');
    process.exitCode = summary.exitCode;
  });
}

export function registerExportGrades(program: Command): void {
  const parent = exportCommand(program);
  register(parent, 'grades');
  register(parent, 'completions');
}
