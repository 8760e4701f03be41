/**
 * What the command line asks for, read before commander parses it: which command (so main loads only that command's
 * code), --json and --log-format (so an error before the command runs is printed the way the command would have).
 * Start-up cost is what every command pays, so this imports only a leaf.
 */
import { readFileSync } from 'node:fs';
import type { LogFormat } from '../report/log-format.js';

/** The program's own options that take a value: their value is not a command name. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-c', '--config', '--site', '--log-format']);

/** The options of a command line, up to a `--` that ends them. */
function optionsOf(args: readonly string[]): readonly string[] {
  const end = args.indexOf('--');
  return end === -1 ? args : args.slice(0, end);
}

/** The command the line names (`run`, `export` …), or null when it names none (`--help`, `--version`, nothing). */
export function commandNameOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return args[i + 1] ?? null;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return null;
}

/**
 * The version package.json gives: read from the folder two above this module's (dist/cli/ in a clone and in an
 * installed package; dist/bundle/ in the bundle).
 */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** `mdlsync --version` (or -V) without a command: answered without loading commander or any command. */
export function versionOnly(args: readonly string[]): boolean {
  return commandNameOf(args) === null && optionsOf(args).some((a) => a === '--version' || a === '-V');
}

/** Whether the command line asks for --json: an error before the command could print its document prints one too. */
export function jsonRequested(args: readonly string[]): boolean {
  return optionsOf(args).includes('--json');
}

/** The --log-format the command line asks for. */
export function logFormatRequested(args: readonly string[]): LogFormat | undefined {
  const opts = optionsOf(args);
  const i = opts.lastIndexOf('--log-format');
  const value = i === -1 ? opts.findLast((a) => a.startsWith('--log-format='))?.slice('--log-format='.length) : opts[i + 1];
  return value === 'json' || value === 'text' ? value : undefined;
}
