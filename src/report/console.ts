/** The summary printed at the end of a run: a few lines an admin reads at a glance. */
import { escapeControls } from '../refusal.js';
import type { RunSummary, SummaryBase } from './types.js';

/** At most this many lines of failed codes: the rest is in summary.json and rows.csv. */
const FAILURE_LINES = 5;
const CODE_WIDTH = 40;

/** A code as the console shows it: a password policy's HTML errorcode is a paragraph, cut to fit one line. */
function shortCode(code: string): string {
  return code.length > CODE_WIDTH ? `${code.slice(0, CODE_WIDTH - 1)}…` : code;
}

/** The hint of a whole-file error, and the most frequent failed codes of the rows, each with its hint. */
export function failureLines(s: Pick<SummaryBase, 'error' | 'failures'>): string[] {
  const lines: string[] = [];
  if (s.error?.hint) lines.push(`  error: ${shortCode(s.error.code)} — ${s.error.hint}`);
  const failures = s.failures ?? [];
  for (const f of failures.slice(0, FAILURE_LINES)) lines.push(`  failed: ${shortCode(f.code)} ×${f.count} — ${f.hint}`);
  const more = failures.slice(FAILURE_LINES).reduce((n, f) => n + f.count, 0);
  if (more > 0) lines.push(`  failed: ${more} more row(s) with other codes (summary.json failures, rows.csv)`);
  return lines;
}

export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  const ds = s.dataSource ? ` (data source ${s.dataSource})` : '';
  lines.push(`${s.dryRun ? 'plan' : 'run'} ${s.runId}: ${s.type ?? 'unknown type'} ${s.op}${ds} from ${s.file}`);
  if (s.format && s.format.dialect !== 'mdlsync') lines.push(`  format: ${s.format.title} → ${s.format.entities.join(', ')}`);
  for (const w of s.warnings ?? []) lines.push(`  not acted on: ${w}`);
  if (s.planned) {
    const p = s.planned;
    lines.push(
      `  rows ${s.rows}: create ${p.create}, adopt ${p.adopt}, update ${p.update}, enable ${p.enable}, disable ${p.disable}, delete ${p.delete}, unchanged ${p.unchanged}, invalid ${p.fail}`,
    );
  }
  if (s.guard) lines.push(`  guard: ${s.guard.message}`);
  for (const part of s.parts ?? []) {
    const o = part.outcomes;
    lines.push(`  ${part.type}: ${part.rows} rows${o ? `, ok ${o.ok}, relinked ${o.relinked}, unchanged ${o.unchanged}, failed ${o.failed}` : ''}`);
  }
  if (!s.dryRun && s.planned) {
    const o = s.outcomes;
    lines.push(`  outcome: ok ${o.ok}, relinked ${o.relinked}, unchanged ${o.unchanged}, failed ${o.failed}; Moodle calls ${s.moodleCalls.total}`);
  }
  lines.push(...failureLines(s));
  for (const h of s.siteHints ?? []) lines.push(`  site: ${h.code} — ${h.message}`, `    what to do: ${h.hint}`);
  if (s.tryback) lines.push(`  tryback: ${s.tryback}`);
  lines.push(`  report: ${s.reportDir}`);
  if (s.archivedAs) lines.push(`  archived: ${s.archivedAs}`);
  lines.push(s.message);
  // Each line is one line: a file name or message holding ESC or a newline is shown escaped, not obeyed.
  return lines.map(escapeControls).join('\n');
}
