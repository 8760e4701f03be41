import { describe, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { createLogger, formatLogLine, withRunId } from './logger.js';
import { REDACTED } from './redact.js';

/** A logger as the CLI makes it (console silent), with one more transport that keeps its lines in the given format. */
function capture(format: 'text' | 'json', secrets: string[] = []) {
  const logger = createLogger({ level: 'debug', silentConsole: true, secrets });
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n').filter((l) => l !== '')));
  logger.add(new winston.transports.Stream({ stream, format: winston.format.printf((i) => formatLogLine(format, i)) }));
  return { logger, lines };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('console log lines', () => {
  test('text: level and message, control characters escaped; json: timestamp, level, message, the rest', () => {
    expect(formatLogLine('text', { level: 'warn', message: 'a\u001b[31mb' })).toBe('warn: a\\x1b[31mb');
    const line = formatLogLine('json', { level: 'info', message: 'a\u001b[31mb\u009b', timestamp: 'T', code: 'x' });
    // eslint-disable-next-line no-control-regex
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(JSON.parse(line)).toEqual({ timestamp: 'T', level: 'info', message: 'a\u001b[31mb\u009b', code: 'x' });
  });

  test('a line logged inside withRunId carries the run id, overlapping runs each their own; outside none', async () => {
    const { logger, lines } = capture('json');
    logger.info('before');
    await Promise.all(
      ['RUN-A', 'RUN-B'].map((id) =>
        withRunId(id, async () => {
          await flush();
          logger.info(`in ${id}`);
        }),
      ),
    );
    await flush();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l.message, l.runId ?? null])).toEqual([
      ['before', null],
      ['in RUN-A', 'RUN-A'],
      ['in RUN-B', 'RUN-B'],
    ]);
    for (const l of parsed) expect(Number.isNaN(Date.parse(l.timestamp as string))).toBe(false);
  });

  test.each(['text', 'json'] as const)('%s: a secret in a message or a meta value never reaches the line', async (format) => {
    const secret = `logger-test-secret-${format}`;
    const { logger, lines } = capture(format, [secret]);
    logger.info(`calling with ${secret}`, { detail: `url?wstoken=${secret}` });
    await flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain(`calling with ${REDACTED}`);
  });
});
