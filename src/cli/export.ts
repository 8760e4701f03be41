/**
 * `mdlsync export …`: the parent command the export subcommands hang from (ids, grades, completions). Each
 * subcommand's module registers itself with exportCommand(program), which makes the parent once.
 */
import type { Command } from 'commander';

export function exportCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'export') ??
    program.command('export').description('write what Moodle knows back for your SIS (ids, grades, completions)')
  );
}
