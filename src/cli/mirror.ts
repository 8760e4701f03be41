/** `mdlsync mirror [--database URL|FILE] [--full]`: one pass of the local copy of Moodle (src/mirror/). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { isPostgresUrl } from '../db/index.js';
import { mirrorPass, type MirrorSummary } from '../mirror/job.js';
import { addSecrets } from '../report/redact.js';
import { createProgress } from '../report/progress.js';
import { addSiteOptions, configFrom, loggerFor, progressOnTty, type SiteFlags } from './common.js';

interface MirrorFlags extends SiteFlags {
  database?: string;
  full?: boolean;
}

/** The console summary: counts per object type, content read, calls, where the change log is. */
export function formatMirror(s: MirrorSummary): string {
  const lines = [`mirror ${s.runId}: Moodle into ${s.database}${s.full ? ' (full pass)' : ''}${s.firstPass ? ' (first pass: changes logged, not notified)' : ''}`];
  if (s.status === 'ok') {
    lines.push(`  courses ${s.courses}: content read for ${s.contentRead} (changes found by ${s.detection}), memberships read for ${s.membersRead}`);
    const objects = Object.keys(s.changes).sort();
    if (objects.length > 0) {
      const w = Math.max(8, ...objects.map((o) => o.length));
      lines.push(`  ${'object'.padEnd(w)}  created  updated  deleted`);
      for (const o of objects) {
        const c = s.changes[o];
        lines.push(`  ${o.padEnd(w)}  ${String(c.created).padStart(7)}  ${String(c.updated).padStart(7)}  ${String(c.deleted).padStart(7)}`);
      }
    } else {
      lines.push('  no change');
    }
    const by = Object.entries(s.moodleCalls.byFunction).sort(([a], [b]) => a.localeCompare(b)).map(([f, n]) => `${f} ${n}`).join(', ');
    lines.push(`  Moodle calls: ${s.moodleCalls.total}${by ? ` (${by})` : ''}`);
    if (s.notified + s.notifyFailed > 0) lines.push(`  onChange: ${s.notified} notified, ${s.notifyFailed} failed`);
    if (s.skipped.length > 0) lines.push(`  skipped (Moodle refused, read again next pass): ${s.skipped.map((x) => `course ${x.course} (${x.errorcode})`).join(', ')}`);
    lines.push(`  change log: ${s.changeLog}`);
  }
  lines.push(`  report: ${s.reportDir}`);
  lines.push(s.message);
  return lines.join('\n');
}

export function registerMirror(program: Command): void {
  const mirror = program
    .command('mirror')
    .description('bring the local copy of Moodle (a SQLite file or PostgreSQL) in step: only courses whose content changed are read')
    .option('--database <url|file>', 'the mirror database: a SQLite file or a postgres:// URL (default: mirror.database, mirror.sqlite beside the ledger)')
    .option('--full', "read every course's content and memberships, changed or not");
  addSiteOptions(mirror, 'no progress or log lines on the console').action(async (flags: MirrorFlags, cmd: Command) => {
    const config = configFrom(cmd, { url: flags.url, ledger: flags.ledger, reports: flags.reports });
    const database = flags.database === undefined ? undefined : isPostgresUrl(flags.database) ? flags.database : resolve(flags.database);
    if (database && isPostgresUrl(database)) addSecrets(new URL(database).password, decodeURIComponent(new URL(database).password));
    const logger = loggerFor(config, flags);
    const bar = flags.quiet ? undefined : createProgress({ tty: progressOnTty(config), write: (l) => logger.info(l), label: 'mirroring', unit: 'courses' });
    const summary = await mirrorPass(
      { database, full: Boolean(flags.full), wait: flags.wait },
      { config, logger, progress: bar && { update: (done, total) => bar.update({ done, total, failed: 0 }), stop: () => bar.stop() } },
    );
    process.stdout.write(formatMirror(summary) + '\n');
    process.exitCode = summary.exitCode;
  });
}
