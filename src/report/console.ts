/** The summary printed at the end of a run: a few lines an admin reads at a glance. */
import { escapeControls } from '../refusal.js';
import type { RunSummary } from './types.js';

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
  if (s.tryback) lines.push(`  tryback: ${s.tryback}`);
  lines.push(`  report: ${s.reportDir}`);
  if (s.archivedAs) lines.push(`  archived: ${s.archivedAs}`);
  lines.push(s.message);
  // Each line is one line: a file name or message holding ESC or a newline is shown escaped, not obeyed.
  return lines.map(escapeControls).join('\n');
}
