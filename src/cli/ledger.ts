/** `mdlsync ledger show|discard-retry|export|import`: what mdlsync owns, its recent runs; the ledger as a file. */
import type { Command } from 'commander';
import { existsSync, fchmodSync, fstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { CODES } from '../errors.js';
import { isPostgresUrl } from '../db/types.js';
import { LEDGER_SCHEMA_VERSION, LedgerFileError, openLedger } from '../ledger/index.js';
import { ExportFile, sameSite, siteOf, streamWriter, writeExport, writeFileAtomically, type ExportCounts } from '../ledger/transfer/index.js';
import type { LinkStatus } from '../ledger/types.js';
import { Refusal } from '../refusal.js';
import { newRunId } from '../report/files.js';
import { releaseWriterLock, takeWriterLock } from '../session.js';
import { requireSiteChosen } from '../config/index.js';
import { configFrom, positiveInt } from './common.js';

/** "120 links, 8 runs, 1 retry, …, the password secret": what an export holds. */
function describeCounts(c: ExportCounts): string {
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  const parts = [
    n(c.links, 'link', 'links'),
    n(c.runs, 'run', 'runs'),
    n(c.retries, 'retry', 'retries'),
    n(c.export_state, 'export state row', 'export state rows'),
    n(c.pictures, 'picture', 'pictures'),
    n(c.before_images, 'before-image', 'before-images'),
  ];
  return `${parts.join(', ')} and ${c.ledger_secrets > 0 ? 'the password secret' : 'no password secret'}`;
}

/**
 * The export goes to stdout and holds the ledger's secret: a file the shell made for it (`> ledger.jsonl`, mode 0644
 * under the usual umask) is made 0600 as `-o` makes its own; a terminal only gets the warning.
 */
function guardStdout(): void {
  const out = fstatSync(1);
  if (out.isFile()) {
    let mode = '';
    if ((out.mode & 0o077) !== 0) {
      try {
        fchmodSync(1, out.mode & 0o700);
        mode = ' (made mode 0600)';
      } catch {
        mode = ' (it could not be made mode 0600: chmod 600 it)';
      }
    }
    process.stderr.write(`mdlsync: the export holds the ledger's password secret: keep the file private${mode}, as the ledger itself\n`);
  } else if (process.stdout.isTTY) {
    process.stderr.write("mdlsync: the export holds the ledger's password secret: write it with -o FILE (mode 0600), not to a terminal\n");
  }
}

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('look into the ledger');
  ledger
    .command('show')
    .description('list links (external key ↔ Moodle id) or runs')
    .option('--ledger <file>', 'ledger database file')
    .option('--entity <type>', 'persons …')
    .option('-d, --datasource <key>', 'only this data source')
    .option('--status <status>', 'active | disabled')
    .option('--limit <n>', 'rows to show', positiveInt, 50)
    .option('--offset <n>', 'rows to skip', (v) => Number(v), 0)
    .option('--runs', 'show recent runs instead of links')
    .action(async (flags: { ledger?: string; entity?: string; datasource?: string; status?: LinkStatus; limit: number; offset: number; runs?: boolean }, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      if (!flags.ledger) requireSiteChosen(config);
      const store = await openLedger(config);
      try {
        if (flags.runs) {
          for (const r of await store.listRuns(flags.limit)) {
            process.stdout.write(`${r.id}  ${r.status.padEnd(11)} ${r.type} ${r.op}${r.dataSource ? ` [${r.dataSource}]` : ''}  ${r.file}\n`);
          }
          // Rows Moodle could not take (outage) that watch/schedule will try again: until they land or are discarded.
          for (const r of await store.retries.list()) {
            const rows = r.rows === null ? 'whole file' : `${r.rows} row(s)`;
            process.stdout.write(
              `retry #${r.id}  waiting  ${r.name}  ${rows}  attempt ${r.attempts}, next try at ${new Date(r.nextAt).toISOString()}  (${r.source}; last error: ${r.lastError})  ${r.file}\n`,
            );
          }
          return;
        }
        const links = await store.listLinks({ entity: flags.entity, dataSource: flags.datasource ?? null, status: flags.status, limit: flags.limit, offset: flags.offset });
        // state: what mdlsync gave (an enrolment's role and dates, a member's group …); content hashes are not shown.
        process.stdout.write('entity\tkey\tmoodle_id\tdata_source\tstatus\tlast_seen\tstate\n');
        for (const l of links) process.stdout.write(`${l.entity}\t${l.key}\t${l.moodleId}\t${l.dataSource ?? ''}\t${l.status}\t${l.lastSeen}\t${l.state ?? ''}\n`);
      } finally {
        await store.close();
      }
    });
  ledger
    .command('discard-retry')
    .argument('<id>', 'the retry number `ledger show --runs` prints (retry #ID)', positiveInt)
    .description('give up on rows kept for retry after a Moodle outage: the retry file is deleted (the archive keeps the input)')
    .option('--ledger <file>', 'ledger database file')
    .action(async (id: number, flags: { ledger?: string }, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      if (!flags.ledger) requireSiteChosen(config);
      const store = await openLedger(config);
      try {
        const gone = await store.retries.remove(id);
        if (!gone) {
          process.stderr.write(`mdlsync: no retry #${id} in the ledger ${store.path} (see mdlsync ledger show --runs)\n`);
          process.exitCode = 1;
          return;
        }
        await rm(gone.file, { force: true });
        process.stdout.write(`discarded retry #${gone.id}: ${gone.name}, ${gone.rows === null ? 'the whole file' : `${gone.rows} row(s)`} (${gone.file} deleted)\n`);
      } finally {
        await store.close();
      }
    });
  ledger
    .command('export')
    .description('write the whole ledger as JSON Lines, for a backup or another machine: stdout, or -o FILE (mode 0600)')
    .option('--ledger <file>', 'ledger database file')
    .option('-o, --output <file>', 'write to this file (mode 0600, renamed into place when whole) instead of stdout')
    .option('--without-secret', "leave out the ledger's password secret (under persons.passwords: always, the next run after an import then sends every person once)")
    .action(async (flags: { ledger?: string; output?: string; withoutSecret?: boolean }, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      if (!flags.ledger) requireSiteChosen(config);
      if (config.ledger !== ':memory:' && !isPostgresUrl(config.ledger) && !existsSync(config.ledger)) {
        throw new Refusal(`There is no ledger at ${config.ledger}: pass --ledger FILE or set "ledger" in the config.`);
      }
      const store = await openLedger(config);
      try {
        const opts = { site: config.moodle.url, secrets: !flags.withoutSecret };
        const output = flags.output;
        // The ledger's own errors are not the output's: only a failed write is said to be one.
        const written = <T>(write: Promise<T>): Promise<T> =>
          write.catch((err: NodeJS.ErrnoException) => {
            if (typeof err.syscall !== 'string') throw err;
            throw new Refusal(
              output === undefined
                ? `The export could not be written to stdout (${err.code ?? err.message}: its reader closed or failed): what was written is incomplete.`
                : `The output ${output} cannot be written (${err.code ?? err.message}): pass another -o; nothing was left under that name.`,
            );
          });
        if (output !== undefined) {
          const counts = await written(writeFileAtomically(output, (write) => writeExport(store.transfer, write, opts)));
          process.stdout.write(`exported ${describeCounts(counts)} from ${store.path} to ${output}\n`);
        } else {
          if (opts.secrets) guardStdout();
          const counts = await written(writeExport(store.transfer, streamWriter(process.stdout), opts));
          process.stderr.write(`mdlsync: exported ${describeCounts(counts)} from ${store.path}\n`);
        }
      } finally {
        await store.close();
      }
    });
  ledger
    .command('import')
    .argument('<file>', 'a file mdlsync ledger export wrote')
    .description('load a ledger export into the ledger (a new one, or --replace): all of it in one transaction, or nothing')
    .option('--ledger <file>', 'ledger database file (made when missing)')
    .option('--replace', 'replace what the ledger holds (links, runs, retries, export state, pictures, before-images, its secret)')
    .option('--other-site', 'import an export made for another Moodle URL (the site moved to this one)')
    .option('--wait <seconds>', 'wait this long for a run holding the ledger (default: refuse at once)', positiveInt)
    .action(async (file: string, flags: { ledger?: string; replace?: boolean; otherSite?: boolean; wait?: number }, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      if (!flags.ledger) requireSiteChosen(config);
      // The header first: a file that is none, or too new, is refused before a ledger is made for it.
      const source = ExportFile.open(file, LEDGER_SCHEMA_VERSION);
      try {
        const { header } = source;
        if (!flags.otherSite && !sameSite(header.site, config.moodle.url)) {
          throw new LedgerFileError(
            'ledger-other-site',
            `${file} was exported for ${header.site}, and this config's Moodle is ${siteOf(config.moodle.url)}: check --url / moodle.url, or pass --other-site if the site moved; nothing was imported`,
          );
        }
        const store = await openLedger(config);
        const lockId = `import-${newRunId()}`;
        try {
          const held = await takeWriterLock(store, lockId, flags.wait ?? 0, config.lockStaleSeconds * 1000);
          if (held) {
            process.stderr.write(`mdlsync: ${held}\n`);
            process.exitCode = CODES.locked.exit;
            return;
          }
          const counts = await store.transfer.load(source.records(), { replace: Boolean(flags.replace), source: file });
          process.stdout.write(
            `imported ${describeCounts(counts)} into ${store.path} from ${file} (exported ${header.exportedAt}${header.site ? ` for ${header.site}` : ''})\n`,
          );
          if (counts.ledger_secrets === 0 && config.persons.passwords === 'always') {
            process.stderr.write('mdlsync: the file holds no password secret: with persons.passwords: always, the next run sends every person once (their hashes no longer match)\n');
          }
        } finally {
          await releaseWriterLock(store, lockId);
          await store.close();
        }
      } finally {
        source.close();
      }
    });
}
