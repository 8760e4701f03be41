/** `mdlsync ledger show`: what mdlsync owns, and its recent runs. */
import type { Command } from 'commander';
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
          return;
        }
        const links = store.listLinks({ entity: flags.entity, dataSource: flags.datasource ?? null, status: flags.status, limit: flags.limit, offset: flags.offset });
        process.stdout.write('entity\tkey\tmoodle_id\tdata_source\tstatus\tlast_seen\n');
        for (const l of links) process.stdout.write(`${l.entity}\t${l.key}\t${l.moodleId}\t${l.dataSource ?? ''}\t${l.status}\t${l.lastSeen}\n`);
      } finally {
        store.close();
      }
    });
}
