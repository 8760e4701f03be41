/** `mdlsync ledger show`: what mdlsync owns, and its recent runs. */
import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { SqliteLedger } from '../ledger/index.js';
import type { LinkStatus } from '../ledger/types.js';
import { configFrom, positiveInt } from './common.js';

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
    .action((flags: { ledger?: string; entity?: string; datasource?: string; status?: LinkStatus; limit: number; offset: number; runs?: boolean }, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      const store = SqliteLedger.open(config.ledger);
      try {
        if (flags.runs) {
          for (const r of store.listRuns(flags.limit)) {
            process.stdout.write(`${r.id}  ${r.status.padEnd(11)} ${r.type} ${r.op}${r.dataSource ? ` [${r.dataSource}]` : ''}  ${r.file}\n`);
          }
          // Rows Moodle could not take (outage) that watch/schedule will try again: until they land or are discarded.
          for (const r of store.retries.list()) {
            const rows = r.rows === null ? 'whole file' : `${r.rows} row(s)`;
            process.stdout.write(
              `retry #${r.id}  waiting  ${r.name}  ${rows}  attempt ${r.attempts}, next try at ${new Date(r.nextAt).toISOString()}  (${r.source}; last error: ${r.lastError})  ${r.file}\n`,
            );
          }
          return;
        }
        const links = store.listLinks({ entity: flags.entity, dataSource: flags.datasource ?? null, status: flags.status, limit: flags.limit, offset: flags.offset });
        // state: what mdlsync gave (an enrolment's role and dates, a member's group …); content hashes are not shown.
        process.stdout.write('entity\tkey\tmoodle_id\tdata_source\tstatus\tlast_seen\tstate\n');
        for (const l of links) process.stdout.write(`${l.entity}\t${l.key}\t${l.moodleId}\t${l.dataSource ?? ''}\t${l.status}\t${l.lastSeen}\t${l.state ?? ''}\n`);
      } finally {
        store.close();
      }
    });
  ledger
    .command('discard-retry')
    .argument('<id>', 'the retry number `ledger show --runs` prints (retry #ID)', positiveInt)
    .description('give up on rows kept for retry after a Moodle outage: the retry file is deleted (the archive keeps the input)')
    .option('--ledger <file>', 'ledger database file')
    .action(async (id: number, flags: { ledger?: string }, cmd: Command) => {
      const config = configFrom(cmd, { ledger: flags.ledger });
      const store = SqliteLedger.open(config.ledger);
      try {
        const gone = store.retries.remove(id);
        if (!gone) {
          process.stderr.write(`mdlsync: no retry #${id} in the ledger ${config.ledger} (see mdlsync ledger show --runs)\n`);
          process.exitCode = 1;
          return;
        }
        await rm(gone.file, { force: true });
        process.stdout.write(`discarded retry #${gone.id}: ${gone.name}, ${gone.rows === null ? 'the whole file' : `${gone.rows} row(s)`} (${gone.file} deleted)\n`);
      } finally {
        store.close();
      }
    });
}
