/**
 * The command line (main.ts loads it for anything but `--version`): parse arguments, call the core, print, exit. No
 * business logic here.
 *
 * Start-up is what every command pays, the nightly run of an unchanged file most often: only the code of the command
 * the line names is loaded (`mdlsync run` never loads the mirror, PostgreSQL or the watcher). `--help`, `help` and a
 * name that is no command load them all, so commander can list or suggest.
 */
import { Command, CommanderError, Option } from 'commander';
import { CODES, EXIT, failureInfo } from '../errors.js';
import { escapeControls } from '../refusal.js';
import { LOG_FORMATS } from '../report/log-format.js';
import { commandNameOf, jsonRequested, logFormatRequested, packageVersion, versionOnly } from './argv.js';
import { redactStdio } from './stdio.js';

type Register = (program: Command) => void;

/** Each command's module, by the name the command line gives (`plan` is registered with `run`, `export` by two). */
const COMMANDS: Record<string, () => Promise<Register[]>> = {
  init: async () => [(await import('./init.js')).registerInit],
  run: async () => [(await import('./run.js')).registerRun],
  plan: async () => [(await import('./run.js')).registerRun],
  sandbox: async () => [(await import('./sandbox.js')).registerSandbox],
  doctor: async () => [(await import('./doctor.js')).registerDoctor],
  setup: async () => [(await import('./setup.js')).registerSetup],
  ledger: async () => [(await import('./ledger.js')).registerLedger],
  watch: async () => [(await import('./watch.js')).registerWatch],
  schedule: async () => [(await import('./schedule.js')).registerSchedule],
  purge: async () => [(await import('./purge.js')).registerPurge],
  user: async () => [(await import('./user.js')).registerUser],
  dialects: async () => [(await import('./dialects.js')).registerDialects],
  export: async () => [(await import('./export-ids.js')).registerExportIds, (await import('./export-grades.js')).registerExportGrades],
  diff: async () => [(await import('./diff.js')).registerDiff],
  pictures: async () => [(await import('./pictures.js')).registerPictures],
  mirror: async () => [(await import('./mirror.js')).registerMirror],
  report: async () => [(await import('./report.js')).registerReport],
  held: async () => [(await import('./held.js')).registerHeld],
  approve: async () => [(await import('./held.js')).registerHeld],
  discard: async () => [(await import('./held.js')).registerHeld],
  undo: async () => [(await import('./undo.js')).registerUndo],
};

/** Names registered by another name's module (`plan` with `run`, `approve` and `discard` with `held`). */
const ALIASES = new Set(['plan', 'approve', 'discard']);

/** The commands to register for this command line, in the order `--help` lists them. */
async function commandsFor(args: readonly string[]): Promise<Register[]> {
  if (versionOnly(args)) return [];
  const name = commandNameOf(args);
  if (name !== null && Object.hasOwn(COMMANDS, name)) return COMMANDS[name]();
  const all = await Promise.all(Object.entries(COMMANDS).filter(([n]) => !ALIASES.has(n)).map(([, load]) => load()));
  return all.flat();
}


/** `args`: the command line; with --log-format json, commander's own errors (an unknown flag…) are a JSON line too. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('mdlsync')
    .description('Keeps a Moodle site in step with a student-information system through flat files.')
    .version(packageVersion())
    .addOption(new Option('-c, --config <file>', 'config file (default: ./mdlsync.config.json when present)'))
    .addOption(new Option('--site <name>', 'one of the config\'s "sites" (default: MDLSYNC_SITE, or the config\'s only site)'))
    .addOption(new Option('--log-format <format>', 'console log lines: text, or json (one JSON object a line on stderr, for log shippers)').choices([...LOG_FORMATS]))
    .exitOverride();
  // Set before the commands are added: each copies its parent's settings when it is made.
  if (logFormatRequested(args) === 'json') {
    const { formatLogLine } = await import('../report/logger.js');
    program.configureOutput({ outputError: (str, write) => write(formatLogLine('json', { level: 'error', message: str.trim().replace(/^error:\s*/, ''), code: 'usage', hint: CODES.usage.hint }) + '\n') });
  } else {
    program.showHelpAfterError('(run mdlsync --help for usage)');
  }
  for (const register of await commandsFor(args)) register(program);
  return program;
}

/** The command's failure on stderr (and as a JSON document on stdout with --json); loaded only when one happens. */
async function reportFailure(err: unknown, program: Command, json: boolean): Promise<void> {
  const { errorDocument, failureSentence, redactedJson, usageErrorDocument } = await import('../report/json-output.js');
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : CODES.usage.exit;
    // commander has printed its message on stderr already.
    if (json && err.exitCode !== 0) process.stdout.write(redactedJson(usageErrorDocument(err.message), 2) + '\n');
    return;
  }
  // ConfigError and Refusal: one sentence that says what to fix, and their exit code (1 and 3), from the code table.
  const failure = failureInfo(err);
  const sentence = failureSentence(err);
  const { consoleLogFormat } = await import('./common.js');
  if (consoleLogFormat(program) === 'json') {
    const { formatLogLine } = await import('../report/logger.js');
    process.stderr.write(formatLogLine('json', { level: 'error', message: sentence, code: failure.code, hint: failure.hint }) + '\n');
  } else {
    process.stderr.write(`mdlsync: ${escapeControls(sentence)}\n`);
    // An error of the family thrown where nothing reports it (a file that breaks mid-way, the ledger too new): its hint.
    if (!failure.expected && failure.code !== null) process.stderr.write(`mdlsync: ${failure.code}: ${escapeControls(failure.hint)}\n`);
  }
  if (json) process.stdout.write(redactedJson(errorDocument(err), 2) + '\n');
  process.exitCode = failure.exit;
}

export async function main(): Promise<void> {
  redactStdio();
  const args = process.argv.slice(2);
  const program = await buildProgram(args);
  // --json: stdout holds one JSON document whatever happens, an error document when the command could not print its own.
  const json = jsonRequested(args);
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) {
      process.exitCode = EXIT.ok; // --help, --version
      return;
    }
    await reportFailure(err, program, json);
  }
}

