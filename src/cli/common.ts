/** Shared CLI plumbing: config from --config/env/flags, and the logger. */
import { InvalidArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { createLogger } from '../report/logger.js';

export function configFrom(cmd: Command, overrides: ConfigOverrides = {}): Config {
  const globals = cmd.optsWithGlobals() as { config?: string };
  return loadConfig({ path: globals.config, overrides });
}

export function loggerFor(config: Config, opts: { quiet?: boolean; logLevel?: string } = {}) {
  return createLogger({
    level: opts.logLevel ?? config.logLevel,
    file: join(config.reports, 'mdlsync.log'),
    secrets: [config.moodle.token ?? ''],
    silentConsole: opts.quiet,
  });
}

/** The worst of several exit codes: refused (3) over failed rows (2) over usage (1) over ok (0). */
export function worstExit(codes: number[]): number {
  const rank = (c: number) => (c === 3 ? 3 : c === 2 ? 2 : c === 1 ? 1 : 0);
  return codes.reduce((a, b) => (rank(b) > rank(a) ? b : a), 0);
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}
