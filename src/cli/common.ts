/** Shared CLI plumbing: config from --config/env/flags, the site/ledger options, and the logger. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { lstatSync, mkdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SandboxHandle } from '../sandbox/server.js';
import { Refusal } from '../refusal.js';
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { ENTITY_TYPES, isEntityType, type EntityType } from '../entities/index.js';
import { EXPORT_KINDS, isExportKind } from '../export/functions.js';
import type { ExportKind } from '../export/rows.js';
import { createLogger, type LogFormat } from '../report/logger.js';

/** The console log format of the command under way, once its config is loaded: main prints a failure in it. */
let loadedLogFormat: LogFormat | undefined;

export function configFrom(cmd: Command, overrides: ConfigOverrides = {}): Config {
  const globals = cmd.optsWithGlobals() as { config?: string; site?: string; logFormat?: LogFormat } & NetworkFlags;
  const network: ConfigOverrides = { ca: globals.ca, maxRequestsPerSecond: globals.maxRps };
  const config = loadConfig({ path: globals.config, overrides: { logFormat: globals.logFormat, site: globals.site, ...network, ...overrides } });
  loadedLogFormat = config.logFormat;
  return config;
}

/** The console log format: --log-format (on any command), else the config's logFormat once loaded, else text. */
export function consoleLogFormat(program: Command): LogFormat {
  return (program.opts() as { logFormat?: LogFormat }).logFormat ?? loadedLogFormat ?? 'text';
}

/** A progress bar redraws one line in place: on a terminal, and only when the log lines are text. */
export function progressOnTty(config: Config): boolean {
  return Boolean(process.stderr.isTTY) && config.logFormat === 'text';
}

/** --ca and --max-rps (addNetworkOptions): configFrom() reads them into the config by itself. */
export interface NetworkFlags {
  ca?: string;
  maxRps?: number;
}

/** --ca FILE and --max-rps N, for every command that calls Moodle. */
export function addNetworkOptions(cmd: Command): Command {
  return cmd
    .option('--ca <file>', "PEM file of the site's private certificate authority, trusted besides the public ones (moodle.ca)")
    .option('--max-rps <n>', 'Moodle calls started per second at most (moodle.maxRequestsPerSecond)', positiveNumber);
}

/** The flags addSiteOptions() adds. */
export interface SiteFlags extends NetworkFlags {
  url?: string;
  ledger?: string;
  reports?: string;
  wait?: number;
  quiet?: boolean;
  logLevel?: string;
}

/**
 * --url, --ledger, --reports, --wait, -q and --log-level, for the commands that write to Moodle and the ledger.
 * `takesLock: false` (the exports, which only read Moodle and never take the writer lock): no --wait.
 */
export function addSiteOptions(cmd: Command, quietHelp = 'no log lines on the console', { takesLock = true } = {}): Command {
  cmd
    .option('--url <url>', 'Moodle site URL (overrides config and MDLSYNC_URL)')
    .option('--ledger <file|url>', 'ledger: a SQLite file or a postgres:// URL')
    .option('--reports <dir>', 'reports folder');
  if (takesLock) cmd.option('--wait <seconds>', 'wait this long for another run holding the ledger (default: refuse at once)', positiveInt);
  return addNetworkOptions(cmd)
    .option('-q, --quiet', quietHelp)
    .addOption(new Option('--log-level <level>').choices(['error', 'warn', 'info', 'debug']));
}

/** `secrets`: more values (besides the token) the log must never show. */
export function loggerFor(config: Config, opts: { quiet?: boolean; logLevel?: string } = {}, secrets: string[] = []) {
  usableReportsFolder(config.reports);
  return createLogger({
    level: opts.logLevel ?? config.logLevel,
    file: join(config.reports, 'mdlsync.log'),
    secrets: [config.moodle.token ?? '', ...secrets],
    silentConsole: opts.quiet,
    format: config.logFormat,
  });
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/**
 * The reports folder (made when missing) must be a folder: a file or a dangling symbolic link there is refused with
 * one sentence before the log or any report is written.
 */
export function usableReportsFolder(path: string): void {
  const fix = 'pass another --reports or set "reports" in the config';
  let link: string | null = null;
  try {
    if (lstatSync(path).isSymbolicLink()) link = readlinkSync(path);
    if (!statSync(path).isDirectory()) throw new Refusal(`The reports folder ${path} is a file, not a folder: ${fix}.`);
    return;
  } catch (err) {
    if (err instanceof Refusal) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Refusal(`The reports folder ${path} cannot be used (${(err as NodeJS.ErrnoException).code}): ${fix}.`);
  }
  if (link !== null) throw new Refusal(`The reports folder ${path} is a symbolic link to ${link}, which does not exist: create ${link}, or ${fix}.`);
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new Refusal(`The reports folder ${path} cannot be created (${(err as NodeJS.ErrnoException).code}): ${fix}.`);
  }
}

/**
 * --types and --exports of doctor and setup: feed types (and `pictures`, the checks of mdlsync pictures, which is no
 * feed type) and exports, comma-separated; an unknown name is a config error naming the known ones.
 */
export function parseSelection(typesFlag: string, exportsFlag: string): { types: EntityType[]; exports: ExportKind[]; pictures: boolean } {
  const named = typesFlag.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = named.filter((t) => !isEntityType(t) && t !== 'pictures');
  if (unknown.length) throw new ConfigError(`unknown feed type ${unknown.join(', ')} in --types (known: ${ENTITY_TYPES.join(', ')}, pictures)`);
  const exports = exportsFlag.split(',').map((t) => t.trim()).filter(Boolean);
  const unknownExports = exports.filter((e) => !isExportKind(e));
  if (unknownExports.length) throw new ConfigError(`unknown export ${unknownExports.join(', ')} in --exports (known: ${EXPORT_KINDS.join(', ')})`);
  return { types: named.filter(isEntityType), exports: exports.filter(isExportKind), pictures: named.includes('pictures') };
}

/**
 * `--sandbox [stateFile]`: the built-in sandbox Moodle, its state in .mdlsync/sandbox.db unless given; null without
 * the flag. Loaded only when asked for: a command against a real site never loads the sandbox's code.
 */
export async function startRequestedSandbox(flag: string | boolean | undefined): Promise<SandboxHandle | null> {
  if (!flag) return null;
  const stateFile = resolve(typeof flag === 'string' ? flag : '.mdlsync/sandbox.db');
  mkdirSync(dirname(stateFile), { recursive: true });
  const { startSandbox } = await import('../sandbox/server.js');
  return startSandbox({ stateFile });
}
