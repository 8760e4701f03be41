/** Checks shared by the typed wrappers (internal; not exported from index.ts). */
import { ProtocolError } from './errors.js';

/**
 * Create functions answer one item per record, in input order. A shorter (or missing) list means PHP dropped
 * input (max_input_vars): nothing tells which records were lost, so the call cannot be trusted.
 */
export function expectOnePerRecord<T>(wsfunction: string, noun: string, sent: number, reply: unknown): T[] {
  if (!Array.isArray(reply) || reply.length !== sent) {
    const got = Array.isArray(reply) ? `${reply.length} ${noun}` : 'no list';
    throw new ProtocolError(
      `${wsfunction}: sent ${sent} ${noun}, Moodle answered with ${got}; the site probably cut the request ` +
        `(PHP max_input_vars lower than mdlsync's budget): lower maxInputVars`,
    );
  }
  return reply as T[];
}
