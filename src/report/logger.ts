/** winston logs: plain lines on stderr, JSON lines in a file. Secrets are scrubbed before any transport sees them. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { escapeControls } from '../refusal.js';

const SECRET_KEYS = /^(wstoken|token|password|passwd|newpassword)$/i;

/** Replaces values of secret-looking keys, and literal secrets registered at start-up, everywhere in a log entry. */
export function redact(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out;
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(v, secrets, depth + 1);
  return out;
}

export interface LoggerOptions {
  level: string;
  file?: string;
  /** Values never to print (the token). */
  secrets?: string[];
  /** Console output off (tests, --quiet). */
  silentConsole?: boolean;
}

export function createLogger(opts: LoggerOptions): winston.Logger {
  const secrets = (opts.secrets ?? []).filter(Boolean);
  const scrub = winston.format((info) => {
    const clean = redact({ ...info }, secrets) as winston.Logform.TransformableInfo;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    return Object.assign(info, clean);
  });
  const transports: winston.transport[] = [
    new winston.transports.Console({
      silent: opts.silentConsole,
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      format: winston.format.printf((i) => `${i.level}: ${escapeControls(String(i.message))}`),
    }),
  ];
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    transports.push(new winston.transports.File({ filename: opts.file, format: winston.format.json(), options: { mode: 0o600 } }));
  }
  return winston.createLogger({ level: opts.level, format: winston.format.combine(scrub(), winston.format.timestamp()), transports });
}
