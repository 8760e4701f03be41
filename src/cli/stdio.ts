/**
 * Every byte the CLI prints goes through the one redaction (report/redact.ts): stdout and stderr are wrapped once at
 * start-up, so no command, library (commander, winston, the progress bar) or error sentence can show a secret.
 */
import { redactText } from '../report/redact.js';

export function redactStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      if (typeof chunk === 'string') return write(redactText(chunk), ...rest);
      if (chunk instanceof Uint8Array) {
        const text = Buffer.from(chunk).toString('utf8');
        const clean = redactText(text);
        return write(clean === text ? chunk : Buffer.from(clean, 'utf8'), ...rest);
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
