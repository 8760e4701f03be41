/** winston logs: plain lines on stderr, JSON lines in a file. Secrets are scrubbed (redact.ts) before any transport sees them. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { addSecrets, redactValue } from './redact.js';

/** Earlier name of redactValue: a copy with the values of secret keys and every registered secret removed. */
export { redactValue as redact } from './redact.js';

export interface LoggerOptions {
  level: string;
  file?: string;
  /** More values never to print (the token is registered by loadConfig); registered for every output. */
  secrets?: string[];
  /** Console output off (tests, --quiet). */
  silentConsole?: boolean;
}

export function createLogger(opts: LoggerOptions): winston.Logger {
  addSecrets(...(opts.secrets ?? []));
  const scrub = winston.format((info) => {
    const clean = redactValue({ ...info }) as winston.Logform.TransformableInfo;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    return Object.assign(info, clean);
  });
  const transports: winston.transport[] = [
    new winston.transports.Console({
      silent: opts.silentConsole,
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      format: winston.format.printf((i) => `${i.level}: ${String(i.message)}`),
    }),
  ];
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    transports.push(new winston.transports.File({ filename: opts.file, format: winston.format.json(), options: { mode: 0o600 } }));
  }
  return winston.createLogger({ level: opts.level, format: winston.format.combine(scrub(), winston.format.timestamp()), transports });
}
