/** `mdlsync` entry point: parse arguments, call the core, print, exit. No business logic here. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CODES, EXIT, failureInfo } from '../errors.js';
import { escapeControls } from '../refusal.js';
import { errorDocument, failureSentence, redactedJson, usageErrorDocument } from '../report/json-output.js';
import { LOG_FORMATS, formatLogLine, type LogFormat } from '../report/logger.js';
import { consoleLogFormat, jsonRequested, logFormatRequested } from './common.js';
import { registerDialects } from './dialects.js';
import { registerDiff } from './diff.js';
import { registerDoctor } from './doctor.js';
import { registerExportGrades } from './export-grades.js';
import { registerExportIds } from './export-ids.js';
import { registerInit } from './init.js';
import { registerLedger } from './ledger.js';
import { registerPictures } from './pictures.js';
import { registerMirror } from './mirror.js';
import { registerPurge } from './purge.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerSandbox } from './sandbox.js';
import { redactStdio } from './stdio.js';
import { registerSchedule } from './schedule.js';
import { registerSetup } from './setup.js';
import { registerUser } from './user.js';
import { registerWatch } from './watch.js';

/** `logFormat`: commander's own errors (an unknown flag…) as a JSON line too, when --log-format json is asked for. */
/** The version package.json gives (dist/cli/main.js is two folders below it, in a clone and in an installed package). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(logFormat: LogFormat = 'text'): Command {
  const program = new Command('mdlsync')
    .description('Keeps a Moodle site in step with a student-information system through flat files.')
    .version(packageVersion())
    .addOption(new Option('-c, --config <file>', 'config file (default: ./mdlsync.config.json when present)'))
    .addOption(new Option('--log-format <format>', 'console log lines: text, or json (one JSON object a line on stderr, for log shippers)').choices([...LOG_FORMATS]))
    .exitOverride();
  // Set before the commands are added: each copies its parent's settings when it is made.
  if (logFormat === 'json') {
    program.configureOutput({ outputError: (str, write) => write(formatLogLine('json', { level: 'error', message: str.trim().replace(/^error:\s*/, ''), code: 'usage', hint: CODES.usage.hint }) + '\n') });
  } else {
    program.showHelpAfterError('(run mdlsync --help for usage)');
  }
  registerInit(program);
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
  registerReport(program);
  return program;
}

async function main(): Promise<void> {
  redactStdio();
  const args = process.argv.slice(2);
  const program = buildProgram(logFormatRequested(args));
  // --json: stdout holds one JSON document whatever happens, an error document when the command could not print its own.
  const json = jsonRequested(args);
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : CODES.usage.exit;
      // commander has printed its message on stderr already.
      if (json && err.exitCode !== 0) process.stdout.write(redactedJson(usageErrorDocument(err.message), 2) + '\n');
      return;
    }
    // ConfigError and Refusal: one sentence that says what to fix, and their exit code (1 and 3), from the code table.
    const failure = failureInfo(err);
    const sentence = failureSentence(err);
    if (consoleLogFormat(program) === 'json') {
      process.stderr.write(formatLogLine('json', { level: 'error', message: sentence, code: failure.code, hint: failure.hint }) + '\n');
    } else {
      process.stderr.write(`mdlsync: ${escapeControls(sentence)}\n`);
      // An error of the family thrown where nothing reports it (a file that breaks mid-way, the ledger too new): its hint.
      if (!failure.expected && failure.code !== null) process.stderr.write(`mdlsync: ${failure.code}: ${escapeControls(failure.hint)}\n`);
    }
    if (json) process.stdout.write(redactedJson(errorDocument(err), 2) + '\n');
    process.exitCode = failure.exit;
  }
}

await main();
