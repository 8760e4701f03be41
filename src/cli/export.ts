/** `mdlsync export …`: what Moodle knows, written back for the SIS. Each kind registers its own subcommand. */
import type { Command } from 'commander';
import { registerExportIds } from './export-ids.js';

export function registerExport(program: Command): void {
  const exportCmd = program.command('export').description('write what Moodle knows back for your SIS');
  registerExportIds(exportCmd);
}
