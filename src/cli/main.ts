/** `mdlsync` entry point: parse arguments, call the core, print, exit. No business logic here. */
import { Command, CommanderError, Option } from 'commander';
import { CODES, EXIT, failureInfo } from '../errors.js';
import { escapeControls } from '../refusal.js';
import { registerDialects } from './dialects.js';
import { registerDiff } from './diff.js';
import { registerDoctor } from './doctor.js';
import { registerExportGrades } from './export-grades.js';
import { registerExportIds } from './export-ids.js';
import { registerLedger } from './ledger.js';
import { registerPictures } from './pictures.js';
import { registerMirror } from './mirror.js';
import { registerPurge } from './purge.js';
import { registerRun } from './run.js';
import { registerSandbox } from './sandbox.js';
import { redactStdio } from './stdio.js';
import { registerSchedule } from './schedule.js';
import { registerSetup } from './setup.js';
import { registerUser } from './user.js';
import { registerWatch } from './watch.js';

export function buildProgram(): Command {
  const program = new Command('mdlsync')
    .description('Keeps a Moodle site in step with a student-information system through flat files.')
    .version('0.1.0')
    .addOption(new Option('-c, --config <file>', 'config file (default: ./mdlsync.config.json when present)'))
    .showHelpAfterError('(run mdlsync --help for usage)')
    .exitOverride();
  registerRun(program);
  registerSandbox(program);
  registerDoctor(program);
  registerSetup(program);
  registerLedger(program);
  registerWatch(program);
  registerSchedule(program);
  registerPurge(program);
  registerUser(program);
  registerDialects(program);
  registerExportIds(program);
  registerExportGrades(program);
  registerDiff(program);
  registerPictures(program);
  registerMirror(program);
  return program;
}

async function main(): Promise<void> {
  redactStdio();
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : CODES.usage.exit;
      return;
    }
    // ConfigError and Refusal: one sentence that says what to fix, and their exit code (1 and 3), from the code table.
    const failure = failureInfo(err);
    if (failure.expected) {
      process.stderr.write(`mdlsync: ${escapeControls(String((err as Error).message))}\n`);
    } else {
      process.stderr.write(`mdlsync: unexpected error: ${escapeControls(String((err as Error).message))}. Run again with --log-level debug and report the log if it persists.\n`);
      // An error of the family thrown where nothing reports it (a file that breaks mid-way, the ledger too new): its hint.
      if (failure.code !== null) process.stderr.write(`mdlsync: ${failure.code}: ${escapeControls(failure.hint)}\n`);
    }
    process.exitCode = failure.exit;
  }
}

await main();
