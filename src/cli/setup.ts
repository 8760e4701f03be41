/** `mdlsync setup`: the functions, capabilities and steps a Moodle admin sets up (src/setup/); --write puts them in files. */
import type { Command } from 'commander';
import { ENTITY_TYPES } from '../entities/index.js';
import { EXPORT_KINDS } from '../export/functions.js';
import { setupNeeds, setupSteps, writeSetup } from '../setup/index.js';
import { configFrom, parseSelection } from './common.js';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description("what to set up in Moodle: the service's functions, the role's capabilities (a role file Moodle imports) and the steps")
    .option('--types <list>', `feed types you sync, comma-separated (${ENTITY_TYPES.join(', ')})`, 'persons')
    .option('--exports <list>', `exports you run, comma-separated (${EXPORT_KINDS.join(', ')})`, '')
    .option('--pictures', 'also what mdlsync pictures needs')
    .option('--mirror', 'also what mdlsync mirror needs')
    .option('--write <dir>', 'write functions.txt, capabilities.txt, mdlsync-role.xml and README.txt into DIR')
    .action((flags: { types: string; exports: string; pictures?: boolean; mirror?: boolean; write?: string }, cmd: Command) => {
      const sel = parseSelection(flags.types, flags.exports);
      // The config names the roles mdlsync assigns (enrolments.roleMap, observers.role): the role file may assign them.
      const config = configFrom(cmd);
      const needs = setupNeeds({ ...sel, pictures: sel.pictures || flags.pictures === true, mirror: flags.mirror === true }, config);
      if (flags.write) {
        const paths = writeSetup(flags.write, needs);
        process.stdout.write(`wrote ${paths.join(', ')}\n`);
        return;
      }
      const out = [
        'Steps:',
        ...setupSteps(needs),
        '',
        `Functions (${needs.functions.length}):`,
        ...needs.functions.map((f) => `  ${f}`),
        '',
        `Capabilities (${needs.capabilities.length}, at system context):`,
        ...needs.capabilities.map((c) => `  ${c}`),
      ];
      process.stdout.write(out.join('\n') + '\n');
    });
}
